import datetime

from financehub.options.v1 import options_pb2 as _options_pb2
from financehub.v1 import securities_pb2 as _securities_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Interval(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTERVAL_UNSPECIFIED: _ClassVar[Interval]
    INTERVAL_DAY: _ClassVar[Interval]
    INTERVAL_WEEK: _ClassVar[Interval]
    INTERVAL_MONTH: _ClassVar[Interval]
    INTERVAL_MINUTE: _ClassVar[Interval]
    INTERVAL_FIVE_MINUTES: _ClassVar[Interval]
    INTERVAL_FIFTEEN_MINUTES: _ClassVar[Interval]
    INTERVAL_HOUR: _ClassVar[Interval]

class Adjustment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADJUSTMENT_UNSPECIFIED: _ClassVar[Adjustment]
    ADJUSTMENT_RAW: _ClassVar[Adjustment]
    ADJUSTMENT_SPLIT: _ClassVar[Adjustment]
    ADJUSTMENT_ALL: _ClassVar[Adjustment]

class Period(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERIOD_UNSPECIFIED: _ClassVar[Period]
    PERIOD_1M: _ClassVar[Period]
    PERIOD_3M: _ClassVar[Period]
    PERIOD_6M: _ClassVar[Period]
    PERIOD_1Y: _ClassVar[Period]
    PERIOD_5Y: _ClassVar[Period]
    PERIOD_MAX: _ClassVar[Period]

class IndicatorType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INDICATOR_TYPE_UNSPECIFIED: _ClassVar[IndicatorType]
    INDICATOR_TYPE_SMA: _ClassVar[IndicatorType]
    INDICATOR_TYPE_EMA: _ClassVar[IndicatorType]
    INDICATOR_TYPE_WMA: _ClassVar[IndicatorType]
    INDICATOR_TYPE_RSI: _ClassVar[IndicatorType]
    INDICATOR_TYPE_MACD: _ClassVar[IndicatorType]
    INDICATOR_TYPE_BBANDS: _ClassVar[IndicatorType]
    INDICATOR_TYPE_ATR: _ClassVar[IndicatorType]
    INDICATOR_TYPE_STOCH: _ClassVar[IndicatorType]
    INDICATOR_TYPE_OBV: _ClassVar[IndicatorType]
    INDICATOR_TYPE_VWAP: _ClassVar[IndicatorType]
INTERVAL_UNSPECIFIED: Interval
INTERVAL_DAY: Interval
INTERVAL_WEEK: Interval
INTERVAL_MONTH: Interval
INTERVAL_MINUTE: Interval
INTERVAL_FIVE_MINUTES: Interval
INTERVAL_FIFTEEN_MINUTES: Interval
INTERVAL_HOUR: Interval
ADJUSTMENT_UNSPECIFIED: Adjustment
ADJUSTMENT_RAW: Adjustment
ADJUSTMENT_SPLIT: Adjustment
ADJUSTMENT_ALL: Adjustment
PERIOD_UNSPECIFIED: Period
PERIOD_1M: Period
PERIOD_3M: Period
PERIOD_6M: Period
PERIOD_1Y: Period
PERIOD_5Y: Period
PERIOD_MAX: Period
INDICATOR_TYPE_UNSPECIFIED: IndicatorType
INDICATOR_TYPE_SMA: IndicatorType
INDICATOR_TYPE_EMA: IndicatorType
INDICATOR_TYPE_WMA: IndicatorType
INDICATOR_TYPE_RSI: IndicatorType
INDICATOR_TYPE_MACD: IndicatorType
INDICATOR_TYPE_BBANDS: IndicatorType
INDICATOR_TYPE_ATR: IndicatorType
INDICATOR_TYPE_STOCH: IndicatorType
INDICATOR_TYPE_OBV: IndicatorType
INDICATOR_TYPE_VWAP: IndicatorType

class GetBarsRequest(_message.Message):
    __slots__ = ("symbol", "interval", "period", "start_date", "end_date", "adjustment")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: Interval
    period: Period
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    adjustment: Adjustment
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[Interval, str]] = ..., period: _Optional[_Union[Period, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., adjustment: _Optional[_Union[Adjustment, str]] = ...) -> None: ...

class Bar(_message.Message):
    __slots__ = ("start_date", "end_date", "open", "high", "low", "close", "volume", "trading_days", "start_time", "synthetic")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TRADING_DAYS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_FIELD_NUMBER: _ClassVar[int]
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    open: float
    high: float
    low: float
    close: float
    volume: int
    trading_days: int
    start_time: _timestamp_pb2.Timestamp
    synthetic: bool
    def __init__(self, start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., open: _Optional[float] = ..., high: _Optional[float] = ..., low: _Optional[float] = ..., close: _Optional[float] = ..., volume: _Optional[int] = ..., trading_days: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., synthetic: _Optional[bool] = ...) -> None: ...

class GetBarsResponse(_message.Message):
    __slots__ = ("symbol", "interval", "start_date", "end_date", "bars", "data_origin", "provider", "adjustment", "adjustment_note")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_NOTE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: Interval
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    bars: _containers.RepeatedCompositeFieldContainer[Bar]
    data_origin: _securities_pb2.DataOrigin
    provider: str
    adjustment: Adjustment
    adjustment_note: str
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[Interval, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., bars: _Optional[_Iterable[_Union[Bar, _Mapping]]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ..., provider: _Optional[str] = ..., adjustment: _Optional[_Union[Adjustment, str]] = ..., adjustment_note: _Optional[str] = ...) -> None: ...

class IndicatorRequest(_message.Message):
    __slots__ = ("type", "period", "fast_period", "slow_period", "signal_period", "std_dev_up", "std_dev_down", "k_period", "k_slowing", "d_period")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    FAST_PERIOD_FIELD_NUMBER: _ClassVar[int]
    SLOW_PERIOD_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_PERIOD_FIELD_NUMBER: _ClassVar[int]
    STD_DEV_UP_FIELD_NUMBER: _ClassVar[int]
    STD_DEV_DOWN_FIELD_NUMBER: _ClassVar[int]
    K_PERIOD_FIELD_NUMBER: _ClassVar[int]
    K_SLOWING_FIELD_NUMBER: _ClassVar[int]
    D_PERIOD_FIELD_NUMBER: _ClassVar[int]
    type: IndicatorType
    period: int
    fast_period: int
    slow_period: int
    signal_period: int
    std_dev_up: float
    std_dev_down: float
    k_period: int
    k_slowing: int
    d_period: int
    def __init__(self, type: _Optional[_Union[IndicatorType, str]] = ..., period: _Optional[int] = ..., fast_period: _Optional[int] = ..., slow_period: _Optional[int] = ..., signal_period: _Optional[int] = ..., std_dev_up: _Optional[float] = ..., std_dev_down: _Optional[float] = ..., k_period: _Optional[int] = ..., k_slowing: _Optional[int] = ..., d_period: _Optional[int] = ...) -> None: ...

class GetIndicatorsRequest(_message.Message):
    __slots__ = ("symbol", "interval", "period", "start_date", "end_date", "adjustment", "indicators")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: Interval
    period: Period
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    adjustment: Adjustment
    indicators: _containers.RepeatedCompositeFieldContainer[IndicatorRequest]
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[Interval, str]] = ..., period: _Optional[_Union[Period, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., adjustment: _Optional[_Union[Adjustment, str]] = ..., indicators: _Optional[_Iterable[_Union[IndicatorRequest, _Mapping]]] = ...) -> None: ...

class IndicatorLine(_message.Message):
    __slots__ = ("name", "first_index", "values")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIRST_INDEX_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    name: str
    first_index: int
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, name: _Optional[str] = ..., first_index: _Optional[int] = ..., values: _Optional[_Iterable[float]] = ...) -> None: ...

class IndicatorSeries(_message.Message):
    __slots__ = ("indicator", "lines")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    indicator: IndicatorRequest
    lines: _containers.RepeatedCompositeFieldContainer[IndicatorLine]
    def __init__(self, indicator: _Optional[_Union[IndicatorRequest, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[IndicatorLine, _Mapping]]] = ...) -> None: ...

class GetIndicatorsResponse(_message.Message):
    __slots__ = ("symbol", "interval", "start_date", "end_date", "bars", "indicators")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: Interval
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    bars: _containers.RepeatedCompositeFieldContainer[Bar]
    indicators: _containers.RepeatedCompositeFieldContainer[IndicatorSeries]
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[Interval, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., bars: _Optional[_Iterable[_Union[Bar, _Mapping]]] = ..., indicators: _Optional[_Iterable[_Union[IndicatorSeries, _Mapping]]] = ...) -> None: ...
