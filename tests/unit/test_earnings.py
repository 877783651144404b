"""Earnings events from quarterly statements: report dates, actuals, surprises."""

from datetime import date
from decimal import Decimal

import pytest

from server.domain.earnings import EarningsEvent, earnings_events, report_date_for
from server.domain.fundamentals import synthetic_statements


def test_a_quarter_reports_30_days_after_its_end_or_the_last_trading_day_before() -> None:
    assert report_date_for(date(2024, 12, 31)) == date(2025, 1, 30)  # a Thursday
    # 2022-07-30 is a Saturday: the Thursday before.
    assert report_date_for(date(2022, 6, 30)) == date(2022, 7, 28)


def test_surprise_is_actual_minus_estimate_over_the_estimates_size() -> None:
    event = EarningsEvent("2222", 2025, 1, date(2025, 3, 31), date(2025, 4, 30),
                          eps_estimate=Decimal("-0.40"), eps_actual=Decimal("-0.30"))
    assert event.surprise == Decimal("0.10")
    assert event.surprise_fraction == Decimal("0.2500")  # 0.10 / |-0.40|
    pending = EarningsEvent("2222", 2025, 2, date(2025, 6, 30), date(2025, 7, 30),
                            eps_estimate=Decimal("0.40"), eps_actual=None)
    assert pending.surprise is None and pending.surprise_fraction is None
    zero = EarningsEvent("2222", 2025, 3, date(2025, 9, 30), date(2025, 10, 30),
                         eps_estimate=Decimal("0.00"), eps_actual=Decimal("0.05"))
    assert zero.surprise_fraction is None


def test_events_show_actuals_only_for_quarters_reported_by_as_of_and_are_repeatable() -> None:
    history = synthetic_statements("2222", sector_hint="Energy", years=2, end_year=2025,
                                   seed=7, shares_outstanding=None, price=Decimal("25"))
    events = earnings_events("2222", history.quarterly, as_of=date(2025, 8, 1), seed=7)
    assert [(e.fiscal_year, e.quarter) for e in events] == [
        (year, quarter) for year in (2024, 2025) for quarter in (1, 2, 3, 4)]
    assert [e.eps_actual is not None for e in events] == [True] * 6 + [False] * 2
    for event, statements in zip(events, history.quarterly, strict=True):
        if event.eps_actual is not None:
            assert event.eps_actual == statements.income.eps
        assert abs(event.eps_estimate - statements.income.eps) <= abs(
            statements.income.eps) * Decimal("0.5") + Decimal("0.01")
    again = earnings_events("2222", history.quarterly, as_of=date(2025, 8, 1), seed=7)
    assert again == events
    with pytest.raises(ValueError):
        earnings_events("2222", history.annual, as_of=date(2025, 8, 1), seed=7)
