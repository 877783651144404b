"""BacktestService over gRPC against the real 2222 history: progress, results equal to
the engine's, storage, listing, ownership and bad input."""

from datetime import date
from decimal import Decimal

import grpc
import pytest
from google.type import decimal_pb2

from financehub.v1 import backtests_pb2, backtests_pb2_grpc, charts_pb2
from server.domain.access import Role
from server.domain.backtest import BacktestConfig, run_backtest, sma_crossover
from server.storage.bars import DailyBarRepository
from tests.support.identity import bearer, create_account, error_info, login, violated_fields
from tests.support.services import RunningServer

COSTS = {"commission_rate": decimal_pb2.Decimal(value="0.00155"),
         "vat_rate": decimal_pb2.Decimal(value="0.15"),
         "slippage_rate": decimal_pb2.Decimal(value="0.001")}


@pytest.fixture
def credentials(server: RunningServer, channel: grpc.Channel) -> tuple[tuple[str, str], ...]:
    return bearer(login(channel, create_account(server, Role.USER)).tokens.access_token)


def stub(channel: grpc.Channel) -> backtests_pb2_grpc.BacktestServiceStub:
    return backtests_pb2_grpc.BacktestServiceStub(channel)


def run(channel: grpc.Channel, credentials: tuple[tuple[str, str], ...],
        request: backtests_pb2.RunBacktestRequest) -> list[backtests_pb2.RunBacktestResponse]:
    return list(stub(channel).RunBacktest(request, metadata=credentials, timeout=60))


def sma_request(**fields: object) -> backtests_pb2.RunBacktestRequest:
    """SMA 20/50 on 2222 from 100,000 SAR with realistic costs; `fields` replace any of it."""
    defaults: dict[str, object] = {
        "symbol": "2222", "initial_capital": decimal_pb2.Decimal(value="100000"),
        "strategy": backtests_pb2.Strategy(
            sma_crossover=backtests_pb2.SmaCrossover(fast_period=20, slow_period=50)),
        **COSTS}
    return backtests_pb2.RunBacktestRequest(**{**defaults, **fields})


def test_a_run_streams_progress_then_the_engines_result_and_stores_it(
        server: RunningServer, channel: grpc.Channel, credentials) -> None:
    messages = run(channel, credentials, sma_request())

    progress = [m.progress for m in messages if m.WhichOneof("event") == "progress"]
    assert [m.WhichOneof("event") for m in messages][-1] == "backtest"
    assert len(progress) >= 2
    done = [p.bars_done for p in progress]
    assert done == sorted(done) and done[-1] == progress[-1].bars_total
    backtest = messages[-1].backtest

    bars = server.loop.run(DailyBarRepository(server.app.database).history(
        "2222", None, date.max)).bars
    expected = run_backtest(bars, sma_crossover(20, 50), BacktestConfig(
        initial_capital=Decimal(100000), commission_rate=Decimal("0.00155"),
        vat_rate=Decimal("0.15"), slippage=Decimal("0.001")))
    assert Decimal(backtest.metrics.final_equity.value) == expected.final_equity
    assert backtest.bar_count == len(bars) == progress[-1].bars_total
    assert backtest.metrics.trade_count == len(expected.trades) > 0
    assert [(t.entry_date.year, t.entry_date.month, t.entry_date.day, t.quantity)
            for t in backtest.trades] == [
        (t.entry.day.year, t.entry.day.month, t.entry.day.day, t.entry.quantity)
        for t in expected.trades]
    assert backtest.metrics.max_drawdown == pytest.approx(expected.metrics.max_drawdown)
    assert len(backtest.equity_curve) == len(bars)

    stored = stub(channel).GetBacktest(
        backtests_pb2.GetBacktestRequest(backtest_id=backtest.backtest_id), metadata=credentials)
    assert stored.backtest == backtest
    listed = stub(channel).ListBacktests(backtests_pb2.ListBacktestsRequest(),
                                         metadata=credentials)
    assert [b.backtest_id for b in listed.backtests] == [backtest.backtest_id]
    assert listed.backtests[0].metrics == backtest.metrics
    assert not listed.backtests[0].trades and not listed.backtests[0].equity_curve


def test_a_rule_strategy_equal_to_the_built_in_one_gives_the_same_result(
        channel: grpc.Channel, credentials) -> None:
    def sma(period: int) -> backtests_pb2.Operand:
        return backtests_pb2.Operand(indicator=backtests_pb2.IndicatorOperand(
            indicator=charts_pb2.IndicatorRequest(type=charts_pb2.INDICATOR_TYPE_SMA,
                                                  period=period)))

    def crossing(comparator: int) -> backtests_pb2.RuleSet:
        return backtests_pb2.RuleSet(conditions=[backtests_pb2.Condition(
            left=sma(20), comparator=comparator, right=sma(50))])

    rules = backtests_pb2.RunBacktestRequest()
    rules.CopyFrom(sma_request())
    rules.strategy.rules.entry.CopyFrom(crossing(backtests_pb2.COMPARATOR_CROSSES_ABOVE))
    rules.strategy.rules.exit.CopyFrom(crossing(backtests_pb2.COMPARATOR_CROSSES_BELOW))

    built_in = run(channel, credentials, sma_request())[-1].backtest
    own = run(channel, credentials, rules)[-1].backtest
    assert own.metrics == built_in.metrics
    assert list(own.trades) == list(built_in.trades)


