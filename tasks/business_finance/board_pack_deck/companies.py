"""The companies of the variants: their chart of accounts, ledger sign convention, the month's late reclass
journal and one-off item, and their Impress template's master page."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Company:
    name: str
    currency: str
    costs_negative: bool  # the ledger export signs costs negative (revenue positive)
    revenue: dict[str, int]  # line -> monthly budget, in thousands
    cost_of_sales: tuple[str, int]
    overheads: dict[str, int]
    reclass: tuple[str, str, str]  # from line, to line, why
    one_off: tuple[str, str]  # line, what
    master: str  # the template's master page name
    colour: str


COMPANIES = {
    "northwind": Company(
        "Northwind Outdoor Ltd", "GBP", False,
        {"Product revenue": 820, "Service revenue": 240}, ("Cost of sales", 430),
        {"Staff costs": 260, "Marketing": 95, "Property": 48, "IT and software": 36, "Other overheads": 40},
        ("Marketing", "Staff costs", "interim e-commerce manager's fees coded to Marketing"),
        ("Other overheads", "settlement of the Leeds warehouse lease dispute"), "NorthwindBoard", "#1f5c3a"),
    "halden": Company(
        "Halden Analytics AS", "EUR", True,
        {"Subscription revenue": 610, "Professional services": 150}, ("Hosting and delivery", 170),
        {"Staff costs": 330, "Sales and marketing": 70, "IT and software": 45, "Premises": 38, "Other overheads": 30},
        ("IT and software", "Hosting and delivery", "cloud hosting invoice coded to IT and software"),
        ("Other overheads", "recruitment fee for the new CTO"), "HaldenCorporate", "#203864"),
    "corvid": Company(
        "Corvid Foods plc", "USD", False,
        {"Net sales": 1450}, ("Cost of goods sold", 900),
        {"Distribution": 120, "Staff costs": 190, "Marketing": 60, "Property": 55, "Other overheads": 35},
        ("Distribution", "Cost of goods sold", "inbound freight on raw materials coded to Distribution"),
        ("Other overheads", "product recall write-off"), "CorvidBoardroom", "#7a1f1f"),
}
