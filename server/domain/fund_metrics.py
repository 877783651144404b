"""Performance of a fund from its NAV history: period returns, volatility, Sharpe ratio and
maximum drawdown.

A NAV series is [(valuation day, NAV)], oldest first, one point per valuation day. NAVs are
exact `Decimal`; the statistics computed from them are floats. Definitions (the unit tests
work each out by hand on a small series):

- Period return: latest NAV / base NAV - 1, where the latest NAV is the last one on or
  before `as_of` and the base NAV the last one on or before the period's start: as_of less
  one or three calendar months (1M, 3M; 31 May less a month is 30 April), 31 December of
  the year before (YTD), as_of less one, three or five years (29 February less a year is
  28 February). With no NAV on or before the start the history does not cover the period
  and its return is None, so a young fund gets only the periods it covers. A history must
  reach back to the start itself: one that begins on the Sunday after a Friday start does
  not cover the period. 3Y and 5Y also get the annualised return (1 + r) ** (1 / years) - 1.
- Daily returns: r_t = NAV_t / NAV_(t-1) - 1 between consecutive points.
- Annualised volatility: the sample standard deviation (n - 1 divisor) of the daily returns
  times sqrt(250). Saudi funds value on Tadawul's trading days, 248-252 a year in 2019-2025
  (250 on average), not the 252 of other markets. None with under two returns.
- Sharpe ratio: (mean daily return * 250 - annual risk-free rate) / annualised volatility,
  i.e. the excess of the mean daily return over rf / 250 (simple, not compounded: the same
  arithmetic annualisation as the mean) per unit of daily deviation, times sqrt(250). None
  when there is no volatility to divide by.
- Maximum drawdown: the largest fall from a running peak, 1 - NAV_t / max(NAV_0..NAV_t), as
  a positive fraction, with the peak's date (the first day at that peak), the trough's date
  (the first day at the deepest fall) and the recovery date (the first day after the trough
  with the NAV back at or above the peak; None if it has not recovered). None if the NAV
  never fell.

`fund_performance` puts them together as the API serves them: returns as of the latest
NAV, volatility and Sharpe over the last year of the history (the whole history when it is
shorter), drawdown over the whole history.
"""

import calendar
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from itertools import pairwise

VALUATION_DAYS_PER_YEAR = 250

NavSeries = Sequence[tuple[date, Decimal]]


class ReturnPeriod(Enum):
    ONE_MONTH = "1M"
    THREE_MONTHS = "3M"
    YEAR_TO_DATE = "YTD"
    ONE_YEAR = "1Y"
    THREE_YEARS = "3Y"
    FIVE_YEARS = "5Y"


_MONTHS_BACK = {ReturnPeriod.ONE_MONTH: 1, ReturnPeriod.THREE_MONTHS: 3}
_YEARS_BACK = {ReturnPeriod.ONE_YEAR: 1, ReturnPeriod.THREE_YEARS: 3, ReturnPeriod.FIVE_YEARS: 5}
# Periods long enough that a yearly rate says more than the total.
_ANNUALISED = (ReturnPeriod.THREE_YEARS, ReturnPeriod.FIVE_YEARS)


@dataclass(frozen=True)
class PeriodReturn:
    period: ReturnPeriod
    start: date
    total_return: float | None  # fraction: 0.05 is 5 %
    annualised_return: float | None  # 3Y and 5Y only


@dataclass(frozen=True)
class Drawdown:
    depth: float  # positive fraction: 0.25 is a 25 % fall
    peak_date: date
    trough_date: date
    recovery_date: date | None


@dataclass(frozen=True)
class FundPerformance:
    as_of: date
    returns: list[PeriodReturn]
    annualised_volatility: float | None
    sharpe_ratio: float | None
    risk_free_rate: float
    max_drawdown: Drawdown | None


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def period_start(period: ReturnPeriod, as_of: date) -> date:
    """The day whose closing NAV a period's return is measured from."""
    if period is ReturnPeriod.YEAR_TO_DATE:
        return date(as_of.year - 1, 12, 31)
    if period in _MONTHS_BACK:
        return _months_before(as_of, _MONTHS_BACK[period])
    return _months_before(as_of, 12 * _YEARS_BACK[period])


def _nav_on_or_before(series: NavSeries, day: date) -> tuple[date, Decimal] | None:
    found = None
    for point in series:
        if point[0] > day:
            break
        found = point
    return found


def period_returns(series: NavSeries, as_of: date) -> list[PeriodReturn]:
    """Every period's return as of `as_of`, None for the periods the history does not
    cover."""
    latest = _nav_on_or_before(series, as_of)
    returns = []
    for period in ReturnPeriod:
        start = period_start(period, as_of)
        base = _nav_on_or_before(series, start)
        total = annualised = None
        if latest is not None and base is not None:
            total = float(latest[1] / base[1] - 1)
            if period in _ANNUALISED:
                annualised = (1.0 + total) ** (1.0 / _YEARS_BACK[period]) - 1.0
        returns.append(PeriodReturn(period, start, total, annualised))
    return returns


def daily_returns(series: NavSeries) -> list[float]:
    return [float(today / yesterday - 1) for (_, yesterday), (_, today) in pairwise(series)]


def annualised_volatility(series: NavSeries) -> float | None:
    returns = daily_returns(series)
    if len(returns) < 2:
        return None
    return statistics.stdev(returns) * math.sqrt(VALUATION_DAYS_PER_YEAR)


def sharpe_ratio(series: NavSeries, risk_free_rate: float) -> float | None:
    """`risk_free_rate` is annual, as a fraction (0.05 is 5 %)."""
    volatility = annualised_volatility(series)
    if volatility is None or volatility == 0.0:
        return None
    mean = statistics.fmean(daily_returns(series))
    return (mean * VALUATION_DAYS_PER_YEAR - risk_free_rate) / volatility


def max_drawdown(series: NavSeries) -> Drawdown | None:
    if not series:
        return None
    peak_date, peak = series[0]
    deepest: tuple[float, date, Decimal, date] | None = None  # depth, peak date and NAV, trough
    for day, nav in series[1:]:
        if nav > peak:
            peak_date, peak = day, nav
            continue
        depth = float(1 - nav / peak)
        # Strictly deeper only: of equal falls the first is reported.
        if depth > 0.0 and (deepest is None or depth > deepest[0]):
            deepest = (depth, peak_date, peak, day)
    if deepest is None:
        return None
    depth, peak_date, peak, trough_date = deepest
    recovery = next((day for day, nav in series if day > trough_date and nav >= peak), None)
    return Drawdown(depth, peak_date, trough_date, recovery)


def fund_performance(series: NavSeries, as_of: date, risk_free_rate: float) -> FundPerformance:
    """All the figures as of `as_of` (points after it are ignored)."""
    history = [point for point in series if point[0] <= as_of]
    year_base = _nav_on_or_before(history, period_start(ReturnPeriod.ONE_YEAR, as_of))
    last_year = history if year_base is None else [p for p in history if p[0] >= year_base[0]]
    return FundPerformance(
        as_of=as_of, returns=period_returns(history, as_of),
        annualised_volatility=annualised_volatility(last_year),
        sharpe_ratio=sharpe_ratio(last_year, risk_free_rate), risk_free_rate=risk_free_rate,
        max_drawdown=max_drawdown(history))
