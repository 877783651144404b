"""AIService over real gRPC, Postgres and Redis: sentiment and stored news, the no-LLM
template paths, and (against a local server speaking the OpenAI protocol, through the
real `openai` client) chat with tool calls, stored conversations, reports and quotas."""

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from financehub.v1 import (
    ai_pb2,
    ai_pb2_grpc,
    quotes_pb2,
    quotes_pb2_grpc,
    research_pb2,
    research_pb2_grpc,
)
from server.ai.sentiment import SentimentModelError
from server.domain.access import Role
from server.domain.calendar import RIYADH
from server.domain.reports import DISCLAIMER, REPORT_SECTION_TITLES
from server.storage.backends import Backends
from tests.support.identity import (
    bearer,
    create_account,
    error_reason,
    fetch_all,
    login,
    refusal,
    status_details,
    violated_fields,
)
from tests.support.openai_server import OpenAIStubServer
from tests.support.services import EventLoopThread, RunningServer, start_test_server
from tests.support.tiny_bert import build_tiny_bert

RECOMMENDATION_WORDS = ("buy", "sell", "hold", "target price")


def signed_in(server: RunningServer, channel: grpc.Channel, role: Role = Role.USER
              ) -> tuple[tuple[str, str], ...]:
    return bearer(login(channel, create_account(server, role)).tokens.access_token)


@pytest.fixture(scope="module")
def user(server: RunningServer, channel: grpc.Channel) -> tuple[tuple[str, str], ...]:
    return signed_in(server, channel)


@pytest.fixture
def ai(channel: grpc.Channel) -> ai_pb2_grpc.AIServiceStub:
    return ai_pb2_grpc.AIServiceStub(channel)


# --- sentiment -------------------------------------------------------------------------


def test_analyze_sentiment_scores_each_text_and_names_the_lexicon_engine(ai, user) -> None:
    texts = ["Net profit rose on strong demand and record earnings",
             "The company reported a loss and impairment charges",
             "The board will meet on Sunday"]
    response = ai.AnalyzeSentiment(ai_pb2.AnalyzeSentimentRequest(texts=texts), metadata=user)
    assert [r.label for r in response.results] == ["positive", "negative", "neutral"]
    for result in response.results:
        assert set(result.scores) == {"positive", "negative", "neutral"}
        assert abs(sum(result.scores.values()) - 1) < 1e-9
        assert result.score == pytest.approx(result.scores["positive"]
                                             - result.scores["negative"])
    assert response.engine.name == "lexicon"
    assert "Loughran" in response.engine.version


@pytest.mark.parametrize(("texts", "field"), [
    ([], "texts"),
    (["fine"] * 65, "texts"),
    (["fine", "   "], "texts[1]"),
    (["x" * 10_001], "texts[0]"),
])
def test_analyze_sentiment_refuses_bad_input_with_the_field(ai, user, texts, field) -> None:
    error = refusal(lambda: ai.AnalyzeSentiment(ai_pb2.AnalyzeSentimentRequest(texts=texts),
                                                metadata=user))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in violated_fields(error)


def test_news_is_stored_once_scored_by_the_engine(channel, seeded: Backends) -> None:
    research = research_pb2_grpc.ResearchServiceStub(channel)
    window = {"start_date": {"year": 2025, "month": 10, "day": 5},
              "end_date": {"year": 2025, "month": 10, "day": 7}}
    listed = research.ListNews(research_pb2.ListNewsRequest(page_size=1000, **window)).news
    assert len(listed) == 3 * 20
    assert all(item.sentiment_engine == "lexicon" and item.sentiment_label
               and set(item.sentiment_scores) == {"positive", "negative", "neutral"}
               for item in listed)
    assert {item.sentiment_label for item in listed} == {"positive", "negative", "neutral"}
    rows = fetch_all(seeded.database_url,
                     "SELECT symbol, headline, sentiment_label FROM news_items"
                     " WHERE published_at >= '2025-10-04T21:00:00Z'"
                     " AND published_at < '2025-10-07T21:00:00Z'")
    assert sorted((r["symbol"], r["headline"], r["sentiment_label"]) for r in rows) == sorted(
        (i.symbol, i.headline, i.sentiment_label) for i in listed)
    # Asking again stores nothing more, and pages walk the same items.
    again, token = [], ""
    while True:
        page = research.ListNews(research_pb2.ListNewsRequest(page_size=7, page_token=token,
                                                              **window))
        again += page.news
        token = page.next_page_token
        if not token:
            break
    assert again == list(listed)
    assert len(fetch_all(seeded.database_url, "SELECT 1 FROM news_days WHERE day BETWEEN"
                         " '2025-10-05' AND '2025-10-07'")) == 3


