import datetime

from financehub.options.v1 import options_pb2 as _options_pb2
from financehub.v1 import charts_pb2 as _charts_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.type import decimal_pb2 as _decimal_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PriceField(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRICE_FIELD_UNSPECIFIED: _ClassVar[PriceField]
    PRICE_FIELD_OPEN: _ClassVar[PriceField]
    PRICE_FIELD_HIGH: _ClassVar[PriceField]
    PRICE_FIELD_LOW: _ClassVar[PriceField]
    PRICE_FIELD_CLOSE: _ClassVar[PriceField]
    PRICE_FIELD_VOLUME: _ClassVar[PriceField]

class Comparator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPARATOR_UNSPECIFIED: _ClassVar[Comparator]
    COMPARATOR_LESS: _ClassVar[Comparator]
    COMPARATOR_LESS_OR_EQUAL: _ClassVar[Comparator]
    COMPARATOR_GREATER: _ClassVar[Comparator]
    COMPARATOR_GREATER_OR_EQUAL: _ClassVar[Comparator]
    COMPARATOR_CROSSES_ABOVE: _ClassVar[Comparator]
    COMPARATOR_CROSSES_BELOW: _ClassVar[Comparator]

class Join(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOIN_UNSPECIFIED: _ClassVar[Join]
    JOIN_AND: _ClassVar[Join]
    JOIN_OR: _ClassVar[Join]
PRICE_FIELD_UNSPECIFIED: PriceField
PRICE_FIELD_OPEN: PriceField
PRICE_FIELD_HIGH: PriceField
PRICE_FIELD_LOW: PriceField
PRICE_FIELD_CLOSE: PriceField
PRICE_FIELD_VOLUME: PriceField
COMPARATOR_UNSPECIFIED: Comparator
COMPARATOR_LESS: Comparator
COMPARATOR_LESS_OR_EQUAL: Comparator
COMPARATOR_GREATER: Comparator
COMPARATOR_GREATER_OR_EQUAL: Comparator
COMPARATOR_CROSSES_ABOVE: Comparator
COMPARATOR_CROSSES_BELOW: Comparator
JOIN_UNSPECIFIED: Join
JOIN_AND: Join
JOIN_OR: Join

class SmaCrossover(_message.Message):
    __slots__ = ("fast_period", "slow_period")
    FAST_PERIOD_FIELD_NUMBER: _ClassVar[int]
    SLOW_PERIOD_FIELD_NUMBER: _ClassVar[int]
    fast_period: int
    slow_period: int
    def __init__(self, fast_period: _Optional[int] = ..., slow_period: _Optional[int] = ...) -> None: ...

class RsiMeanReversion(_message.Message):
    __slots__ = ("period", "lower", "upper")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    LOWER_FIELD_NUMBER: _ClassVar[int]
    UPPER_FIELD_NUMBER: _ClassVar[int]
    period: int
    lower: float
    upper: float
    def __init__(self, period: _Optional[int] = ..., lower: _Optional[float] = ..., upper: _Optional[float] = ...) -> None: ...

class BollingerBreakout(_message.Message):
    __slots__ = ("period", "std_dev")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    STD_DEV_FIELD_NUMBER: _ClassVar[int]
    period: int
    std_dev: float
    def __init__(self, period: _Optional[int] = ..., std_dev: _Optional[float] = ...) -> None: ...

class BuyAndHold(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class IndicatorOperand(_message.Message):
    __slots__ = ("indicator", "line")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    indicator: _charts_pb2.IndicatorRequest
    line: str
    def __init__(self, indicator: _Optional[_Union[_charts_pb2.IndicatorRequest, _Mapping]] = ..., line: _Optional[str] = ...) -> None: ...

class Operand(_message.Message):
    __slots__ = ("price", "indicator", "constant")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    CONSTANT_FIELD_NUMBER: _ClassVar[int]
    price: PriceField
    indicator: IndicatorOperand
    constant: float
    def __init__(self, price: _Optional[_Union[PriceField, str]] = ..., indicator: _Optional[_Union[IndicatorOperand, _Mapping]] = ..., constant: _Optional[float] = ...) -> None: ...

class Condition(_message.Message):
    __slots__ = ("left", "comparator", "right")
    LEFT_FIELD_NUMBER: _ClassVar[int]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    left: Operand
    comparator: Comparator
    right: Operand
    def __init__(self, left: _Optional[_Union[Operand, _Mapping]] = ..., comparator: _Optional[_Union[Comparator, str]] = ..., right: _Optional[_Union[Operand, _Mapping]] = ...) -> None: ...

class RuleSet(_message.Message):
    __slots__ = ("conditions", "join")
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    JOIN_FIELD_NUMBER: _ClassVar[int]
    conditions: _containers.RepeatedCompositeFieldContainer[Condition]
    join: Join
    def __init__(self, conditions: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ..., join: _Optional[_Union[Join, str]] = ...) -> None: ...

class RuleStrategy(_message.Message):
    __slots__ = ("entry", "exit")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    EXIT_FIELD_NUMBER: _ClassVar[int]
    entry: RuleSet
    exit: RuleSet
    def __init__(self, entry: _Optional[_Union[RuleSet, _Mapping]] = ..., exit: _Optional[_Union[RuleSet, _Mapping]] = ...) -> None: ...

class Strategy(_message.Message):
    __slots__ = ("sma_crossover", "rsi_mean_reversion", "bollinger_breakout", "buy_and_hold", "rules")
    SMA_CROSSOVER_FIELD_NUMBER: _ClassVar[int]
    RSI_MEAN_REVERSION_FIELD_NUMBER: _ClassVar[int]
    BOLLINGER_BREAKOUT_FIELD_NUMBER: _ClassVar[int]
    BUY_AND_HOLD_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    sma_crossover: SmaCrossover
    rsi_mean_reversion: RsiMeanReversion
    bollinger_breakout: BollingerBreakout
    buy_and_hold: BuyAndHold
    rules: RuleStrategy
    def __init__(self, sma_crossover: _Optional[_Union[SmaCrossover, _Mapping]] = ..., rsi_mean_reversion: _Optional[_Union[RsiMeanReversion, _Mapping]] = ..., bollinger_breakout: _Optional[_Union[BollingerBreakout, _Mapping]] = ..., buy_and_hold: _Optional[_Union[BuyAndHold, _Mapping]] = ..., rules: _Optional[_Union[RuleStrategy, _Mapping]] = ...) -> None: ...

class PositionSizing(_message.Message):
    __slots__ = ("all_in", "fixed_fraction")
    ALL_IN_FIELD_NUMBER: _ClassVar[int]
    FIXED_FRACTION_FIELD_NUMBER: _ClassVar[int]
    all_in: bool
    fixed_fraction: _decimal_pb2.Decimal
    def __init__(self, all_in: _Optional[bool] = ..., fixed_fraction: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class RunBacktestRequest(_message.Message):
    __slots__ = ("symbol", "start_date", "end_date", "strategy", "initial_capital", "commission_rate", "vat_rate", "slippage_rate", "sizing")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    INITIAL_CAPITAL_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_RATE_FIELD_NUMBER: _ClassVar[int]
    VAT_RATE_FIELD_NUMBER: _ClassVar[int]
    SLIPPAGE_RATE_FIELD_NUMBER: _ClassVar[int]
    SIZING_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    strategy: Strategy
    initial_capital: _decimal_pb2.Decimal
    commission_rate: _decimal_pb2.Decimal
    vat_rate: _decimal_pb2.Decimal
    slippage_rate: _decimal_pb2.Decimal
    sizing: PositionSizing
    def __init__(self, symbol: _Optional[str] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., strategy: _Optional[_Union[Strategy, _Mapping]] = ..., initial_capital: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., commission_rate: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., vat_rate: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., slippage_rate: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., sizing: _Optional[_Union[PositionSizing, _Mapping]] = ...) -> None: ...

class BacktestProgress(_message.Message):
    __slots__ = ("bars_done", "bars_total")
    BARS_DONE_FIELD_NUMBER: _ClassVar[int]
    BARS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    bars_done: int
    bars_total: int
    def __init__(self, bars_done: _Optional[int] = ..., bars_total: _Optional[int] = ...) -> None: ...

class RunBacktestResponse(_message.Message):
    __slots__ = ("progress", "backtest")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    progress: BacktestProgress
    backtest: Backtest
    def __init__(self, progress: _Optional[_Union[BacktestProgress, _Mapping]] = ..., backtest: _Optional[_Union[Backtest, _Mapping]] = ...) -> None: ...

class BacktestTrade(_message.Message):
    __slots__ = ("entry_date", "entry_price", "quantity", "exit_date", "exit_price", "pnl", "commission", "vat")
    ENTRY_DATE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    EXIT_DATE_FIELD_NUMBER: _ClassVar[int]
    EXIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    PNL_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    VAT_FIELD_NUMBER: _ClassVar[int]
    entry_date: _date_pb2.Date
    entry_price: _decimal_pb2.Decimal
    quantity: int
    exit_date: _date_pb2.Date
    exit_price: _decimal_pb2.Decimal
    pnl: _decimal_pb2.Decimal
    commission: _decimal_pb2.Decimal
    vat: _decimal_pb2.Decimal
    def __init__(self, entry_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., entry_price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., quantity: _Optional[int] = ..., exit_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., exit_price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., pnl: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., commission: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., vat: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class EquityPoint(_message.Message):
    __slots__ = ("date", "equity")
    DATE_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    date: _date_pb2.Date
    equity: _decimal_pb2.Decimal
    def __init__(self, date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., equity: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class BacktestMetrics(_message.Message):
    __slots__ = ("final_equity", "total_return", "cagr", "annualized_volatility", "sharpe_ratio", "sortino_ratio", "max_drawdown", "win_rate", "exposure", "trade_count")
    FINAL_EQUITY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_FIELD_NUMBER: _ClassVar[int]
    CAGR_FIELD_NUMBER: _ClassVar[int]
    ANNUALIZED_VOLATILITY_FIELD_NUMBER: _ClassVar[int]
    SHARPE_RATIO_FIELD_NUMBER: _ClassVar[int]
    SORTINO_RATIO_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    WIN_RATE_FIELD_NUMBER: _ClassVar[int]
    EXPOSURE_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    final_equity: _decimal_pb2.Decimal
    total_return: float
    cagr: float
    annualized_volatility: float
    sharpe_ratio: float
    sortino_ratio: float
    max_drawdown: float
    win_rate: float
    exposure: float
    trade_count: int
    def __init__(self, final_equity: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., total_return: _Optional[float] = ..., cagr: _Optional[float] = ..., annualized_volatility: _Optional[float] = ..., sharpe_ratio: _Optional[float] = ..., sortino_ratio: _Optional[float] = ..., max_drawdown: _Optional[float] = ..., win_rate: _Optional[float] = ..., exposure: _Optional[float] = ..., trade_count: _Optional[int] = ...) -> None: ...

class Backtest(_message.Message):
    __slots__ = ("backtest_id", "request", "first_bar_date", "last_bar_date", "bar_count", "metrics", "trades", "equity_curve", "created_at")
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAR_DATE_FIELD_NUMBER: _ClassVar[int]
    LAST_BAR_DATE_FIELD_NUMBER: _ClassVar[int]
    BAR_COUNT_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    EQUITY_CURVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    request: RunBacktestRequest
    first_bar_date: _date_pb2.Date
    last_bar_date: _date_pb2.Date
    bar_count: int
    metrics: BacktestMetrics
    trades: _containers.RepeatedCompositeFieldContainer[BacktestTrade]
    equity_curve: _containers.RepeatedCompositeFieldContainer[EquityPoint]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, backtest_id: _Optional[str] = ..., request: _Optional[_Union[RunBacktestRequest, _Mapping]] = ..., first_bar_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., last_bar_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., bar_count: _Optional[int] = ..., metrics: _Optional[_Union[BacktestMetrics, _Mapping]] = ..., trades: _Optional[_Iterable[_Union[BacktestTrade, _Mapping]]] = ..., equity_curve: _Optional[_Iterable[_Union[EquityPoint, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetBacktestRequest(_message.Message):
    __slots__ = ("backtest_id",)
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    backtest_id: str
    def __init__(self, backtest_id: _Optional[str] = ...) -> None: ...

class GetBacktestResponse(_message.Message):
    __slots__ = ("backtest",)
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    backtest: Backtest
    def __init__(self, backtest: _Optional[_Union[Backtest, _Mapping]] = ...) -> None: ...

class ListBacktestsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "symbol")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    symbol: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class ListBacktestsResponse(_message.Message):
    __slots__ = ("backtests", "next_page_token")
    BACKTESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    backtests: _containers.RepeatedCompositeFieldContainer[Backtest]
    next_page_token: str
    def __init__(self, backtests: _Optional[_Iterable[_Union[Backtest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
