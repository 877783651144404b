"""FundamentalsService over gRPC: statements that add up on the wire, ratios by their
formulas at the latest close, and the real cash-dividend announcements."""

from decimal import ROUND_HALF_EVEN, Decimal

import grpc
import pytest

from financehub.v1 import (
    fundamentals_pb2,
    fundamentals_pb2_grpc,
    research_pb2,
    research_pb2_grpc,
    securities_pb2,
)
from server.domain.access import Role
from tests.support.identity import bearer, create_account, error_info, login
from tests.support.services import RunningServer

QUARTERLY = fundamentals_pb2.STATEMENT_PERIOD_TYPE_QUARTERLY


@pytest.fixture
def analyst(server: RunningServer, channel: grpc.Channel) -> tuple[tuple[str, str], ...]:
    return bearer(login(channel, create_account(server, Role.USER)).tokens.access_token)


@pytest.fixture
def fundamentals(channel: grpc.Channel) -> fundamentals_pb2_grpc.FundamentalsServiceStub:
    return fundamentals_pb2_grpc.FundamentalsServiceStub(channel)


def d(message) -> Decimal:  # type: ignore[no-untyped-def]
    return Decimal(message.value)


def test_statements_add_up_and_quarters_make_their_years(fundamentals, analyst) -> None:
    annual = fundamentals.GetFinancialStatements(fundamentals_pb2.GetFinancialStatementsRequest(
        symbol="2222.SR"), metadata=analyst)
    quarters = fundamentals.GetFinancialStatements(
        fundamentals_pb2.GetFinancialStatementsRequest(symbol="2222", period_type=QUARTERLY),
        metadata=analyst)
    assert annual.symbol == "2222" and annual.currency == "SAR"
    assert annual.data_origin == securities_pb2.DATA_ORIGIN_SYNTHETIC
    # The latest close is 2025-12-02: fiscal 2020-2024 are published (within 90 days of
    # their end), and 2025's quarters up to Q3 (each 30 days after its end).
    assert [s.fiscal_year for s in annual.statements] == list(range(2020, 2025))
    assert [(q.fiscal_year, q.quarter) for q in quarters.statements][-1] == (2025, 3)
    for year in annual.statements:
        income, balance, cash = year.income_statement, year.balance_sheet, year.cash_flow
        assert d(income.gross_profit) == d(income.revenue) - d(income.cost_of_revenue)
        assert d(income.net_income) == d(income.pre_tax_income) - d(income.zakat_and_tax)
        assert d(balance.total_assets) == d(balance.total_liabilities) + d(balance.total_equity)
        assert d(cash.free_cash_flow) == d(cash.operating) - d(cash.capex)
        of_year = [q for q in quarters.statements if q.fiscal_year == year.fiscal_year]
        assert len(of_year) == 4
        assert sum(d(q.income_statement.revenue) for q in of_year) == d(income.revenue)
        assert sum(d(q.income_statement.net_income) for q in of_year) == d(income.net_income)
        assert of_year[-1].balance_sheet == balance  # the year ends with its fourth quarter
    for before, after in zip(annual.statements, annual.statements[1:], strict=False):
        assert d(after.balance_sheet.total_equity) == (
            d(before.balance_sheet.total_equity) + d(after.income_statement.net_income)
            - d(after.cash_flow.dividends_paid))


def test_ratios_follow_their_formulas_at_the_latest_close(fundamentals, analyst) -> None:
    answer = fundamentals.GetRatios(fundamentals_pb2.GetRatiosRequest(symbol="2222"),
                                    metadata=analyst)
    latest = fundamentals.GetFinancialStatements(
        fundamentals_pb2.GetFinancialStatementsRequest(symbol="2222"),
        metadata=analyst).statements[-1]
    assert answer.fiscal_year == latest.fiscal_year == 2024
    price = d(answer.price)
    income, balance = latest.income_statement, latest.balance_sheet
    market_cap = price * balance.shares_outstanding

    def four(value: Decimal) -> Decimal:
        return value.quantize(Decimal("0.0001"), ROUND_HALF_EVEN)

    ratios = answer.ratios
    assert d(ratios.price_to_earnings.value) == four(price / d(income.eps))
    assert d(ratios.price_to_book.value) == four(market_cap / d(balance.total_equity))
    assert d(ratios.net_margin.value) == four(d(income.net_income) / d(income.revenue))
    assert d(ratios.current_ratio.value) == four(
        d(balance.current_assets) / d(balance.current_liabilities))
    assert d(ratios.debt_to_equity.value) == four(
        (d(balance.short_term_debt) + d(balance.long_term_debt)) / d(balance.total_equity))
    assert Decimal(8) <= d(ratios.price_to_earnings.value) <= Decimal(30)


