"""Calendar month arithmetic."""

from __future__ import annotations

import calendar
from datetime import date
from typing import TypeVar

D = TypeVar("D", bound=date)


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(value: D, months: int) -> D:
    """``value`` moved by a whole number of calendar months, the day clamped to the month's end.

    Works for ``date`` and ``datetime`` (the time of day and tzinfo are kept).
    """
    index = value.month - 1 + months
    year = value.year + index // 12
    month = index % 12 + 1
    day = min(value.day, days_in_month(year, month))
    return value.replace(year=year, month=month, day=day)
