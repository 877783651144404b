from financehub.options.v1 import options_pb2 as _options_pb2
from financehub.v1 import securities_pb2 as _securities_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
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

class Period(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERIOD_UNSPECIFIED: _ClassVar[Period]
    PERIOD_1M: _ClassVar[Period]
    PERIOD_3M: _ClassVar[Period]
    PERIOD_6M: _ClassVar[Period]
    PERIOD_1Y: _ClassVar[Period]
    PERIOD_5Y: _ClassVar[Period]
    PERIOD_MAX: _ClassVar[Period]
INTERVAL_UNSPECIFIED: Interval
INTERVAL_DAY: Interval
INTERVAL_WEEK: Interval
INTERVAL_MONTH: Interval
PERIOD_UNSPECIFIED: Period
PERIOD_1M: Period
PERIOD_3M: Period
PERIOD_6M: Period
PERIOD_1Y: Period
PERIOD_5Y: Period
PERIOD_MAX: Period

class GetBarsRequest(_message.Message):
    __slots__ = ("symbol", "interval", "period", "start_date", "end_date")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: Interval
    period: Period
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[Interval, str]] = ..., period: _Optional[_Union[Period, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class Bar(_message.Message):
    __slots__ = ("start_date", "end_date", "open", "high", "low", "close", "volume", "trading_days")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TRADING_DAYS_FIELD_NUMBER: _ClassVar[int]
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    open: float
    high: float
    low: float
    close: float
    volume: int
    trading_days: int
    def __init__(self, start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., open: _Optional[float] = ..., high: _Optional[float] = ..., low: _Optional[float] = ..., close: _Optional[float] = ..., volume: _Optional[int] = ..., trading_days: _Optional[int] = ...) -> None: ...

class GetBarsResponse(_message.Message):
    __slots__ = ("symbol", "interval", "start_date", "end_date", "bars", "data_origin", "provider")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: Interval
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    bars: _containers.RepeatedCompositeFieldContainer[Bar]
    data_origin: _securities_pb2.DataOrigin
    provider: str
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[_Union[Interval, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., bars: _Optional[_Iterable[_Union[Bar, _Mapping]]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ..., provider: _Optional[str] = ...) -> None: ...
