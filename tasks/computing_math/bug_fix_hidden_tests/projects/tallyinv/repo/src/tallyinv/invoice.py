"""Invoices: lines grouped by tax code, tax summary per code, totals."""

from __future__ import annotations

from dataclasses import dataclass, field

from tallyinv.lines import LineItem
from tallyinv.money import CurrencyMismatch, Money
from tallyinv.tax import TaxTable, tax_in, tax_on


@dataclass(frozen=True)
class TaxLine:
    code: str
    rate_pct: str
    net: Money
    tax: Money


@dataclass(frozen=True)
class InvoiceTotals:
    subtotal: Money  # net, after line discounts
    discount_total: Money
    taxes: list[TaxLine]
    tax_total: Money
    total: Money


@dataclass
class Invoice:
    currency: str
    tax_table: TaxTable
    prices_include_tax: bool = False
    lines: list[LineItem] = field(default_factory=list)

    def add(self, line: LineItem) -> None:
        if line.currency != self.currency.upper():
            raise CurrencyMismatch(f"line {line.sku} is in {line.currency}, invoice in {self.currency}")
        self.tax_table.rate_for(line.tax_code)  # fail early on an unknown code
        self.lines.append(line)

    def _amounts_by_code(self) -> dict[str, Money]:
        by_code: dict[str, Money] = {}
        for line in self.lines:
            by_code[line.tax_code] = by_code.get(line.tax_code, Money.zero(self.currency)) + line.amount()
        return by_code

    def tax_summary(self) -> list[TaxLine]:
        summary = []
        for code, amount in sorted(self._amounts_by_code().items()):
            rate = self.tax_table.rate_for(code)
            if self.prices_include_tax:
                tax = tax_in(amount, rate)
                net = amount - tax
            else:
                net, tax = amount, tax_on(amount, rate)
            summary.append(TaxLine(code, f"{rate.rate.normalize()}", net, tax))
        return summary

    def totals(self) -> InvoiceTotals:
        taxes = self.tax_summary()
        subtotal = Money.total((t.net for t in taxes), self.currency)
        tax_total = Money.total((t.tax for t in taxes), self.currency)
        discount_total = Money.total((line.discount() for line in self.lines), self.currency)
        return InvoiceTotals(subtotal, discount_total, taxes, tax_total, subtotal + tax_total)
