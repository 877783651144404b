"""MarketService: ListTickers, GetTicker, GetMarketSummary, ListTopMovers,
ListSectorPerformance, GetMarketStatus, ListTradingDays, ScreenSecurities."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import grpc

from financehub.v1 import market_pb2, market_pb2_grpc, securities_pb2
from server.domain.bars import months_before
from server.domain.errors import (
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    ViolationCollector,
)
from server.domain.market_stats import Move, sector_performance
from server.domain.securities import Market
from server.domain.symbols import require_symbol
from server.domain.trading_calendar import (
    FIRST_COVERED_DAY,
    LAST_COVERED_DAY,
    MarketSession,
    holiday_name,
    market_status_at,
    trading_days,
)
from server.services.caching import cached_answer
from server.services.conversions import (
    INDUSTRY_GROUP_FROM_PROTO,
    MARKET_FROM_PROTO,
    MARKET_TO_PROTO,
    date_from_message,
    date_message,
    industry_group_message,
    origin_message,
    ticker_message,
)
from server.services.pagination import (
    decode_page_token,
    encode_page_token,
    id_cursor,
    page_size_from,
)
from server.storage.cache import ResponseCache
from server.storage.indices import IndexRepository
from server.storage.market_views import Bounds, MarketViewRepository, MoverRanking, ScreenQuery
from server.storage.securities import SecurityFilter, SecurityRepository

LIST_TICKERS = "/financehub.v1.MarketService/ListTickers"
GET_TICKER = "/financehub.v1.MarketService/GetTicker"
GET_MARKET_SUMMARY = "/financehub.v1.MarketService/GetMarketSummary"
LIST_TOP_MOVERS = "/financehub.v1.MarketService/ListTopMovers"
LIST_SECTOR_PERFORMANCE = "/financehub.v1.MarketService/ListSectorPerformance"
SECURITIES_TAG = "securities"
# Answers built from the materialized views; dropped whenever the views are refreshed.
MARKET_VIEWS_TAG = "market-views"
TASI = "TASI"
DEFAULT_MOVERS = 10
MAX_MOVERS = 50

MOVER_RANKINGS = {
    market_pb2.MOVER_CATEGORY_GAINERS: MoverRanking.GAINERS,
    market_pb2.MOVER_CATEGORY_LOSERS: MoverRanking.LOSERS,
    market_pb2.MOVER_CATEGORY_MOST_ACTIVE_BY_VOLUME: MoverRanking.MOST_ACTIVE_BY_VOLUME,
    market_pb2.MOVER_CATEGORY_MOST_ACTIVE_BY_VALUE: MoverRanking.MOST_ACTIVE_BY_VALUE,
}
# Sort keys the screener answers, mapped to the view's allow-listed columns.
SCREEN_SORT_KEYS = {
    market_pb2.SCREEN_SORT_KEY_UNSPECIFIED: "symbol",
    market_pb2.SCREEN_SORT_KEY_SYMBOL: "symbol",
    market_pb2.SCREEN_SORT_KEY_PRICE: "price",
    market_pb2.SCREEN_SORT_KEY_CHANGE_PERCENT: "change_percent",
    market_pb2.SCREEN_SORT_KEY_VOLUME: "volume",
    market_pb2.SCREEN_SORT_KEY_TURNOVER: "turnover",
}
SESSION_TO_PROTO = {
    session: market_pb2.MarketSession.Value(f"MARKET_SESSION_{session.name}")
    for session in MarketSession
}
FUNDAMENTAL_SORTS = frozenset({market_pb2.SCREEN_SORT_KEY_MARKET_CAP,
                               market_pb2.SCREEN_SORT_KEY_PE_RATIO})

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def symbol_tag(symbol: str) -> str:
    return f"symbol:{symbol}"


class MarketServicer(market_pb2_grpc.MarketServiceServicer):
    def __init__(self, securities: SecurityRepository, views: MarketViewRepository,
                 indices: IndexRepository, cache: ResponseCache) -> None:
        self._securities = securities
        self._views = views
        self._indices = indices
        self._cache = cache

    async def ListTickers(self, request: market_pb2.ListTickersRequest,
                          context: Context) -> market_pb2.ListTickersResponse:
        problems = ViolationCollector()
        if request.market != securities_pb2.MARKET_UNSPECIFIED \
                and request.market not in MARKET_FROM_PROTO:
            problems.add("market", f"{request.market} is not a known market")
        if len(request.sector) > 200:
            problems.add("sector", "must be at most 200 characters")
        if request.industry_group != securities_pb2.INDUSTRY_GROUP_UNSPECIFIED \
                and request.industry_group not in INDUSTRY_GROUP_FROM_PROTO:
            problems.add("industry_group", f"{request.industry_group} is not a known group")
        problems.raise_if_any()
        page_size = page_size_from(request.page_size)
        sector = request.sector.strip()
        filters = SecurityFilter(market=MARKET_FROM_PROTO.get(request.market),
                                 sector=sector or None,
                                 industry_group=INDUSTRY_GROUP_FROM_PROTO.get(
                                     request.industry_group))
        fingerprint = (str(request.market), sector.lower(), str(request.industry_group))
        cursor = decode_page_token(request.page_token, fingerprint)
        normalized = market_pb2.ListTickersRequest(
            page_size=page_size, page_token=request.page_token, market=request.market,
            sector=sector.lower(), industry_group=request.industry_group,
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

    async def GetMarketSummary(self, request: market_pb2.GetMarketSummaryRequest,
                               context: Context) -> market_pb2.GetMarketSummaryResponse:
        market = self._market_filter(request.market)

        async def load() -> market_pb2.GetMarketSummaryResponse:
            summary = await self._views.summary(market)
            response = market_pb2.GetMarketSummaryResponse()
            if summary is not None:
                response.trading_day.CopyFrom(date_message(summary.trading_day))
                response.advancers = summary.advancers
                response.decliners = summary.decliners
                response.unchanged = summary.unchanged
                response.volume = summary.volume
                response.turnover = summary.turnover
                response.data_origin = origin_message(summary.origin)
            tasi = next(iter(await self._indices.levels(TASI)), None)
            if tasi is not None and tasi.level is not None and tasi.as_of is not None:
                response.tasi_level = tasi.level
                response.tasi_as_of.CopyFrom(date_message(tasi.as_of))
                if tasi.previous_level:
                    response.tasi_change = tasi.level - tasi.previous_level
                    response.tasi_change_percent = (tasi.level / tasi.previous_level - 1) * 100
            return response

        return await cached_answer(self._cache, GET_MARKET_SUMMARY,
                                   market_pb2.GetMarketSummaryRequest(market=request.market),
                                   market_pb2.GetMarketSummaryResponse, load,
                                   tags=[MARKET_VIEWS_TAG])

    async def ListTopMovers(self, request: market_pb2.ListTopMoversRequest,
                            context: Context) -> market_pb2.ListTopMoversResponse:
        problems = ViolationCollector()
        ranking = MOVER_RANKINGS.get(request.category)
        if ranking is None:
            problems.add("category", "must be one of the MOVER_CATEGORY_ values")
        if request.limit < 0 or request.limit > MAX_MOVERS:
            problems.add("limit", f"must be between 1 and {MAX_MOVERS} (0 means 10)")
        problems.raise_if_any()
        assert ranking is not None
        market = self._market_filter(request.market)
        limit = request.limit or DEFAULT_MOVERS

        async def load() -> market_pb2.ListTopMoversResponse:
            moves = await self._views.top_movers(ranking, market, limit)
            response = market_pb2.ListTopMoversResponse(category=request.category)
            if moves:
                response.trading_day.CopyFrom(date_message(moves[0].trading_day))
            for move in moves:
                response.movers.add(
                    symbol=move.symbol, name_en=move.name_en, close=move.close,
                    previous_close=move.previous_close or 0.0,
                    change_percent=move.change_percent or 0.0, volume=move.volume,
                    turnover=move.turnover, data_origin=origin_message(move.origin))
            return response

        normalized = market_pb2.ListTopMoversRequest(category=request.category,
                                                     market=request.market, limit=limit)
        return await cached_answer(self._cache, LIST_TOP_MOVERS, normalized,
                                   market_pb2.ListTopMoversResponse, load,
                                   tags=[MARKET_VIEWS_TAG])

    async def ListSectorPerformance(
            self, request: market_pb2.ListSectorPerformanceRequest,
            context: Context) -> market_pb2.ListSectorPerformanceResponse:
        async def load() -> market_pb2.ListSectorPerformanceResponse:
            moves = await self._views.moves()
            response = market_pb2.ListSectorPerformanceResponse()
            if moves:
                response.trading_day.CopyFrom(date_message(moves[0].trading_day))
            for stats in sector_performance(
                    Move(m.industry_group, m.change_percent, m.volume, m.turnover)
                    for m in moves):
                response.sectors.add(
                    industry_group=industry_group_message(stats.industry_group),
                    change_percent=stats.change_percent, advancers=stats.advancers,
                    decliners=stats.decliners, unchanged=stats.unchanged,
                    volume=stats.volume, turnover=stats.turnover)
            return response

        return await cached_answer(self._cache, LIST_SECTOR_PERFORMANCE,
                                   market_pb2.ListSectorPerformanceRequest(),
                                   market_pb2.ListSectorPerformanceResponse, load,
                                   tags=[MARKET_VIEWS_TAG])

    async def ScreenSecurities(self, request: market_pb2.ScreenSecuritiesRequest,
                               context: Context) -> market_pb2.ScreenSecuritiesResponse:
        problems = ViolationCollector()
        sort_key = SCREEN_SORT_KEYS.get(request.sort_by)
        if request.sort_by not in SCREEN_SORT_KEYS and request.sort_by not in FUNDAMENTAL_SORTS:
            problems.add("sort_by", f"{request.sort_by} is not a sort key this screener knows")
        groups = []
        for index, group in enumerate(request.industry_groups):
            if group not in INDUSTRY_GROUP_FROM_PROTO:
                problems.add(f"industry_groups[{index}]", f"{group} is not a known group")
            else:
                groups.append(INDUSTRY_GROUP_FROM_PROTO[group])
        bounds = {name: _bounds(getattr(request, name), name, problems)
                  for name in ("price", "change_percent", "volume", "turnover",
                               "market_cap", "pe_ratio")}
        problems.raise_if_any()
        if request.sort_by in FUNDAMENTAL_SORTS:
            raise FailedPreconditionError(
                "sorting by market cap or P/E needs fundamentals, which are not loaded yet",
                reason="FUNDAMENTALS_UNAVAILABLE")
        market = self._market_filter(request.market)
        page_size = page_size_from(request.page_size)
        offset = id_cursor(decode_page_token(request.page_token,
                                             _screen_fingerprint(request))) or 0
        response = market_pb2.ScreenSecuritiesResponse()
        if bounds["market_cap"] != Bounds() or bounds["pe_ratio"] != Bounds():
            # No security has fundamentals yet, so none can match these filters.
            return response
        assert sort_key is not None
        moves, total = await self._views.screen(ScreenQuery(
            market=market, industry_groups=tuple(groups), price=bounds["price"],
            change_percent=bounds["change_percent"], volume=bounds["volume"],
            turnover=bounds["turnover"], sort_key=sort_key, descending=request.descending,
            offset=offset, limit=page_size))
        response.total_size = total
        if moves:
            response.trading_day.CopyFrom(date_message(moves[0].trading_day))
        for move in moves:
            response.securities.add(
                symbol=move.symbol, name_en=move.name_en, market=MARKET_TO_PROTO[move.market],
                industry_group=industry_group_message(move.industry_group), price=move.close,
                change_percent=move.change_percent or 0.0, volume=move.volume,
                turnover=move.turnover, data_origin=origin_message(move.origin))
        if offset + len(moves) < total:
            response.next_page_token = encode_page_token(str(offset + len(moves)),
                                                         _screen_fingerprint(request))
        return response

    async def GetMarketStatus(self, request: market_pb2.GetMarketStatusRequest,
                              context: Context) -> market_pb2.GetMarketStatusResponse:
        return MarketCalendarRpcs.market_status(datetime.now(UTC))

    async def ListTradingDays(self, request: market_pb2.ListTradingDaysRequest,
                              context: Context) -> market_pb2.ListTradingDaysResponse:
        return MarketCalendarRpcs.trading_days(request)

    @staticmethod
    def _market_filter(market: int) -> Market | None:
        if market != securities_pb2.MARKET_UNSPECIFIED and market not in MARKET_FROM_PROTO:
            raise InvalidArgumentError([FieldViolation("market", f"{market} is not a market")])
        return MARKET_FROM_PROTO.get(market)


def _bounds(value: market_pb2.NumericRange, field: str, problems: ViolationCollector) -> Bounds:
    low = value.min if value.HasField("min") else None
    high = value.max if value.HasField("max") else None
    for bound in (low, high):
        if bound is not None and not math.isfinite(bound):
            problems.add(field, "bounds must be finite numbers")
            return Bounds()
    if low is not None and high is not None and low > high:
        problems.add(f"{field}.min", f"{low} is above max {high}")
    return Bounds(low, high)


def _screen_fingerprint(request: market_pb2.ScreenSecuritiesRequest) -> tuple[str, ...]:
    """A page token is only valid with the filters and order it was issued for."""
    filters = market_pb2.ScreenSecuritiesRequest()
    filters.CopyFrom(request)
    filters.ClearField("page_token")
    filters.ClearField("page_size")
    return (filters.SerializeToString(deterministic=True).hex(),)


MAX_TRADING_DAY_SPAN_YEARS = 5


class MarketCalendarRpcs:
    """GetMarketStatus and ListTradingDays: answered from the calendar, no storage."""

    @staticmethod
    def market_status(now: datetime) -> market_pb2.GetMarketStatusResponse:
        status = market_status_at(now)
        response = market_pb2.GetMarketStatusResponse(
            session=SESSION_TO_PROTO[status.session],
            holiday=holiday_name(status.trading_day) or "")
        response.trading_day.CopyFrom(date_message(status.trading_day))
        response.next_open_time.FromDatetime(status.next_open)
        response.next_close_time.FromDatetime(status.next_close)
        response.server_time.FromDatetime(now)
        return response

    @staticmethod
    def trading_days(request: market_pb2.ListTradingDaysRequest
                     ) -> market_pb2.ListTradingDaysResponse:
        problems = ViolationCollector()
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        for name, value, message in (("start_date", start, request.start_date),
                                     ("end_date", end, request.end_date)):
            if value is None and not message.ByteSize():
                problems.add(name, "is required")
        if start and end:
            if start > end:
                problems.add("start_date", f"{start} is after end_date {end}")
            elif end > months_before(start, -12 * MAX_TRADING_DAY_SPAN_YEARS):
                problems.add("end_date",
                             f"the range may span at most {MAX_TRADING_DAY_SPAN_YEARS} years")
            for name, day in (("start_date", start), ("end_date", end)):
                if not FIRST_COVERED_DAY <= day <= LAST_COVERED_DAY:
                    problems.add(name, f"the calendar covers {FIRST_COVERED_DAY} to "
                                       f"{LAST_COVERED_DAY}")
        problems.raise_if_any()
        assert start is not None and end is not None
        response = market_pb2.ListTradingDaysResponse(
            trading_days=[date_message(d) for d in trading_days(start, end)])
        day = start
        while day <= end:
            holiday = holiday_name(day)
            if holiday:
                response.holidays.add(date=date_message(day), name=holiday)
            day += timedelta(days=1)
        return response
