from financehub.options.v1 import options_pb2 as _options_pb2
from financehub.v1 import securities_pb2 as _securities_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListTickersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "market", "sector")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    market: _securities_pb2.Market
    sector: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., market: _Optional[_Union[_securities_pb2.Market, str]] = ..., sector: _Optional[str] = ...) -> None: ...

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