def test_every_ratio_is_a_finite_value_or_a_reason_never_both(fundamentals, analyst) -> None:
    # (Zero and negative denominators are exercised on hand-made statements in
    # tests/unit/test_fundamentals.py; here: what a bank's ratios look like on the wire.)
    answer = fundamentals.GetRatios(fundamentals_pb2.GetRatiosRequest(symbol="1120"),
                                    metadata=analyst)
    for field in answer.ratios.DESCRIPTOR.fields:
        ratio = getattr(answer.ratios, field.name)
        assert ratio.HasField("value") != bool(ratio.unavailable_reason), field.name
        if ratio.HasField("value"):
            assert d(ratio.value).is_finite()


def test_dividends_are_the_real_cash_dividend_announcements(fundamentals, analyst,
                                                            channel: grpc.Channel) -> None:
    dividends = fundamentals.ListDividends(fundamentals_pb2.ListDividendsRequest(
        symbol="2222"), metadata=analyst).dividends
    actions = research_pb2_grpc.ResearchServiceStub(channel).ListCorporateActions(
        research_pb2.ListCorporateActionsRequest(
            symbol="2222", types=[research_pb2.CORPORATE_ACTION_TYPE_CASH_DIVIDEND],
            page_size=1000)).corporate_actions
    assert len(dividends) == len(actions) > 0
    assert [d.description for d in dividends] == [a.description for a in actions]
    assert not any(d.HasField("amount_per_share") for d in dividends)  # none published


def test_unknown_symbols_permissions_and_what_is_not_built(fundamentals, analyst) -> None:
    with pytest.raises(grpc.RpcError) as unknown:
        fundamentals.GetRatios(fundamentals_pb2.GetRatiosRequest(symbol="9999"),
                               metadata=analyst)
    assert unknown.value.code() is grpc.StatusCode.NOT_FOUND
    assert error_info(unknown.value).reason == "TICKER_NOT_FOUND"
    with pytest.raises(grpc.RpcError) as guest:
        fundamentals.GetRatios(fundamentals_pb2.GetRatiosRequest(symbol="2222"))
    assert guest.value.code() is grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as market_wide:
        fundamentals.GetEarningsCalendar(fundamentals_pb2.GetEarningsCalendarRequest(),
                                         metadata=analyst)
    assert market_wide.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_earnings_calendar_reports_actuals_until_the_latest_close_then_expects(
        fundamentals, analyst) -> None:
    calendar = fundamentals.GetEarningsCalendar(fundamentals_pb2.GetEarningsCalendarRequest(
        symbol="2222"), metadata=analyst)
    quarters = fundamentals.GetFinancialStatements(
        fundamentals_pb2.GetFinancialStatementsRequest(symbol="2222", period_type=QUARTERLY),
        metadata=analyst).statements
    reported = [e for e in calendar.events if e.HasField("eps_actual")]
    expected = [e for e in calendar.events if not e.HasField("eps_actual")]
    assert [(e.fiscal_year, e.quarter) for e in reported] == [
        (q.fiscal_year, q.quarter) for q in quarters]
    assert [d(e.eps_actual) for e in reported] == [d(q.income_statement.eps) for q in quarters]
    for event in reported:
        assert d(event.surprise) == d(event.eps_actual) - d(event.eps_estimate)
        assert d(event.surprise_fraction) == (d(event.surprise) / abs(d(event.eps_estimate))
                                              ).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)
    assert [(e.fiscal_year, e.quarter) for e in expected] == [(2025, 4)]
    as_of = calendar.as_of
    assert (as_of.year, as_of.month, as_of.day) == (2025, 12, 2)
    assert (expected[0].report_date.year, expected[0].report_date.month) == (2026, 1)
