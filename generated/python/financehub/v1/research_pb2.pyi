from financehub.options.v1 import options_pb2 as _options_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.type import date_pb2 as _date_pb2
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
CORPORATE_ACTION_TYPE_UNSPECIFIED: CorporateActionType
CORPORATE_ACTION_TYPE_CASH_DIVIDEND: CorporateActionType
CORPORATE_ACTION_TYPE_BONUS_SHARES: CorporateActionType
CORPORATE_ACTION_TYPE_SPLIT: CorporateActionType
CORPORATE_ACTION_TYPE_RIGHTS_ISSUE: CorporateActionType
CORPORATE_ACTION_TYPE_CAPITAL_REDUCTION: CorporateActionType
CORPORATE_ACTION_TYPE_OTHER: CorporateActionType

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
    __slots__ = ("next_page_token",)
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    def __init__(self, next_page_token: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("next_page_token",)
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    def __init__(self, next_page_token: _Optional[str] = ...) -> None: ...

class GetConsensusRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetConsensusResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

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
    __slots__ = ("next_page_token",)
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    def __init__(self, next_page_token: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("next_page_token",)
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    def __init__(self, next_page_token: _Optional[str] = ...) -> None: ...
