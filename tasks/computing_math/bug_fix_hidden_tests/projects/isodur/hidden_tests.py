from datetime import date, datetime, timedelta, timezone

import pytest
from isodur import add_months, days_in_month, parse_duration


def test_issue_reproduction():
    assert parse_duration("P1M").add_to(date(2023, 11, 30)) == date(2023, 12, 30)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 11, 15), 1, date(2024, 12, 15)),
        (date(2024, 6, 30), 6, date(2024, 12, 30)),
        (date(2024, 12, 31), 12, date(2025, 12, 31)),
        (date(2024, 1, 31), -1, date(2023, 12, 31)),
        (date(2024, 3, 31), -15, date(2022, 12, 31)),
        (date(2024, 5, 31), -2, date(2024, 3, 31)),
        (date(2024, 12, 10), 0, date(2024, 12, 10)),
        (date(2023, 2, 28), 22, date(2024, 12, 28)),
    ],
)
def test_add_months_landing_in_december_and_beyond(start, months, expected):
    assert add_months(start, months) == expected


def _expected(start: date, months: int) -> date:
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, days_in_month(year, month)))


@pytest.mark.parametrize("start_month", range(1, 13))
def test_add_months_every_month_and_offset(start_month):
    for day in (1, 15, 28, 31):
        if day > days_in_month(2022, start_month):
            continue
        start = date(2022, start_month, day)
        for months in range(-40, 41):
            assert add_months(start, months) == _expected(start, months), (start, months)


def test_datetime_across_december_keeps_time_and_zone():
    tz = timezone(timedelta(hours=1))
    start = datetime(2024, 11, 30, 23, 0, tzinfo=tz)
    assert parse_duration("P1M").add_to(start) == datetime(2024, 12, 30, 23, 0, tzinfo=tz)


def test_negative_and_year_month_durations():
    assert parse_duration("-P1M").add_to(date(2025, 1, 31)) == date(2024, 12, 31)
    assert parse_duration("-P1Y1M").add_to(date(2025, 1, 31)) == date(2023, 12, 31)
    assert parse_duration("P1Y11M").add_to(date(2023, 1, 31)) == date(2024, 12, 31)
    assert parse_duration("P1M").subtract_from(date(2025, 1, 15)) == date(2024, 12, 15)


def test_existing_behaviour_kept():
    assert parse_duration("P1M").add_to(date(2024, 1, 31)) == date(2024, 2, 29)
    assert add_months(date(2023, 12, 15), 1) == date(2024, 1, 15)
    assert str(parse_duration("P1Y11M")) == "P1Y11M"
