"""LlmClient: the real openai client over real HTTP against the scripted local server."""

import asyncio
import json
import math
import socket
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from server.ai.llm import (
    FINISH_TOOL_ROUND_LIMIT,
    ChatEvent,
    ChatFinished,
    Completion,
    LlmClient,
    LlmSettings,
    TextDelta,
    TokenUsage,
    ToolCalled,
    ToolSpec,
)
from server.domain.errors import DeadlineExceededError, DomainError, UnavailableError
from tests.support.openai_server import OpenAIStubServer

pytestmark = pytest.mark.timeout(30)

T = TypeVar("T")

API_KEY = "sk-test-3f9a1c7e5b2d4a6f8e0c"
MODEL = "stub-model"
QUOTE_TOOL = ToolSpec(
    "get_quote", "The latest quote of a Tadawul symbol.",
    {"type": "object", "properties": {"symbol": {"type": "string"}}, "required": ["symbol"]},
)
NEWS_TOOL = ToolSpec(
    "get_news", "Recent news about a Tadawul symbol.",
    {"type": "object", "properties": {"symbol": {"type": "string"}}, "required": ["symbol"]},
)
QUESTION = [
    {"role": "system", "content": "You are FinanceHub's market assistant."},
    {"role": "user", "content": "How is Aramco doing today?"},
]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, 10))


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIStubServer]:
    with OpenAIStubServer() as running:
        yield running


@pytest.fixture
def llm(server: OpenAIStubServer) -> OpenAIStubServer:
    server.reset()
    return server


def settings(llm: OpenAIStubServer, **overrides: Any) -> LlmSettings:
    values: dict[str, Any] = {"base_url": llm.base_url, "api_key": API_KEY, "model": MODEL,
                              "timeout_s": 3.0, "max_retries": 0}
    values.update(overrides)
    return LlmSettings(**values)


class Executor:
    """Records the calls it runs; answers each tool with a fixed result."""

    def __init__(self, results: dict[str, dict[str, Any]] | None = None) -> None:
        self.results = results or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((name, arguments))
        return self.results.get(name, {"ok": True, "symbol": arguments.get("symbol")})


async def chat(
    llm_settings: LlmSettings,
    messages: list[dict[str, Any]],
    *,
    tools: tuple[ToolSpec, ...] = (),
    executor: Executor | None = None,
    timeout_s: float | None = None,
    events: list[ChatEvent] | None = None,
) -> list[ChatEvent]:
    """All the events of one chat; `events`, when given, keeps those before an error."""
    received = [] if events is None else events
    client = LlmClient(llm_settings)
    try:
        async for event in client.stream_chat(messages, tools=tools,
                                              execute_tool=executor or Executor(),
                                              timeout_s=timeout_s):
            received.append(event)
    finally:
        await client.close()
    return received


async def complete(llm_settings: LlmSettings, messages: list[dict[str, Any]],
                   **kwargs: Any) -> Completion:
    client = LlmClient(llm_settings)
    try:
        return await client.complete(messages, **kwargs)
    finally:
        await client.close()


def finished(events: list[ChatEvent]) -> ChatFinished:
    assert isinstance(events[-1], ChatFinished), events
    assert sum(isinstance(event, ChatFinished) for event in events) == 1
    return events[-1]


def texts(events: list[ChatEvent]) -> list[str]:
    return [event.text for event in events if isinstance(event, TextDelta)]


def tool_events(events: list[ChatEvent]) -> list[ToolCalled]:
    return [event for event in events if isinstance(event, ToolCalled)]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- streaming text and usage -----------------------------------------------------------------

def test_streamed_text_arrives_as_several_deltas_in_order(llm: OpenAIStubServer) -> None:
    chunks = ["Aramco ", "trades ", "at ", "24.10 ", "SAR, ", "up 0.4%."]
    llm.queue_text(chunks, usage=(31, 9))

    events = run(chat(settings(llm), QUESTION))

    assert texts(events) == chunks
    done = finished(events)
    assert done.finish_reason == "stop"
    assert done.usage == TokenUsage(31, 9)
    assert done.usage.total == 40
    assert done.messages == [{"role": "assistant", "content": "".join(chunks)}]
    [request] = llm.chat_requests
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.model == MODEL
    assert request.messages == QUESTION
    assert request.body is not None
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["temperature"] == 0.2
    # OpenAI refuses an empty tools list and a tool_choice without tools.
    assert "tools" not in request.body and "tool_choice" not in request.body


