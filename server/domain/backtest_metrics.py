"""Performance metrics of a backtest, from its equity curve and trades.

Definitions (the unit tests recompute each one by hand on a tiny series):

- Daily returns: r_t = E_t / E_(t-1) - 1 between consecutive points of the equity curve
  (one point per bar, marked at the close), so n bars give n - 1 returns.
- Total return: final equity / initial capital - 1.
- CAGR: (final / initial) ** (1 / years) - 1, with years counted in calendar days from
  the first bar's date to the last's, divided by 365.25. Calendar time, not a count of
  bars over 252: Tadawul's trading year is not 252 days (Sunday-Thursday weeks, Eid
  closures), and a range with a long gap in the data should not look shorter than it was.
  None when the range spans no time.
- Annualised volatility: the sample standard deviation (n - 1 divisor) of daily returns
  times sqrt(252).
- Sharpe: mean daily return / its sample standard deviation * sqrt(252), risk-free
  rate 0. None when the returns do not vary.
- Sortino: mean daily return / downside deviation * sqrt(252), where the downside
  deviation is sqrt(mean(min(r_t, 0) ** 2)) over all returns (target 0, divisor n, as
  Sortino and Price define it). None when no day lost money.
- Max drawdown: the largest fall from a running peak, 1 - E_t / max(initial, E_0..E_t),
  as a positive fraction (0.25 is a 25 % fall); the initial capital counts as a peak.
- Win rate: closed trades with a positive P&L after costs / closed trades; an open
  trade has no outcome yet and is left out. None with no closed trade.
- Exposure: bars on whose close a position was held / all bars.

Ratios are floats: they are statistics, not money. The money they are computed from
(the equity curve) is exact `Decimal`.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

TRADING_DAYS_PER_YEAR = 252
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Metrics:
    total_return: float
    cagr: float | None
    annualised_volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    win_rate: float | None
    exposure: float


def compute_metrics(*, initial_capital: Decimal, equity: Sequence[Decimal], calendar_days: int,
                    closed_trade_pnls: Sequence[Decimal], bars_held: int) -> Metrics:
    """`equity` holds one value per bar (at least one); `calendar_days` is the span from
    the first bar's date to the last's."""
    values = [float(value) for value in equity]
    returns = [today / yesterday - 1.0 for yesterday, today in pairwise(values)]
    growth = float(equity[-1] / initial_capital)
    annualiser = math.sqrt(TRADING_DAYS_PER_YEAR)

    cagr = None
    if calendar_days > 0:
        cagr = growth ** (DAYS_PER_YEAR / calendar_days) - 1.0

    volatility = sharpe = None
    if len(returns) >= 2:
        deviation = statistics.stdev(returns)
        volatility = deviation * annualiser
        if deviation > 0.0:
            sharpe = statistics.fmean(returns) / deviation * annualiser

    sortino = None
    if returns:
        downside = math.sqrt(statistics.fmean([min(r, 0.0) ** 2 for r in returns]))
        if downside > 0.0:
            sortino = statistics.fmean(returns) / downside * annualiser

    peak = float(initial_capital)
    max_drawdown = 0.0
    for value in values:
        peak = max(peak, value)
        max_drawdown = max(max_drawdown, 1.0 - value / peak)

    win_rate = None
    if closed_trade_pnls:
        win_rate = sum(1 for pnl in closed_trade_pnls if pnl > 0) / len(closed_trade_pnls)

    return Metrics(total_return=growth - 1.0, cagr=cagr, annualised_volatility=volatility,
                   sharpe=sharpe, sortino=sortino, max_drawdown=max_drawdown,
                   win_rate=win_rate, exposure=bars_held / len(values))
