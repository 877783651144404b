"""Daily backtests of one long-only strategy on one symbol. Pure: no I/O.

Timing. A strategy's signals are computed on a bar's close, and the order they cause
fills at the NEXT bar's open; a signal on the last bar never fills. This is what a
trader who acts on the day's close can actually do, and it is backtrader's default
(market orders, cheat-on-open off), against which the tests check this engine.

Trading rules. Long only, one position at a time, integer quantities (lot size 1):
an entry signal while flat buys, an exit signal while long sells the whole position;
other signals are ignored. A buy fills at open * (1 + slippage), a sell at
open * (1 - slippage). Each fill pays commission = traded value * commission rate,
plus VAT on that commission (commission * VAT rate). Sizing: ALL_IN buys the largest
quantity whose cost, commission and VAT included, the cash covers; FIXED_FRACTION
buys the largest quantity costing at most that fraction of equity (equity is all cash
then, since entries happen only while flat). A quantity of zero places no order.

Money. Cash, fill prices, commission, VAT, P&L and equity are `Decimal` and exact:
bar prices (floats the importer rounded to 4 dp) enter through their shortest repr,
i.e. the decimal written in the source file, and every later money operation is a
sum or product of finite decimals, or the integer quotient used for sizing. The
engine runs under a Decimal context that traps Inexact, so an accidental rounding
fails loudly instead of drifting. Nothing is rounded to 0.01 SAR here: rounding every
commission to a halala would make results differ from the reference engine (which
does not round) by a halala per fill; presenting amounts to 2 dp is the caller's job.

Valuation. Equity is marked at each bar's close (cash + quantity * close). A position
still open after the last bar is valued at the last close, without exit costs, and
reported as an open trade. Metrics are defined in `backtest_metrics`.

Rules. A strategy is a pair of rule sets, entry and exit: comparisons between price
fields, indicator lines and constants, with <, <=, >, >=, crosses above and crosses
below, joined by AND or OR. An indicator undefined on a bar (warm-up) makes every
comparison with it false there. Values within a relative 1e-10 of each other are
equal (see EQUAL_RTOL). "a crosses above b" on bar t means a > b on t and a <= b on
t - 1 (crosses below: a < b on t, a >= b on t - 1). The built-in strategies
are rule sets too, apart from buy-and-hold.
"""

import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from server.domain.backtest_metrics import Metrics, compute_metrics
from server.domain.bars import DailyBar
from server.domain.errors import FieldViolation, InvalidArgumentError, ViolationCollector
from server.domain.indicators import (
    IndicatorKind,
    IndicatorSpec,
    PriceSeries,
    compute_indicator,
    warm_up,
)
from server.domain.ticks import price_from_float

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Operands this close (relative to the larger) compare equal. Indicator values carry
# float rounding noise: the 20- and 50-day SMAs of 2222 on 2024-09-05 are both exactly
# 27.945, yet summed in floats they differ by 1e-14, which would fake a crossing. Real
# differences between prices quoted to 4 dp, and between their averages, are far larger.
EQUAL_RTOL = 1e-10


# --- the rule language -------------------------------------------------------------

class PriceField(Enum):
    OPEN = "open"
    HIGH = "high"
    LOW = "low"
    CLOSE = "close"
    VOLUME = "volume"


@dataclass(frozen=True)
class PriceOperand:
    field: PriceField = PriceField.CLOSE


@dataclass(frozen=True)
class IndicatorOperand:
    """One output line of an indicator (see `IndicatorResult` for the line names)."""

    spec: IndicatorSpec
    line: str = "value"


@dataclass(frozen=True)
class Constant:
    value: float


Operand = PriceOperand | IndicatorOperand | Constant


