"""Invoice lines: quantity times unit price, less a percentage discount, each rounded once."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tallyinv.money import Money, to_decimal


@dataclass(frozen=True)
class LineItem:
    """One invoice line. ``unit_price`` is net or gross depending on the invoice's price list."""

    sku: str
    description: str
    quantity: Decimal
    unit_price: Money
    discount_pct: Decimal = field(default=Decimal(0))
    tax_code: str = "STD"

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", to_decimal(self.quantity))
        object.__setattr__(self, "discount_pct", to_decimal(self.discount_pct))
        if not Decimal(0) <= self.discount_pct <= Decimal(100):
            raise ValueError(f"discount must be between 0 and 100 %, got {self.discount_pct}")

    @property
    def currency(self) -> str:
        return self.unit_price.currency

    def extended(self) -> Money:
        """Quantity times unit price, rounded to the minor unit."""
        return (self.unit_price * self.quantity).rounded()

    def discount(self) -> Money:
        """The line discount, rounded to the minor unit."""
        return (self.extended() * (self.discount_pct / 100)).rounded()

    def amount(self) -> Money:
        """The line amount after discount (net or gross, as the price list is)."""
        return self.extended() - self.discount()