def test_a_plain_string_reply_streams_word_by_word(llm: OpenAIStubServer) -> None:
    reply = "The Tadawul All Share Index closed higher, led by banks."
    llm.queue_text(reply)

    events = run(chat(settings(llm), QUESTION))

    assert len(texts(events)) == len(reply.split())
    assert "".join(texts(events)) == reply


@pytest.mark.parametrize("usage", [None, (0, 0)], ids=["no usage", "zero usage"])
def test_usage_is_estimated_when_the_server_reports_none(
        llm: OpenAIStubServer, usage: tuple[int, int] | None) -> None:
    reply = "Aramco closed at 24.10 SAR on volume of 12 million shares."
    llm.queue_text(reply, usage=usage)

    done = finished(run(chat(settings(llm), QUESTION)))

    sent = json.dumps(QUESTION, ensure_ascii=False)
    assert done.usage == TokenUsage(math.ceil(len(sent) / 4), math.ceil(len(reply) / 4))
    assert done.usage.prompt_tokens > 0 and done.usage.completion_tokens > 0


def test_token_usage_adds_up() -> None:
    assert TokenUsage(10, 2) + TokenUsage(5, 1) == TokenUsage(15, 3)
    assert (TokenUsage(10, 2) + TokenUsage(5, 1)).total == 18


def test_an_empty_key_still_reaches_a_keyless_local_server(llm: OpenAIStubServer) -> None:
    llm.queue_text("Hello.")

    events = run(chat(settings(llm, api_key=""), QUESTION))

    assert "".join(texts(events)) == "Hello."
    assert len(llm.chat_requests) == 1


def test_settings_repr_leaves_the_key_out(llm: OpenAIStubServer) -> None:
    assert API_KEY not in repr(settings(llm))
    assert MODEL in repr(settings(llm))


# -- tool calls -------------------------------------------------------------------------------

def test_a_tool_call_round_trip(llm: OpenAIStubServer) -> None:
    quote = {"symbol": "2222", "price": 24.1, "change_percent": 0.42}
    [call_id] = llm.queue_tool_calls([("get_quote", {"symbol": "2222"})], usage=(120, 15))
    llm.queue_text("Aramco trades at 24.10 SAR, up 0.42%.", usage=(180, 12))
    executor = Executor({"get_quote": quote})

    events = run(chat(settings(llm), QUESTION, tools=(QUOTE_TOOL, NEWS_TOOL),
                      executor=executor))

    assert executor.calls == [("get_quote", {"symbol": "2222"})]
    assert tool_events(events) == [ToolCalled(call_id, "get_quote", {"symbol": "2222"}, quote)]
    # The tool event comes before the answer's text, which streams after it.
    assert isinstance(events[0], ToolCalled)
    assert "".join(texts(events)) == "Aramco trades at 24.10 SAR, up 0.42%."
    assert len(texts(events)) > 1
    done = finished(events)
    assert done.finish_reason == "stop"
    assert done.usage == TokenUsage(300, 27)

    first, second = llm.chat_requests
    assert first.tools == [QUOTE_TOOL.as_openai_tool(), NEWS_TOOL.as_openai_tool()]
    assert first.tools[0] == {"type": "function", "function": {
        "name": "get_quote", "description": QUOTE_TOOL.description,
        "parameters": QUOTE_TOOL.parameters}}
    assert first.body is not None and "tool_choice" not in first.body
    assistant, tool_result = second.messages[len(QUESTION):]
    assert second.messages[:len(QUESTION)] == QUESTION
    assert assistant == {"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function",
         "function": {"name": "get_quote", "arguments": json.dumps({"symbol": "2222"})}}]}
    assert tool_result == {"role": "tool", "tool_call_id": call_id, "content": json.dumps(quote)}
    assert second.tools == first.tools


def test_two_tool_calls_in_one_round_run_in_order(llm: OpenAIStubServer) -> None:
    call_ids = llm.queue_tool_calls([("get_quote", {"symbol": "2222"}),
                                     ("get_news", {"symbol": "1120"})])
    llm.queue_text("Both look steady.")
    executor = Executor()

    events = run(chat(settings(llm), QUESTION, tools=(QUOTE_TOOL, NEWS_TOOL),
                      executor=executor))

    assert executor.calls == [("get_quote", {"symbol": "2222"}), ("get_news", {"symbol": "1120"})]
    assert [event.call_id for event in tool_events(events)] == call_ids
    second = llm.chat_requests[1]
    assistant, *results = second.messages[len(QUESTION):]
    assert [call["id"] for call in assistant["tool_calls"]] == call_ids
    assert [call["function"]["name"] for call in assistant["tool_calls"]] == [
        "get_quote", "get_news"]
    assert [result["tool_call_id"] for result in results] == call_ids
    assert [json.loads(result["content"]) for result in results] == [
        {"ok": True, "symbol": "2222"}, {"ok": True, "symbol": "1120"}]
    assert finished(events).finish_reason == "stop"


