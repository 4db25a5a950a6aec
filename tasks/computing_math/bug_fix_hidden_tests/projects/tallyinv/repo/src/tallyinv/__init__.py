"""tallyinv: invoice arithmetic with exact decimal money."""

from tallyinv.invoice import Invoice, InvoiceTotals
from tallyinv.lines import LineItem
from tallyinv.money import CurrencyMismatch, Money, minor_units, round_to_minor
from tallyinv.tax import TaxRate, TaxTable, tax_on

__all__ = [
    "CurrencyMismatch", "Invoice", "InvoiceTotals", "LineItem", "Money", "TaxRate", "TaxTable",
    "minor_units", "round_to_minor", "tax_on",
]
__version__ = "0.4.2"