def test_lists_page_newest_first_by_symbol_and_only_the_callers(
        server: RunningServer, channel: grpc.Channel, credentials) -> None:
    ids = [run(channel, credentials, sma_request(
        strategy=backtests_pb2.Strategy(buy_and_hold=backtests_pb2.BuyAndHold())))[-1]
        .backtest.backtest_id for _ in range(3)]
    seen, token = [], ""
    while True:
        page = stub(channel).ListBacktests(
            backtests_pb2.ListBacktestsRequest(page_size=2, page_token=token, symbol="2222"),
            metadata=credentials)
        seen += [b.backtest_id for b in page.backtests]
        token = page.next_page_token
        if not token:
            break
    assert seen == ids[::-1]
    with pytest.raises(grpc.RpcError) as other_filters:
        stub(channel).ListBacktests(backtests_pb2.ListBacktestsRequest(
            page_size=2, page_token=stub(channel).ListBacktests(
                backtests_pb2.ListBacktestsRequest(page_size=2),
                metadata=credentials).next_page_token, symbol="1120"), metadata=credentials)
    assert other_filters.value.code() is grpc.StatusCode.INVALID_ARGUMENT

    stranger = bearer(login(channel, create_account(server, Role.USER)).tokens.access_token)
    assert not stub(channel).ListBacktests(backtests_pb2.ListBacktestsRequest(),
                                           metadata=stranger).backtests
    with pytest.raises(grpc.RpcError) as foreign:
        stub(channel).GetBacktest(backtests_pb2.GetBacktestRequest(backtest_id=ids[0]),
                                  metadata=stranger)
    assert foreign.value.code() is grpc.StatusCode.NOT_FOUND
    assert error_info(foreign.value).reason == "BACKTEST_NOT_FOUND"


def _unspecified_indicator() -> backtests_pb2.RunBacktestRequest:
    request = sma_request()
    condition = backtests_pb2.Condition(
        left=backtests_pb2.Operand(indicator=backtests_pb2.IndicatorOperand(
            indicator=charts_pb2.IndicatorRequest())),
        comparator=backtests_pb2.COMPARATOR_GREATER,
        right=backtests_pb2.Operand(constant=1.0))
    request.strategy.rules.entry.conditions.append(condition)
    request.strategy.rules.exit.conditions.append(condition)
    return request


def _period_on_obv() -> backtests_pb2.RunBacktestRequest:
    request = sma_request()
    condition = backtests_pb2.Condition(
        left=backtests_pb2.Operand(indicator=backtests_pb2.IndicatorOperand(
            indicator=charts_pb2.IndicatorRequest(type=charts_pb2.INDICATOR_TYPE_OBV,
                                                  period=5))),
        comparator=backtests_pb2.COMPARATOR_GREATER,
        right=backtests_pb2.Operand(constant=1.0))
    request.strategy.rules.entry.conditions.append(condition)
    request.strategy.rules.exit.conditions.append(condition)
    return request


@pytest.mark.parametrize(("request_", "fields"), [
    (sma_request(strategy=backtests_pb2.Strategy(
        sma_crossover=backtests_pb2.SmaCrossover(fast_period=50, slow_period=20))),
     ["strategy.sma_crossover.fast_period"]),
    (_unspecified_indicator(), ["strategy.rules.entry.conditions[0].left.indicator.indicator.type",
                                "strategy.rules.exit.conditions[0].left.indicator.indicator.type"]),
    (_period_on_obv(), ["strategy.rules.entry.conditions[0].left.indicator.indicator.period",
                        "strategy.rules.exit.conditions[0].left.indicator.indicator.period"]),
    (sma_request(initial_capital=decimal_pb2.Decimal(value="lots")), ["initial_capital"]),
    (sma_request(commission_rate=decimal_pb2.Decimal(value="-0.1")), ["commission_rate"]),
    (sma_request(slippage_rate=decimal_pb2.Decimal(value="1")), ["slippage_rate"]),
    (sma_request(sizing=backtests_pb2.PositionSizing(
        fixed_fraction=decimal_pb2.Decimal(value="1.5"))), ["sizing.fixed_fraction"]),
    (sma_request(start_date={"year": 2025, "month": 2, "day": 1},
                 end_date={"year": 2024, "month": 1, "day": 1}), ["end_date"]),
    (backtests_pb2.RunBacktestRequest(symbol="2222"), ["strategy"]),
], ids=["fast-not-below-slow", "no-indicator-type", "parameter-the-indicator-lacks",
        "not-a-decimal", "negative-commission", "slippage-of-one", "fraction-above-one",
        "end-before-start", "no-strategy"])
def test_bad_requests_name_their_fields_and_store_nothing(
        channel: grpc.Channel, credentials, request_: backtests_pb2.RunBacktestRequest,
        fields: list[str]) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        run(channel, credentials, request_)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(set(violated_fields(caught.value))) == sorted(fields)
    assert not stub(channel).ListBacktests(backtests_pb2.ListBacktestsRequest(),
                                           metadata=credentials).backtests


def test_an_unknown_symbol_and_an_empty_range_are_refused(channel: grpc.Channel,
                                                          credentials) -> None:
    with pytest.raises(grpc.RpcError) as unknown:
        run(channel, credentials, sma_request(symbol="9999"))
    assert unknown.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as empty:
        run(channel, credentials, sma_request(start_date={"year": 1990, "month": 1, "day": 1},
                                              end_date={"year": 1990, "month": 2, "day": 1}))
    assert empty.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(empty.value).reason == "NOT_ENOUGH_BARS"
