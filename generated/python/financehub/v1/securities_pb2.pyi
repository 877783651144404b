from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Market(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MARKET_UNSPECIFIED: _ClassVar[Market]
    MARKET_MAIN: _ClassVar[Market]
    MARKET_NOMU: _ClassVar[Market]

class SecurityType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SECURITY_TYPE_UNSPECIFIED: _ClassVar[SecurityType]
    SECURITY_TYPE_EQUITY: _ClassVar[SecurityType]
    SECURITY_TYPE_REIT: _ClassVar[SecurityType]
    SECURITY_TYPE_ETF: _ClassVar[SecurityType]

class DataOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATA_ORIGIN_UNSPECIFIED: _ClassVar[DataOrigin]
    DATA_ORIGIN_REAL: _ClassVar[DataOrigin]
    DATA_ORIGIN_SYNTHETIC: _ClassVar[DataOrigin]
MARKET_UNSPECIFIED: Market
MARKET_MAIN: Market
MARKET_NOMU: Market
SECURITY_TYPE_UNSPECIFIED: SecurityType
SECURITY_TYPE_EQUITY: SecurityType
SECURITY_TYPE_REIT: SecurityType
SECURITY_TYPE_ETF: SecurityType
DATA_ORIGIN_UNSPECIFIED: DataOrigin
DATA_ORIGIN_REAL: DataOrigin
DATA_ORIGIN_SYNTHETIC: DataOrigin

class Ticker(_message.Message):
    __slots__ = ("symbol", "name_en", "name_ar", "market", "security_type", "sector", "industry", "sector_ar", "currency", "has_price_history")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    NAME_EN_FIELD_NUMBER: _ClassVar[int]
    NAME_AR_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    SECURITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    SECTOR_AR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    HAS_PRICE_HISTORY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    name_en: str
    name_ar: str
    market: Market
    security_type: SecurityType
    sector: str
    industry: str
    sector_ar: str
    currency: str
    has_price_history: bool
    def __init__(self, symbol: _Optional[str] = ..., name_en: _Optional[str] = ..., name_ar: _Optional[str] = ..., market: _Optional[_Union[Market, str]] = ..., security_type: _Optional[_Union[SecurityType, str]] = ..., sector: _Optional[str] = ..., industry: _Optional[str] = ..., sector_ar: _Optional[str] = ..., currency: _Optional[str] = ..., has_price_history: _Optional[bool] = ...) -> None: ...