@pytest.mark.parametrize("raw_arguments", ['{"symbol": "2222"', '["2222"]', "2222"],
                         ids=["truncated JSON", "an array", "a number"])
def test_malformed_arguments_go_back_to_the_model_as_an_error(
        llm: OpenAIStubServer, raw_arguments: str) -> None:
    [call_id] = llm.queue_tool_calls([("get_quote", raw_arguments)])
    llm.queue_text("Let me try that again.")
    executor = Executor()

    events = run(chat(settings(llm), QUESTION, tools=(QUOTE_TOOL,), executor=executor))

    assert executor.calls == []
    [called] = tool_events(events)
    assert called.call_id == call_id and "error" in called.result
    tool_message = llm.chat_requests[1].messages[-1]
    assert tool_message["tool_call_id"] == call_id
    assert "error" in json.loads(tool_message["content"])
    # What the model sent is kept as it was, so the history shows its mistake.
    assert llm.chat_requests[1].messages[-2]["tool_calls"][0]["function"]["arguments"] == (
        raw_arguments)
    assert "".join(texts(events)) == "Let me try that again."


def test_a_tool_that_was_not_offered_is_not_run(llm: OpenAIStubServer) -> None:
    llm.queue_tool_calls([("delete_all_orders", {})])
    llm.queue_text("I cannot do that.")
    executor = Executor()

    events = run(chat(settings(llm), QUESTION, tools=(QUOTE_TOOL,), executor=executor))

    assert executor.calls == []
    [called] = tool_events(events)
    assert "unknown tool" in called.result["error"]
    assert "get_quote" in called.result["error"]


def test_arguments_of_a_call_without_parameters_may_be_empty(llm: OpenAIStubServer) -> None:
    market_tool = ToolSpec("market_status", "Whether the market is open.",
                           {"type": "object", "properties": {}})
    llm.queue_tool_calls([("market_status", "")])
    llm.queue_text("The market is open.")
    executor = Executor({"market_status": {"open": True}})

    run(chat(settings(llm), QUESTION, tools=(market_tool,), executor=executor))

    assert executor.calls == [("market_status", {})]


def test_after_the_round_limit_the_model_must_answer_without_tools(
        llm: OpenAIStubServer) -> None:
    llm.queue_tool_calls([("get_quote", {"symbol": "2222"})])
    llm.queue_tool_calls([("get_quote", {"symbol": "1120"})])
    llm.queue_text("Here is what I found.")
    executor = Executor()

    events = run(chat(settings(llm, max_tool_rounds=2), QUESTION, tools=(QUOTE_TOOL,),
                      executor=executor))

    assert len(executor.calls) == 2
    requests = llm.chat_requests
    assert len(requests) == 3
    assert [(request.body or {}).get("tool_choice") for request in requests] == [
        None, None, "none"]
    # tool_choice needs the tools alongside it.
    assert requests[2].tools == [QUOTE_TOOL.as_openai_tool()]
    done = finished(events)
    assert done.finish_reason == "stop"
    assert "".join(texts(events)) == "Here is what I found."


def test_a_server_ignoring_tool_choice_ends_at_the_round_limit(llm: OpenAIStubServer) -> None:
    for symbol in ("2222", "1120", "2010"):
        llm.queue_tool_calls([("get_quote", {"symbol": symbol})], text="Checking. ")
    executor = Executor()

    events = run(chat(settings(llm, max_tool_rounds=2), QUESTION, tools=(QUOTE_TOOL,),
                      executor=executor))

    assert [arguments["symbol"] for _, arguments in executor.calls] == ["2222", "1120"]
    assert len(llm.chat_requests) == 3
    done = finished(events)
    assert done.finish_reason == FINISH_TOOL_ROUND_LIMIT
    # The calls that were not run are not in the history: every stored call has its result.
    assert done.messages[-1] == {"role": "assistant", "content": "Checking. "}
    assert sum(message["role"] == "tool" for message in done.messages) == 2


