"""FundService against the seeded funds: real snapshot data, synthetic NAV histories that
end at the real NAV, and performance checked against a hand computation."""

import math
import statistics
from datetime import date
from decimal import Decimal

import grpc
import pytest

from financehub.v1 import funds_pb2, funds_pb2_grpc, securities_pb2
from server.domain.access import Role
from server.ingest.funds import FUNDS_FILE, load_funds
from tests.support.identity import bearer, create_account, error_info, login
from tests.support.services import RunningServer

SNAPSHOT_FUNDS = 582


@pytest.fixture
def funds(channel: grpc.Channel) -> funds_pb2_grpc.FundServiceStub:
    return funds_pb2_grpc.FundServiceStub(channel)


@pytest.fixture
def analyst(server: RunningServer, channel: grpc.Channel) -> tuple[tuple[str, str], ...]:
    return bearer(login(channel, create_account(server, Role.USER)).tokens.access_token)


def day(message) -> date:  # type: ignore[no-untyped-def]
    return date(message.year, message.month, message.day)


def test_every_fund_of_the_snapshot_is_listed_once_in_id_order(funds) -> None:
    ids: list[str] = []
    token = ""
    while True:
        page = funds.ListFunds(funds_pb2.ListFundsRequest(page_size=100, page_token=token))
        assert page.total_size == SNAPSHOT_FUNDS
        ids += [fund.fund_id for fund in page.funds]
        token = page.next_page_token
        if not token:
            break
    assert len(ids) == len(set(ids)) == SNAPSHOT_FUNDS
    assert ids == sorted(ids)


def test_filters_by_currency_type_and_manager(funds) -> None:
    usd = funds.ListFunds(funds_pb2.ListFundsRequest(currency="usd", page_size=1000))
    assert usd.total_size == len(usd.funds) > 0
    assert all(f.currency == "USD" and "دولار" in f.name_ar for f in usd.funds)
    money_market = funds.ListFunds(funds_pb2.ListFundsRequest(
        type=funds_pb2.FUND_TYPE_MONEY_MARKET, page_size=1000))
    assert money_market.total_size > 0
    assert all(f.type == funds_pb2.FUND_TYPE_MONEY_MARKET for f in money_market.funds)
    manager = money_market.funds[0].manager
    by_manager = funds.ListFunds(funds_pb2.ListFundsRequest(manager=manager, page_size=1000))
    assert by_manager.funds and all(f.manager == manager for f in by_manager.funds)
    with pytest.raises(grpc.RpcError) as unknown_type:
        funds.ListFunds(funds_pb2.ListFundsRequest(type=99))
    assert unknown_type.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_a_fund_is_as_the_snapshot_says_and_its_history_ends_at_its_real_nav(funds) -> None:
    fund = funds.GetFund(funds_pb2.GetFundRequest(fund_id="2013")).fund
    assert (fund.name_ar, fund.manager) == ("صندوق الأهلي المتنوع بالريال السعودي",
                                            "شركة الأهلي المالية")
    assert Decimal(fund.latest_nav.value) == Decimal("1.5834")
    assert day(fund.nav_date) == date(2025, 12, 25)
    assert fund.published_ytd_return_percent == pytest.approx(3.12)
    assert fund.nav_history_origin == securities_pb2.DATA_ORIGIN_SYNTHETIC

    history = funds.GetNavHistory(funds_pb2.GetNavHistoryRequest(fund_id="2013"))
    assert history.data_origin == securities_pb2.DATA_ORIGIN_SYNTHETIC
    points = [(day(p.date), Decimal(p.nav.value)) for p in history.points]
    assert points[-1] == (date(2025, 12, 25), Decimal("1.5834"))
    assert len(points) > 5 * 240
    assert all(d.weekday() not in (4, 5) for d, _ in points)  # valuation days: Sun-Thu
    assert all(nav > 0 for _, nav in points)
    window = funds.GetNavHistory(funds_pb2.GetNavHistoryRequest(
        fund_id="2013", start_date={"year": 2025, "month": 12, "day": 1},
        end_date={"year": 2025, "month": 12, "day": 10}))
    assert [day(p.date) for p in window.points] == [d for d, _ in points
                                                    if date(2025, 12, 1) <= d <= date(2025, 12, 10)]


