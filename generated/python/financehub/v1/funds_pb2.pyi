from financehub.options.v1 import options_pb2 as _options_pb2
from financehub.v1 import securities_pb2 as _securities_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.type import date_pb2 as _date_pb2
from google.type import decimal_pb2 as _decimal_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FundType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FUND_TYPE_UNSPECIFIED: _ClassVar[FundType]
    FUND_TYPE_EQUITY: _ClassVar[FundType]
    FUND_TYPE_MONEY_MARKET: _ClassVar[FundType]
    FUND_TYPE_FIXED_INCOME: _ClassVar[FundType]
    FUND_TYPE_REAL_ESTATE: _ClassVar[FundType]
    FUND_TYPE_MULTI_ASSET: _ClassVar[FundType]
    FUND_TYPE_INDEX: _ClassVar[FundType]
    FUND_TYPE_FUND_OF_FUNDS: _ClassVar[FundType]
    FUND_TYPE_COMMODITY: _ClassVar[FundType]

class ReturnPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETURN_PERIOD_UNSPECIFIED: _ClassVar[ReturnPeriod]
    RETURN_PERIOD_1M: _ClassVar[ReturnPeriod]
    RETURN_PERIOD_3M: _ClassVar[ReturnPeriod]
    RETURN_PERIOD_YTD: _ClassVar[ReturnPeriod]
    RETURN_PERIOD_1Y: _ClassVar[ReturnPeriod]
    RETURN_PERIOD_3Y: _ClassVar[ReturnPeriod]
    RETURN_PERIOD_5Y: _ClassVar[ReturnPeriod]
FUND_TYPE_UNSPECIFIED: FundType
FUND_TYPE_EQUITY: FundType
FUND_TYPE_MONEY_MARKET: FundType
FUND_TYPE_FIXED_INCOME: FundType
FUND_TYPE_REAL_ESTATE: FundType
FUND_TYPE_MULTI_ASSET: FundType
FUND_TYPE_INDEX: FundType
FUND_TYPE_FUND_OF_FUNDS: FundType
FUND_TYPE_COMMODITY: FundType
RETURN_PERIOD_UNSPECIFIED: ReturnPeriod
RETURN_PERIOD_1M: ReturnPeriod
RETURN_PERIOD_3M: ReturnPeriod
RETURN_PERIOD_YTD: ReturnPeriod
RETURN_PERIOD_1Y: ReturnPeriod
RETURN_PERIOD_3Y: ReturnPeriod
RETURN_PERIOD_5Y: ReturnPeriod

class Fund(_message.Message):
    __slots__ = ("fund_id", "name_ar", "manager", "type", "currency", "latest_nav", "nav_date", "published_ytd_return_percent", "nav_history_origin")
    FUND_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_AR_FIELD_NUMBER: _ClassVar[int]
    MANAGER_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    LATEST_NAV_FIELD_NUMBER: _ClassVar[int]
    NAV_DATE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_YTD_RETURN_PERCENT_FIELD_NUMBER: _ClassVar[int]
    NAV_HISTORY_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    fund_id: str
    name_ar: str
    manager: str
    type: FundType
    currency: str
    latest_nav: _decimal_pb2.Decimal
    nav_date: _date_pb2.Date
    published_ytd_return_percent: float
    nav_history_origin: _securities_pb2.DataOrigin
    def __init__(self, fund_id: _Optional[str] = ..., name_ar: _Optional[str] = ..., manager: _Optional[str] = ..., type: _Optional[_Union[FundType, str]] = ..., currency: _Optional[str] = ..., latest_nav: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., nav_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., published_ytd_return_percent: _Optional[float] = ..., nav_history_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class ListFundsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "manager", "type", "currency")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MANAGER_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    manager: str
    type: FundType
    currency: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., manager: _Optional[str] = ..., type: _Optional[_Union[FundType, str]] = ..., currency: _Optional[str] = ...) -> None: ...

