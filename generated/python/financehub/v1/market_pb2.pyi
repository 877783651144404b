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

class MoverCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MOVER_CATEGORY_UNSPECIFIED: _ClassVar[MoverCategory]
    MOVER_CATEGORY_GAINERS: _ClassVar[MoverCategory]
    MOVER_CATEGORY_LOSERS: _ClassVar[MoverCategory]
    MOVER_CATEGORY_MOST_ACTIVE_BY_VOLUME: _ClassVar[MoverCategory]
    MOVER_CATEGORY_MOST_ACTIVE_BY_VALUE: _ClassVar[MoverCategory]

class MarketSession(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MARKET_SESSION_UNSPECIFIED: _ClassVar[MarketSession]
    MARKET_SESSION_PRE_OPEN: _ClassVar[MarketSession]
    MARKET_SESSION_CONTINUOUS: _ClassVar[MarketSession]
    MARKET_SESSION_CLOSING_AUCTION: _ClassVar[MarketSession]
    MARKET_SESSION_TRADE_AT_LAST: _ClassVar[MarketSession]
    MARKET_SESSION_CLOSED: _ClassVar[MarketSession]
    MARKET_SESSION_HOLIDAY: _ClassVar[MarketSession]

class ScreenSortKey(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCREEN_SORT_KEY_UNSPECIFIED: _ClassVar[ScreenSortKey]
    SCREEN_SORT_KEY_SYMBOL: _ClassVar[ScreenSortKey]
    SCREEN_SORT_KEY_PRICE: _ClassVar[ScreenSortKey]
    SCREEN_SORT_KEY_CHANGE_PERCENT: _ClassVar[ScreenSortKey]
    SCREEN_SORT_KEY_VOLUME: _ClassVar[ScreenSortKey]
    SCREEN_SORT_KEY_TURNOVER: _ClassVar[ScreenSortKey]
    SCREEN_SORT_KEY_MARKET_CAP: _ClassVar[ScreenSortKey]
    SCREEN_SORT_KEY_PE_RATIO: _ClassVar[ScreenSortKey]
MOVER_CATEGORY_UNSPECIFIED: MoverCategory
MOVER_CATEGORY_GAINERS: MoverCategory
MOVER_CATEGORY_LOSERS: MoverCategory
MOVER_CATEGORY_MOST_ACTIVE_BY_VOLUME: MoverCategory
MOVER_CATEGORY_MOST_ACTIVE_BY_VALUE: MoverCategory
MARKET_SESSION_UNSPECIFIED: MarketSession
MARKET_SESSION_PRE_OPEN: MarketSession
MARKET_SESSION_CONTINUOUS: MarketSession
MARKET_SESSION_CLOSING_AUCTION: MarketSession
MARKET_SESSION_TRADE_AT_LAST: MarketSession
MARKET_SESSION_CLOSED: MarketSession
MARKET_SESSION_HOLIDAY: MarketSession
SCREEN_SORT_KEY_UNSPECIFIED: ScreenSortKey
SCREEN_SORT_KEY_SYMBOL: ScreenSortKey
SCREEN_SORT_KEY_PRICE: ScreenSortKey
SCREEN_SORT_KEY_CHANGE_PERCENT: ScreenSortKey
SCREEN_SORT_KEY_VOLUME: ScreenSortKey
SCREEN_SORT_KEY_TURNOVER: ScreenSortKey
SCREEN_SORT_KEY_MARKET_CAP: ScreenSortKey
SCREEN_SORT_KEY_PE_RATIO: ScreenSortKey

class ListTickersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "market", "sector", "industry_group")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_GROUP_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    market: _securities_pb2.Market
    sector: str
    industry_group: _securities_pb2.IndustryGroup
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., market: _Optional[_Union[_securities_pb2.Market, str]] = ..., sector: _Optional[str] = ..., industry_group: _Optional[_Union[_securities_pb2.IndustryGroup, str]] = ...) -> None: ...

