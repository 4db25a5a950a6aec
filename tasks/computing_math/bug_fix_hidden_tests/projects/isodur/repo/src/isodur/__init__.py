"""isodur: ISO 8601 durations."""

from isodur.calendar import add_months, days_in_month
from isodur.duration import Duration
from isodur.formatter import format_duration
from isodur.parser import DurationParseError, parse_duration

__all__ = ["Duration", "DurationParseError", "add_months", "days_in_month", "format_duration", "parse_duration"]
__version__ = "1.2.0"
