"""BacktestService: run a strategy over stored daily bars, stream progress, keep results."""

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

import grpc

from financehub.v1 import backtests_pb2, backtests_pb2_grpc
from server.domain.backtest import (
    BacktestConfig,
    BacktestResult,
    BuyAndHold,
    Comparison,
    Constant,
    IndicatorOperand,
    Join,
    Operand,
    Operator,
    PositionSizing,
    PriceField,
    PriceOperand,
    RuleSet,
    RuleStrategy,
    SizingKind,
    Strategy,
    Trade,
    bollinger_breakout,
    rsi_mean_reversion,
    run_backtest,
    sma_crossover,
    validate_config,
    validate_strategy,
)
from server.domain.errors import (
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    ViolationCollector,
)
from server.domain.symbols import require_symbol
from server.request_context import current_user_id
from server.services.charts import indicator_spec_from
from server.services.conversions import (
    date_from_message,
    date_message,
    decimal_from,
    decimal_message,
    require_uuid,
    timestamp_message,
)
from server.services.pagination import (
    decode_page_token,
    encode_page_token,
    encode_time_and_id,
    page_size_from,
    time_and_id_cursor,
)
from server.storage.backtests import BacktestRepository
from server.storage.bars import DailyBarRepository
from server.storage.securities import SecurityRepository

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

DEFAULT_INITIAL_CAPITAL = Decimal("100000")
# A typical Saudi online brokerage rate (0.155% of traded value); VAT on it at the KSA
# standard rate.
DEFAULT_COMMISSION_RATE = Decimal("0.00155")
DEFAULT_VAT_RATE = Decimal("0.15")
# Progress messages per run, at most (the engine reports every bar).
PROGRESS_STEPS = 20
DEFAULT_LIST_SIZE = 20
MAX_LIST_SIZE = 100
MIN_BARS = 2

_PRICE_FIELDS = {
    backtests_pb2.PRICE_FIELD_OPEN: PriceField.OPEN,
    backtests_pb2.PRICE_FIELD_HIGH: PriceField.HIGH,
    backtests_pb2.PRICE_FIELD_LOW: PriceField.LOW,
    backtests_pb2.PRICE_FIELD_CLOSE: PriceField.CLOSE,
    backtests_pb2.PRICE_FIELD_VOLUME: PriceField.VOLUME,
}
_OPERATORS = {
    backtests_pb2.COMPARATOR_LESS: Operator.LT,
    backtests_pb2.COMPARATOR_LESS_OR_EQUAL: Operator.LE,
    backtests_pb2.COMPARATOR_GREATER: Operator.GT,
    backtests_pb2.COMPARATOR_GREATER_OR_EQUAL: Operator.GE,
    backtests_pb2.COMPARATOR_CROSSES_ABOVE: Operator.CROSSES_ABOVE,
    backtests_pb2.COMPARATOR_CROSSES_BELOW: Operator.CROSSES_BELOW,
}
_JOINS = {backtests_pb2.JOIN_UNSPECIFIED: Join.AND, backtests_pb2.JOIN_AND: Join.AND,
          backtests_pb2.JOIN_OR: Join.OR}


def _operand(message: backtests_pb2.Operand, field: str,
             problems: ViolationCollector) -> Operand:
    kind = message.WhichOneof("operand")
    if kind == "price":
        price = _PRICE_FIELDS.get(message.price)
        if price is None:
            problems.add(f"{field}.price", "must be one of the PRICE_FIELD_ values")
            return PriceOperand()
        return PriceOperand(price)
    if kind == "indicator":
        spec = indicator_spec_from(message.indicator.indicator, f"{field}.indicator.indicator",
                                   problems)
        return IndicatorOperand(spec, message.indicator.line or "value")
    if kind == "constant":
        return Constant(message.constant)
    problems.add(field, "set one of price, indicator or constant")
    return Constant(0.0)


def _rule_set(message: backtests_pb2.RuleSet, field: str,
              problems: ViolationCollector) -> RuleSet:
    conditions = []
    for index, condition in enumerate(message.conditions):
        path = f"{field}.conditions[{index}]"
        operator = _OPERATORS.get(condition.comparator)
        if operator is None:
            problems.add(f"{path}.comparator", "must be one of the COMPARATOR_ values")
            operator = Operator.LT
        conditions.append(Comparison(_operand(condition.left, f"{path}.left", problems),
                                     operator,
                                     _operand(condition.right, f"{path}.right", problems)))
    join = _JOINS.get(message.join)
    if join is None:
        problems.add(f"{field}.join", "must be one of the JOIN_ values")
        join = Join.AND
    return RuleSet(tuple(conditions), join)


