"""Hidden probes of isodur: month arithmetic from every month, both signs, dates and datetimes; month lengths;
canonical formatting.

Each probe calls the public API and returns plain data; dates are given in ISO 8601.
"""
# ALE-CANARY-6d3b5773-dcf4-4cf5-a68f-c7007271b174

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import partial

from isodur import Duration, add_months, days_in_month, format_duration, parse_duration


def _iso(value: object) -> str:
    if not isinstance(value, date):
        return f"not a date: {type(value).__name__}"
    return f"{type(value).__name__} {value.isoformat()}"



def _months_from(year: int, month: int) -> list[str]:
    """Every offset from -40 to 40 months from the 1st, 15th, 28th and (where it exists) 31st of a month."""
    found = []
    for day in (1, 15, 28, 31):
        try:
            start = date(year, month, day)
        except ValueError:
            continue
        found += [_iso(add_months(start, months)) for months in range(-40, 41)]
    return found


def _duration_add(text: str, start: str) -> str:
    return _iso(parse_duration(text).add_to(date.fromisoformat(start)))


def datetime_across_december() -> list[str]:
    tz = timezone(timedelta(hours=1))
    start = datetime(2024, 11, 30, 23, 0, tzinfo=tz)
    moved = parse_duration("P1M").add_to(start)
    later = parse_duration("P1MT2H").add_to(datetime(2019, 11, 30, 23, 30))
    return [_iso(moved), str(moved.utcoffset()), _iso(later)]


def subtract_into_december() -> list[str]:
    return [_iso(parse_duration("P1M").subtract_from(date(2025, 1, 15))),
            _iso(parse_duration("P13M").subtract_from(date(2025, 1, 31)))]


def unaffected_behaviour() -> list[str]:
    return [_iso(parse_duration("P1M").add_to(date(2024, 1, 31))), _iso(add_months(date(2023, 12, 15), 1)),
            str(parse_duration("P1Y11M")), str(parse_duration("-P2W")), _iso(parse_duration("P3DT4H").add_to(
                datetime(2024, 2, 27, 22, 0))), str(parse_duration("PT1.5S").total_seconds())]


def parse_errors() -> list[str]:
    found = []
    for text in ("P", "1M", "P1H", "PT", "P1.5M"):
        try:
            found.append(str(parse_duration(text)))
        except ValueError as exc:
            found.append(type(exc).__name__)
    return found





def february_lengths() -> list[int]:
    return [days_in_month(year, 2) for year in (1600, 1700, 1800, 1900, 2000, 2023, 2024, 2100, 2200, 2400)]


def _format(text: str) -> str:
    return str(parse_duration(text))


def formatted_parts() -> list[str]:
    return [format_duration(Duration(seconds=Decimal("120.00"))),
            format_duration(Duration(days=1, seconds=Decimal("0.50"))),
            format_duration(Duration(hours=2, seconds=Decimal("1E+2"), negative=True))]


def zero_durations() -> list[str]:
    return [str(Duration()), str(parse_duration("P0D")), str(-parse_duration("PT0S")), format_duration(Duration(weeks=0))]


PROBES = {
    "february_lengths": february_lengths,
    "formatted_parts": formatted_parts,
    "datetime_across_december": datetime_across_december,
    "subtract_into_december": subtract_into_december,
    "unaffected_behaviour": unaffected_behaviour,
    "parse_errors": parse_errors,
    "zero_durations": zero_durations,
}
for _month in range(1, 13):
    PROBES[f"add_months_from_2022_{_month:02d}"] = partial(_months_from, 2022, _month)
PROBES["add_months_from_2024_02"] = partial(_months_from, 2024, 2)
for _year, _month in [(1900, 1), (2100, 3)]:
    PROBES[f"add_months_from_{_year}_{_month:02d}"] = partial(_months_from, _year, _month)
for _text, _start in [("P1M", "2023-11-30"), ("P1M", "2024-11-15"), ("P6M", "2024-06-30"), ("P12M", "2024-12-31"),
                      ("-P1M", "2024-01-31"),
                      ("-P1Y3M", "2024-03-31"), ("-P2M", "2024-05-31"), ("P0M", "2024-12-10"), ("P1Y10M", "2023-02-28"),
                      ("-P1Y1M", "2025-01-31"), ("P1Y11M", "2023-01-31"), ("P11M", "2000-01-29"),
                      ("-P11M", "2001-11-30"), ("P23M", "1999-01-31"), ("P1M2W", "2021-11-30"),
                      ("P1M1D", "2023-01-30"), ("-P1M1D", "2024-03-31"), ("P1Y1D", "2024-02-28"),
                      ("P2M1W", "2024-12-28"),
                      ("-P3M2D", "2023-06-01"), ("P4Y", "2096-02-29"), ("-P1M", "2100-03-31"), ("P1M", "1900-01-29"),
                      ("P1M", "1900-01-31"), ("P2M", "2099-12-30"), ("P1Y1M", "1899-01-30"), ("-P2M", "1800-04-30"),
                      ("P1M1D", "2024-01-30")]:
    PROBES[f"duration_{_text}_from_{_start}"] = partial(_duration_add, _text, _start)
for _text in ("PT30S", "PT1M10S", "PT10S", "PT100S", "P1DT20S", "-PT60S", "PT0.0000001S", "PT1.5S", "P2W", "PT2H30M",
              "PT1M0.250S", "P1M2W3DT0.5S"):
    PROBES[f"format_{_text}"] = partial(_format, _text)
