from decimal import Decimal

import pytest
from tallyinv import CurrencyMismatch, Money, minor_units, round_to_minor


def test_minor_units():
    assert minor_units("eur") == 2
    assert minor_units("JPY") == 0
    assert minor_units("KWD") == 3


def test_rounding_to_minor_units():
    assert round_to_minor(Decimal("1.004"), "EUR") == Decimal("1.00")
    assert round_to_minor(Decimal("1.006"), "EUR") == Decimal("1.01")
    assert round_to_minor(Decimal("1499.6"), "JPY") == Decimal("1500")
    assert round_to_minor(Decimal("0.1234"), "KWD") == Decimal("0.123")


def test_arithmetic_is_exact():
    total = Money.of("0.10", "usd") + Money.of("0.20", "USD")
    assert total == Money.of("0.30", "USD")
    assert (Money.of("19.99", "USD") * 3).amount == Decimal("59.97")
    assert -Money.of("1", "USD") == Money.of("-1", "USD")


def test_currency_mismatch():
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "EUR") + Money.of("1", "USD")


def test_float_refused():
    with pytest.raises(TypeError):
        Money.of(0.1, "EUR")


def test_str():
    assert str(Money.of("12.3", "EUR")) == "EUR 12.30"
    assert str(Money.of("1200", "JPY")) == "JPY 1200"
