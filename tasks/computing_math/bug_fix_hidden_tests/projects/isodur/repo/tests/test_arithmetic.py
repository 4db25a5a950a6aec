from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from isodur import add_months, parse_duration


def test_month_end_clamping():
    assert parse_duration("P1M").add_to(date(2024, 1, 31)) == date(2024, 2, 29)
    assert parse_duration("P1M").add_to(date(2023, 1, 31)) == date(2023, 2, 28)
    assert parse_duration("P1Y").add_to(date(2024, 2, 29)) == date(2025, 2, 28)


def test_months_across_year_end():
    assert add_months(date(2023, 12, 15), 1) == date(2024, 1, 15)
    assert add_months(date(2023, 10, 15), 5) == date(2024, 3, 15)


def test_weeks_days_and_time():
    start = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)
    assert parse_duration("P1W2DT3H").add_to(start) == datetime(2024, 3, 11, 1, 0, tzinfo=UTC)


def test_timezone_kept():
    tz = timezone(timedelta(hours=2))
    result = parse_duration("P2M").add_to(datetime(2024, 3, 31, 8, 30, tzinfo=tz))
    assert result == datetime(2024, 5, 31, 8, 30, tzinfo=tz)
    assert result.tzinfo is tz


def test_negative_duration():
    assert parse_duration("-P10D").add_to(date(2024, 3, 5)) == date(2024, 2, 24)
    assert parse_duration("P3M").subtract_from(date(2024, 5, 31)) == date(2024, 2, 29)


def test_date_refuses_time_part():
    with pytest.raises(TypeError):
        parse_duration("PT1H").add_to(date(2024, 1, 1))
