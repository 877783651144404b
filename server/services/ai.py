"""AIService: sentiment, the assistant, stock reports and the daily briefing
(server/ai/ holds the engines; this parses, validates and answers)."""

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import grpc

from financehub.v1 import ai_pb2, ai_pb2_grpc, securities_pb2
from server.ai.assistant import Assistant, TurnCompleted, TurnStarted
from server.ai.llm import TextDelta, TokenUsage, ToolCalled
from server.ai.news_desk import NewsDesk
from server.ai.quota import TokenQuota
from server.ai.report_writer import ReportWriter, WrittenText
from server.ai.sentiment import SentimentAnalyzer
from server.domain.calendar import RIYADH
from server.domain.errors import (
    FailedPreconditionError,
    NotFoundError,
    ViolationCollector,
)
from server.domain.report_facts import Citation
from server.domain.sentiment import Sentiment, summarise_sentiment
from server.domain.symbols import require_symbol
from server.request_context import current_principal, current_user_id
from server.services.caching import cached_answer
from server.services.conversions import date_message, require_uuid, timestamp_message
from server.services.pagination import (
    decode_page_token,
    encode_page_token,
    encode_time_and_id,
    page_size_from,
    time_and_id_cursor,
)
from server.storage.cache import ResponseCache
from server.storage.conversations import ConversationRecord, ConversationRepository
from server.storage.news import NewsFilter, NewsRepository
from server.storage.securities import SecurityFilter, SecurityRepository

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

MAX_TEXTS = 64
MAX_TEXT_LENGTH = 10_000
MAX_MESSAGE_LENGTH = 4_000
SENTIMENT_DEFAULT_DAYS = 7
SENTIMENT_MAX_DAYS = 31
GET_MARKET_SENTIMENT = "/financehub.v1.AIService/GetMarketSentiment"
GENERATE_STOCK_REPORT = "/financehub.v1.AIService/GenerateStockReport"
GET_DAILY_BRIEFING = "/financehub.v1.AIService/GetDailyBriefing"


def _score_message(sentiment: Sentiment) -> ai_pb2.SentimentScore:
    return ai_pb2.SentimentScore(label=sentiment.label, scores=dict(sentiment.scores),
                                 score=sentiment.score)


def _usage_message(usage: TokenUsage | None) -> ai_pb2.TokenUsage:
    if usage is None:
        return ai_pb2.TokenUsage()
    return ai_pb2.TokenUsage(prompt_tokens=usage.prompt_tokens,
                             completion_tokens=usage.completion_tokens,
                             total_tokens=usage.total)


def _citation_message(citation: Citation) -> ai_pb2.Citation:
    return ai_pb2.Citation(
        source=citation.source, description=citation.description,
        data_origin=(securities_pb2.DATA_ORIGIN_SYNTHETIC if citation.synthetic
                     else securities_pb2.DATA_ORIGIN_REAL))


def _conversation_message(record: ConversationRecord) -> ai_pb2.Conversation:
    return ai_pb2.Conversation(
        conversation_id=record.id, title=record.title,
        create_time=timestamp_message(record.created_at),
        update_time=timestamp_message(record.updated_at), message_count=record.message_count)


def _engine(written: WrittenText) -> ai_pb2.EngineInfo:
    return ai_pb2.EngineInfo(name=written.engine, version=written.engine_version)