class ListTickersResponse(_message.Message):
    __slots__ = ("tickers", "next_page_token", "total_size")
    TICKERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    tickers: _containers.RepeatedCompositeFieldContainer[_securities_pb2.Ticker]
    next_page_token: str
    total_size: int
    def __init__(self, tickers: _Optional[_Iterable[_Union[_securities_pb2.Ticker, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetTickerRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetTickerResponse(_message.Message):
    __slots__ = ("ticker",)
    TICKER_FIELD_NUMBER: _ClassVar[int]
    ticker: _securities_pb2.Ticker
    def __init__(self, ticker: _Optional[_Union[_securities_pb2.Ticker, _Mapping]] = ...) -> None: ...

class GetMarketSummaryRequest(_message.Message):
    __slots__ = ("market",)
    MARKET_FIELD_NUMBER: _ClassVar[int]
    market: _securities_pb2.Market
    def __init__(self, market: _Optional[_Union[_securities_pb2.Market, str]] = ...) -> None: ...

class GetMarketSummaryResponse(_message.Message):
    __slots__ = ("trading_day", "advancers", "decliners", "unchanged", "volume", "turnover", "tasi_level", "tasi_change", "tasi_change_percent", "tasi_as_of", "data_origin")
    TRADING_DAY_FIELD_NUMBER: _ClassVar[int]
    ADVANCERS_FIELD_NUMBER: _ClassVar[int]
    DECLINERS_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    TASI_LEVEL_FIELD_NUMBER: _ClassVar[int]
    TASI_CHANGE_FIELD_NUMBER: _ClassVar[int]
    TASI_CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    TASI_AS_OF_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    trading_day: _date_pb2.Date
    advancers: int
    decliners: int
    unchanged: int
    volume: int
    turnover: float
    tasi_level: float
    tasi_change: float
    tasi_change_percent: float
    tasi_as_of: _date_pb2.Date
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, trading_day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., advancers: _Optional[int] = ..., decliners: _Optional[int] = ..., unchanged: _Optional[int] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ..., tasi_level: _Optional[float] = ..., tasi_change: _Optional[float] = ..., tasi_change_percent: _Optional[float] = ..., tasi_as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class ListTopMoversRequest(_message.Message):
    __slots__ = ("category", "market", "limit")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    category: MoverCategory
    market: _securities_pb2.Market
    limit: int
    def __init__(self, category: _Optional[_Union[MoverCategory, str]] = ..., market: _Optional[_Union[_securities_pb2.Market, str]] = ..., limit: _Optional[int] = ...) -> None: ...

class Mover(_message.Message):
    __slots__ = ("symbol", "name_en", "close", "previous_close", "change_percent", "volume", "turnover", "data_origin")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_CLOSE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    name_en: str
    close: float
    previous_close: float
    change_percent: float
    volume: int
    turnover: float
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, symbol: _Optional[str] = ..., name_en: _Optional[str] = ..., close: _Optional[float] = ..., previous_close: _Optional[float] = ..., change_percent: _Optional[float] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class ListTopMoversResponse(_message.Message):
    __slots__ = ("trading_day", "category", "movers")
    TRADING_DAY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    MOVERS_FIELD_NUMBER: _ClassVar[int]
    trading_day: _date_pb2.Date
    category: MoverCategory
    movers: _containers.RepeatedCompositeFieldContainer[Mover]
    def __init__(self, trading_day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., category: _Optional[_Union[MoverCategory, str]] = ..., movers: _Optional[_Iterable[_Union[Mover, _Mapping]]] = ...) -> None: ...

class ListSectorPerformanceRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SectorPerformance(_message.Message):
    __slots__ = ("industry_group", "change_percent", "advancers", "decliners", "unchanged", "volume", "turnover")
    INDUSTRY_GROUP_FIELD_NUMBER: _ClassVar[int]
    CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    ADVANCERS_FIELD_NUMBER: _ClassVar[int]
    DECLINERS_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    industry_group: _securities_pb2.IndustryGroup
    change_percent: float
    advancers: int
    decliners: int
    unchanged: int
    volume: int
    turnover: float
    def __init__(self, industry_group: _Optional[_Union[_securities_pb2.IndustryGroup, str]] = ..., change_percent: _Optional[float] = ..., advancers: _Optional[int] = ..., decliners: _Optional[int] = ..., unchanged: _Optional[int] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ...) -> None: ...

class ListSectorPerformanceResponse(_message.Message):
    __slots__ = ("trading_day", "sectors")
    TRADING_DAY_FIELD_NUMBER: _ClassVar[int]
    SECTORS_FIELD_NUMBER: _ClassVar[int]
    trading_day: _date_pb2.Date
    sectors: _containers.RepeatedCompositeFieldContainer[SectorPerformance]
    def __init__(self, trading_day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., sectors: _Optional[_Iterable[_Union[SectorPerformance, _Mapping]]] = ...) -> None: ...

class GetMarketStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetMarketStatusResponse(_message.Message):
    __slots__ = ("session", "trading_day", "next_open_time", "next_close_time", "server_time", "holiday")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    TRADING_DAY_FIELD_NUMBER: _ClassVar[int]
    NEXT_OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    HOLIDAY_FIELD_NUMBER: _ClassVar[int]
    session: MarketSession
    trading_day: _date_pb2.Date
    next_open_time: _timestamp_pb2.Timestamp
    next_close_time: _timestamp_pb2.Timestamp
    server_time: _timestamp_pb2.Timestamp
    holiday: str
    def __init__(self, session: _Optional[_Union[MarketSession, str]] = ..., trading_day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., next_open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., holiday: _Optional[str] = ...) -> None: ...

class ListTradingDaysRequest(_message.Message):
    __slots__ = ("start_date", "end_date")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    def __init__(self, start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class Holiday(_message.Message):
    __slots__ = ("date", "name")
    DATE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    date: _date_pb2.Date
    name: str
    def __init__(self, date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class ListTradingDaysResponse(_message.Message):
    __slots__ = ("trading_days", "holidays")
    TRADING_DAYS_FIELD_NUMBER: _ClassVar[int]
    HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    trading_days: _containers.RepeatedCompositeFieldContainer[_date_pb2.Date]
    holidays: _containers.RepeatedCompositeFieldContainer[Holiday]
    def __init__(self, trading_days: _Optional[_Iterable[_Union[_date_pb2.Date, _Mapping]]] = ..., holidays: _Optional[_Iterable[_Union[Holiday, _Mapping]]] = ...) -> None: ...

class NumericRange(_message.Message):
    __slots__ = ("min", "max")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    min: float
    max: float
    def __init__(self, min: _Optional[float] = ..., max: _Optional[float] = ...) -> None: ...

class ScreenSecuritiesRequest(_message.Message):
    __slots__ = ("market", "industry_groups", "price", "change_percent", "volume", "turnover", "market_cap", "pe_ratio", "sort_by", "descending", "page_size", "page_token")
    MARKET_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    MARKET_CAP_FIELD_NUMBER: _ClassVar[int]
    PE_RATIO_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    DESCENDING_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    market: _securities_pb2.Market
    industry_groups: _containers.RepeatedScalarFieldContainer[_securities_pb2.IndustryGroup]
    price: NumericRange
    change_percent: NumericRange
    volume: NumericRange
    turnover: NumericRange
    market_cap: NumericRange
    pe_ratio: NumericRange
    sort_by: ScreenSortKey
    descending: bool
    page_size: int
    page_token: str
    def __init__(self, market: _Optional[_Union[_securities_pb2.Market, str]] = ..., industry_groups: _Optional[_Iterable[_Union[_securities_pb2.IndustryGroup, str]]] = ..., price: _Optional[_Union[NumericRange, _Mapping]] = ..., change_percent: _Optional[_Union[NumericRange, _Mapping]] = ..., volume: _Optional[_Union[NumericRange, _Mapping]] = ..., turnover: _Optional[_Union[NumericRange, _Mapping]] = ..., market_cap: _Optional[_Union[NumericRange, _Mapping]] = ..., pe_ratio: _Optional[_Union[NumericRange, _Mapping]] = ..., sort_by: _Optional[_Union[ScreenSortKey, str]] = ..., descending: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ScreenedSecurity(_message.Message):
    __slots__ = ("symbol", "name_en", "market", "industry_group", "price", "change_percent", "volume", "turnover", "market_cap", "has_market_cap", "pe_ratio", "has_pe_ratio", "data_origin")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_GROUP_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    MARKET_CAP_FIELD_NUMBER: _ClassVar[int]
    HAS_MARKET_CAP_FIELD_NUMBER: _ClassVar[int]
    PE_RATIO_FIELD_NUMBER: _ClassVar[int]
    HAS_PE_RATIO_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    name_en: str
    market: _securities_pb2.Market
    industry_group: _securities_pb2.IndustryGroup
    price: float
    change_percent: float
    volume: int
    turnover: float
    market_cap: float
    has_market_cap: bool
    pe_ratio: float
    has_pe_ratio: bool
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, symbol: _Optional[str] = ..., name_en: _Optional[str] = ..., market: _Optional[_Union[_securities_pb2.Market, str]] = ..., industry_group: _Optional[_Union[_securities_pb2.IndustryGroup, str]] = ..., price: _Optional[float] = ..., change_percent: _Optional[float] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ..., market_cap: _Optional[float] = ..., has_market_cap: _Optional[bool] = ..., pe_ratio: _Optional[float] = ..., has_pe_ratio: _Optional[bool] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class ScreenSecuritiesResponse(_message.Message):
    __slots__ = ("trading_day", "securities", "next_page_token", "total_size")
    TRADING_DAY_FIELD_NUMBER: _ClassVar[int]
    SECURITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    trading_day: _date_pb2.Date
    securities: _containers.RepeatedCompositeFieldContainer[ScreenedSecurity]
    next_page_token: str
    total_size: int
    def __init__(self, trading_day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., securities: _Optional[_Iterable[_Union[ScreenedSecurity, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...
