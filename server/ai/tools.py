"""The platform's own data as tools for the LLM, and as the source of reports.

Each tool is one of the platform's RPCs, run in-process through its servicer (so the
model sees exactly what the API returns, cached the same way) and only when the caller's
role holds the permission the contract declares for that RPC: the assistant can never
show a caller data the caller could not fetch.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeAlias, cast

import grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.type import date_pb2

from financehub.v1 import (
    charts_pb2,
    fundamentals_pb2,
    market_pb2,
    quotes_pb2,
    research_pb2,
    securities_pb2,
)
from server.ai.llm import ToolSpec
from server.contract import policy_for
from server.domain.access import Principal, has_permission
from server.domain.calendar import RIYADH
from server.domain.errors import (
    DomainError,
    FieldViolation,
    InvalidArgumentError,
    PermissionDeniedError,
)
from server.services.charts import ChartServicer
from server.services.conversions import date_message
from server.services.fundamentals import FundamentalsServicer
from server.services.market import MarketServicer
from server.services.quotes import QuoteServicer
from server.services.research import ResearchServicer

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
Arguments: TypeAlias = Mapping[str, Any]

# What a tool hands the model is kept short: the model's context is small and costly.
MAX_BARS_SHOWN = 30
MAX_LIST_ITEMS = 20

_SYMBOL = {"type": "string", "description": "Tadawul symbol, e.g. 2222 (Saudi Aramco)"}
_PERIODS = {"1M": charts_pb2.PERIOD_1M, "3M": charts_pb2.PERIOD_3M,
            "6M": charts_pb2.PERIOD_6M, "1Y": charts_pb2.PERIOD_1Y, "5Y": charts_pb2.PERIOD_5Y}
_INTERVALS = {"day": charts_pb2.INTERVAL_DAY, "week": charts_pb2.INTERVAL_WEEK,
              "month": charts_pb2.INTERVAL_MONTH}
_INDICATORS = {name.removeprefix("INDICATOR_TYPE_"): number
               for name, number in charts_pb2.IndicatorType.items() if number}
_MOVERS = {name.removeprefix("MOVER_CATEGORY_").lower(): number
           for name, number in market_pb2.MoverCategory.items() if number}


def _json(message: Message) -> dict[str, Any]:
    # protobuf is untyped; MessageToDict returns the message as a JSON object.
    return cast(dict[str, Any], MessageToDict(message, preserving_proto_field_name=True))


def _choice(arguments: Arguments, name: str, choices: Mapping[str, int], default: str) -> int:
    value = str(arguments.get(name) or default)
    if value not in choices:
        raise InvalidArgumentError([FieldViolation(name, f"must be one of {', '.join(choices)}")])
    return choices[value]


def _bounded(arguments: Arguments, name: str, default: int, maximum: int) -> int:
    value = arguments.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise InvalidArgumentError([FieldViolation(name, f"must be an integer 1..{maximum}")])
    return value


def _text(arguments: Arguments, name: str) -> str:
    value = arguments.get(name, "")
    if not isinstance(value, str):
        raise InvalidArgumentError([FieldViolation(name, "must be a string")])
    return value


@dataclass(frozen=True)
class PlatformTool:
    spec: ToolSpec
    # The RPC the tool runs: its declared permission is the tool's.
    rpc: str
    run: Callable[[Arguments, Context], Awaitable[dict[str, Any]]]


class PlatformTools:
    def __init__(self, *, market: MarketServicer, quotes: QuoteServicer, charts: ChartServicer,
                 fundamentals: FundamentalsServicer, research: ResearchServicer) -> None:
        self._market = market
        self._quotes = quotes
        self._charts = charts
        self._fundamentals = fundamentals
        self._research = research
        tools = [
            PlatformTool(ToolSpec(
                "get_company_profile", "Name, sector, industry group, market and listing of a "
                "listed company.", {"type": "object", "properties": {"symbol": _SYMBOL},
                                    "required": ["symbol"]}),
                "/financehub.v1.MarketService/GetTicker", self._company_profile),
            PlatformTool(ToolSpec(
                "get_quote", "The latest quote of a symbol: price, change, day range, volume, "
                "price limits.", {"type": "object", "properties": {"symbol": _SYMBOL},
                                  "required": ["symbol"]}),
                "/financehub.v1.QuoteService/GetQuote", self._quote),
            PlatformTool(ToolSpec(
                "get_bars", "Price bars (OHLCV) of a symbol over a look-back period: the "
                f"period's first and last close, high, low, and the last {MAX_BARS_SHOWN} bars.",
                {"type": "object", "properties": {
                    "symbol": _SYMBOL,
                    "period": {"type": "string", "enum": list(_PERIODS), "default": "1Y"},
                    "interval": {"type": "string", "enum": list(_INTERVALS), "default": "day"}},
                 "required": ["symbol"]}),
                "/financehub.v1.ChartService/GetBars", self._bars),
            PlatformTool(ToolSpec(
                "get_indicators", "Latest values of technical indicators on a symbol's daily "
                "bars (one year).",
                {"type": "object", "properties": {
                    "symbol": _SYMBOL,
                    "indicators": {"type": "array", "items": {"type": "object", "properties": {
                        "type": {"type": "string", "enum": list(_INDICATORS)},
                        "period": {"type": "integer", "minimum": 1, "maximum": 250}},
                        "required": ["type"]}, "minItems": 1, "maxItems": 5}},
                 "required": ["symbol", "indicators"]}),
                "/financehub.v1.ChartService/GetIndicators", self._indicators),
            PlatformTool(ToolSpec(
                "get_fundamentals", "The 14 financial ratios of a company at the latest close "
                "(valuation, profitability, liquidity, leverage, dividends), each with its value "
                "or why it has none.", {"type": "object", "properties": {"symbol": _SYMBOL},
                                        "required": ["symbol"]}),
                "/financehub.v1.FundamentalsService/GetRatios", self._fundamentals_ratios),
            PlatformTool(ToolSpec(
                "get_analyst_consensus", "Brokers' ratings of a company counted (buy, hold, "
                "sell) with their mean, high and low price targets (premium data).",
                {"type": "object", "properties": {"symbol": _SYMBOL}, "required": ["symbol"]}),
                "/financehub.v1.ResearchService/GetConsensus", self._consensus),
            PlatformTool(ToolSpec(
                "get_news", "Recent news headlines with their sentiment, for a symbol, a "
                "sector or the whole market, newest first.",
                {"type": "object", "properties": {
                    "symbol": _SYMBOL, "sector": {"type": "string"},
                    "days": {"type": "integer", "minimum": 1, "maximum": 31, "default": 7}}}),
                "/financehub.v1.ResearchService/ListNews", self._news),
            PlatformTool(ToolSpec(
                "list_corporate_actions", "A company's corporate actions (dividends, bonus "
                "shares, rights issues, general assemblies...), newest first.",
                {"type": "object", "properties": {
                    "symbol": _SYMBOL,
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_ITEMS,
                              "default": 10}},
                 "required": ["symbol"]}),
                "/financehub.v1.ResearchService/ListCorporateActions", self._corporate_actions),
            PlatformTool(ToolSpec(
                "get_top_movers", "The latest trading day's top gainers, losers or most "
                "active securities.",
                {"type": "object", "properties": {
                    "category": {"type": "string", "enum": list(_MOVERS)},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5}},
                 "required": ["category"]}),
                "/financehub.v1.MarketService/ListTopMovers", self._top_movers),
            PlatformTool(ToolSpec(
                "get_market_summary", "The latest trading day of the market: TASI level and "
                "change, advancers, decliners, volume and value traded.",
                {"type": "object", "properties": {}}),
                "/financehub.v1.MarketService/GetMarketSummary", self._market_summary),
        ]
        self._tools = {tool.spec.name: tool for tool in tools}

    @property
    def specs(self) -> list[ToolSpec]:
        return [tool.spec for tool in self._tools.values()]

    def allowed(self, principal: Principal, name: str) -> bool:
        policy = policy_for(self._tools[name].rpc)
        return policy is not None and (policy.public
                                       or has_permission(principal.role, policy.permission))

    async def execute(self, name: str, arguments: Arguments, *, principal: Principal,
                      context: Context) -> dict[str, Any]:
        """The tool's data, or {"error", "reason"} when it is refused or fails as a call
        would (the model is told, and can say so); never raises for the model's mistakes."""
        tool = self._tools.get(name)
        try:
            if tool is None:
                raise InvalidArgumentError([FieldViolation("name", f"no tool named {name!r}")])
            if not self.allowed(principal, name):
                policy = policy_for(tool.rpc)
                raise PermissionDeniedError(
                    f"the caller's role ({principal.role.value}) lacks "
                    f"{policy.permission if policy else 'access'}, which {name} needs",
                    reason="PERMISSION_DENIED")
            return await tool.run(arguments, context)
        except DomainError as error:
            return {"error": error.message, "reason": error.reason}

    async def ticker(self, symbol: str, context: Context) -> market_pb2.GetTickerResponse:
        return await self._market.GetTicker(market_pb2.GetTickerRequest(symbol=symbol), context)

    async def _company_profile(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        return _json((await self.ticker(_text(arguments, "symbol"), context)).ticker)

    async def _quote(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        response = await self._quotes.GetQuote(
            quotes_pb2.GetQuoteRequest(symbol=_text(arguments, "symbol")), context)
        return _json(response.quote)

    async def bars(self, symbol: str, period: int, interval: int,
                   context: Context) -> charts_pb2.GetBarsResponse:
        return await self._charts.GetBars(charts_pb2.GetBarsRequest(
            symbol=symbol, period=period, interval=interval), context)

    async def _bars(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        response = await self.bars(_text(arguments, "symbol"),
                                   _choice(arguments, "period", _PERIODS, "1Y"),
                                   _choice(arguments, "interval", _INTERVALS, "day"), context)
        bars = list(response.bars)
        summary: dict[str, Any] = {
            "symbol": response.symbol, "bars": len(bars),
            "data_origin": securities_origin(response.data_origin),
            "provider": response.provider}
        if bars:
            summary.update(
                first_date=_day(bars[0].start_date), first_close=bars[0].close,
                last_date=_day(bars[-1].end_date), last_close=bars[-1].close,
                high=max(b.high for b in bars), low=min(b.low for b in bars),
                change_percent=round((bars[-1].close / bars[0].close - 1) * 100, 2)
                if bars[0].close else None,
                recent=[{"date": _day(b.end_date), "open": b.open, "high": b.high,
                         "low": b.low, "close": b.close, "volume": b.volume}
                        for b in bars[-MAX_BARS_SHOWN:]])
        return summary

    async def indicators(self, symbol: str, requested: list[charts_pb2.IndicatorRequest],
                         context: Context) -> charts_pb2.GetIndicatorsResponse:
        return await self._charts.GetIndicators(charts_pb2.GetIndicatorsRequest(
            symbol=symbol, interval=charts_pb2.INTERVAL_DAY, period=charts_pb2.PERIOD_1Y,
            indicators=requested), context)

    async def _indicators(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        wanted = arguments.get("indicators")
        if not isinstance(wanted, list) or not 1 <= len(wanted) <= 5 \
                or not all(isinstance(w, dict) for w in wanted):
            raise InvalidArgumentError([FieldViolation(
                "indicators", "must be a list of 1 to 5 {type, period} objects")])
        requested = []
        for item in wanted:
            request = charts_pb2.IndicatorRequest(
                type=_choice(item, "type", _INDICATORS, ""))
            if "period" in item:
                request.period = _bounded(item, "period", 14, 250)
            requested.append(request)
        response = await self.indicators(_text(arguments, "symbol"), requested, context)
        as_of = _day(response.bars[-1].end_date) if response.bars else None
        return {"symbol": response.symbol, "as_of": as_of, "indicators": [
            {"type": charts_pb2.IndicatorType.Name(series.indicator.type).removeprefix(
                "INDICATOR_TYPE_"),
             "period": series.indicator.period if series.indicator.HasField("period") else None,
             "latest": {line.name: (round(line.values[-1], 4) if line.values else None)
                        for line in series.lines}}
            for series in response.indicators]}

    async def ratios(self, symbol: str, context: Context) -> fundamentals_pb2.GetRatiosResponse:
        return await self._fundamentals.GetRatios(
            fundamentals_pb2.GetRatiosRequest(symbol=symbol), context)

    async def _fundamentals_ratios(self, arguments: Arguments,
                                   context: Context) -> dict[str, Any]:
        return _json(await self.ratios(_text(arguments, "symbol"), context))

    async def _consensus(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        return _json(await self._research.GetConsensus(
            research_pb2.GetConsensusRequest(symbol=_text(arguments, "symbol")), context))

    async def news(self, *, symbol: str, sector: str, days: int, limit: int,
                   context: Context) -> research_pb2.ListNewsResponse:
        return await self._research.ListNews(research_pb2.ListNewsRequest(
            symbol=symbol, sector=sector, page_size=limit,
            start_date=_days_ago(days - 1)), context)

    async def _news(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        response = await self.news(symbol=_text(arguments, "symbol"),
                                   sector=_text(arguments, "sector"),
                                   days=_bounded(arguments, "days", 7, 31),
                                   limit=MAX_LIST_ITEMS, context=context)
        return {"news": [
            {"published_at": item.published_at.ToJsonString(), "symbol": item.symbol,
             "headline": item.headline, "sentiment": item.sentiment_label,
             "score": round(item.sentiment_scores.get("positive", 0.0)
                            - item.sentiment_scores.get("negative", 0.0), 3),
             "data_origin": securities_origin(item.data_origin)}
            for item in response.news]}

    async def corporate_actions(self, symbol: str, limit: int,
                                context: Context) -> research_pb2.ListCorporateActionsResponse:
        return await self._research.ListCorporateActions(
            research_pb2.ListCorporateActionsRequest(symbol=symbol, page_size=limit), context)

    async def _corporate_actions(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        response = await self.corporate_actions(
            _text(arguments, "symbol"), _bounded(arguments, "limit", 10, MAX_LIST_ITEMS),
            context)
        return {"corporate_actions": [_json(action) for action in response.corporate_actions]}

    async def top_movers(self, category: int, limit: int,
                         context: Context) -> market_pb2.ListTopMoversResponse:
        return await self._market.ListTopMovers(
            market_pb2.ListTopMoversRequest(category=category, limit=limit), context)

    async def _top_movers(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        return _json(await self.top_movers(_choice(arguments, "category", _MOVERS, ""),
                                           _bounded(arguments, "limit", 5, 10), context))

    async def market_summary(self, context: Context) -> market_pb2.GetMarketSummaryResponse:
        return await self._market.GetMarketSummary(market_pb2.GetMarketSummaryRequest(),
                                                   context)

    async def _market_summary(self, arguments: Arguments, context: Context) -> dict[str, Any]:
        return _json(await self.market_summary(context))


def securities_origin(origin: int) -> str:
    name: str = securities_pb2.DataOrigin.Name(origin)  # protobuf is untyped
    return name.removeprefix("DATA_ORIGIN_").lower()


def _day(message: date_pb2.Date) -> str:
    return f"{message.year:04d}-{message.month:02d}-{message.day:02d}"


def _days_ago(days: int) -> date_pb2.Date:
    return date_message(datetime.now(RIYADH).date() - timedelta(days=days))