def test_finished_messages_replay_as_the_next_turns_history(llm: OpenAIStubServer) -> None:
    [call_id] = llm.queue_tool_calls([("get_quote", {"symbol": "2222"})], text="Looking. ")
    llm.queue_text("Aramco trades at 24.10 SAR.")
    done = finished(run(chat(settings(llm), QUESTION, tools=(QUOTE_TOOL,))))

    assert [message["role"] for message in done.messages] == ["assistant", "tool", "assistant"]
    assert done.messages[0]["content"] == "Looking. "
    assert done.messages[0]["tool_calls"][0]["id"] == call_id
    assert done.messages[1]["tool_call_id"] == call_id
    assert done.messages[2] == {"role": "assistant", "content": "Aramco trades at 24.10 SAR."}

    # The stub refuses (400) a history the real API would refuse, e.g. an unanswered call.
    history = QUESTION + done.messages + [{"role": "user", "content": "And Al Rajhi?"}]
    llm.queue_text("Al Rajhi trades at 98.50 SAR.")
    events = run(chat(settings(llm), json.loads(json.dumps(history)), tools=(QUOTE_TOOL,)))

    assert "".join(texts(events)) == "Al Rajhi trades at 98.50 SAR."
    assert llm.chat_requests[-1].messages == history


def test_a_history_the_api_would_refuse_is_reported_as_rejected(llm: OpenAIStubServer) -> None:
    orphan = QUESTION + [{"role": "tool", "tool_call_id": "call_nowhere", "content": "{}"}]

    with pytest.raises(UnavailableError) as raised:
        run(chat(settings(llm), orphan))

    assert raised.value.reason == "LLM_REJECTED_REQUEST"
    assert "tool_calls" in raised.value.message


# -- complete() -------------------------------------------------------------------------------

def test_complete_returns_the_whole_answer(llm: OpenAIStubServer) -> None:
    llm.queue_text("Aramco is the largest company on Tadawul.", usage=(25, 9))

    completion = run(complete(settings(llm), QUESTION, max_tokens=64))

    assert completion == Completion("Aramco is the largest company on Tadawul.",
                                    TokenUsage(25, 9), "stop")
    [request] = llm.chat_requests
    assert request.body is not None
    assert not request.body.get("stream")
    assert request.body["max_tokens"] == 64
    assert "tools" not in request.body


def test_complete_estimates_usage_and_reports_truncation(llm: OpenAIStubServer) -> None:
    llm.queue_text("Aramco is the largest", finish_reason="length")

    completion = run(complete(settings(llm), QUESTION))

    assert completion.finish_reason == "length"
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    assert "max_tokens" not in (llm.chat_requests[0].body or {})


# -- time -------------------------------------------------------------------------------------

def test_a_server_slower_than_the_configured_timeout(llm: OpenAIStubServer) -> None:
    llm.queue_delay(3.0)

    with pytest.raises(DeadlineExceededError) as raised:
        run(chat(settings(llm, timeout_s=0.3), QUESTION))

    assert raised.value.reason == "LLM_TIMEOUT"


def test_the_calls_deadline_bounds_the_whole_call_retries_included(
        llm: OpenAIStubServer) -> None:
    # Left to itself the openai client would retry each timed-out attempt.
    llm.queue_delay(3.0)
    llm.queue_delay(3.0)
    started = time.monotonic()

    with pytest.raises(DeadlineExceededError) as raised:
        run(chat(settings(llm, timeout_s=5.0, max_retries=1), QUESTION, timeout_s=0.4))

    assert raised.value.reason == "LLM_TIMEOUT"
    assert time.monotonic() - started < 1.5
    assert len(llm.chat_requests) == 1


def test_a_stream_that_stalls_after_some_tokens_times_out(llm: OpenAIStubServer) -> None:
    llm.queue_text(["Aramco ", "trades ", "at"], chunk_delay_s=0.25)
    events: list[ChatEvent] = []

    with pytest.raises(DeadlineExceededError):
        run(chat(settings(llm), QUESTION, timeout_s=0.6, events=events))

    assert texts(events)[:1] == ["Aramco "]
    assert not any(isinstance(event, ChatFinished) for event in events)


def test_complete_honours_the_calls_deadline(llm: OpenAIStubServer) -> None:
    llm.queue_delay(3.0)

    with pytest.raises(DeadlineExceededError):
        run(complete(settings(llm), QUESTION, timeout_s=0.3))


# -- failures ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_retried_then_reported_unavailable(
        llm: OpenAIStubServer, status: int) -> None:
    llm.queue_failure(status, times=3, retry_after_ms=1)

    with pytest.raises(UnavailableError) as raised:
        run(chat(settings(llm, max_retries=2), QUESTION))

    assert raised.value.reason == "LLM_UNAVAILABLE"
    assert raised.value.metadata["http_status"] == str(status)
    assert len(llm.chat_requests) == 3


