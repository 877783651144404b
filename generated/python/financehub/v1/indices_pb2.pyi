from financehub.options.v1 import options_pb2 as _options_pb2
from financehub.v1 import charts_pb2 as _charts_pb2
from financehub.v1 import securities_pb2 as _securities_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IndexSummary(_message.Message):
    __slots__ = ("code", "name_en", "level", "change", "change_percent", "as_of", "data_origin")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    code: str
    name_en: str
    level: float
    change: float
    change_percent: float
    as_of: _date_pb2.Date
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, code: _Optional[str] = ..., name_en: _Optional[str] = ..., level: _Optional[float] = ..., change: _Optional[float] = ..., change_percent: _Optional[float] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class IndexConstituent(_message.Message):
    __slots__ = ("symbol", "name_en", "weight_percent")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_PERCENT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    name_en: str
    weight_percent: float
    def __init__(self, symbol: _Optional[str] = ..., name_en: _Optional[str] = ..., weight_percent: _Optional[float] = ...) -> None: ...

class ListIndicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListIndicesResponse(_message.Message):
    __slots__ = ("indices",)
    INDICES_FIELD_NUMBER: _ClassVar[int]
    indices: _containers.RepeatedCompositeFieldContainer[IndexSummary]
    def __init__(self, indices: _Optional[_Iterable[_Union[IndexSummary, _Mapping]]] = ...) -> None: ...

class GetIndexRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetIndexResponse(_message.Message):
    __slots__ = ("index", "constituents", "constituents_origin", "constituents_method")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CONSTITUENTS_FIELD_NUMBER: _ClassVar[int]
    CONSTITUENTS_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CONSTITUENTS_METHOD_FIELD_NUMBER: _ClassVar[int]
    index: IndexSummary
    constituents: _containers.RepeatedCompositeFieldContainer[IndexConstituent]
    constituents_origin: _securities_pb2.DataOrigin
    constituents_method: str
    def __init__(self, index: _Optional[_Union[IndexSummary, _Mapping]] = ..., constituents: _Optional[_Iterable[_Union[IndexConstituent, _Mapping]]] = ..., constituents_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ..., constituents_method: _Optional[str] = ...) -> None: ...

class GetIndexBarsRequest(_message.Message):
    __slots__ = ("code", "interval", "period", "start_date", "end_date")
    CODE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    code: str
    interval: _charts_pb2.Interval
    period: _charts_pb2.Period
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    def __init__(self, code: _Optional[str] = ..., interval: _Optional[_Union[_charts_pb2.Interval, str]] = ..., period: _Optional[_Union[_charts_pb2.Period, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class GetIndexBarsResponse(_message.Message):
    __slots__ = ("code", "interval", "start_date", "end_date", "bars", "data_origin", "provider")
    CODE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    code: str
    interval: _charts_pb2.Interval
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    bars: _containers.RepeatedCompositeFieldContainer[_charts_pb2.Bar]
    data_origin: _securities_pb2.DataOrigin
    provider: str
    def __init__(self, code: _Optional[str] = ..., interval: _Optional[_Union[_charts_pb2.Interval, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., bars: _Optional[_Iterable[_Union[_charts_pb2.Bar, _Mapping]]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ..., provider: _Optional[str] = ...) -> None: ...
