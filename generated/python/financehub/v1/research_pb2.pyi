import datetime

from financehub.options.v1 import options_pb2 as _options_pb2
from google.api import annotations_pb2 as _annotations_pb2
from financehub.v1 import securities_pb2 as _securities_pb2
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

class CorporateActionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CORPORATE_ACTION_TYPE_UNSPECIFIED: _ClassVar[CorporateActionType]
    CORPORATE_ACTION_TYPE_CASH_DIVIDEND: _ClassVar[CorporateActionType]
    CORPORATE_ACTION_TYPE_BONUS_SHARES: _ClassVar[CorporateActionType]
    CORPORATE_ACTION_TYPE_SPLIT: _ClassVar[CorporateActionType]
    CORPORATE_ACTION_TYPE_RIGHTS_ISSUE: _ClassVar[CorporateActionType]
    CORPORATE_ACTION_TYPE_CAPITAL_REDUCTION: _ClassVar[CorporateActionType]
    CORPORATE_ACTION_TYPE_OTHER: _ClassVar[CorporateActionType]

class Recommendation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECOMMENDATION_UNSPECIFIED: _ClassVar[Recommendation]
    RECOMMENDATION_BUY: _ClassVar[Recommendation]
    RECOMMENDATION_HOLD: _ClassVar[Recommendation]
    RECOMMENDATION_SELL: _ClassVar[Recommendation]

class InsiderRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSIDER_ROLE_UNSPECIFIED: _ClassVar[InsiderRole]
    INSIDER_ROLE_BOARD_MEMBER: _ClassVar[InsiderRole]
    INSIDER_ROLE_CEO: _ClassVar[InsiderRole]
    INSIDER_ROLE_CFO: _ClassVar[InsiderRole]
    INSIDER_ROLE_MAJOR_SHAREHOLDER: _ClassVar[InsiderRole]

class AnnouncementCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANNOUNCEMENT_CATEGORY_UNSPECIFIED: _ClassVar[AnnouncementCategory]
    ANNOUNCEMENT_CATEGORY_FINANCIAL_RESULTS: _ClassVar[AnnouncementCategory]
    ANNOUNCEMENT_CATEGORY_BOARD_RECOMMENDATION: _ClassVar[AnnouncementCategory]
    ANNOUNCEMENT_CATEGORY_AGM_INVITATION: _ClassVar[AnnouncementCategory]
CORPORATE_ACTION_TYPE_UNSPECIFIED: CorporateActionType
CORPORATE_ACTION_TYPE_CASH_DIVIDEND: CorporateActionType
CORPORATE_ACTION_TYPE_BONUS_SHARES: CorporateActionType
CORPORATE_ACTION_TYPE_SPLIT: CorporateActionType
CORPORATE_ACTION_TYPE_RIGHTS_ISSUE: CorporateActionType
CORPORATE_ACTION_TYPE_CAPITAL_REDUCTION: CorporateActionType
CORPORATE_ACTION_TYPE_OTHER: CorporateActionType
RECOMMENDATION_UNSPECIFIED: Recommendation
RECOMMENDATION_BUY: Recommendation
RECOMMENDATION_HOLD: Recommendation
RECOMMENDATION_SELL: Recommendation
INSIDER_ROLE_UNSPECIFIED: InsiderRole
INSIDER_ROLE_BOARD_MEMBER: InsiderRole
INSIDER_ROLE_CEO: InsiderRole
INSIDER_ROLE_CFO: InsiderRole
INSIDER_ROLE_MAJOR_SHAREHOLDER: InsiderRole
ANNOUNCEMENT_CATEGORY_UNSPECIFIED: AnnouncementCategory
ANNOUNCEMENT_CATEGORY_FINANCIAL_RESULTS: AnnouncementCategory
ANNOUNCEMENT_CATEGORY_BOARD_RECOMMENDATION: AnnouncementCategory
ANNOUNCEMENT_CATEGORY_AGM_INVITATION: AnnouncementCategory