def test_a_retry_that_succeeds_is_invisible(llm: OpenAIStubServer) -> None:
    llm.queue_failure(502, retry_after_ms=1)
    llm.queue_text("Recovered.")

    events = run(chat(settings(llm, max_retries=2), QUESTION))

    assert "".join(texts(events)) == "Recovered."
    assert len(llm.chat_requests) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_are_the_operators_problem(
        llm: OpenAIStubServer, status: int) -> None:
    # The stub's 401 quotes the presented key in full, worse than OpenAI's masked echo.
    llm.queue_failure(status, message=None if status == 401 else f"Key {API_KEY} is blocked.")

    with pytest.raises(UnavailableError) as raised:
        run(chat(settings(llm, max_retries=2), QUESTION))

    error = raised.value
    assert error.reason == "LLM_CREDENTIALS_REJECTED"
    assert API_KEY not in str(error) and API_KEY not in error.message
    assert API_KEY not in json.dumps(error.metadata)
    assert len(llm.chat_requests) == 1  # no retry: a second try would be refused alike


@pytest.mark.parametrize("status", [400, 404])
def test_a_rejected_request_names_the_model_and_the_providers_reason(
        llm: OpenAIStubServer, status: int) -> None:
    llm.queue_failure(status, message=f"The model `{MODEL}` does not exist (key {API_KEY}).")

    with pytest.raises(UnavailableError) as raised:
        run(chat(settings(llm), QUESTION))

    assert raised.value.reason == "LLM_REJECTED_REQUEST"
    assert "does not exist" in raised.value.message and MODEL in raised.value.message
    assert API_KEY not in raised.value.message


def test_a_closed_port_is_unavailable() -> None:
    unreachable = LlmSettings(base_url=f"http://127.0.0.1:{closed_port()}/v1",
                              api_key=API_KEY, model=MODEL, timeout_s=2.0, max_retries=0)

    with pytest.raises(UnavailableError) as raised:
        run(chat(unreachable, QUESTION))

    assert raised.value.reason == "LLM_UNAVAILABLE"
    assert API_KEY not in raised.value.message


@pytest.mark.parametrize("how", ["error_event", "disconnect"])
def test_a_stream_failing_after_some_tokens_is_reported_unavailable(
        llm: OpenAIStubServer, how: Any) -> None:
    llm.queue_broken_stream(["Aramco ", "trades "], how=how)
    events: list[ChatEvent] = []

    with pytest.raises(UnavailableError) as raised:
        run(chat(settings(llm, max_retries=2), QUESTION, events=events))

    assert texts(events) == ["Aramco ", "trades "]
    assert raised.value.reason == "LLM_UNAVAILABLE"
    # The stream had begun: it is not replayed.
    assert len(llm.chat_requests) == 1


def test_a_stream_event_that_is_not_json_is_a_bad_response(llm: OpenAIStubServer) -> None:
    llm.queue_broken_stream(["Aramco "], how="malformed_chunk")

    with pytest.raises(UnavailableError) as raised:
        run(chat(settings(llm), QUESTION))

    assert raised.value.reason == "LLM_BAD_RESPONSE"


def test_a_chat_abandoned_mid_stream_frees_its_connection(llm: OpenAIStubServer) -> None:
    llm.queue_text(["Aramco ", "trades ", "at ", "24.10."], chunk_delay_s=0.05)
    llm.queue_text("Next question.")

    async def abandon_then_ask_again() -> list[ChatEvent]:
        client = LlmClient(settings(llm))
        try:
            stream = client.stream_chat(QUESTION, tools=(), execute_tool=Executor())
            first = await anext(stream)
            await stream.aclose()
            assert first == TextDelta("Aramco ")
            return [event async for event in
                    client.stream_chat(QUESTION, tools=(), execute_tool=Executor())]
        finally:
            await client.close()

    events = run(abandon_then_ask_again())

    assert "".join(texts(events)) == "Next question."


def test_only_domain_errors_leave_the_client(llm: OpenAIStubServer) -> None:
    llm.queue_failure(418)

    with pytest.raises(DomainError) as raised:
        run(complete(settings(llm), QUESTION))

    assert isinstance(raised.value, UnavailableError)


# -- the stub itself --------------------------------------------------------------------------

def test_the_stub_lists_its_models_and_answers_unscripted_requests(
        llm: OpenAIStubServer) -> None:
    with urllib.request.urlopen(f"{llm.base_url}/models", timeout=5) as response:
        listing = json.load(response)
    assert [model["id"] for model in listing["data"]] == [MODEL]

    completion = run(complete(settings(llm), QUESTION))

    assert completion.text == llm.default_text
    assert llm.pending == 0
    assert [request.path for request in llm.requests] == ["/v1/models",
                                                          "/v1/chat/completions"]
