"""Tax rates by code and the tax on a net amount."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tallyinv.money import Money, round_to_minor, to_decimal


@dataclass(frozen=True)
class TaxRate:
    code: str
    rate: Decimal  # percent
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", to_decimal(self.rate))


class TaxTable:
    """The tax rates an invoice may use, by code."""

    def __init__(self, rates: Iterable[TaxRate]) -> None:
        self._rates = {r.code: r for r in rates}

    def rate_for(self, code: str) -> TaxRate:
        try:
            return self._rates[code]
        except KeyError:
            raise KeyError(f"unknown tax code {code!r}") from None

    def codes(self) -> list[str]:
        return sorted(self._rates)


def tax_on(net: Money, rate: TaxRate) -> Money:
    """Tax on a net amount, rounded to the minor unit (half away from zero)."""
    return Money(round_to_minor(net.amount * rate.rate / 100, net.currency), net.currency)


def tax_in(gross: Money, rate: TaxRate) -> Money:
    """Tax contained in a tax-inclusive amount, rounded to the minor unit."""
    return (gross * (rate.rate / (100 + rate.rate))).rounded()