class ListFundsResponse(_message.Message):
    __slots__ = ("funds", "next_page_token", "total_size")
    FUNDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    funds: _containers.RepeatedCompositeFieldContainer[Fund]
    next_page_token: str
    total_size: int
    def __init__(self, funds: _Optional[_Iterable[_Union[Fund, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetFundRequest(_message.Message):
    __slots__ = ("fund_id",)
    FUND_ID_FIELD_NUMBER: _ClassVar[int]
    fund_id: str
    def __init__(self, fund_id: _Optional[str] = ...) -> None: ...

class GetFundResponse(_message.Message):
    __slots__ = ("fund",)
    FUND_FIELD_NUMBER: _ClassVar[int]
    fund: Fund
    def __init__(self, fund: _Optional[_Union[Fund, _Mapping]] = ...) -> None: ...

class NavPoint(_message.Message):
    __slots__ = ("date", "nav")
    DATE_FIELD_NUMBER: _ClassVar[int]
    NAV_FIELD_NUMBER: _ClassVar[int]
    date: _date_pb2.Date
    nav: _decimal_pb2.Decimal
    def __init__(self, date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., nav: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class GetNavHistoryRequest(_message.Message):
    __slots__ = ("fund_id", "start_date", "end_date")
    FUND_ID_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    fund_id: str
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    def __init__(self, fund_id: _Optional[str] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class GetNavHistoryResponse(_message.Message):
    __slots__ = ("fund_id", "points", "data_origin")
    FUND_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    fund_id: str
    points: _containers.RepeatedCompositeFieldContainer[NavPoint]
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, fund_id: _Optional[str] = ..., points: _Optional[_Iterable[_Union[NavPoint, _Mapping]]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class PeriodReturn(_message.Message):
    __slots__ = ("period", "total_return", "annualized_return")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_FIELD_NUMBER: _ClassVar[int]
    ANNUALIZED_RETURN_FIELD_NUMBER: _ClassVar[int]
    period: ReturnPeriod
    total_return: float
    annualized_return: float
    def __init__(self, period: _Optional[_Union[ReturnPeriod, str]] = ..., total_return: _Optional[float] = ..., annualized_return: _Optional[float] = ...) -> None: ...

class FundPerformance(_message.Message):
    __slots__ = ("fund_id", "as_of", "returns", "annualized_volatility", "sharpe_ratio", "risk_free_rate", "max_drawdown", "drawdown_peak_date", "drawdown_trough_date", "drawdown_recovery_date", "data_origin")
    FUND_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    ANNUALIZED_VOLATILITY_FIELD_NUMBER: _ClassVar[int]
    SHARPE_RATIO_FIELD_NUMBER: _ClassVar[int]
    RISK_FREE_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_PEAK_DATE_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_TROUGH_DATE_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_RECOVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    fund_id: str
    as_of: _date_pb2.Date
    returns: _containers.RepeatedCompositeFieldContainer[PeriodReturn]
    annualized_volatility: float
    sharpe_ratio: float
    risk_free_rate: float
    max_drawdown: float
    drawdown_peak_date: _date_pb2.Date
    drawdown_trough_date: _date_pb2.Date
    drawdown_recovery_date: _date_pb2.Date
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, fund_id: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., returns: _Optional[_Iterable[_Union[PeriodReturn, _Mapping]]] = ..., annualized_volatility: _Optional[float] = ..., sharpe_ratio: _Optional[float] = ..., risk_free_rate: _Optional[float] = ..., max_drawdown: _Optional[float] = ..., drawdown_peak_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., drawdown_trough_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., drawdown_recovery_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class GetFundPerformanceRequest(_message.Message):
    __slots__ = ("fund_id", "risk_free_rate")
    FUND_ID_FIELD_NUMBER: _ClassVar[int]
    RISK_FREE_RATE_FIELD_NUMBER: _ClassVar[int]
    fund_id: str
    risk_free_rate: float
    def __init__(self, fund_id: _Optional[str] = ..., risk_free_rate: _Optional[float] = ...) -> None: ...

class GetFundPerformanceResponse(_message.Message):
    __slots__ = ("fund", "performance")
    FUND_FIELD_NUMBER: _ClassVar[int]
    PERFORMANCE_FIELD_NUMBER: _ClassVar[int]
    fund: Fund
    performance: FundPerformance
    def __init__(self, fund: _Optional[_Union[Fund, _Mapping]] = ..., performance: _Optional[_Union[FundPerformance, _Mapping]] = ...) -> None: ...

class CompareFundsRequest(_message.Message):
    __slots__ = ("fund_ids", "risk_free_rate")
    FUND_IDS_FIELD_NUMBER: _ClassVar[int]
    RISK_FREE_RATE_FIELD_NUMBER: _ClassVar[int]
    fund_ids: _containers.RepeatedScalarFieldContainer[str]
    risk_free_rate: float
    def __init__(self, fund_ids: _Optional[_Iterable[str]] = ..., risk_free_rate: _Optional[float] = ...) -> None: ...

class CompareFundsResponse(_message.Message):
    __slots__ = ("funds",)
    FUNDS_FIELD_NUMBER: _ClassVar[int]
    funds: _containers.RepeatedCompositeFieldContainer[GetFundPerformanceResponse]
    def __init__(self, funds: _Optional[_Iterable[_Union[GetFundPerformanceResponse, _Mapping]]] = ...) -> None: ...
