"""ResearchService: the real corporate actions, and synthetic (labelled) news, analyst
ratings and consensus, insider transactions and announcements (server/domain/research)."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar

import grpc

from financehub.v1 import research_pb2, research_pb2_grpc, securities_pb2
from server.ai.news_desk import NewsDesk
from server.domain.calendar import RIYADH
from server.domain.corporate_actions import CorporateAction, CorporateActionType
from server.domain.errors import (
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    ViolationCollector,
)
from server.domain.research import (
    RESEARCH_SEED,
    analyst_ratings,
    announcements,
    consensus,
    insider_transactions,
)
from server.domain.securities import Security
from server.domain.symbols import require_symbol
from server.domain.ticks import price_from_float
from server.services.caching import cached_answer
from server.services.conversions import (
    date_from_message,
    date_message,
    decimal_message,
    timestamp_message,
)
from server.services.pagination import (
    decode_page_token,
    encode_page_token,
    encode_time_and_id,
    id_cursor,
    page_size_from,
    time_and_serial_cursor,
)
from server.storage.cache import ResponseCache
from server.storage.corporate_actions import CorporateActionRepository
from server.storage.news import NewsFilter, NewsRepository, ScoredNews
from server.storage.quotes import QuoteBook
from server.storage.securities import SecurityRepository

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

LIST_CORPORATE_ACTIONS = "/financehub.v1.ResearchService/ListCorporateActions"
CORPORATE_ACTIONS_TAG = "corporate-actions"

_TYPES = {research_pb2.CorporateActionType.Value(f"CORPORATE_ACTION_TYPE_{kind.value}"): kind
          for kind in CorporateActionType}
_TYPE_NUMBERS = {kind: number for number, kind in _TYPES.items()}


def corporate_action_message(action: CorporateAction) -> research_pb2.CorporateAction:
    message = research_pb2.CorporateAction(
        symbol=action.symbol, type=_TYPE_NUMBERS[action.action_type],
        type_ar=action.action_type_ar, announcement_date=date_message(action.announcement_date),
        description=action.description or "")
    for name in ("ex_date", "record_date", "payment_date"):
        day: date | None = getattr(action, name)
        if day is not None:
            getattr(message, name).CopyFrom(date_message(day))
    return message


def _cursor(after: str) -> tuple[date, int]:
    day, _, identifier = after.partition("|")
    try:
        return date.fromisoformat(day), int(identifier)
    except ValueError:
        raise InvalidArgumentError([FieldViolation(
            "page_token", "is not a token this list returned")]) from None


NEWS_DEFAULT_DAYS = 7
NEWS_MAX_DAYS = 31
LIST_NEWS = "/financehub.v1.ResearchService/ListNews"
LIST_ANALYST_RATINGS = "/financehub.v1.ResearchService/ListAnalystRatings"
GET_CONSENSUS = "/financehub.v1.ResearchService/GetConsensus"
LIST_INSIDER_TRANSACTIONS = "/financehub.v1.ResearchService/ListInsiderTransactions"
LIST_ANNOUNCEMENTS = "/financehub.v1.ResearchService/ListAnnouncements"
SYNTHETIC = securities_pb2.DATA_ORIGIN_SYNTHETIC
T = TypeVar("T")


def news_item_message(news: ScoredNews) -> research_pb2.NewsItem:
    return research_pb2.NewsItem(
        symbol=news.item.symbol, headline=news.item.headline,
        published_at=timestamp_message(news.item.published_at),
        sentiment_label=news.sentiment.label, sentiment_scores=dict(news.sentiment.scores),
        sentiment_engine=news.engine,
        data_origin=SYNTHETIC if news.synthetic else securities_pb2.DATA_ORIGIN_REAL)


def _offset_page(items: Sequence[T], request: Any, filters: tuple[str, ...]
                 ) -> tuple[Sequence[T], str]:
    """A page of a list computed whole, and the next page's token ('' at the end)."""
    size = page_size_from(request.page_size)
    start = id_cursor(decode_page_token(request.page_token, filters)) or 0
    page = items[start:start + size]
    following = start + size
    return page, (encode_page_token(str(following), filters) if following < len(items) else "")