def _expected_sentiment(database_url: str, since: datetime, until: datetime,
                        symbol: str | None) -> tuple[int, float]:
    rows = fetch_all(database_url,
                     "SELECT sentiment_scores FROM news_items WHERE published_at >= %s"
                     " AND published_at <= %s AND (%s::text IS NULL OR symbol = %s)",
                     (since, until, symbol, symbol))
    scores = [r["sentiment_scores"]["positive"] - r["sentiment_scores"]["negative"]
              for r in rows]
    return len(scores), (sum(scores) / len(scores) if scores else 0.0)


def _band(score: float) -> int:
    if score <= -0.35:
        return ai_pb2.SENTIMENT_BAND_BEARISH
    if score <= -0.15:
        return ai_pb2.SENTIMENT_BAND_SOMEWHAT_BEARISH
    if score < 0.15:
        return ai_pb2.SENTIMENT_BAND_NEUTRAL
    if score < 0.35:
        return ai_pb2.SENTIMENT_BAND_SOMEWHAT_BULLISH
    return ai_pb2.SENTIMENT_BAND_BULLISH


@pytest.mark.parametrize("symbol", [None, "2222"])
def test_market_sentiment_is_the_mean_of_the_stored_news_scores(ai, user, seeded, clean_cache,
                                                                 symbol) -> None:
    days = 31 if symbol else 7
    today = datetime.now(RIYADH).date()
    since = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(),
                             tzinfo=RIYADH)
    before = datetime.now(UTC)
    response = ai.GetMarketSentiment(ai_pb2.GetMarketSentimentRequest(
        symbol=symbol or "", days=days), metadata=user)
    after = datetime.now(UTC)
    # A headline may come due while the call runs: either side of it is right.
    expected = {_expected_sentiment(seeded.database_url, since, moment, symbol)
                for moment in (before, after)}
    assert (response.sample_size, pytest.approx(response.score)) in [
        (n, pytest.approx(score)) for n, score in expected]
    assert response.scope == (f"symbol:{symbol}" if symbol else "market")
    assert response.sample_size > 0
    assert response.band == _band(response.score)
    breakdown = response.breakdown
    assert breakdown.positive + breakdown.negative + breakdown.neutral == response.sample_size
    assert 0 < response.confidence <= 1
    assert response.engine.name == "lexicon"
    assert (response.end_date.year, response.end_date.month, response.end_date.day) == (
        today.year, today.month, today.day)


@pytest.mark.parametrize(("request_", "code", "field"), [
    (ai_pb2.GetMarketSentimentRequest(symbol="2222", sector="energy"),
     grpc.StatusCode.INVALID_ARGUMENT, "sector"),
    (ai_pb2.GetMarketSentimentRequest(days=32), grpc.StatusCode.INVALID_ARGUMENT, "days"),
    (ai_pb2.GetMarketSentimentRequest(days=-1), grpc.StatusCode.INVALID_ARGUMENT, "days"),
    (ai_pb2.GetMarketSentimentRequest(symbol="9999"), grpc.StatusCode.NOT_FOUND, None),
    (ai_pb2.GetMarketSentimentRequest(sector="no such sector"), grpc.StatusCode.NOT_FOUND,
     None),
])
def test_market_sentiment_refusals(ai, user, request_, code, field) -> None:
    error = refusal(lambda: ai.GetMarketSentiment(request_, metadata=user))
    assert error.code() is code
    if field:
        assert field in violated_fields(error)


