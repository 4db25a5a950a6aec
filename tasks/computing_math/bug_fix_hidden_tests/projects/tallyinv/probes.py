"""Hidden probes of tallyinv: other amounts, currencies and code paths than the issues' and the suite's.

Each probe calls the public API and returns plain data; amounts are compared as decimal values.
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

from decimal import Decimal
from functools import partial

from tallyinv import Invoice, LineItem, Money, TaxRate, TaxTable, minor_units, round_to_minor, tax_on


def _dec(value: object) -> str:
    if type(value) is not Decimal:
        return f"not a Decimal: {type(value).__name__}"
    return "0" if value == 0 else format(value.normalize(), "f")


def _money(value: object) -> list[str]:
    if type(value) is not Money:
        return [f"not Money: {type(value).__name__}"]
    return [_dec(value.amount), value.currency]



def _one_line_invoice(quantity: str, price: str) -> list[list[str]]:
    invoice = Invoice("EUR", TaxTable([TaxRate("STD", Decimal("19"))]))
    invoice.add(LineItem("A-100", "Cable clips", Decimal(quantity), Money.of(price, "EUR")))
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






def _discounted_line(quantity: str, price: str, currency: str, discount_pct: str) -> list[list[str]]:
    line = LineItem("L", "line", Decimal(quantity), Money.of(price, currency), Decimal(discount_pct))
    return [_money(line.discount()), _money(line.amount())]


def discounted_invoice() -> list[object]:
    invoice = Invoice("EUR", TaxTable([TaxRate("STD", Decimal("19")), TaxRate("RED", Decimal("7"))]))
    invoice.add(LineItem("S-1", "Screws", Decimal("24"), Money.of("2.914", "EUR"), Decimal("75")))
    invoice.add(LineItem("F-2", "Flour", Decimal("8"), Money.of("0.882", "EUR"), Decimal("60"), tax_code="RED"))
    totals = invoice.totals()
    return [_money(totals.subtotal), _money(totals.discount_total), _money(totals.tax_total), _money(totals.total)]


def _gross_invoice(gross: str, currency: str, rate: str) -> list[list[str]]:
    invoice = Invoice(currency, TaxTable([TaxRate("STD", Decimal(rate))]), prices_include_tax=True)
    invoice.add(LineItem("G", "goods", Decimal("1"), Money.of(gross, currency)))
    totals = invoice.totals()
    return [_money(totals.subtotal), _money(totals.tax_total), _money(totals.total)]


def _case_insensitive_rounding(code: str) -> list[object]:
    return [minor_units(code), _round("2.5", code), _round("0.0125", code), _round("-7.7751", code)]


def _invoice_in(code: str) -> list[object]:
    invoice = Invoice(code, TaxTable([TaxRate("STD", Decimal("20")), TaxRate("RED", Decimal("5"))]))
    invoice.add(LineItem("A", "a", Decimal("2"), Money.of("4.25", code.upper())))
    invoice.add(LineItem("B", "b", Decimal("1"), Money.of("10", code.lower()), tax_code="RED"))
    totals = invoice.totals()
    return [_money(totals.subtotal), _money(totals.tax_total), _money(totals.total)]


PROBES = {
    "discounted_invoice": discounted_invoice,
    "line_extension_and_discount": line_extension_and_discount,
    "tax_summary_two_rates": tax_summary_two_rates,
    "invoice_with_tax_ties": invoice_with_tax_ties,
    "tax_inclusive_invoice": tax_inclusive_invoice,
    "money_str": money_str,
    "money_arithmetic": money_arithmetic,
    "currency_mismatch": currency_mismatch,
}
for _quantity, _price in [("3", "0.335"), ("5", "0.025"), ("2", "1.3325"), ("4", "0.51125"), ("9", "0.245")]:
    PROBES[f"one_line_invoice_{_quantity}x{_price}"] = partial(_one_line_invoice, _quantity, _price)
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
for _quantity, _price, _currency, _pct in [("3", "0.335", "EUR", "50"), ("8", "3.872", "USD", "75"),
                                           ("1", "308.4", "JPY", "30"), ("15", "1.483", "USD", "50"),
                                           ("8", "3.1992", "KWD", "40"), ("24", "2.914", "EUR", "75"),
                                           ("6", "0.008", "EUR", "30"), ("3", "454.6", "JPY", "12.5"),
                                           ("9", "1.115", "EUR", "25"), ("7.25", "86.00", "EUR", "12.5"),
                                           ("11", "0.0455", "EUR", "10")]:
    _name = f"discount_{_quantity}x{_price}_{_currency}_{_pct}"
    PROBES[_name] = partial(_discounted_line, _quantity, _price, _currency, _pct)
for _gross, _currency, _rate in [("10000.00", "EUR", "19"), ("1200.00", "EUR", "20"), ("53500.00", "EUR", "7"),
                                 ("2100000", "JPY", "5"), ("24200.00", "EUR", "21"), ("99999.99", "GBP", "20"),
                                 ("7777.77", "USD", "8.25"), ("1100.000", "KWD", "10"), ("59.90", "EUR", "19")]:
    PROBES[f"gross_{_gross}_{_currency}_{_rate}"] = partial(_gross_invoice, _gross, _currency, _rate)
for _code in ("jpy", "Krw", "isk", "kwd", "bhd", "eur", "JPY"):
    PROBES[f"rounding_code_{_code}"] = partial(_case_insensitive_rounding, _code)
for _code in ("gbp", "Eur", "chf", "jpy", "usd", "Jpy", "USD"):
    PROBES[f"invoice_in_{_code}"] = partial(_invoice_in, _code)
