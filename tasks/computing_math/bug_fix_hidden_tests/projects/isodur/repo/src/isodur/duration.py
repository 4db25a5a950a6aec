"""The Duration value and its calendar arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from isodur.calendar import add_months


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration. All parts share the sign given by ``negative``."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: Decimal = Decimal(0)
    negative: bool = False

    def __post_init__(self) -> None:
        parts = (self.years, self.months, self.weeks, self.days, self.hours, self.minutes, self.seconds)
        if any(p < 0 for p in parts):
            raise ValueError("duration parts are non-negative; use negative=True for a negative duration")
        object.__setattr__(self, "seconds", Decimal(self.seconds))

    @property
    def has_time(self) -> bool:
        return bool(self.hours or self.minutes or self.seconds)

    @property
    def is_zero(self) -> bool:
        return not (self.years or self.months or self.weeks or self.days or self.has_time)

    def __neg__(self) -> Duration:
        return Duration(self.years, self.months, self.weeks, self.days, self.hours, self.minutes, self.seconds,
                        negative=not self.negative and not self.is_zero)

    def exact_timedelta(self) -> timedelta:
        """The weeks, days and time parts as a timedelta (signed)."""
        if self.years or self.months:
            raise ValueError("years and months have no fixed length")
        delta = timedelta(weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes,
                          seconds=float(self.seconds))
        return -delta if self.negative else delta

    def total_seconds(self) -> float:
        return self.exact_timedelta().total_seconds()

    def add_to(self, value: date) -> date:
        """``value`` plus this duration, calendar months first (see the README)."""
        sign = -1 if self.negative else 1
        if not isinstance(value, datetime) and self.has_time:
            raise TypeError("cannot add a duration with a time part to a date")
        result = add_months(value, sign * (12 * self.years + self.months))
        result = result + sign * timedelta(weeks=self.weeks, days=self.days)
        if self.has_time:
            time_part = timedelta(hours=self.hours, minutes=self.minutes, seconds=float(self.seconds))
            result = result + sign * time_part
        return result

    def subtract_from(self, value: date) -> date:
        return (-self).add_to(value)

    def __str__(self) -> str:
        from isodur.formatter import format_duration

        return format_duration(self)
