"""Parse ISO 8601 duration strings (the PnYnMnWnDTnHnMnS form, with an optional leading sign)."""

from __future__ import annotations

import re
from decimal import Decimal

from isodur.duration import Duration

_PATTERN = re.compile(
    r"""^(?P<sign>[-+])?P
        (?:(?P<years>\d+)Y)?
        (?:(?P<months>\d+)M)?
        (?:(?P<weeks>\d+)W)?
        (?:(?P<days>\d+)D)?
        (?:T
            (?:(?P<hours>\d+)H)?
            (?:(?P<minutes>\d+)M)?
            (?:(?P<seconds>\d+(?:[.,]\d+)?)S)?
        )?$""",
    re.VERBOSE,
)


class DurationParseError(ValueError):
    """The text is not an ISO 8601 duration."""


def parse_duration(text: str) -> Duration:
    match = _PATTERN.match(text.strip().upper())
    if not match or text.strip().upper() in {"P", "-P", "+P"} or text.strip().upper().endswith("T"):
        raise DurationParseError(f"not an ISO 8601 duration: {text!r}")
    parts = match.groupdict()
    seconds = Decimal(parts["seconds"].replace(",", ".")) if parts["seconds"] else Decimal(0)
    duration = Duration(
        years=int(parts["years"] or 0), months=int(parts["months"] or 0), weeks=int(parts["weeks"] or 0),
        days=int(parts["days"] or 0), hours=int(parts["hours"] or 0), minutes=int(parts["minutes"] or 0),
        seconds=seconds,
    )
    return -duration if parts["sign"] == "-" else duration