class AIServicer(ai_pb2_grpc.AIServiceServicer):
    def __init__(self, *, analyzer: SentimentAnalyzer, news_desk: NewsDesk,
                 news: NewsRepository, securities: SecurityRepository,
                 assistant: Assistant | None, conversations: ConversationRepository,
                 writer: ReportWriter, quota: TokenQuota, cache: ResponseCache) -> None:
        self._analyzer = analyzer
        self._news_desk = news_desk
        self._news = news
        self._securities = securities
        self._assistant = assistant
        self._conversations = conversations
        self._writer = writer
        self._quota = quota
        self._cache = cache

    def _engine_info(self) -> ai_pb2.EngineInfo:
        engine = self._analyzer.engine
        return ai_pb2.EngineInfo(name=engine.name, version=engine.version)

    async def AnalyzeSentiment(self, request: ai_pb2.AnalyzeSentimentRequest,
                               context: Context) -> ai_pb2.AnalyzeSentimentResponse:
        problems = ViolationCollector()
        if not 1 <= len(request.texts) <= MAX_TEXTS:
            problems.add("texts", f"must hold 1 to {MAX_TEXTS} texts")
        for index, text in enumerate(request.texts):
            if not text.strip():
                problems.add(f"texts[{index}]", "must not be empty")
            elif len(text) > MAX_TEXT_LENGTH:
                problems.add(f"texts[{index}]", f"must be at most {MAX_TEXT_LENGTH:,} characters")
        problems.raise_if_any()
        results = await self._analyzer.analyze(list(request.texts))
        return ai_pb2.AnalyzeSentimentResponse(
            results=[_score_message(result) for result in results], engine=self._engine_info())

    async def GetMarketSentiment(self, request: ai_pb2.GetMarketSentimentRequest,
                                 context: Context) -> ai_pb2.GetMarketSentimentResponse:
        problems = ViolationCollector()
        if request.symbol and request.sector:
            problems.add("sector", "give a symbol or a sector, not both")
        if not 0 <= request.days <= SENTIMENT_MAX_DAYS:
            problems.add("days", f"must be 1..{SENTIMENT_MAX_DAYS} (0: {SENTIMENT_DEFAULT_DAYS})")
        problems.raise_if_any()
        symbol = require_symbol(request.symbol) if request.symbol else None
        sector = request.sector.strip().lower() or None
        if symbol is not None and await self._securities.get(symbol) is None:
            raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
        if sector is not None and not (await self._securities.list_page(
                SecurityFilter(sector=sector), after_symbol=None, limit=1))[0]:
            raise NotFoundError("sector", request.sector, reason="SECTOR_NOT_FOUND")
        days = request.days or SENTIMENT_DEFAULT_DAYS
        end = datetime.now(RIYADH).date()
        start = end - timedelta(days=days - 1)
        normalized = ai_pb2.GetMarketSentimentRequest(symbol=symbol or "", sector=sector or "",
                                                      days=days)

        async def load() -> ai_pb2.GetMarketSentimentResponse:
            await self._news_desk.ensure_stored(start, end)
            news = await self._news.scored(
                NewsFilter.for_days(start, end, symbol=symbol, sector=sector))
            summary = summarise_sentiment([n.sentiment for n in news])
            engines = sorted({n.engine for n in news})
            current = self._analyzer.engine
            engine = (self._engine_info() if engines in ([], [current.name])
                      else ai_pb2.EngineInfo(name=engines[0] if len(engines) == 1 else "mixed",
                                             version=", ".join(engines)))
            return ai_pb2.GetMarketSentimentResponse(
                scope=f"symbol:{symbol}" if symbol else f"sector:{sector}" if sector
                else "market",
                start_date=date_message(start), end_date=date_message(end),
                sample_size=summary.sample_size, score=summary.score,
                band=(ai_pb2.SentimentBand.Value(f"SENTIMENT_BAND_{summary.band.name}")
                      if summary.band else ai_pb2.SENTIMENT_BAND_UNSPECIFIED),
                confidence=summary.confidence,
                breakdown=ai_pb2.SentimentBreakdown(**summary.counts),
                engine=engine, data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC)

        return await cached_answer(self._cache, GET_MARKET_SENTIMENT, normalized,
                                   ai_pb2.GetMarketSentimentResponse, load)

    async def Chat(self, request: ai_pb2.ChatRequest,
                   context: Context) -> AsyncIterator[ai_pb2.ChatResponse]:
        problems = ViolationCollector()
        if not request.message.strip():
            problems.add("message", "must not be empty")
        elif len(request.message) > MAX_MESSAGE_LENGTH:
            problems.add("message", f"must be at most {MAX_MESSAGE_LENGTH:,} characters")
        conversation_id = (require_uuid(request.conversation_id, "conversation_id")
                           if request.conversation_id else None)
        problems.raise_if_any()
        if self._assistant is None:
            raise FailedPreconditionError(
                "no LLM is configured on this server (set FINANCEHUB_LLM_MODEL and "
                "FINANCEHUB_LLM_BASE_URL); sentiment, reports and the briefing still work "
                "without one", reason="LLM_NOT_CONFIGURED")
        async for event in self._assistant.turn(current_principal(), conversation_id,
                                                request.message, context):
            if isinstance(event, TurnStarted):
                yield ai_pb2.ChatResponse(started=ai_pb2.ChatStarted(
                    conversation_id=event.conversation_id,
                    engine=ai_pb2.EngineInfo(name="llm", version=event.model)))
            elif isinstance(event, TextDelta):
                yield ai_pb2.ChatResponse(text_delta=event.text)
            elif isinstance(event, ToolCalled):
                error = str(event.result.get("error", ""))
                yield ai_pb2.ChatResponse(tool_call=ai_pb2.ToolCall(
                    name=event.name, arguments_json=_json_text(event.arguments),
                    succeeded=not error, error=error))
            elif isinstance(event, TurnCompleted):
                yield ai_pb2.ChatResponse(completed=ai_pb2.ChatCompleted(
                    finish_reason=event.finish_reason, usage=_usage_message(event.usage),
                    quota_remaining=event.quota_remaining))

    async def ListConversations(self, request: ai_pb2.ListConversationsRequest,
                                context: Context) -> ai_pb2.ListConversationsResponse:
        size = page_size_from(request.page_size, default=20, maximum=100)
        after = time_and_id_cursor(decode_page_token(request.page_token, ()))
        records = await self._conversations.page(user_id=current_user_id(), after=after,
                                                 limit=size + 1)
        last = records[size - 1] if len(records) > size else None
        return ai_pb2.ListConversationsResponse(
            conversations=[_conversation_message(r) for r in records[:size]],
            next_page_token=(encode_page_token(encode_time_and_id(last.updated_at, last.id), ())
                             if last else ""))

    async def _owned(self, conversation_id: str) -> ConversationRecord:
        identifier = require_uuid(conversation_id, "conversation_id")
        record = await self._conversations.get(user_id=current_user_id(),
                                               conversation_id=identifier)
        if record is None:
            raise NotFoundError("conversation", conversation_id,
                                reason="CONVERSATION_NOT_FOUND")
        return record

    async def GetConversation(self, request: ai_pb2.GetConversationRequest,
                              context: Context) -> ai_pb2.GetConversationResponse:
        record = await self._owned(request.conversation_id)
        messages = await self._conversations.messages(record.id)
        return ai_pb2.GetConversationResponse(
            conversation=_conversation_message(record),
            messages=[ai_pb2.ConversationMessage(
                role=m.role, content=m.content, tool_name=m.tool_name,
                create_time=timestamp_message(m.created_at)) for m in messages])

    async def DeleteConversation(self, request: ai_pb2.DeleteConversationRequest,
                                 context: Context) -> ai_pb2.DeleteConversationResponse:
        record = await self._owned(request.conversation_id)
        await self._conversations.delete(user_id=current_user_id(), conversation_id=record.id)
        return ai_pb2.DeleteConversationResponse()

    async def GenerateStockReport(self, request: ai_pb2.GenerateStockReportRequest,
                                  context: Context) -> ai_pb2.GenerateStockReportResponse:
        symbol = require_symbol(request.symbol)

        async def load() -> ai_pb2.GenerateStockReportResponse:
            report = await self._writer.stock_report(current_principal(), symbol, context)
            return ai_pb2.GenerateStockReportResponse(
                symbol=symbol, markdown=report.markdown,
                sections=[ai_pb2.ReportSection(title=title, markdown=body)
                          for title, body in report.sections],
                citations=[_citation_message(c) for c in report.citations],
                disclaimer=report.disclaimer, engine=_engine(report),
                generate_time=timestamp_message(report.generated_at),
                as_of=date_message(report.as_of), usage=_usage_message(report.usage))

        return await cached_answer(self._cache, GENERATE_STOCK_REPORT,
                                   ai_pb2.GenerateStockReportRequest(symbol=symbol),
                                   ai_pb2.GenerateStockReportResponse, load)

    async def GetDailyBriefing(self, request: ai_pb2.GetDailyBriefingRequest,
                               context: Context) -> ai_pb2.GetDailyBriefingResponse:
        async def load() -> ai_pb2.GetDailyBriefingResponse:
            briefing = await self._writer.daily_briefing(current_principal(), context)
            return ai_pb2.GetDailyBriefingResponse(
                markdown=briefing.markdown,
                citations=[_citation_message(c) for c in briefing.citations],
                disclaimer=briefing.disclaimer, engine=_engine(briefing),
                generate_time=timestamp_message(briefing.generated_at),
                as_of=date_message(briefing.as_of), usage=_usage_message(briefing.usage))

        return await cached_answer(self._cache, GET_DAILY_BRIEFING,
                                   ai_pb2.GetDailyBriefingRequest(),
                                   ai_pb2.GetDailyBriefingResponse, load)

    async def GetUsage(self, request: ai_pb2.GetUsageRequest,
                       context: Context) -> ai_pb2.GetUsageResponse:
        status = await self._quota.status(current_principal())
        return ai_pb2.GetUsageResponse(day=date_message(status.day), tokens_used=status.used,
                                       daily_limit=status.limit,
                                       reset_time=timestamp_message(status.resets_at))


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)

