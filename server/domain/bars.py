"""Price bars: look-back windows, aggregation of daily bars into weeks and months and of
minute bars into longer intraday bars, and dividend adjustment."""

import calendar as _calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from itertools import groupby

from server.domain.calendar import month_start, trading_week_start
from server.domain.errors import ViolationCollector


class BarInterval(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class LookbackPeriod(Enum):
    """A window counted in calendar months back from the end of a range."""

    ONE_MONTH = 1
    THREE_MONTHS = 3
    SIX_MONTHS = 6
    ONE_YEAR = 12
    FIVE_YEARS = 60
    MAX = 0


DEFAULT_PERIOD = LookbackPeriod.ONE_YEAR


@dataclass(frozen=True)
class DailyBar:
    day: date
    open: float
    high: float
    low: float
    close: float
    volume: int
    # The provider's dividend-adjusted close, where it publishes one.
    adj_close: float | None = None
    synthetic: bool = False


@dataclass(frozen=True)
class MinuteBar:
    start: datetime  # aware
    open: float
    high: float
    low: float
    close: float
    volume: int
    synthetic: bool = False


@dataclass(frozen=True)
class Bar:
    """A bar covering the trading days `start`..`end` (equal for a daily bar)."""

    start: date
    end: date
    open: float
    high: float
    low: float
    close: float
    volume: int
    trading_days: int
    synthetic: bool = False
    # Intraday bars: the first minute the bar covers.
    start_time: datetime | None = None


@dataclass(frozen=True)
class DateRange:
    """Inclusive on both ends; `start=None` means from the first bar on record."""

    start: date | None
    end: date


def months_before(day: date, months: int) -> date:
    """`day` moved back by whole calendar months, clamped to the month's last day
    (31 March minus one month is 28 or 29 February)."""
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    last_day = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def check_range_request(*, period: LookbackPeriod | None, start: date | None,
                        end: date | None) -> None:
    """Reject contradictory ranges before any data is looked up."""
    problems = ViolationCollector()
    if period is not None and start is not None:
        problems.add("start_date", "cannot be combined with period; give one or the other")
    if start is not None and end is not None and start > end:
        problems.add("start_date", f"{start.isoformat()} is after end_date {end.isoformat()}")
    problems.raise_if_any()


def resolve_range(
    *,
    period: LookbackPeriod | None,
    start: date | None,
    end: date | None,
    latest_on_record: date | None,
) -> DateRange | None:
    """The date range a bars request asks for, or None when there is nothing on record.

    Without `start`, the period (default one year) counts back from `end`, or
    from the latest bar on record when `end` is not given either: history that
    stops in the past still shows its last year, and the response says which
    range was applied.
    """
    check_range_request(period=period, start=start, end=end)
    if end is None:
        if latest_on_record is None:
            return None
        end = latest_on_record
    if start is not None:
        return DateRange(start=start, end=end)
    window = period or DEFAULT_PERIOD
    if window is LookbackPeriod.MAX:
        return DateRange(start=None, end=end)
    return DateRange(start=months_before(end, window.value), end=end)


def _merge(days: Sequence[DailyBar]) -> Bar:
    return Bar(
        start=days[0].day,
        end=days[-1].day,
        open=days[0].open,
        high=max(d.high for d in days),
        low=min(d.low for d in days),
        close=days[-1].close,
        volume=sum(d.volume for d in days),
        trading_days=len(days),
        synthetic=any(d.synthetic for d in days),
    )


_BUCKET_OF: dict[BarInterval, Callable[[date], date]] = {
    BarInterval.WEEK: trading_week_start,
    BarInterval.MONTH: month_start,
}


def aggregate_bars(daily: Iterable[DailyBar], interval: BarInterval) -> list[Bar]:
    """Merge daily bars (oldest first) into bars of `interval`.

    A week is a Tadawul trading week, Sunday to Thursday; a month is a calendar
    month. Each bar opens at its first day's open, closes at its last day's
    close, spans the max high and min low, and sums the volume.
    """
    ordered = sorted(daily, key=lambda bar: bar.day)
    if interval is BarInterval.DAY:  # nothing to merge: the common chart, kept cheap
        return [Bar(d.day, d.day, d.open, d.high, d.low, d.close, d.volume, 1, d.synthetic)
                for d in ordered]
    bucket_of = _BUCKET_OF[interval]
    return [_merge(list(days)) for _, days in groupby(ordered, key=lambda bar: bucket_of(bar.day))]


def aggregate_minutes(minutes: Iterable[MinuteBar], width_minutes: int,
                      session_open: Callable[[datetime], datetime]) -> list[Bar]:
    """Merge minute bars (any order) into bars `width_minutes` wide, aligned on the session
    open (10:00, 10:05, … for five minutes; 10:00, 11:00, … for an hour).

    `session_open` gives the session's opening instant for a bar's start.
    """
    ordered = sorted(minutes, key=lambda bar: bar.start)

    def bucket(bar: MinuteBar) -> datetime:
        opened = session_open(bar.start)
        offset = int((bar.start - opened).total_seconds() // 60)
        return opened + timedelta(minutes=offset - offset % width_minutes)

    bars = []
    for start, group in groupby(ordered, key=bucket):
        members = list(group)
        bars.append(Bar(
            start=start.date(), end=members[-1].start.date(), open=members[0].open,
            high=max(m.high for m in members), low=min(m.low for m in members),
            close=members[-1].close, volume=sum(m.volume for m in members), trading_days=1,
            synthetic=any(m.synthetic for m in members), start_time=start))
    return bars


def adjust_for_dividends(bars: Sequence[DailyBar]) -> list[DailyBar]:
    """Total-return prices: each bar scaled by the provider's adj_close / close.

    Bars without an adjusted close (synthetic ones, or after the provider's data ends)
    keep factor 1: no dividend is on record for them.
    """
    adjusted = []
    for bar in bars:
        factor = bar.adj_close / bar.close if bar.adj_close and bar.close else 1.0
        adjusted.append(DailyBar(
            bar.day, bar.open * factor, bar.high * factor, bar.low * factor,
            bar.close * factor, bar.volume, bar.adj_close, bar.synthetic))
    return adjusted
