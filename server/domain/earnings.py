"""Earnings events (reported and expected) from a company's quarterly statements.

Listed companies publish interim results within 30 days of the quarter's end (the CMA's
continuing obligations): a quarter's report date is its end plus 30 days, moved back to
the last trading day. A quarter reported by `as_of` shows its actual EPS next to the
consensus estimate it was measured against; the next quarters show the estimate only.
Estimates are synthetic (seeded per symbol and quarter), like the statements.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from server.domain.fundamentals import FinancialStatements
from server.domain.trading_calendar import is_trading_day

REPORTING_LAG_DAYS = 30
EPS_QUANTUM = Decimal("0.01")
PERCENT_QUANTUM = Decimal("0.0001")
# How far estimates miss: a normal error of 8% of the actual figure.
ESTIMATE_ERROR = 0.08


@dataclass(frozen=True)
class EarningsEvent:
    symbol: str
    fiscal_year: int
    quarter: int
    period_end: date
    report_date: date
    eps_estimate: Decimal
    eps_actual: Decimal | None  # None until reported

    @property
    def surprise(self) -> Decimal | None:
        return None if self.eps_actual is None else self.eps_actual - self.eps_estimate

    @property
    def surprise_fraction(self) -> Decimal | None:
        """surprise / |estimate|, 4 places; None before the report or for a zero estimate."""
        if self.surprise is None or self.eps_estimate == 0:
            return None
        return (self.surprise / abs(self.eps_estimate)).quantize(PERCENT_QUANTUM,
                                                                 ROUND_HALF_EVEN)


def report_date_for(period_end: date) -> date:
    day = period_end + timedelta(days=REPORTING_LAG_DAYS)
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def _estimate(symbol: str, statements: FinancialStatements, seed: int) -> Decimal:
    period = statements.period
    rng = random.Random(f"{seed}:{symbol}:{period.fiscal_year}Q{period.quarter}:estimate")
    miss = Decimal(repr(round(rng.gauss(0.0, ESTIMATE_ERROR), 6)))
    return (statements.income.eps * (1 + miss)).quantize(EPS_QUANTUM, ROUND_HALF_EVEN)


def earnings_events(symbol: str, quarterly: Sequence[FinancialStatements], *, as_of: date,
                    seed: int) -> list[EarningsEvent]:
    """One event per quarter, oldest first: actual EPS for those reported by `as_of`."""
    events = []
    for statements in quarterly:
        period = statements.period
        if period.quarter is None:
            raise ValueError("earnings events are per quarter")
        reported_on = report_date_for(period.period_end)
        events.append(EarningsEvent(
            symbol=symbol, fiscal_year=period.fiscal_year, quarter=period.quarter,
            period_end=period.period_end, report_date=reported_on,
            eps_estimate=_estimate(symbol, statements, seed),
            eps_actual=statements.income.eps if reported_on <= as_of else None))
    return events
