"""The facts a report or briefing is written from, fetched through the platform's own RPCs
(server/ai/tools.py), each piece with the citation of the RPC it came from.

A piece the platform cannot give (no price history, no fundamentals) is left empty and
the text says "not available"; only an unknown symbol fails the report.
"""

from collections.abc import Awaitable
from datetime import UTC, date
from decimal import Decimal
from typing import Any, TypeVar

from financehub.v1 import charts_pb2, market_pb2, research_pb2, securities_pb2
from server.ai.tools import Context, PlatformTools
from server.domain.errors import FailedPreconditionError, NotFoundError
from server.domain.report_facts import (
    Citation,
    CorporateActionFact,
    DailyClose,
    HeadlineFact,
    IndicatorFacts,
    MarketFacts,
    MoverFact,
    RatioFact,
    StockFacts,
)
from server.domain.sentiment import Sentiment, sentiment_from_scores, summarise_sentiment
from server.domain.ticks import price_from_float

T = TypeVar("T")

# News looked at for a report: a month, as much as one ListNews page holds.
REPORT_NEWS_DAYS = 31
BRIEFING_NEWS_DAYS = 7
NEWS_LIMIT = 1000
HEADLINES_SHOWN = 8
CORPORATE_ACTIONS_SHOWN = 8
MOVERS_SHOWN = 5
_INDICATORS = (
    charts_pb2.IndicatorRequest(type=charts_pb2.INDICATOR_TYPE_RSI, period=14),
    charts_pb2.IndicatorRequest(type=charts_pb2.INDICATOR_TYPE_SMA, period=50),
    charts_pb2.IndicatorRequest(type=charts_pb2.INDICATOR_TYPE_SMA, period=200),
    charts_pb2.IndicatorRequest(type=charts_pb2.INDICATOR_TYPE_MACD),
)
_MARKETS = {securities_pb2.MARKET_MAIN: "Main Market", securities_pb2.MARKET_NOMU: "Nomu"}


async def _optional(call: Awaitable[T]) -> T | None:
    """The piece, or None when the platform has none for this symbol."""
    try:
        return await call
    except (NotFoundError, FailedPreconditionError):
        return None


def _day(message: Any) -> date:
    return date(message.year, message.month, message.day)


def _synthetic(origin: int) -> bool:
    real: int = securities_pb2.DATA_ORIGIN_REAL  # the generated modules are untyped to mypy
    return origin != real


def _latest(series: charts_pb2.IndicatorSeries, line: str) -> float | None:
    for candidate in series.lines:
        if candidate.name == line and candidate.values:
            return float(candidate.values[-1])
    return None


def _indicator_facts(response: charts_pb2.GetIndicatorsResponse | None) -> IndicatorFacts:
    if response is None:
        return IndicatorFacts()
    values: dict[str, float | None] = {}
    for series in response.indicators:
        kind = series.indicator.type
        if kind == charts_pb2.INDICATOR_TYPE_RSI:
            values["rsi_14"] = _latest(series, "value")
        elif kind == charts_pb2.INDICATOR_TYPE_SMA:
            values[f"sma_{series.indicator.period}"] = _latest(series, "value")
        elif kind == charts_pb2.INDICATOR_TYPE_MACD:
            values["macd"] = _latest(series, "macd")
            values["macd_signal"] = _latest(series, "signal")
    return IndicatorFacts(**values)


def _headlines(news: Any) -> tuple[list[Sentiment], tuple[HeadlineFact, ...]]:
    sentiments = [sentiment_from_scores(item.sentiment_scores) for item in news]
    facts = tuple(HeadlineFact(published_at=item.published_at.ToDatetime(tzinfo=UTC),
                               symbol=item.symbol, headline=item.headline,
                               label=sentiment.label, score=round(sentiment.score, 3))
                  for item, sentiment in list(zip(news, sentiments, strict=True))[
                      :HEADLINES_SHOWN])
    return sentiments, facts