# --- without an LLM ----------------------------------------------------------------------


def test_chat_without_an_llm_is_a_failed_precondition_with_the_reason(ai, user) -> None:
    error = refusal(lambda: list(ai.Chat(ai_pb2.ChatRequest(message="How is Aramco doing?"),
                                         metadata=user)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "LLM_NOT_CONFIGURED"
    assert "FINANCEHUB_LLM_MODEL" in error.details()


def _assert_a_grounded_report(report: ai_pb2.GenerateStockReportResponse) -> None:
    assert [s.title for s in report.sections] == list(REPORT_SECTION_TITLES)
    for title in REPORT_SECTION_TITLES:
        assert f"## {title}" in report.markdown
    assert report.disclaimer == DISCLAIMER and DISCLAIMER in report.markdown
    sources = {c.source for c in report.citations}
    assert {"MarketService.GetTicker", "ChartService.GetBars",
            "ResearchService.ListNews"} <= sources


def test_stock_report_without_an_llm_comes_from_the_template(ai, user, channel,
                                                              clean_cache) -> None:
    report = ai.GenerateStockReport(ai_pb2.GenerateStockReportRequest(symbol="2222.SR"),
                                    metadata=user)
    assert report.symbol == "2222"
    assert report.engine.name == "template"
    _assert_a_grounded_report(report)
    # Describes, never advises (the disclaimer alone names buying and selling).
    for section in report.sections:
        words = re.findall(r"[a-z]+(?: price)?", section.markdown.lower())
        assert not set(words) & set(RECOMMENDATION_WORDS), section.title
    # The close it reports is the platform's latest close.
    quote = quotes_pb2_grpc.QuoteServiceStub(channel).GetQuote(
        quotes_pb2.GetQuoteRequest(symbol="2222"), metadata=user).quote
    assert f"{quote.previous_close:,.2f}" in report.markdown or \
        f"{quote.price:,.2f}" in report.markdown
    assert report.usage.total_tokens == 0


def test_report_of_an_unknown_symbol_is_not_found(ai, user) -> None:
    error = refusal(lambda: ai.GenerateStockReport(
        ai_pb2.GenerateStockReportRequest(symbol="9999"), metadata=user))
    assert error.code() is grpc.StatusCode.NOT_FOUND


def test_daily_briefing_without_an_llm_comes_from_the_template(ai, user, clean_cache) -> None:
    briefing = ai.GetDailyBriefing(ai_pb2.GetDailyBriefingRequest(), metadata=user)
    assert briefing.engine.name == "template"
    assert briefing.disclaimer == DISCLAIMER and DISCLAIMER in briefing.markdown
    assert {"MarketService.GetMarketSummary", "MarketService.ListTopMovers"} <= {
        c.source for c in briefing.citations}
    assert briefing.as_of.year >= 2025


# --- with an LLM -------------------------------------------------------------------------

TOKENS_PER_DAY = 5000


@pytest.fixture(scope="module")
def stub_llm() -> Iterator[OpenAIStubServer]:
    with OpenAIStubServer() as llm:
        yield llm


@pytest.fixture
def llm(stub_llm: OpenAIStubServer) -> OpenAIStubServer:
    stub_llm.reset()
    return stub_llm


@pytest.fixture(scope="module")
def llm_server(seeded: Backends, stub_llm: OpenAIStubServer) -> Iterator[RunningServer]:
    loop = EventLoopThread()
    running = start_test_server(
        seeded, loop, FINANCEHUB_LLM_MODEL="stub-model", FINANCEHUB_LLM_BASE_URL=stub_llm.base_url,
        FINANCEHUB_LLM_API_KEY="sk-test-secret", FINANCEHUB_LLM_MAX_RETRIES="0",
        FINANCEHUB_LLM_TIMEOUT_SECONDS="2",
        FINANCEHUB_AI_DAILY_TOKENS_STANDARD=str(TOKENS_PER_DAY))
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


@pytest.fixture(scope="module")
def llm_channel(llm_server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(llm_server.address) as opened:
        grpc.channel_ready_future(opened).result(timeout=10)
        yield opened


@pytest.fixture
def assistant(llm_channel: grpc.Channel) -> ai_pb2_grpc.AIServiceStub:
    return ai_pb2_grpc.AIServiceStub(llm_channel)


@pytest.fixture
def llm_user(llm_server, llm_channel) -> tuple[tuple[str, str], ...]:
    return signed_in(llm_server, llm_channel)


def chat(assistant, metadata, message: str, conversation_id: str = "") -> list[ai_pb2.ChatResponse]:
    return list(assistant.Chat(ai_pb2.ChatRequest(message=message,
                                                  conversation_id=conversation_id),
                               metadata=metadata, timeout=20))


def test_chat_streams_tokens_and_keeps_the_conversation(assistant, llm, llm_user) -> None:
    llm.queue_text("Saudi Aramco is the largest listed company on Tadawul.", usage=(40, 12))
    events = chat(assistant, llm_user, "What is Aramco?")
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[0] == "started" and kinds[-1] == "completed"
    deltas = [e.text_delta for e in events if e.WhichOneof("event") == "text_delta"]
    assert len(deltas) > 1
    assert "".join(deltas) == "Saudi Aramco is the largest listed company on Tadawul."
    assert events[0].started.engine.name == "llm"
    assert events[0].started.engine.version == "stub-model"
    completed = events[-1].completed
    assert completed.usage.total_tokens == 52
    assert completed.quota_remaining == TOKENS_PER_DAY - 52
    # The roadmap's system prompt leads every request; the key went as a bearer token.
    sent = llm.chat_requests[0]
    assert sent.messages[0]["role"] == "system"
    assert "recommend" in sent.messages[0]["content"].lower()
    assert sent.authorization == "Bearer sk-test-secret"
    assert sent.model == "stub-model"

    conversation_id = events[0].started.conversation_id
    llm.queue_text("Its symbol is 2222.")
    follow_up = chat(assistant, llm_user, "And its symbol?", conversation_id)
    assert follow_up[0].started.conversation_id == conversation_id
    replayed = [(m["role"], m.get("content")) for m in llm.chat_requests[1].messages[1:]]
    assert replayed == [("user", "What is Aramco?"),
                        ("assistant", "Saudi Aramco is the largest listed company on Tadawul."),
                        ("user", "And its symbol?")]
    stored = assistant.GetConversation(ai_pb2.GetConversationRequest(
        conversation_id=conversation_id), metadata=llm_user)
    assert [(m.role, m.content) for m in stored.messages] == [*replayed[:3],
                                                              ("assistant",
                                                               "Its symbol is 2222.")]
    assert stored.conversation.title == "What is Aramco?"
    listed = assistant.ListConversations(ai_pb2.ListConversationsRequest(),
                                         metadata=llm_user).conversations
    assert [c.conversation_id for c in listed] == [conversation_id]
    assert listed[0].message_count == 4


def test_chat_tool_calls_read_the_platform_data(assistant, llm, llm_user, llm_channel) -> None:
    llm.queue_tool_calls([("get_quote", {"symbol": "2222"})], usage=(30, 5))
    llm.queue_text("Aramco last traded at the price shown.", usage=(60, 8))
    events = chat(assistant, llm_user, "Quote Aramco")
    calls = [e.tool_call for e in events if e.WhichOneof("event") == "tool_call"]
    assert [(c.name, json.loads(c.arguments_json), c.succeeded) for c in calls] == [
        ("get_quote", {"symbol": "2222"}, True)]
    tool_message = llm.chat_requests[1].messages[-1]
    assert tool_message["role"] == "tool"
    quote = quotes_pb2_grpc.QuoteServiceStub(llm_channel).GetQuote(
        quotes_pb2.GetQuoteRequest(symbol="2222"), metadata=llm_user).quote
    assert json.loads(tool_message["content"])["symbol"] == "2222"
    assert json.loads(tool_message["content"])["previous_close"] == quote.previous_close
    assert events[-1].completed.usage.total_tokens == 103
    stored = assistant.GetConversation(ai_pb2.GetConversationRequest(
        conversation_id=events[0].started.conversation_id), metadata=llm_user).messages
    assert [(m.role, m.tool_name) for m in stored] == [
        ("user", ""), ("assistant", ""), ("tool", "get_quote"), ("assistant", "")]


def test_tools_run_with_the_callers_permissions(assistant, llm, llm_server,
                                                llm_channel) -> None:
    for role, allowed in ((Role.USER, False), (Role.PREMIUM, True)):
        llm.reset()
        llm.queue_tool_calls([("get_analyst_consensus", {"symbol": "2222"})])
        llm.queue_text("Done.")
        events = chat(assistant, signed_in(llm_server, llm_channel, role), "Consensus?")
        call = next(e.tool_call for e in events if e.WhichOneof("event") == "tool_call")
        assert call.succeeded is allowed
        result = json.loads(llm.chat_requests[1].messages[-1]["content"])
        if allowed:
            assert result["symbol"] == "2222" and "buy_count" in json.dumps(result)
        else:
            assert "read:premium" in call.error and result["reason"] == "PERMISSION_DENIED"


def test_the_daily_token_quota_refuses_with_a_quota_failure(assistant, llm, llm_user) -> None:
    llm.queue_text("A long answer.", usage=(4000, 1500))
    assert chat(assistant, llm_user, "Tell me everything")[-1].completed.quota_remaining == 0
    usage = assistant.GetUsage(ai_pb2.GetUsageRequest(), metadata=llm_user)
    assert (usage.tokens_used, usage.daily_limit) == (5500, TOKENS_PER_DAY)
    error = refusal(lambda: chat(assistant, llm_user, "And more"))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_reason(error) == "AI_TOKEN_QUOTA_EXCEEDED"
    quota = status_details(error)["QuotaFailure"]
    assert quota.violations[0].subject.startswith("user:")
    assert "RetryInfo" in status_details(error)
    assert len(llm.chat_requests) == 1  # the refused call never reached the LLM


@pytest.mark.parametrize(("failure", "code"), [
    ("500", grpc.StatusCode.UNAVAILABLE),
    ("slow", grpc.StatusCode.DEADLINE_EXCEEDED),
])
def test_llm_failures_map_to_statuses_and_store_nothing(assistant, llm, llm_user, llm_server,
                                                        failure, code) -> None:
    if failure == "500":
        llm.queue_failure(500)
    else:
        llm.queue_delay(5.0, "too late")
    error = refusal(lambda: chat(assistant, llm_user, "Anything"))
    assert error.code() is code
    assert "sk-test-secret" not in (error.details() or "")
    assert not assistant.ListConversations(ai_pb2.ListConversationsRequest(),
                                           metadata=llm_user).conversations
    assert assistant.GetUsage(ai_pb2.GetUsageRequest(), metadata=llm_user).tokens_used == 0


def test_conversations_are_private_and_deletable(assistant, llm, llm_server, llm_channel,
                                                 llm_user) -> None:
    llm.queue_text("Hello.")
    conversation_id = chat(assistant, llm_user, "Hi")[0].started.conversation_id
    stranger = signed_in(llm_server, llm_channel)
    for call, request_type in ((assistant.GetConversation, ai_pb2.GetConversationRequest),
                               (assistant.DeleteConversation,
                                ai_pb2.DeleteConversationRequest)):
        error = refusal(lambda call=call, request_type=request_type: call(
            request_type(conversation_id=conversation_id), metadata=stranger))
        assert error.code() is grpc.StatusCode.NOT_FOUND
    error = refusal(lambda: chat(assistant, stranger, "Continue", conversation_id))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assistant.DeleteConversation(ai_pb2.DeleteConversationRequest(
        conversation_id=conversation_id), metadata=llm_user)
    error = refusal(lambda: assistant.GetConversation(ai_pb2.GetConversationRequest(
        conversation_id=conversation_id), metadata=llm_user))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    error = refusal(lambda: assistant.GetConversation(ai_pb2.GetConversationRequest(
        conversation_id="not-a-uuid"), metadata=llm_user))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    missing = str(uuid.uuid4())
    error = refusal(lambda: chat(assistant, llm_user, "Continue", missing))
    assert error.code() is grpc.StatusCode.NOT_FOUND


def test_llm_report_keeps_grounded_sections_and_replaces_invented_figures(
        assistant, llm, llm_user, redis_client) -> None:
    redis_client.flushdb()
    sections = {title: f"The {title.lower()} of the company, in words." for title in
                REPORT_SECTION_TITLES}
    sections["Fundamentals and valuation"] = "The P/E ratio is 987.65 and rising."
    llm.queue_text("\n\n".join(f"## {title}\n{body}" for title, body in sections.items()),
                   usage=(900, 300))
    report = assistant.GenerateStockReport(ai_pb2.GenerateStockReportRequest(symbol="1120"),
                                           metadata=llm_user)
    assert report.engine.name == "llm" and report.engine.version == "stub-model"
    _assert_a_grounded_report(report)
    bodies = {s.title: s.markdown for s in report.sections}
    assert bodies["Company overview"] == sections["Company overview"]
    assert "987.65" not in report.markdown
    assert "figures not in the platform's data" in bodies["Fundamentals and valuation"]
    assert report.usage.total_tokens == 1200
    # The prompt carried the platform's data for the model to write from.
    prompt = json.dumps(llm.chat_requests[0].messages)
    assert "1120" in prompt and "ChartService.GetBars" in prompt
    # Cached for five minutes: a second ask costs no tokens and reaches no LLM.
    again = assistant.GenerateStockReport(ai_pb2.GenerateStockReportRequest(symbol="1120"),
                                          metadata=llm_user)
    assert again.markdown == report.markdown and len(llm.chat_requests) == 1


def test_llm_briefing_is_written_from_the_market_data_and_counted(
        assistant, llm, llm_user, redis_client) -> None:
    redis_client.flushdb()
    llm.queue_text("## Market overview\nThe market traded.\n\n## Breadth\nMixed.\n\n"
                   "## Top movers\nSee the table.\n\n## News and sentiment\nQuiet.",
                   usage=(700, 100))
    before = assistant.GetUsage(ai_pb2.GetUsageRequest(), metadata=llm_user).tokens_used
    briefing = assistant.GetDailyBriefing(ai_pb2.GetDailyBriefingRequest(), metadata=llm_user)
    assert briefing.engine.name == "llm"
    assert "## Breadth\n\nMixed." in briefing.markdown
    assert briefing.disclaimer == DISCLAIMER and DISCLAIMER in briefing.markdown
    assert briefing.usage.total_tokens == 800
    assert assistant.GetUsage(ai_pb2.GetUsageRequest(),
                              metadata=llm_user).tokens_used == before + 800
    prompt = json.dumps(llm.chat_requests[0].messages)
    assert "MarketService.GetMarketSummary" in prompt


# --- with a FinBERT model ----------------------------------------------------------------


def test_a_configured_finbert_model_answers_and_says_so(seeded, tmp_path,
                                                        loop_thread) -> None:
    model = build_tiny_bert(tmp_path / "finbert", {0: "neutral", 1: "negative", 2: "positive"},
                            dominant="negative")
    running = start_test_server(seeded, loop_thread, FINBERT_MODEL_PATH=str(model),
                                FINANCEHUB_SENTIMENT_BATCH_SIZE="4")
    try:
        with grpc.insecure_channel(running.address) as channel:
            metadata = signed_in(running, channel)
            response = ai_pb2_grpc.AIServiceStub(channel).AnalyzeSentiment(
                ai_pb2.AnalyzeSentimentRequest(texts=[f"headline {n}" for n in range(9)]),
                metadata=metadata)
        assert response.engine.name == "finbert"
        assert [r.label for r in response.results] == ["negative"] * 9
    finally:
        loop_thread.run(running.app.stop(grace_s=1))


def test_a_configured_path_without_a_model_stops_the_start(seeded, tmp_path,
                                                           loop_thread) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SentimentModelError, match="empty"):
        start_test_server(seeded, loop_thread, FINBERT_MODEL_PATH=str(tmp_path / "empty"))
