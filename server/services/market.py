"""MarketService: ListTickers, GetTicker."""

from typing import Any, TypeAlias

import grpc

from financehub.v1 import market_pb2, market_pb2_grpc, securities_pb2
from server.domain.errors import NotFoundError, ViolationCollector
from server.domain.symbols import require_symbol
from server.services.caching import cached_answer
from server.services.conversions import MARKET_FROM_PROTO, ticker_message
from server.services.pagination import decode_page_token, encode_page_token, page_size_from
from server.storage.cache import ResponseCache
from server.storage.securities import SecurityFilter, SecurityRepository

LIST_TICKERS = "/financehub.v1.MarketService/ListTickers"
GET_TICKER = "/financehub.v1.MarketService/GetTicker"
SECURITIES_TAG = "securities"

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def symbol_tag(symbol: str) -> str:
    return f"symbol:{symbol}"


class MarketServicer(market_pb2_grpc.MarketServiceServicer):
    def __init__(self, securities: SecurityRepository, cache: ResponseCache) -> None:
        self._securities = securities
        self._cache = cache

    async def ListTickers(self, request: market_pb2.ListTickersRequest,
                          context: Context) -> market_pb2.ListTickersResponse:
        problems = ViolationCollector()
        if request.market != securities_pb2.MARKET_UNSPECIFIED \
                and request.market not in MARKET_FROM_PROTO:
            problems.add("market", f"{request.market} is not a known market")
        if len(request.sector) > 200:
            problems.add("sector", "must be at most 200 characters")
        problems.raise_if_any()
        page_size = page_size_from(request.page_size)
        sector = request.sector.strip()
        filters = SecurityFilter(market=MARKET_FROM_PROTO.get(request.market),
                                 sector=sector or None)
        fingerprint = (str(request.market), sector.lower())
        cursor = decode_page_token(request.page_token, fingerprint)
        normalized = market_pb2.ListTickersRequest(
            page_size=page_size, page_token=request.page_token, market=request.market,
            sector=sector.lower(),
        )

        async def load() -> market_pb2.ListTickersResponse:
            found, total = await self._securities.list_page(
                filters, after_symbol=cursor.after if cursor else None, limit=page_size + 1
            )
            page = found[:page_size]
            more = len(found) > page_size
            return market_pb2.ListTickersResponse(
                tickers=[ticker_message(s) for s in page],
                next_page_token=encode_page_token(page[-1].symbol, fingerprint) if more else "",
                total_size=total,
            )

        return await cached_answer(self._cache, LIST_TICKERS, normalized,
                                   market_pb2.ListTickersResponse, load, tags=[SECURITIES_TAG])

    async def GetTicker(self, request: market_pb2.GetTickerRequest,
                        context: Context) -> market_pb2.GetTickerResponse:
        symbol = require_symbol(request.symbol)

        async def load() -> market_pb2.GetTickerResponse:
            security = await self._securities.get(symbol)
            if security is None:
                raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
            return market_pb2.GetTickerResponse(ticker=ticker_message(security))

        return await cached_answer(
            self._cache, GET_TICKER, market_pb2.GetTickerRequest(symbol=symbol),
            market_pb2.GetTickerResponse, load, tags=[SECURITIES_TAG, symbol_tag(symbol)],
        )
