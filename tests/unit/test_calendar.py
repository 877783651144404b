"""server.domain.calendar: Tadawul trading weeks and months."""

from datetime import date, timedelta

import pytest

from server.domain.calendar import RIYADH, month_start, trading_week_start

SUNDAY = date(2025, 11, 30)


def test_reference_week_really_starts_on_sunday():
    # Independent check of the fixture: isoweekday() is 7 for Sunday.
    assert SUNDAY.isoweekday() == 7
    assert SUNDAY.strftime("%A") == "Sunday"


@pytest.mark.parametrize("offset", range(7))
def test_every_day_of_the_week_maps_to_its_sunday(offset):
    day = SUNDAY + timedelta(days=offset)  # Sun 30 Nov .. Sat 6 Dec 2025
    assert trading_week_start(day) == date(2025, 11, 30)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 6), date(2025, 11, 30)),   # Saturday stays in the previous week
        (date(2025, 12, 7), date(2025, 12, 7)),    # next Sunday opens a new week
        (date(2025, 1, 2), date(2024, 12, 29)),    # Thursday, week starts in the previous year
        (date(2024, 3, 1), date(2024, 2, 25)),     # Friday across a leap-February
        (date(2024, 2, 29), date(2024, 2, 25)),
    ],
)
def test_trading_week_start_examples(day, expected):
    assert expected.strftime("%A") == "Sunday"
    assert trading_week_start(day) == expected


def test_trading_week_start_over_a_whole_year():
    day = date(2024, 1, 1)
    while day.year == 2024:
        start = trading_week_start(day)
        assert start.isoweekday() == 7
        assert 0 <= (day - start).days <= 6
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 31), date(2025, 12, 1)),
        (date(2025, 12, 1), date(2025, 12, 1)),
        (date(2024, 2, 29), date(2024, 2, 1)),
    ],
)
def test_month_start(day, expected):
    assert month_start(day) == expected


def test_riyadh_is_utc_plus_three_without_dst():
    from datetime import datetime

    for month in (1, 7):
        offset = datetime(2025, month, 15, 12, tzinfo=RIYADH).utcoffset()
        assert offset == timedelta(hours=3)
