"""Money values: an exact Decimal amount in one ISO 4217 currency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def minor_units(currency: str) -> int:
    """Number of decimals of the currency's minor unit."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """An exact Decimal; floats are refused because they cannot hold cents exactly."""
    if isinstance(value, float):
        raise TypeError("use str or Decimal for money amounts, not float")
    return value if isinstance(value, Decimal) else Decimal(value)


def round_to_minor(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half away from zero (commercial rounding)."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    """An amount in a currency. Arithmetic is exact; call ``rounded()`` to round to the minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        object.__setattr__(self, "currency", self.currency.upper())

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @staticmethod
    def total(items: Iterable[Money], currency: str) -> Money:
        result = Money.zero(currency)
        for item in items:
            result = result + item
        return result

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def rounded(self) -> Money:
        return Money(round_to_minor(self.amount, self.currency), self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        amount = round_to_minor(self.amount, self.currency)
        return f"{self.currency} {amount}"