class ResearchServicer(research_pb2_grpc.ResearchServiceServicer):
    def __init__(self, actions: CorporateActionRepository, securities: SecurityRepository,
                 quotes: QuoteBook, cache: ResponseCache, news: NewsRepository,
                 news_desk: NewsDesk) -> None:
        self._actions = actions
        self._news = news
        self._news_desk = news_desk
        self._securities = securities
        self._quotes = quotes
        self._cache = cache

    async def _company(self, symbol: str) -> tuple[Security, Decimal, date]:
        """The security, its latest close and that close's day (today when it has none)."""
        security = await self._securities.get(symbol)
        if security is None:
            raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
        eod = (await self._quotes.end_of_day([symbol])).get(symbol)
        if eod is None:
            raise FailedPreconditionError(f"{symbol} has no prices on record",
                                          reason="NO_PRICES", metadata={"symbol": symbol})
        return security, price_from_float(eod.close), eod.trading_day

    async def ListCorporateActions(self, request: research_pb2.ListCorporateActionsRequest,
                                   context: Context
                                   ) -> research_pb2.ListCorporateActionsResponse:
        problems = ViolationCollector()
        size = page_size_from(request.page_size)
        kinds = []
        for index, number in enumerate(request.types):
            if number not in _TYPES:
                problems.add(f"types[{index}]", "must be one of the CORPORATE_ACTION_TYPE_ "
                                                "values other than UNSPECIFIED")
            else:
                kinds.append(_TYPES[number].value)
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        if start is not None and end is not None and start > end:
            problems.add("end_date", "must not be before start_date")
        problems.raise_if_any()
        symbol = require_symbol(request.symbol) if request.symbol else None
        kinds = sorted(set(kinds))
        filters = (symbol or "", ",".join(kinds), str(start), str(end))
        cursor = decode_page_token(request.page_token, filters)
        before = _cursor(cursor.after) if cursor else None
        normalized = research_pb2.ListCorporateActionsRequest()
        normalized.CopyFrom(request)
        normalized.page_size, normalized.symbol = size, symbol or ""

        async def load() -> research_pb2.ListCorporateActionsResponse:
            rows = await self._actions.page(symbol=symbol, types=kinds, start=start, end=end,
                                            before=before, limit=size + 1)
            response = research_pb2.ListCorporateActionsResponse(
                corporate_actions=[corporate_action_message(row.action) for row in rows[:size]])
            if len(rows) > size:
                last = rows[size - 1]
                response.next_page_token = encode_page_token(
                    f"{last.action.announcement_date.isoformat()}|{last.id}", filters)
            return response

        return await cached_answer(self._cache, LIST_CORPORATE_ACTIONS, normalized,
                                   research_pb2.ListCorporateActionsResponse, load,
                                   tags=[CORPORATE_ACTIONS_TAG])

    async def ListAnalystRatings(self, request: research_pb2.ListAnalystRatingsRequest,
                                 context: Context) -> research_pb2.ListAnalystRatingsResponse:
        symbol = require_symbol(request.symbol)
        _, price, as_of = await self._company(symbol)
        ratings = analyst_ratings(symbol, price=price, as_of=as_of, seed=RESEARCH_SEED)
        page, token = _offset_page(ratings, request, (symbol,))
        return research_pb2.ListAnalystRatingsResponse(
            ratings=[research_pb2.AnalystRating(
                broker=r.broker, recommendation=research_pb2.Recommendation.Value(
                    f"RECOMMENDATION_{r.recommendation.name}"),
                target_price=decimal_message(r.target_price),
                rating_date=date_message(r.rating_date)) for r in page],
            next_page_token=token, data_origin=SYNTHETIC)

    async def GetConsensus(self, request: research_pb2.GetConsensusRequest,
                           context: Context) -> research_pb2.GetConsensusResponse:
        symbol = require_symbol(request.symbol)
        _, price, as_of = await self._company(symbol)
        view = consensus(analyst_ratings(symbol, price=price, as_of=as_of, seed=RESEARCH_SEED),
                         price)
        response = research_pb2.GetConsensusResponse(
            symbol=symbol, buy_count=view.buy_count, hold_count=view.hold_count,
            sell_count=view.sell_count, price=decimal_message(price), data_origin=SYNTHETIC)
        for name in ("mean_target", "high_target", "low_target", "upside"):
            value: Decimal | None = getattr(view, name)
            if value is not None:
                getattr(response, name).CopyFrom(decimal_message(value))
        return response

    async def ListInsiderTransactions(
            self, request: research_pb2.ListInsiderTransactionsRequest,
            context: Context) -> research_pb2.ListInsiderTransactionsResponse:
        symbol = require_symbol(request.symbol)
        _, price, as_of = await self._company(symbol)
        trades = insider_transactions(symbol, price=price, as_of=as_of, seed=RESEARCH_SEED)
        page, token = _offset_page(trades, request, (symbol,))
        return research_pb2.ListInsiderTransactionsResponse(
            transactions=[research_pb2.InsiderTransaction(
                role=research_pb2.InsiderRole.Value(f"INSIDER_ROLE_{t.role.name}"),
                side=t.side.name, trade_date=date_message(t.trade_date), shares=t.shares,
                price=decimal_message(t.price), value=decimal_message(t.value))
                for t in page],
            next_page_token=token, data_origin=SYNTHETIC)

    async def ListAnnouncements(self, request: research_pb2.ListAnnouncementsRequest,
                                context: Context) -> research_pb2.ListAnnouncementsResponse:
        if not request.symbol:
            raise InvalidArgumentError([FieldViolation(
                "symbol", "required: market-wide announcements are not available yet")])
        symbol = require_symbol(request.symbol)
        security, _, as_of = await self._company(symbol)
        items = announcements(symbol, security.name_en, as_of=as_of, seed=RESEARCH_SEED)
        page, token = _offset_page(items, request, (symbol,))
        return research_pb2.ListAnnouncementsResponse(
            announcements=[research_pb2.Announcement(
                symbol=a.symbol, published_on=date_message(a.published_on),
                category=research_pb2.AnnouncementCategory.Value(
                    f"ANNOUNCEMENT_CATEGORY_{a.category.name}"), title=a.title)
                for a in page],
            next_page_token=token, data_origin=SYNTHETIC)

    async def ListNews(self, request: research_pb2.ListNewsRequest,
                       context: Context) -> research_pb2.ListNewsResponse:
        problems = ViolationCollector()
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        problems.raise_if_any()
        end = end or datetime.now(RIYADH).date()
        start = start or end - timedelta(days=NEWS_DEFAULT_DAYS - 1)
        if start > end or (end - start).days >= NEWS_MAX_DAYS:
            raise InvalidArgumentError([FieldViolation(
                "end_date", f"must be on or after start_date, at most {NEWS_MAX_DAYS} days on")])
        symbol = require_symbol(request.symbol) if request.symbol else None
        size = page_size_from(request.page_size)
        filters = (symbol or "", request.sector.lower(), start.isoformat(), end.isoformat())
        after = time_and_serial_cursor(decode_page_token(request.page_token, filters))
        await self._news_desk.ensure_stored(start, end)
        news = await self._news.scored(
            NewsFilter.for_days(start, end, symbol=symbol, sector=request.sector or None),
            after=after, limit=size + 1)
        last = news[size - 1] if len(news) > size else None
        return research_pb2.ListNewsResponse(
            news=[news_item_message(n) for n in news[:size]],
            next_page_token=(encode_page_token(encode_time_and_id(
                last.item.published_at, last.id), filters) if last else ""))