class CorporateAction(_message.Message):
    __slots__ = ("symbol", "type", "type_ar", "announcement_date", "ex_date", "record_date", "payment_date", "description")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_AR_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCEMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    EX_DATE_FIELD_NUMBER: _ClassVar[int]
    RECORD_DATE_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    type: CorporateActionType
    type_ar: str
    announcement_date: _date_pb2.Date
    ex_date: _date_pb2.Date
    record_date: _date_pb2.Date
    payment_date: _date_pb2.Date
    description: str
    def __init__(self, symbol: _Optional[str] = ..., type: _Optional[_Union[CorporateActionType, str]] = ..., type_ar: _Optional[str] = ..., announcement_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., ex_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., record_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., payment_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class ListCorporateActionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "symbol", "types", "start_date", "end_date")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    symbol: str
    types: _containers.RepeatedScalarFieldContainer[CorporateActionType]
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., symbol: _Optional[str] = ..., types: _Optional[_Iterable[_Union[CorporateActionType, str]]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListCorporateActionsResponse(_message.Message):
    __slots__ = ("corporate_actions", "next_page_token")
    CORPORATE_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    corporate_actions: _containers.RepeatedCompositeFieldContainer[CorporateAction]
    next_page_token: str
    def __init__(self, corporate_actions: _Optional[_Iterable[_Union[CorporateAction, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NewsItem(_message.Message):
    __slots__ = ("symbol", "headline", "published_at", "sentiment_label", "data_origin", "sentiment_scores", "sentiment_engine")
    class SentimentScoresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    HEADLINE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_LABEL_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_SCORES_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_ENGINE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    headline: str
    published_at: _timestamp_pb2.Timestamp
    sentiment_label: str
    data_origin: _securities_pb2.DataOrigin
    sentiment_scores: _containers.ScalarMap[str, float]
    sentiment_engine: str
    def __init__(self, symbol: _Optional[str] = ..., headline: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sentiment_label: _Optional[str] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ..., sentiment_scores: _Optional[_Mapping[str, float]] = ..., sentiment_engine: _Optional[str] = ...) -> None: ...

class ListNewsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "symbol", "sector", "start_date", "end_date")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    symbol: str
    sector: str
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., symbol: _Optional[str] = ..., sector: _Optional[str] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListNewsResponse(_message.Message):
    __slots__ = ("news", "next_page_token")
    NEWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    news: _containers.RepeatedCompositeFieldContainer[NewsItem]
    next_page_token: str
    def __init__(self, news: _Optional[_Iterable[_Union[NewsItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AnalystRating(_message.Message):
    __slots__ = ("broker", "recommendation", "target_price", "rating_date")
    BROKER_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATION_FIELD_NUMBER: _ClassVar[int]
    TARGET_PRICE_FIELD_NUMBER: _ClassVar[int]
    RATING_DATE_FIELD_NUMBER: _ClassVar[int]
    broker: str
    recommendation: Recommendation
    target_price: _decimal_pb2.Decimal
    rating_date: _date_pb2.Date
    def __init__(self, broker: _Optional[str] = ..., recommendation: _Optional[_Union[Recommendation, str]] = ..., target_price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., rating_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ListAnalystRatingsRequest(_message.Message):
    __slots__ = ("symbol", "page_size", "page_token")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    page_size: int
    page_token: str
    def __init__(self, symbol: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAnalystRatingsResponse(_message.Message):
    __slots__ = ("ratings", "next_page_token", "data_origin")
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ratings: _containers.RepeatedCompositeFieldContainer[AnalystRating]
    next_page_token: str
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, ratings: _Optional[_Iterable[_Union[AnalystRating, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class GetConsensusRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetConsensusResponse(_message.Message):
    __slots__ = ("symbol", "buy_count", "hold_count", "sell_count", "mean_target", "high_target", "low_target", "upside", "price", "data_origin")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BUY_COUNT_FIELD_NUMBER: _ClassVar[int]
    HOLD_COUNT_FIELD_NUMBER: _ClassVar[int]
    SELL_COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_TARGET_FIELD_NUMBER: _ClassVar[int]
    HIGH_TARGET_FIELD_NUMBER: _ClassVar[int]
    LOW_TARGET_FIELD_NUMBER: _ClassVar[int]
    UPSIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    buy_count: int
    hold_count: int
    sell_count: int
    mean_target: _decimal_pb2.Decimal
    high_target: _decimal_pb2.Decimal
    low_target: _decimal_pb2.Decimal
    upside: _decimal_pb2.Decimal
    price: _decimal_pb2.Decimal
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, symbol: _Optional[str] = ..., buy_count: _Optional[int] = ..., hold_count: _Optional[int] = ..., sell_count: _Optional[int] = ..., mean_target: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., high_target: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., low_target: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., upside: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class InsiderTransaction(_message.Message):
    __slots__ = ("role", "side", "trade_date", "shares", "price", "value")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TRADE_DATE_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    role: InsiderRole
    side: str
    trade_date: _date_pb2.Date
    shares: int
    price: _decimal_pb2.Decimal
    value: _decimal_pb2.Decimal
    def __init__(self, role: _Optional[_Union[InsiderRole, str]] = ..., side: _Optional[str] = ..., trade_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., shares: _Optional[int] = ..., price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., value: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class ListInsiderTransactionsRequest(_message.Message):
    __slots__ = ("symbol", "page_size", "page_token")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    page_size: int
    page_token: str
    def __init__(self, symbol: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInsiderTransactionsResponse(_message.Message):
    __slots__ = ("transactions", "next_page_token", "data_origin")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[InsiderTransaction]
    next_page_token: str
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, transactions: _Optional[_Iterable[_Union[InsiderTransaction, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class Announcement(_message.Message):
    __slots__ = ("symbol", "published_on", "category", "title")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_ON_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    published_on: _date_pb2.Date
    category: AnnouncementCategory
    title: str
    def __init__(self, symbol: _Optional[str] = ..., published_on: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., category: _Optional[_Union[AnnouncementCategory, str]] = ..., title: _Optional[str] = ...) -> None: ...

class ListAnnouncementsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "symbol")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    symbol: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class ListAnnouncementsResponse(_message.Message):
    __slots__ = ("announcements", "next_page_token", "data_origin")
    ANNOUNCEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    announcements: _containers.RepeatedCompositeFieldContainer[Announcement]
    next_page_token: str
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, announcements: _Optional[_Iterable[_Union[Announcement, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...