async def stock_facts(tools: PlatformTools, symbol: str, context: Context) -> StockFacts:
    """Everything a report on `symbol` says; NOT_FOUND for an unknown symbol."""
    ticker = (await tools.ticker(symbol, context)).ticker
    citations = [Citation("MarketService.GetTicker", "company profile", False)]
    bars = await _optional(tools.bars(ticker.symbol, charts_pb2.PERIOD_1Y,
                                      charts_pb2.INTERVAL_DAY, context))
    closes: tuple[DailyClose, ...] = ()
    if bars is not None and bars.bars:
        closes = tuple(DailyClose(day=_day(bar.end_date), close=price_from_float(bar.close),
                                  volume=bar.volume) for bar in bars.bars)
        citations.append(Citation(
            "ChartService.GetBars",
            f"daily bars {closes[0].day.isoformat()}..{closes[-1].day.isoformat()}"
            + (f" ({bars.provider})" if bars.provider else ""), _synthetic(bars.data_origin)))
    indicators = await _optional(tools.indicators(ticker.symbol, list(_INDICATORS), context))
    if indicators is not None and indicators.bars:
        citations.append(Citation("ChartService.GetIndicators",
                                  "RSI(14), SMA(50), SMA(200), MACD(12,26,9) on daily bars",
                                  _synthetic(bars.data_origin) if bars else True))
    ratios_response = await _optional(tools.ratios(ticker.symbol, context))
    ratios: tuple[RatioFact, ...] = ()
    if ratios_response is not None:
        ratios = tuple(
            RatioFact(name=field.name,
                      value=Decimal(ratio.value.value) if ratio.HasField("value") else None,
                      unavailable_reason=ratio.unavailable_reason)
            for field, ratio in ratios_response.ratios.ListFields())
        citations.append(Citation(
            "FundamentalsService.GetRatios",
            f"ratios for fiscal year {ratios_response.fiscal_year} at the close of "
            f"{_day(ratios_response.price_date).isoformat()}",
            _synthetic(ratios_response.data_origin)))
    news = await tools.news(symbol=ticker.symbol, sector="", days=REPORT_NEWS_DAYS,
                            limit=NEWS_LIMIT, context=context)
    sentiments, headlines = _headlines(news.news)
    citations.append(Citation("ResearchService.ListNews",
                              f"{len(news.news)} headlines of the last {REPORT_NEWS_DAYS} days "
                              "with their sentiment", True))
    actions = await tools.corporate_actions(ticker.symbol, CORPORATE_ACTIONS_SHOWN, context)
    if actions.corporate_actions:
        citations.append(Citation("ResearchService.ListCorporateActions",
                                  f"the {len(actions.corporate_actions)} latest corporate "
                                  "actions", False))
    return StockFacts(
        symbol=ticker.symbol, name_en=ticker.name_en, name_ar=ticker.name_ar,
        sector=ticker.sector,
        industry_group=securities_pb2.IndustryGroup.Name(ticker.industry_group).removeprefix(
            "INDUSTRY_GROUP_").replace("_", " ").lower() if ticker.industry_group else "",
        market=_MARKETS.get(ticker.market, "unknown"), isin=ticker.isin,
        listing_date=_day(ticker.listing_date) if ticker.HasField("listing_date") else None,
        closes=closes, indicators=_indicator_facts(indicators), ratios=ratios,
        ratios_fiscal_year=ratios_response.fiscal_year if ratios_response else None,
        headlines=headlines, news_sentiment=summarise_sentiment(sentiments),
        corporate_actions=tuple(
            CorporateActionFact(announced_on=_day(action.announcement_date),
                                action_type=research_pb2.CorporateActionType.Name(
                                    action.type).removeprefix("CORPORATE_ACTION_TYPE_"),
                                description=action.description)
            for action in actions.corporate_actions),
        citations=tuple(citations))


def _movers(response: market_pb2.ListTopMoversResponse) -> tuple[MoverFact, ...]:
    return tuple(MoverFact(symbol=m.symbol, name_en=m.name_en, close=m.close,
                           change_percent=m.change_percent, volume=m.volume,
                           turnover=m.turnover) for m in response.movers)


async def market_facts(tools: PlatformTools, context: Context) -> MarketFacts:
    """The latest trading day of the market."""
    summary = await tools.market_summary(context)
    gainers = await tools.top_movers(market_pb2.MOVER_CATEGORY_GAINERS, MOVERS_SHOWN, context)
    losers = await tools.top_movers(market_pb2.MOVER_CATEGORY_LOSERS, MOVERS_SHOWN, context)
    active = await tools.top_movers(market_pb2.MOVER_CATEGORY_MOST_ACTIVE_BY_VALUE,
                                    MOVERS_SHOWN, context)
    news = await tools.news(symbol="", sector="", days=BRIEFING_NEWS_DAYS, limit=NEWS_LIMIT,
                            context=context)
    sentiments, headlines = _headlines(news.news)
    has_tasi = summary.HasField("tasi_as_of")
    synthetic = _synthetic(summary.data_origin)
    return MarketFacts(
        trading_day=_day(summary.trading_day),
        tasi_level=summary.tasi_level if has_tasi else None,
        tasi_change=summary.tasi_change if has_tasi else None,
        tasi_change_percent=summary.tasi_change_percent if has_tasi else None,
        advancers=summary.advancers, decliners=summary.decliners, unchanged=summary.unchanged,
        volume=summary.volume, turnover=summary.turnover,
        gainers=_movers(gainers), losers=_movers(losers), most_active=_movers(active),
        headlines=headlines, news_sentiment=summarise_sentiment(sentiments),
        citations=(
            Citation("MarketService.GetMarketSummary",
                     f"breadth and TASI for {_day(summary.trading_day).isoformat()}", synthetic),
            Citation("MarketService.ListTopMovers",
                     "top gainers, losers and most active by value", synthetic),
            Citation("ResearchService.ListNews",
                     f"{len(news.news)} headlines of the last {BRIEFING_NEWS_DAYS} days with "
                     "their sentiment", True)))