class Operator(Enum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    CROSSES_ABOVE = "crosses_above"
    CROSSES_BELOW = "crosses_below"


@dataclass(frozen=True)
class Comparison:
    left: Operand
    operator: Operator
    right: Operand


class Join(Enum):
    AND = "and"
    OR = "or"


@dataclass(frozen=True)
class RuleSet:
    conditions: tuple[Comparison, ...]
    join: Join = Join.AND


@dataclass(frozen=True)
class RuleStrategy:
    entry: RuleSet
    exit: RuleSet


@dataclass(frozen=True)
class BuyAndHold:
    """Buys on the first bar's signal (so at the second bar's open) and never sells."""


Strategy = RuleStrategy | BuyAndHold

_LINES: dict[IndicatorKind, frozenset[str]] = {
    IndicatorKind.MACD: frozenset({"macd", "signal", "histogram"}),
    IndicatorKind.BBANDS: frozenset({"upper", "middle", "lower"}),
    IndicatorKind.STOCH: frozenset({"k", "d"}),
}
_SINGLE_LINE = frozenset({"value"})


def indicator_kind(name: str, *, field: str) -> IndicatorKind:
    """The indicator called `name` (e.g. "rsi"), for callers holding a name."""
    try:
        return IndicatorKind(name.strip().lower())
    except ValueError:
        known = ", ".join(kind.value for kind in IndicatorKind)
        raise InvalidArgumentError([FieldViolation(
            field, f"unknown indicator {name!r}; known: {known}")],
            reason="UNKNOWN_INDICATOR") from None


def sma_crossover(fast_period: int = 20, slow_period: int = 50) -> RuleStrategy:
    """Enter when the fast SMA of closes crosses above the slow one; exit when it
    crosses below."""
    if fast_period >= slow_period:
        raise InvalidArgumentError([FieldViolation(
            "fast_period", f"must be less than slow_period ({slow_period})")])
    fast = IndicatorOperand(IndicatorSpec(IndicatorKind.SMA, period=fast_period))
    slow = IndicatorOperand(IndicatorSpec(IndicatorKind.SMA, period=slow_period))
    return RuleStrategy(entry=RuleSet((Comparison(fast, Operator.CROSSES_ABOVE, slow),)),
                        exit=RuleSet((Comparison(fast, Operator.CROSSES_BELOW, slow),)))


def rsi_mean_reversion(period: int = 14, lower: float = 30.0,
                       upper: float = 70.0) -> RuleStrategy:
    """Enter while RSI is below `lower` (oversold); exit while it is above `upper`."""
    if lower >= upper:
        raise InvalidArgumentError([FieldViolation("lower", f"must be less than upper ({upper})")])
    rsi = IndicatorOperand(IndicatorSpec(IndicatorKind.RSI, period=period))
    return RuleStrategy(entry=RuleSet((Comparison(rsi, Operator.LT, Constant(lower)),)),
                        exit=RuleSet((Comparison(rsi, Operator.GT, Constant(upper)),)))


def bollinger_breakout(period: int = 20, std_dev: float = 2.0) -> RuleStrategy:
    """Enter on a close above the upper band; exit on a close below the middle band."""
    spec = IndicatorSpec(IndicatorKind.BBANDS, period=period, std_dev_up=std_dev,
                         std_dev_down=std_dev)
    close = PriceOperand(PriceField.CLOSE)
    return RuleStrategy(
        entry=RuleSet((Comparison(close, Operator.GT, IndicatorOperand(spec, "upper")),)),
        exit=RuleSet((Comparison(close, Operator.LT, IndicatorOperand(spec, "middle")),)))


def validate_strategy(strategy: Strategy, *, field_prefix: str = "strategy") -> None:
    """Raise InvalidArgumentError naming every bad part of `strategy`."""
    if isinstance(strategy, BuyAndHold):
        return
    problems = ViolationCollector()
    for name, rules in (("entry", strategy.entry), ("exit", strategy.exit)):
        path = f"{field_prefix}.{name}"
        if not rules.conditions:
            problems.add(f"{path}.conditions", "needs at least one condition")
        for i, condition in enumerate(rules.conditions):
            where = f"{path}.conditions[{i}]"
            if isinstance(condition.left, Constant) and isinstance(condition.right, Constant):
                problems.add(where, "compares two constants")
            for side, operand in (("left", condition.left), ("right", condition.right)):
                if isinstance(operand, IndicatorOperand):
                    _check_indicator(operand, f"{where}.{side}", problems)
    problems.raise_if_any()


def _check_indicator(operand: IndicatorOperand, path: str,
                     problems: ViolationCollector) -> None:
    lines = _LINES.get(operand.spec.kind, _SINGLE_LINE)
    if operand.line not in lines:
        problems.add(f"{path}.line", f"{operand.spec.kind.name} has no line {operand.line!r}; "
                                     f"it has {', '.join(sorted(lines))}")
    try:
        warm_up(operand.spec, field_prefix=f"{path}.spec")
    except InvalidArgumentError as error:
        problems.violations.extend(error.violations)


# --- signals -----------------------------------------------------------------------

class _Evaluator:
    """Evaluates rule sets over one series, computing each indicator once."""

    def __init__(self, bars: Sequence[DailyBar]) -> None:
        self._series = PriceSeries(open=[b.open for b in bars], high=[b.high for b in bars],
                                   low=[b.low for b in bars], close=[b.close for b in bars],
                                   volume=[float(b.volume) for b in bars])
        self._length = len(bars)
        self._cache: dict[IndicatorSpec, dict[str, FloatArray]] = {}

    def rules(self, rules: RuleSet, path: str) -> BoolArray:
        results = [self._comparison(c, f"{path}.conditions[{i}]")
                   for i, c in enumerate(rules.conditions)]
        combine = np.logical_and if rules.join is Join.AND else np.logical_or
        out = results[0]
        for result in results[1:]:
            out = combine(out, result)
        return out

    def _comparison(self, comparison: Comparison, path: str) -> BoolArray:
        a = self._operand(comparison.left, f"{path}.left")
        b = self._operand(comparison.right, f"{path}.right")
        # NaN (an indicator's warm-up) is close to nothing and compares false, as the
        # module docstring promises.
        with np.errstate(invalid="ignore"):
            equal = np.isclose(a, b, rtol=EQUAL_RTOL, atol=0.0)
            # numpy's stubs type these as ndarray[Any, Any]; they are boolean arrays.
            below: BoolArray = (a < b) & ~equal
            above: BoolArray = (a > b) & ~equal
        match comparison.operator:
            case Operator.LT:
                return below
            case Operator.LE:
                return below | equal
            case Operator.GT:
                return above
            case Operator.GE:
                return above | equal
            case Operator.CROSSES_ABOVE:
                return _crossed(above, below | equal)
            case Operator.CROSSES_BELOW:
                return _crossed(below, above | equal)

    def _operand(self, operand: Operand, path: str) -> FloatArray:
        match operand:
            case Constant(value):
                return np.full(self._length, value)
            case PriceOperand(field):
                return np.asarray(getattr(self._series, field.value), dtype=np.float64)
            case IndicatorOperand(spec, line):
                if spec not in self._cache:
                    result = compute_indicator(self._series, spec, field_prefix=f"{path}.spec")
                    self._cache[spec] = {
                        name: np.array([np.nan if v is None else v for v in values])
                        for name, values in result.lines.items()}
                return self._cache[spec][line]


def _crossed(now: BoolArray, before: BoolArray) -> BoolArray:
    out = np.zeros_like(now)
    out[1:] = now[1:] & before[:-1]
    return out


def signals(strategy: Strategy, bars: Sequence[DailyBar]) -> tuple[BoolArray, BoolArray]:
    """Entry and exit signals on each bar's close (the strategy must be valid)."""
    if isinstance(strategy, BuyAndHold):
        entry = np.zeros(len(bars), dtype=np.bool_)
        entry[:1] = True
        return entry, np.zeros(len(bars), dtype=np.bool_)
    evaluator = _Evaluator(bars)
    return (evaluator.rules(strategy.entry, "strategy.entry"),
            evaluator.rules(strategy.exit, "strategy.exit"))


# --- the engine --------------------------------------------------------------------

class SizingKind(Enum):
    ALL_IN = "all_in"
    FIXED_FRACTION = "fixed_fraction"


@dataclass(frozen=True)
class PositionSizing:
    kind: SizingKind = SizingKind.ALL_IN
    fraction: Decimal | None = None  # FIXED_FRACTION only: of equity, in (0, 1]


@dataclass(frozen=True)
class BacktestConfig:
    initial_capital: Decimal  # SAR
    commission_rate: Decimal = Decimal(0)  # fraction of traded value
    vat_rate: Decimal = Decimal(0)  # fraction of the commission
    slippage: Decimal = Decimal(0)  # fraction of the open, always against the trader
    sizing: PositionSizing = PositionSizing()


class Side(Enum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class Fill:
    day: date
    side: Side
    price: Decimal  # the open, slipped
    quantity: int
    commission: Decimal
    vat: Decimal

    @property
    def costs(self) -> Decimal:
        return self.commission + self.vat


@dataclass(frozen=True)
class Trade:
    entry: Fill
    exit: Fill | None  # None: still open after the last bar
    # After commission and VAT on both fills; an open trade's is unrealised, at the
    # last close with no exit costs.
    pnl: Decimal


@dataclass(frozen=True)
class EquityPoint:
    day: date
    equity: Decimal  # at the close


@dataclass(frozen=True)
class BacktestResult:
    trades: list[Trade]
    equity_curve: list[EquityPoint]
    final_equity: Decimal
    metrics: Metrics


ProgressCallback = Callable[[int, int], None]


def validate_config(config: BacktestConfig) -> None:
    problems = ViolationCollector()
    for name, value in (("initial_capital", config.initial_capital),
                        ("commission_rate", config.commission_rate),
                        ("vat_rate", config.vat_rate), ("slippage", config.slippage)):
        if not value.is_finite() or value < 0:
            problems.add(name, "must be a finite number, zero or more")
    if config.initial_capital.is_finite() and config.initial_capital <= 0:
        problems.add("initial_capital", "must be more than zero")
    if config.slippage.is_finite() and config.slippage >= 1:
        problems.add("slippage", "must be less than 1")
    fraction = config.sizing.fraction
    if config.sizing.kind is SizingKind.FIXED_FRACTION:
        if fraction is None or not fraction.is_finite() or not 0 < fraction <= 1:
            problems.add("sizing.fraction", "must be more than 0 and at most 1")
    elif fraction is not None:
        problems.add("sizing.fraction", "applies to FIXED_FRACTION sizing only")
    problems.raise_if_any()


def _validate_bars(bars: Sequence[DailyBar]) -> None:
    if not bars:
        raise InvalidArgumentError([FieldViolation("bars", "no bars in the range")])
    for i, (before, after) in enumerate(pairwise(bars), start=1):
        if after.day <= before.day:
            raise InvalidArgumentError([FieldViolation(
                f"bars[{i}]", "bars must be in strictly increasing date order")])



def run_backtest(bars: Sequence[DailyBar], strategy: Strategy, config: BacktestConfig, *,
                 progress: ProgressCallback | None = None) -> BacktestResult:
    """Backtest `strategy` on `bars` (one symbol, oldest first), as the module
    docstring describes. `progress(done, total)` is called after each bar.

    Raises InvalidArgumentError for a bad strategy, config or series.
    """
    validate_config(config)
    validate_strategy(strategy)
    _validate_bars(bars)
    entries, exits = signals(strategy, bars)
    with decimal.localcontext() as context:
        context.prec = 60
        context.traps[decimal.Inexact] = True
        trades, curve, bars_held = _simulate(bars, entries, exits, config, progress)
    # Outside the exact context: the metrics divide, and are floats anyway.
    metrics = compute_metrics(
        initial_capital=config.initial_capital, equity=[p.equity for p in curve],
        calendar_days=(bars[-1].day - bars[0].day).days,
        closed_trade_pnls=[trade.pnl for trade in trades if trade.exit is not None],
        bars_held=bars_held)
    return BacktestResult(trades, curve, curve[-1].equity, metrics)


def _simulate(bars: Sequence[DailyBar], entries: BoolArray, exits: BoolArray,
              config: BacktestConfig, progress: ProgressCallback | None,
              ) -> tuple[list[Trade], list[EquityPoint], int]:
    fee_rate = config.commission_rate * (1 + config.vat_rate)
    cash = config.initial_capital
    quantity = 0
    entry: Fill | None = None
    pending: Side | None = None
    trades: list[Trade] = []
    curve: list[EquityPoint] = []
    bars_held = 0

    def fill(day: date, side: Side, price: Decimal, size: int) -> Fill:
        commission = price * size * config.commission_rate
        return Fill(day, side, price, size, commission, commission * config.vat_rate)

    for t, bar in enumerate(bars):
        if pending is Side.BUY:
            price = price_from_float(bar.open) * (1 + config.slippage)
            budget = cash
            if config.sizing.kind is SizingKind.FIXED_FRACTION:
                assert config.sizing.fraction is not None  # validate_config saw to it
                budget = cash * config.sizing.fraction
            # Integer division of decimals is exact: the largest affordable quantity.
            size = int(budget // (price * (1 + fee_rate)))
            if size > 0:
                entry = fill(bar.day, Side.BUY, price, size)
                cash -= price * size + entry.costs
                quantity = size
        elif pending is Side.SELL:
            assert entry is not None
            price = price_from_float(bar.open) * (1 - config.slippage)
            exit_fill = fill(bar.day, Side.SELL, price, quantity)
            cash += price * quantity - exit_fill.costs
            trades.append(Trade(entry, exit_fill, (price - entry.price) * quantity
                                - entry.costs - exit_fill.costs))
            quantity, entry = 0, None
        pending = None

        close = price_from_float(bar.close)
        curve.append(EquityPoint(bar.day, cash + quantity * close))
        if quantity:
            bars_held += 1
            if exits[t]:
                pending = Side.SELL
        elif entries[t]:
            pending = Side.BUY
        if progress is not None:
            progress(t + 1, len(bars))

    if entry is not None:
        last_close = price_from_float(bars[-1].close)
        trades.append(Trade(entry, None, (last_close - entry.price) * quantity - entry.costs))
    return trades, curve, bars_held