def strategy_from(message: backtests_pb2.Strategy, problems: ViolationCollector) -> Strategy:
    """The engine's strategy for a request's; violations name the request's fields."""
    kind = message.WhichOneof("strategy")
    try:
        if kind == "sma_crossover":
            sma = message.sma_crossover
            return sma_crossover(sma.fast_period or 20, sma.slow_period or 50)
        if kind == "rsi_mean_reversion":
            rsi = message.rsi_mean_reversion
            return rsi_mean_reversion(rsi.period or 14,
                                      rsi.lower if rsi.HasField("lower") else 30.0,
                                      rsi.upper if rsi.HasField("upper") else 70.0)
        if kind == "bollinger_breakout":
            bands = message.bollinger_breakout
            return bollinger_breakout(bands.period or 20,
                                      bands.std_dev if bands.HasField("std_dev") else 2.0)
    except InvalidArgumentError as error:
        for violation in error.violations:
            problems.add(f"strategy.{kind}.{violation.field}", violation.description)
        return BuyAndHold()
    if kind == "buy_and_hold":
        return BuyAndHold()
    if kind == "rules":
        return RuleStrategy(entry=_rule_set(message.rules.entry, "strategy.rules.entry",
                                            problems),
                            exit=_rule_set(message.rules.exit, "strategy.rules.exit", problems))
    problems.add("strategy", "choose a strategy")
    return BuyAndHold()


def config_from(request: backtests_pb2.RunBacktestRequest,
                problems: ViolationCollector) -> BacktestConfig:
    sizing = PositionSizing()
    if request.sizing.WhichOneof("sizing") == "fixed_fraction":
        fraction = decimal_from(request.sizing.fixed_fraction, "sizing.fixed_fraction",
                                problems, Decimal(1))
        if not Decimal(0) < fraction <= Decimal(1):
            problems.add("sizing.fixed_fraction", "must be above 0 and at most 1")
        sizing = PositionSizing(SizingKind.FIXED_FRACTION, fraction)
    return BacktestConfig(
        initial_capital=decimal_from(request.initial_capital, "initial_capital", problems,
                                     DEFAULT_INITIAL_CAPITAL),
        commission_rate=decimal_from(request.commission_rate, "commission_rate", problems,
                                     DEFAULT_COMMISSION_RATE),
        vat_rate=decimal_from(request.vat_rate, "vat_rate", problems, DEFAULT_VAT_RATE),
        slippage=decimal_from(request.slippage_rate, "slippage_rate", problems, Decimal(0)),
        sizing=sizing)


def _trade_message(trade: Trade) -> backtests_pb2.BacktestTrade:
    message = backtests_pb2.BacktestTrade(
        entry_date=date_message(trade.entry.day), entry_price=decimal_message(trade.entry.price),
        quantity=trade.entry.quantity, pnl=decimal_message(trade.pnl))
    costs = [trade.entry] if trade.exit is None else [trade.entry, trade.exit]
    message.commission.CopyFrom(decimal_message(sum((f.commission for f in costs), Decimal(0))))
    message.vat.CopyFrom(decimal_message(sum((f.vat for f in costs), Decimal(0))))
    if trade.exit is not None:
        message.exit_date.CopyFrom(date_message(trade.exit.day))
        message.exit_price.CopyFrom(decimal_message(trade.exit.price))
    return message


def backtest_message(backtest_id: str, request: backtests_pb2.RunBacktestRequest,
                     result: BacktestResult, created_at: datetime) -> backtests_pb2.Backtest:
    metrics = result.metrics
    message = backtests_pb2.Backtest(
        backtest_id=backtest_id, request=request,
        first_bar_date=date_message(result.equity_curve[0].day),
        last_bar_date=date_message(result.equity_curve[-1].day),
        bar_count=len(result.equity_curve),
        trades=[_trade_message(trade) for trade in result.trades],
        equity_curve=[backtests_pb2.EquityPoint(date=date_message(point.day),
                                                equity=decimal_message(point.equity))
                      for point in result.equity_curve],
        created_at=timestamp_message(created_at))
    summary = message.metrics
    summary.final_equity.CopyFrom(decimal_message(result.final_equity))
    summary.trade_count = len(result.trades)
    for name, value in (("total_return", metrics.total_return), ("cagr", metrics.cagr),
                        ("annualized_volatility", metrics.annualised_volatility),
                        ("sharpe_ratio", metrics.sharpe), ("sortino_ratio", metrics.sortino),
                        ("max_drawdown", metrics.max_drawdown), ("win_rate", metrics.win_rate),
                        ("exposure", metrics.exposure)):
        if value is not None:
            setattr(summary, name, value)
    return message


