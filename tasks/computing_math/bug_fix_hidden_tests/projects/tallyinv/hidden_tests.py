from decimal import Decimal

import pytest
from tallyinv import Invoice, LineItem, Money, TaxRate, TaxTable, round_to_minor, tax_on


def test_issue_reproduction():
    invoice = Invoice("EUR", TaxTable([TaxRate("STD", Decimal("19"))]))
    invoice.add(LineItem("A-100", "Cable clips", Decimal("3"), Money.of("0.335", "EUR")))
    totals = invoice.totals()
    assert totals.subtotal == Money.of("1.01", "EUR")
    assert totals.total == Money.of("1.20", "EUR")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "EUR", "0.13"),
        ("2.675", "USD", "2.68"),
        ("-1.005", "EUR", "-1.01"),
        ("2.5", "JPY", "3"),
        ("-0.5", "JPY", "-1"),
        ("0.0005", "KWD", "0.001"),
        ("7.7750", "GBP", "7.78"),
    ],
)
def test_ties_round_half_away_from_zero(amount, currency, expected):
    assert round_to_minor(Decimal(amount), currency) == Decimal(expected)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("1.0049", "EUR", "1.00"), ("-2.994", "USD", "-2.99"), ("1499.4", "JPY", "1499"), ("0.1236", "KWD", "0.124")],
)
def test_non_ties_unchanged(amount, currency, expected):
    assert round_to_minor(Decimal(amount), currency) == Decimal(expected)


def test_line_extension_and_discount_ties():
    line = LineItem("D-1", "Desk lamp", Decimal("1"), Money.of("10.05", "EUR"), Decimal("50"))
    assert line.discount() == Money.of("5.03", "EUR")
    assert line.amount() == Money.of("5.02", "EUR")
    clips = LineItem("C-9", "Clips", Decimal("5"), Money.of("0.025", "CHF"))
    assert clips.extended() == Money.of("0.13", "CHF")


@pytest.mark.parametrize(
    ("net", "currency", "rate", "expected"),
    [
        ("10.50", "EUR", "5", "0.53"),
        ("1.50", "USD", "7", "0.11"),
        ("0.250", "KWD", "5", "0.013"),
        ("-10.50", "EUR", "5", "-0.53"),
        ("1225", "JPY", "10", "123"),
        ("3.30", "EUR", "19", "0.63"),
    ],
)
def test_tax_rounding(net, currency, rate, expected):
    assert tax_on(Money.of(net, currency), TaxRate("X", Decimal(rate))) == Money.of(expected, currency)


def test_tax_summary_of_an_invoice():
    table = TaxTable([TaxRate("STD", Decimal("20")), TaxRate("RED", Decimal("5"))])
    invoice = Invoice("GBP", table)
    invoice.add(LineItem("N-1", "Notebook", Decimal("2"), Money.of("5.25", "GBP"), tax_code="RED"))
    invoice.add(LineItem("P-2", "Pens", Decimal("3"), Money.of("1.99", "GBP")))
    totals = invoice.totals()
    assert [t.tax.amount for t in totals.taxes] == [Decimal("0.53"), Decimal("1.19")]
    assert totals.total == Money.of("18.19", "GBP")


def test_str_rounds_commercially():
    assert str(Money.of("0.125", "EUR")) == "EUR 0.13"
