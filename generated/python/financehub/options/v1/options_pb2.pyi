from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CacheCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CACHE_CATEGORY_UNSPECIFIED: _ClassVar[CacheCategory]
    CACHE_CATEGORY_TICKERS: _ClassVar[CacheCategory]
    CACHE_CATEGORY_OHLC: _ClassVar[CacheCategory]
    CACHE_CATEGORY_FINANCIALS: _ClassVar[CacheCategory]
    CACHE_CATEGORY_FUNDS: _ClassVar[CacheCategory]
    CACHE_CATEGORY_NEWS: _ClassVar[CacheCategory]
    CACHE_CATEGORY_AI_INSIGHTS: _ClassVar[CacheCategory]
CACHE_CATEGORY_UNSPECIFIED: CacheCategory
CACHE_CATEGORY_TICKERS: CacheCategory
CACHE_CATEGORY_OHLC: CacheCategory
CACHE_CATEGORY_FINANCIALS: CacheCategory
CACHE_CATEGORY_FUNDS: CacheCategory
CACHE_CATEGORY_NEWS: CacheCategory
CACHE_CATEGORY_AI_INSIGHTS: CacheCategory
METHOD_POLICY_FIELD_NUMBER: _ClassVar[int]
method_policy: _descriptor.FieldDescriptor

class MethodPolicy(_message.Message):
    __slots__ = ("permission", "public", "rate_limit_cost", "cache_category")
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_COST_FIELD_NUMBER: _ClassVar[int]
    CACHE_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    permission: str
    public: bool
    rate_limit_cost: int
    cache_category: CacheCategory
    def __init__(self, permission: _Optional[str] = ..., public: _Optional[bool] = ..., rate_limit_cost: _Optional[int] = ..., cache_category: _Optional[_Union[CacheCategory, str]] = ...) -> None: ...
