"""Hidden probes of tallyinv #214: other amounts, currencies and code paths than the issue's and the suite's.

Each probe calls the public API and returns plain data; amounts are compared as decimal values.
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

from decimal import Decimal
from functools import partial

from tallyinv import Invoice, LineItem, Money, TaxRate, TaxTable, round_to_minor, tax_on


def _dec(value: object) -> str:
    if type(value) is not Decimal:
        return f"not a Decimal: {type(value).__name__}"
    return "0" if value == 0 else format(value.normalize(), "f")


def _money(value: object) -> list[str]:
    if type(value) is not Money:
        return [f"not Money: {type(value).__name__}"]
    return [_dec(value.amount), value.currency]


def issue_reproduction() -> list[list[str]]:
    invoice = Invoice("EUR", TaxTable([TaxRate("STD", Decimal("19"))]))
    invoice.add(LineItem("A-100", "Cable clips", Decimal("3"), Money.of("0.335", "EUR")))
    totals = invoice.totals()
    return [_money(totals.subtotal), _money(totals.total)]


def _round(amount: str, currency: str) -> str:
    return _dec(round_to_minor(Decimal(amount), currency))


def _tax(net: str, currency: str, rate: str) -> list[str]:
    return _money(tax_on(Money.of(net, currency), TaxRate("X", Decimal(rate))))


def line_extension_and_discount() -> list[list[str]]:
    line = LineItem("D-1", "Desk lamp", Decimal("1"), Money.of("10.05", "EUR"), Decimal("50"))
    clips = LineItem("C-9", "Clips", Decimal("5"), Money.of("0.025", "CHF"))
    return [_money(line.discount()), _money(line.amount()), _money(clips.extended())]


def tax_summary_two_rates() -> list[object]:
    table = TaxTable([TaxRate("STD", Decimal("20")), TaxRate("RED", Decimal("5"))])
    invoice = Invoice("GBP", table)
    invoice.add(LineItem("N-1", "Notebook", Decimal("2"), Money.of("5.25", "GBP"), tax_code="RED"))
    invoice.add(LineItem("P-2", "Pens", Decimal("3"), Money.of("1.99", "GBP")))
    totals = invoice.totals()
    return [[_money(t.tax) for t in totals.taxes], _money(totals.total)]


def invoice_with_tax_ties() -> list[object]:
    table = TaxTable([TaxRate("RED", Decimal("5")), TaxRate("MID", Decimal("15"))])
    invoice = Invoice("EUR", table)
    invoice.add(LineItem("B-1", "Books", Decimal("3"), Money.of("6.70", "EUR"), tax_code="RED"))
    invoice.add(LineItem("T-4", "Tea", Decimal("2"), Money.of("2.05", "EUR"), tax_code="MID"))
    totals = invoice.totals()
    return [[_money(t.tax) for t in totals.taxes], _money(totals.tax_total), _money(totals.total)]


def tax_inclusive_invoice() -> list[object]:
    invoice = Invoice("EUR", TaxTable([TaxRate("STD", Decimal("19"))]), prices_include_tax=True)
    invoice.add(LineItem("G-1", "Gift card", Decimal("1"), Money.of("11.90", "EUR")))
    invoice.add(LineItem("G-2", "Sleeve", Decimal("7"), Money.of("0.215", "EUR")))
    totals = invoice.totals()
    return [_money(totals.subtotal), _money(totals.tax_total), _money(totals.total)]


def money_str() -> list[str]:
    return [str(Money.of("0.125", "EUR")), str(Money.of("-4.5", "JPY")), str(Money.of("1.2345", "KWD"))]


def money_arithmetic() -> list[object]:
    a, b = Money.of("1.10", "usd"), Money.of("2.205", "USD")
    return [_money(a + b), _money(b - a), _money(-a), _money(a * 3), (a + b).is_zero()]


def currency_mismatch() -> str:
    try:
        Money.of("1", "EUR") + Money.of("1", "USD")
    except ValueError as exc:
        return type(exc).__name__
    return "no error"


PROBES = {
    "issue_reproduction": issue_reproduction,
    "line_extension_and_discount": line_extension_and_discount,
    "tax_summary_two_rates": tax_summary_two_rates,
    "invoice_with_tax_ties": invoice_with_tax_ties,
    "tax_inclusive_invoice": tax_inclusive_invoice,
    "money_str": money_str,
    "money_arithmetic": money_arithmetic,
    "currency_mismatch": currency_mismatch,
}
for _amount, _currency in [("0.125", "EUR"), ("2.675", "USD"), ("-1.005", "EUR"), ("2.5", "JPY"), ("-0.5", "JPY"),
                           ("0.0005", "KWD"), ("7.7750", "GBP"), ("12345678.905", "EUR"), ("-0.015", "CHF"),
                           ("1.0049", "EUR"), ("-2.994", "USD"), ("1499.4", "JPY"), ("0.1236", "KWD"), ("3.3", "EUR")]:
    PROBES[f"round_{_amount}_{_currency}"] = partial(_round, _amount, _currency)
for _net, _currency, _rate in [("10.50", "EUR", "5"), ("1.50", "USD", "7"), ("0.250", "KWD", "5"),
                               ("-10.50", "EUR", "5"), ("1225", "JPY", "10"), ("3.30", "EUR", "19"),
                               ("8.35", "EUR", "7"), ("100.10", "USD", "2.5"), ("0.07", "EUR", "50"),
                               ("20.10", "EUR", "5"), ("4.10", "EUR", "15"), ("19.90", "USD", "5"),
                               ("5.50", "GBP", "19"), ("12.30", "CHF", "15"), ("-2.10", "EUR", "5")]:
    PROBES[f"tax_{_net}_{_currency}_{_rate}"] = partial(_tax, _net, _currency, _rate)