class BacktestServicer(backtests_pb2_grpc.BacktestServiceServicer):
    def __init__(self, securities: SecurityRepository, bars: DailyBarRepository,
                 backtests: BacktestRepository) -> None:
        self._securities = securities
        self._bars = bars
        self._backtests = backtests

    async def RunBacktest(self, request: backtests_pb2.RunBacktestRequest,
                          context: Context) -> AsyncIterator[backtests_pb2.RunBacktestResponse]:
        problems = ViolationCollector()
        symbol = require_symbol(request.symbol)
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        if start is not None and end is not None and start > end:
            problems.add("end_date", "must not be before start_date")
        strategy = strategy_from(request.strategy, problems)
        config = config_from(request, problems)
        problems.raise_if_any()
        _validate(strategy, config)
        if await self._securities.get(symbol) is None:
            raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
        history = await self._bars.history(symbol, start, end or date.max)
        if len(history.bars) < MIN_BARS:
            raise FailedPreconditionError(
                f"{symbol} has {len(history.bars)} daily bars in this range; a backtest "
                f"needs at least {MIN_BARS}", reason="NOT_ENOUGH_BARS")

        # The engine reports every bar from its thread; PROGRESS_STEPS of them come here,
        # then None once it has finished.
        progress: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        step = max(1, len(history.bars) // PROGRESS_STEPS)
        abandoned = threading.Event()

        def report(done: int, total: int) -> None:
            if abandoned.is_set():
                raise _Abandoned
            if done % step == 0 or done == total:
                loop.call_soon_threadsafe(progress.put_nowait, (done, total))

        # CPU-bound: off the event loop, so other calls keep being served meanwhile.
        running = asyncio.ensure_future(asyncio.to_thread(
            run_backtest, history.bars, strategy, config, progress=report))
        running.add_done_callback(lambda _: progress.put_nowait(None))
        try:
            while (reported := await progress.get()) is not None:
                yield backtests_pb2.RunBacktestResponse(progress=backtests_pb2.BacktestProgress(
                    bars_done=reported[0], bars_total=reported[1]))
            result = running.result()
        finally:
            abandoned.set()  # the caller went away: the engine stops at its next bar

        stored_request = backtests_pb2.RunBacktestRequest()
        stored_request.CopyFrom(request)
        stored_request.symbol = symbol
        backtest_id, created_at = str(uuid.uuid4()), datetime.now(UTC)
        backtest = backtest_message(backtest_id, stored_request, result, created_at)
        summary = backtests_pb2.Backtest()
        summary.CopyFrom(backtest)
        del summary.trades[:]
        del summary.equity_curve[:]
        await self._backtests.add(backtest_id=backtest_id, user_id=current_user_id(), symbol=symbol,
                                  created_at=created_at, summary=summary.SerializeToString(),
                                  document=backtest.SerializeToString())
        yield backtests_pb2.RunBacktestResponse(backtest=backtest)

    async def GetBacktest(self, request: backtests_pb2.GetBacktestRequest,
                          context: Context) -> backtests_pb2.GetBacktestResponse:
        backtest_id = require_uuid(request.backtest_id, "backtest_id")
        document = await self._backtests.document(user_id=current_user_id(),
                                                  backtest_id=backtest_id)
        if document is None:
            raise NotFoundError("backtest", backtest_id, reason="BACKTEST_NOT_FOUND")
        return backtests_pb2.GetBacktestResponse(
            backtest=backtests_pb2.Backtest.FromString(document))

    async def ListBacktests(self, request: backtests_pb2.ListBacktestsRequest,
                            context: Context) -> backtests_pb2.ListBacktestsResponse:
        size = page_size_from(request.page_size, default=DEFAULT_LIST_SIZE,
                              maximum=MAX_LIST_SIZE)
        symbol = require_symbol(request.symbol) if request.symbol else None
        filters = (symbol or "",)
        after = time_and_id_cursor(decode_page_token(request.page_token, filters))
        rows = await self._backtests.summaries(user_id=current_user_id(), symbol=symbol,
                                               after=after, limit=size + 1)
        response = backtests_pb2.ListBacktestsResponse(
            backtests=[backtests_pb2.Backtest.FromString(row.payload) for row in rows[:size]])
        if len(rows) > size:
            last = rows[size - 1]
            response.next_page_token = encode_page_token(
                encode_time_and_id(last.created_at, last.id), filters)
        return response


class _Abandoned(Exception):
    """Raised in the engine's thread to stop a run nobody waits for any more."""


def _validate(strategy: Strategy, config: BacktestConfig) -> None:
    """The engine's own checks, before anything runs, with the request's field names."""
    try:
        validate_strategy(strategy)
        validate_config(config)
    except InvalidArgumentError as error:
        raise InvalidArgumentError([FieldViolation(_request_field(v.field), v.description)
                                    for v in error.violations], reason=error.reason) from None


def _request_field(engine_field: str) -> str:
    """The request field an engine field path stands for."""
    renamed = {"slippage": "slippage_rate", "sizing.fraction": "sizing.fixed_fraction"}
    if engine_field in renamed:
        return renamed[engine_field]
    if engine_field.startswith("strategy."):
        # Only rule strategies reach the engine's strategy checks with paths of their own.
        return ("strategy.rules." + engine_field.removeprefix("strategy.")).replace(
            ".spec", ".indicator.indicator")
    return engine_field




