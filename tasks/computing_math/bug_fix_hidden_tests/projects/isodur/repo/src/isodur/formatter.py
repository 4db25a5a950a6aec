"""Format a Duration in canonical ISO 8601 form."""

from __future__ import annotations

from isodur.duration import Duration


def format_duration(duration: Duration) -> str:
    if duration.is_zero:
        return "PT0S"
    date_part = "".join(
        f"{value}{unit}"
        for value, unit in ((duration.years, "Y"), (duration.months, "M"), (duration.weeks, "W"), (duration.days, "D"))
        if value
    )
    seconds = duration.seconds.normalize()
    time_part = "".join(
        f"{value}{unit}"
        for value, unit in ((duration.hours, "H"), (duration.minutes, "M"), (f"{seconds:f}", "S"))
        if value and value != "0"
    )
    text = "P" + date_part + ("T" + time_part if time_part else "")
    return "-" + text if duration.negative else text
