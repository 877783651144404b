"""server.domain.bars: look-back windows, range resolution and bar aggregation."""

from datetime import date

import pytest

from server.domain.bars import (
    DEFAULT_PERIOD,
    Bar,
    BarInterval,
    DailyBar,
    DateRange,
    LookbackPeriod,
    aggregate_bars,
    check_range_request,
    months_before,
    resolve_range,
)
from server.domain.errors import InvalidArgumentError

# --- months_before -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 3, 31), 1, date(2024, 2, 29)),   # leap year: clamp to 29 Feb
        (date(2023, 3, 31), 1, date(2023, 2, 28)),   # common year: clamp to 28 Feb
        (date(2024, 5, 31), 1, date(2024, 4, 30)),   # 30-day month
        (date(2024, 3, 15), 1, date(2024, 2, 15)),   # no clamping needed
        (date(2025, 1, 15), 1, date(2024, 12, 15)),  # across the year boundary
        (date(2025, 2, 28), 3, date(2024, 11, 28)),
        (date(2025, 12, 2), 12, date(2024, 12, 2)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),  # one year before a leap day
        (date(2025, 8, 31), 6, date(2025, 2, 28)),
        (date(2025, 1, 31), 60, date(2020, 1, 31)),
        (date(2025, 6, 30), 60, date(2020, 6, 30)),
        (date(2029, 2, 28), 60, date(2024, 2, 28)),  # not clamped up to 29
        (date(2025, 12, 31), 0, date(2025, 12, 31)),
        (date(2025, 1, 1), 13, date(2023, 12, 1)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


# --- check_range_request / resolve_range ----------------------------------------------------


def test_check_range_request_accepts_consistent_requests():
    # Nothing raised: each of these is a valid request.
    for kwargs in (
        {"period": None, "start": None, "end": None},
        {"period": LookbackPeriod.ONE_MONTH, "start": None, "end": date(2025, 1, 1)},
        {"period": None, "start": date(2025, 1, 1), "end": date(2025, 1, 1)},
        {"period": None, "start": date(2025, 1, 1), "end": None},
    ):
        assert check_range_request(**kwargs) is None


def test_period_with_start_is_a_violation_on_start_date():
    with pytest.raises(InvalidArgumentError) as caught:
        check_range_request(period=LookbackPeriod.ONE_YEAR, start=date(2025, 1, 1), end=None)
    assert [v.field for v in caught.value.violations] == ["start_date"]
    assert "period" in caught.value.violations[0].description


def test_start_after_end_is_a_violation_on_start_date():
    with pytest.raises(InvalidArgumentError) as caught:
        resolve_range(period=None, start=date(2025, 3, 2), end=date(2025, 3, 1),
                      latest_on_record=date(2025, 12, 2))
    [violation] = caught.value.violations
    assert violation.field == "start_date"
    assert "2025-03-02" in violation.description
    assert "2025-03-01" in violation.description


def test_both_problems_are_reported_together():
    with pytest.raises(InvalidArgumentError) as caught:
        check_range_request(period=LookbackPeriod.MAX, start=date(2025, 3, 2),
                            end=date(2025, 3, 1))
    assert [v.field for v in caught.value.violations] == ["start_date", "start_date"]


def test_violation_is_raised_even_with_nothing_on_record():
    with pytest.raises(InvalidArgumentError):
        resolve_range(period=LookbackPeriod.ONE_MONTH, start=date(2025, 1, 1), end=None,
                      latest_on_record=None)


def test_default_period_is_one_year():
    assert DEFAULT_PERIOD is LookbackPeriod.ONE_YEAR
    assert LookbackPeriod.ONE_YEAR.value == 12


def test_only_end_goes_back_one_year_from_end():
    got = resolve_range(period=None, start=None, end=date(2025, 6, 30),
                        latest_on_record=date(2025, 12, 2))
    assert got == DateRange(start=date(2024, 6, 30), end=date(2025, 6, 30))


def test_neither_start_nor_end_goes_back_one_year_from_latest_on_record():
    got = resolve_range(period=None, start=None, end=None, latest_on_record=date(2025, 12, 2))
    assert got == DateRange(start=date(2024, 12, 2), end=date(2025, 12, 2))


@pytest.mark.parametrize(
    ("period", "expected_start"),
    [
        (LookbackPeriod.ONE_MONTH, date(2024, 2, 29)),
        (LookbackPeriod.THREE_MONTHS, date(2023, 12, 31)),
        (LookbackPeriod.SIX_MONTHS, date(2023, 9, 30)),
        (LookbackPeriod.ONE_YEAR, date(2023, 3, 31)),
        (LookbackPeriod.FIVE_YEARS, date(2019, 3, 31)),
    ],
)
def test_period_counts_back_from_end(period, expected_start):
    got = resolve_range(period=period, start=None, end=date(2024, 3, 31), latest_on_record=None)
    assert got == DateRange(start=expected_start, end=date(2024, 3, 31))


def test_max_has_no_start():
    got = resolve_range(period=LookbackPeriod.MAX, start=None, end=None,
                        latest_on_record=date(2025, 12, 2))
    assert got == DateRange(start=None, end=date(2025, 12, 2))


def test_nothing_on_record_and_no_end_is_none():
    assert resolve_range(period=None, start=None, end=None, latest_on_record=None) is None
    assert resolve_range(period=None, start=date(2020, 1, 1), end=None,
                         latest_on_record=None) is None


def test_start_only_ends_at_latest_on_record():
    got = resolve_range(period=None, start=date(2025, 1, 1), end=None,
                        latest_on_record=date(2025, 12, 2))
    assert got == DateRange(start=date(2025, 1, 1), end=date(2025, 12, 2))


def test_start_and_end_are_used_as_given():
    got = resolve_range(period=None, start=date(2021, 5, 5), end=date(2022, 5, 5),
                        latest_on_record=date(2025, 12, 2))
    assert got == DateRange(start=date(2021, 5, 5), end=date(2022, 5, 5))


# --- aggregate_bars ---------------------------------------------------------------------


def _d(day: date, o: float, h: float, low: float, c: float, v: int) -> DailyBar:
    return DailyBar(day=day, open=o, high=h, low=low, close=c, volume=v)


# Sun 30 Nov .. Thu 4 Dec 2025 (one trading week), then Sun 7 and Mon 8 Dec (the next).
WEEK_ONE = [
    _d(date(2025, 11, 30), 10.0, 11.0, 9.5, 10.5, 100),
    _d(date(2025, 12, 1), 10.5, 12.0, 10.2, 11.8, 200),
    _d(date(2025, 12, 2), 11.8, 11.9, 9.0, 9.4, 300),
    _d(date(2025, 12, 3), 9.4, 10.0, 9.3, 9.9, 400),
    _d(date(2025, 12, 4), 9.9, 10.4, 9.8, 10.1, 500),
]
WEEK_TWO = [
    _d(date(2025, 12, 7), 10.2, 10.9, 10.0, 10.8, 50),
    _d(date(2025, 12, 8), 10.8, 13.0, 10.7, 12.5, 70),
]


def test_empty_input_gives_no_bars():
    for interval in BarInterval:
        assert aggregate_bars([], interval) == []


def test_daily_bars_are_one_per_day():
    bars = aggregate_bars(WEEK_ONE, BarInterval.DAY)
    assert len(bars) == 5
    first = bars[0]
    assert first == Bar(start=date(2025, 11, 30), end=date(2025, 11, 30), open=10.0, high=11.0,
                        low=9.5, close=10.5, volume=100, trading_days=1)
    assert [b.start for b in bars] == [d.day for d in WEEK_ONE]
    assert all(b.start == b.end and b.trading_days == 1 for b in bars)


def test_weekly_bars_sunday_to_thursday():
    bars = aggregate_bars(WEEK_ONE + WEEK_TWO, BarInterval.WEEK)
    assert bars == [
        Bar(start=date(2025, 11, 30), end=date(2025, 12, 4), open=10.0, high=12.0, low=9.0,
            close=10.1, volume=1500, trading_days=5),
        Bar(start=date(2025, 12, 7), end=date(2025, 12, 8), open=10.2, high=13.0, low=10.0,
            close=12.5, volume=120, trading_days=2),
    ]


def test_unsorted_input_is_sorted_first():
    shuffled = [WEEK_TWO[1], WEEK_ONE[3], WEEK_ONE[0], WEEK_TWO[0], WEEK_ONE[4], WEEK_ONE[2],
                WEEK_ONE[1]]
    assert aggregate_bars(shuffled, BarInterval.WEEK) == aggregate_bars(
        WEEK_ONE + WEEK_TWO, BarInterval.WEEK)
    daily = aggregate_bars(shuffled, BarInterval.DAY)
    assert [b.start for b in daily] == sorted(d.day for d in shuffled)


def test_weekend_bar_joins_the_week_that_began_the_sunday_before():
    saturday = _d(date(2025, 12, 6), 10.1, 10.1, 10.1, 10.1, 0)
    bars = aggregate_bars([*WEEK_ONE, saturday, *WEEK_TWO], BarInterval.WEEK)
    assert [(b.start, b.end, b.trading_days) for b in bars] == [
        (date(2025, 11, 30), date(2025, 12, 6), 6),
        (date(2025, 12, 7), date(2025, 12, 8), 2),
    ]


def test_week_spanning_month_and_year_end_is_one_bar():
    days = [
        _d(date(2024, 12, 29), 5.0, 6.0, 4.0, 5.5, 1),   # Sunday
        _d(date(2024, 12, 31), 5.5, 7.0, 5.0, 6.5, 2),   # Tuesday
        _d(date(2025, 1, 2), 6.5, 6.6, 3.0, 3.5, 4),     # Thursday
    ]
    [week] = aggregate_bars(days, BarInterval.WEEK)
    assert (week.start, week.end) == (date(2024, 12, 29), date(2025, 1, 2))
    assert (week.open, week.high, week.low, week.close) == (5.0, 7.0, 3.0, 3.5)
    assert (week.volume, week.trading_days) == (7, 3)
    months = aggregate_bars(days, BarInterval.MONTH)
    assert [(m.start, m.end, m.trading_days, m.volume) for m in months] == [
        (date(2024, 12, 29), date(2024, 12, 31), 2, 3),
        (date(2025, 1, 2), date(2025, 1, 2), 1, 4),
    ]


def test_monthly_bars():
    bars = aggregate_bars(WEEK_ONE + WEEK_TWO, BarInterval.MONTH)
    # November: only Sunday 30 Nov. December: 1..8 Dec (6 trading days).
    november, december = bars
    assert november == Bar(start=date(2025, 11, 30), end=date(2025, 11, 30), open=10.0,
                           high=11.0, low=9.5, close=10.5, volume=100, trading_days=1)
    assert december == Bar(start=date(2025, 12, 1), end=date(2025, 12, 8), open=10.5,
                           high=13.0, low=9.0, close=12.5,
                           volume=200 + 300 + 400 + 500 + 50 + 70, trading_days=6)


def test_aggregation_accepts_any_iterable():
    bars = aggregate_bars(iter(WEEK_TWO), BarInterval.WEEK)
    assert len(bars) == 1
    assert bars[0].volume == 120
