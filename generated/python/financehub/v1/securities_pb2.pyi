from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
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
    DATA_ORIGIN_MIXED: _ClassVar[DataOrigin]

class IndustryGroup(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INDUSTRY_GROUP_UNSPECIFIED: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_ENERGY: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_MATERIALS: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_CAPITAL_GOODS: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_COMMERCIAL_AND_PROFESSIONAL_SERVICES: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_TRANSPORTATION: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_CONSUMER_DURABLES_AND_APPAREL: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_CONSUMER_SERVICES: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_MEDIA_AND_ENTERTAINMENT: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_CONSUMER_DISCRETIONARY_DISTRIBUTION_AND_RETAIL: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_CONSUMER_STAPLES_DISTRIBUTION_AND_RETAIL: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_FOOD_AND_BEVERAGES: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_HOUSEHOLD_AND_PERSONAL_PRODUCTS: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_HEALTH_CARE_EQUIPMENT_AND_SERVICES: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_PHARMA_BIOTECH_AND_LIFE_SCIENCE: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_BANKS: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_FINANCIAL_SERVICES: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_INSURANCE: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_TELECOMMUNICATION_SERVICES: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_UTILITIES: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_REITS: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_REAL_ESTATE_MANAGEMENT_AND_DEVELOPMENT: _ClassVar[IndustryGroup]
    INDUSTRY_GROUP_SOFTWARE_AND_SERVICES: _ClassVar[IndustryGroup]
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
DATA_ORIGIN_MIXED: DataOrigin
INDUSTRY_GROUP_UNSPECIFIED: IndustryGroup
INDUSTRY_GROUP_ENERGY: IndustryGroup
INDUSTRY_GROUP_MATERIALS: IndustryGroup
INDUSTRY_GROUP_CAPITAL_GOODS: IndustryGroup
INDUSTRY_GROUP_COMMERCIAL_AND_PROFESSIONAL_SERVICES: IndustryGroup
INDUSTRY_GROUP_TRANSPORTATION: IndustryGroup
INDUSTRY_GROUP_CONSUMER_DURABLES_AND_APPAREL: IndustryGroup
INDUSTRY_GROUP_CONSUMER_SERVICES: IndustryGroup
INDUSTRY_GROUP_MEDIA_AND_ENTERTAINMENT: IndustryGroup
INDUSTRY_GROUP_CONSUMER_DISCRETIONARY_DISTRIBUTION_AND_RETAIL: IndustryGroup
INDUSTRY_GROUP_CONSUMER_STAPLES_DISTRIBUTION_AND_RETAIL: IndustryGroup
INDUSTRY_GROUP_FOOD_AND_BEVERAGES: IndustryGroup
INDUSTRY_GROUP_HOUSEHOLD_AND_PERSONAL_PRODUCTS: IndustryGroup
INDUSTRY_GROUP_HEALTH_CARE_EQUIPMENT_AND_SERVICES: IndustryGroup
INDUSTRY_GROUP_PHARMA_BIOTECH_AND_LIFE_SCIENCE: IndustryGroup
INDUSTRY_GROUP_BANKS: IndustryGroup
INDUSTRY_GROUP_FINANCIAL_SERVICES: IndustryGroup
INDUSTRY_GROUP_INSURANCE: IndustryGroup
INDUSTRY_GROUP_TELECOMMUNICATION_SERVICES: IndustryGroup
INDUSTRY_GROUP_UTILITIES: IndustryGroup
INDUSTRY_GROUP_REITS: IndustryGroup
INDUSTRY_GROUP_REAL_ESTATE_MANAGEMENT_AND_DEVELOPMENT: IndustryGroup
INDUSTRY_GROUP_SOFTWARE_AND_SERVICES: IndustryGroup

class Ticker(_message.Message):
    __slots__ = ("symbol", "name_en", "name_ar", "market", "security_type", "sector", "industry", "sector_ar", "currency", "has_price_history", "industry_group", "isin", "listing_date", "price_origin")
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
    INDUSTRY_GROUP_FIELD_NUMBER: _ClassVar[int]
    ISIN_FIELD_NUMBER: _ClassVar[int]
    LISTING_DATE_FIELD_NUMBER: _ClassVar[int]
    PRICE_ORIGIN_FIELD_NUMBER: _ClassVar[int]
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
    industry_group: IndustryGroup
    isin: str
    listing_date: _date_pb2.Date
    price_origin: DataOrigin
    def __init__(self, symbol: _Optional[str] = ..., name_en: _Optional[str] = ..., name_ar: _Optional[str] = ..., market: _Optional[_Union[Market, str]] = ..., security_type: _Optional[_Union[SecurityType, str]] = ..., sector: _Optional[str] = ..., industry: _Optional[str] = ..., sector_ar: _Optional[str] = ..., currency: _Optional[str] = ..., has_price_history: _Optional[bool] = ..., industry_group: _Optional[_Union[IndustryGroup, str]] = ..., isin: _Optional[str] = ..., listing_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., price_origin: _Optional[_Union[DataOrigin, str]] = ...) -> None: ...
