from decimal import Decimal

import pytest
from tallyinv import CurrencyMismatch, Invoice, LineItem, Money, TaxRate, TaxTable

TABLE = TaxTable([TaxRate("STD", Decimal("20"), "VAT 20%"), TaxRate("RED", Decimal("5"), "VAT 5%")])


def test_readme_example():
    invoice = Invoice("GBP", TABLE)
    invoice.add(LineItem("P-1", "Printer paper", Decimal("4"), Money.of("3.49", "GBP")))
    invoice.add(LineItem("B-7", "Children's book", Decimal("1"), Money.of("7.99", "GBP"), tax_code="RED"))
    totals = invoice.totals()
    assert totals.subtotal == Money.of("21.95", "GBP")
    assert [t.tax.amount for t in totals.taxes] == [Decimal("0.40"), Decimal("2.79")]
    assert totals.total == Money.of("25.14", "GBP")


def test_line_discount():
    line = LineItem("S-2", "Service hours", Decimal("7.25"), Money.of("86.00", "EUR"), Decimal("12.5"))
    assert line.extended() == Money.of("623.50", "EUR")
    assert line.discount() == Money.of("77.94", "EUR")
    assert line.amount() == Money.of("545.56", "EUR")


def test_gross_price_list():
    table = TaxTable([TaxRate("STD", Decimal("19"))])
    invoice = Invoice("EUR", table, prices_include_tax=True)
    invoice.add(LineItem("K-1", "Kettle", Decimal("2"), Money.of("59.90", "EUR")))
    totals = invoice.totals()
    assert totals.tax_total == Money.of("19.13", "EUR")
    assert totals.subtotal == Money.of("100.67", "EUR")
    assert totals.total == Money.of("119.80", "EUR")


def test_zero_decimal_currency():
    table = TaxTable([TaxRate("STD", Decimal("10"))])
    invoice = Invoice("JPY", table)
    invoice.add(LineItem("T-1", "Green tea", Decimal("3"), Money.of("1280", "JPY")))
    totals = invoice.totals()
    assert totals.tax_total == Money.of("384", "JPY")
    assert totals.total == Money.of("4224", "JPY")


def test_credit_note_lines_are_negative():
    invoice = Invoice("EUR", TABLE)
    invoice.add(LineItem("R-1", "Returned item", Decimal("-1"), Money.of("40.00", "EUR")))
    totals = invoice.totals()
    assert totals.total == Money.of("-48.00", "EUR")


def test_wrong_currency_and_unknown_code():
    invoice = Invoice("EUR", TABLE)
    with pytest.raises(CurrencyMismatch):
        invoice.add(LineItem("X", "x", Decimal("1"), Money.of("1", "USD")))
    with pytest.raises(KeyError):
        invoice.add(LineItem("X", "x", Decimal("1"), Money.of("1", "EUR"), tax_code="ZERO"))
