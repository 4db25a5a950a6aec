from decimal import Decimal

import pytest
from isodur import Duration, DurationParseError, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1Y2M10DT2H30M", Duration(years=1, months=2, days=10, hours=2, minutes=30)),
        ("P3W", Duration(weeks=3)),
        ("PT90M", Duration(minutes=90)),
        ("PT0.5S", Duration(seconds=Decimal("0.5"))),
        ("PT1,25S", Duration(seconds=Decimal("1.25"))),
        ("-P2D", Duration(days=2, negative=True)),
        ("p1m", Duration(months=1)),
    ],
)
def test_parse(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "1Y", "P1H", "P1Y2Y", "PT1.5M", "P-1D"])
def test_parse_rejects(text):
    with pytest.raises(DurationParseError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P1Y2M10DT2H30M", "P3W", "PT90M", "PT0.5S", "-P2D", "PT0S", "P1MT1M"])
def test_round_trip(text):
    assert str(parse_duration(text)) == text


def test_total_seconds():
    assert parse_duration("P1DT1H").total_seconds() == 90000
    assert parse_duration("-PT1.5S").total_seconds() == -1.5
    with pytest.raises(ValueError):
        parse_duration("P1M").total_seconds()