def test_performance_matches_a_hand_computation_on_the_nav_history(funds, analyst) -> None:
    points = [(day(p.date), float(Decimal(p.nav.value))) for p in funds.GetNavHistory(
        funds_pb2.GetNavHistoryRequest(fund_id="2022")).points]
    answer = funds.GetFundPerformance(funds_pb2.GetFundPerformanceRequest(
        fund_id="2022", risk_free_rate=0.05), metadata=analyst)
    performance = answer.performance
    assert day(performance.as_of) == points[-1][0]
    latest = points[-1][1]

    def nav_on_or_before(moment: date) -> float:
        return [nav for d, nav in points if d <= moment][-1]

    returns = {r.period: r for r in performance.returns}
    one_year = latest / nav_on_or_before(date(2024, 12, 25)) - 1
    assert returns[funds_pb2.RETURN_PERIOD_1Y].total_return == pytest.approx(one_year, rel=1e-9)
    ytd = latest / nav_on_or_before(date(2024, 12, 31)) - 1
    assert returns[funds_pb2.RETURN_PERIOD_YTD].total_return == pytest.approx(ytd, rel=1e-9)
    five = returns[funds_pb2.RETURN_PERIOD_5Y]
    assert five.annualized_return == pytest.approx((1 + five.total_return) ** (1 / 5) - 1)

    last_year = [nav for d, nav in points if d > date(2024, 12, 25)]
    last_year.insert(0, nav_on_or_before(date(2024, 12, 25)))
    daily = [b / a - 1 for a, b in zip(last_year, last_year[1:], strict=False)]
    volatility = statistics.stdev(daily) * math.sqrt(250)
    assert performance.annualized_volatility == pytest.approx(volatility, rel=1e-6)
    sharpe = (statistics.fmean(daily) * 250 - 0.05) / volatility
    assert performance.sharpe_ratio == pytest.approx(sharpe, rel=1e-6)
    assert performance.risk_free_rate == 0.05

    peak, depth = points[0][1], 0.0
    for _, nav in points:
        peak = max(peak, nav)
        depth = max(depth, 1 - nav / peak)
    assert performance.max_drawdown == pytest.approx(depth, rel=1e-9)
    assert day(performance.drawdown_peak_date) < day(performance.drawdown_trough_date)


def test_closed_unknown_and_malformed_funds(funds, analyst) -> None:
    closed = funds.GetFund(funds_pb2.GetFundRequest(fund_id="2093")).fund
    assert not closed.HasField("latest_nav")
    assert not funds.GetNavHistory(funds_pb2.GetNavHistoryRequest(fund_id="2093")).points
    with pytest.raises(grpc.RpcError) as no_history:
        funds.GetFundPerformance(funds_pb2.GetFundPerformanceRequest(fund_id="2093"),
                                 metadata=analyst)
    assert no_history.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(no_history.value).reason == "NO_NAV_HISTORY"
    with pytest.raises(grpc.RpcError) as unknown:
        funds.GetFund(funds_pb2.GetFundRequest(fund_id="999999"))
    assert unknown.value.code() is grpc.StatusCode.NOT_FOUND
    assert error_info(unknown.value).reason == "FUND_NOT_FOUND"
    with pytest.raises(grpc.RpcError) as malformed:
        funds.GetFund(funds_pb2.GetFundRequest(fund_id="20;13"))
    assert malformed.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_compare_answers_in_the_order_asked_and_refuses_bad_lists(funds, analyst) -> None:
    compared = funds.CompareFunds(funds_pb2.CompareFundsRequest(fund_ids=["2022", "2013"]),
                                  metadata=analyst)
    assert [f.fund.fund_id for f in compared.funds] == ["2022", "2013"]
    alone = funds.GetFundPerformance(funds_pb2.GetFundPerformanceRequest(fund_id="2013"),
                                     metadata=analyst)
    assert compared.funds[1].performance == alone.performance
    for ids in (["2013"], ["2013", "2013"], ["2013", "2014", "2022", "2049", "2093", "3715"]):
        with pytest.raises(grpc.RpcError) as refused:
            funds.CompareFunds(funds_pb2.CompareFundsRequest(fund_ids=ids), metadata=analyst)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_performance_needs_read_financials_while_lists_are_public(funds) -> None:
    assert funds.ListFunds(funds_pb2.ListFundsRequest(page_size=1)).funds
    with pytest.raises(grpc.RpcError) as guest:
        funds.GetFundPerformance(funds_pb2.GetFundPerformanceRequest(fund_id="2013"))
    assert guest.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_loading_the_snapshot_again_writes_no_history(server: RunningServer) -> None:
    report = server.loop.run(load_funds(server.app.database, FUNDS_FILE.read_text()))
    assert report.funds == SNAPSHOT_FUNDS
    assert report.without_nav == 10
    assert report.histories_written == 0
