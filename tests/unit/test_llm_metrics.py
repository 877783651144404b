"""`financehub_llm_request_seconds`: each request to the model timed by kind and outcome,
against the scripted local OpenAI-protocol server."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from server.ai.llm import LlmClient, LlmSettings
from server.domain.errors import DeadlineExceededError, UnavailableError
from tests.support.openai_server import OpenAIStubServer
from tests.unit.test_llm_client import QUESTION, QUOTE_TOOL, Executor, closed_port

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def llm() -> Iterator[OpenAIStubServer]:
    with OpenAIStubServer() as running:
        yield running


def requests(kind: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("financehub_llm_request_seconds_count",
                                     {"kind": kind, "outcome": outcome}) or 0.0


def seconds(kind: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("financehub_llm_request_seconds_sum",
                                     {"kind": kind, "outcome": outcome}) or 0.0


def client(base_url: str, **overrides: Any) -> LlmClient:
    return LlmClient(LlmSettings(**{"base_url": base_url, "api_key": "k", "model": "stub-model",
                                    "timeout_s": 3.0, "max_retries": 0, **overrides}))


def run_with(llm_client: LlmClient, work: Any) -> Any:
    async def scenario() -> Any:
        try:
            return await work(llm_client)
        finally:
            await llm_client.close()
    return asyncio.run(asyncio.wait_for(scenario(), 10))


def test_a_completion_is_one_timed_request(llm: OpenAIStubServer) -> None:
    llm.reset()
    llm.queue_text("Aramco is the largest company on Tadawul.", delay_s=0.05)
    before, before_s = requests("complete", "ok"), seconds("complete", "ok")

    run_with(client(llm.base_url), lambda c: c.complete(QUESTION))

    assert requests("complete", "ok") == before + 1
    assert seconds("complete", "ok") - before_s >= 0.05


def test_each_streamed_round_of_a_chat_is_a_request(llm: OpenAIStubServer) -> None:
    llm.reset()
    llm.queue_tool_calls([("get_quote", {"symbol": "2222"})])
    llm.queue_text("Aramco trades at 24.10 SAR.")
    before = requests("stream", "ok")

    async def chat(c: LlmClient) -> list[Any]:
        return [event async for event in c.stream_chat(QUESTION, tools=(QUOTE_TOOL,),
                                                       execute_tool=Executor())]

    run_with(client(llm.base_url), chat)

    assert requests("stream", "ok") == before + 2


def test_failures_are_timed_by_their_reason(llm: OpenAIStubServer) -> None:
    llm.reset()
    llm.queue_delay(2.0)
    timeouts, unreachable = requests("complete", "timeout"), requests("complete", "unavailable")

    with pytest.raises(DeadlineExceededError):
        run_with(client(llm.base_url, timeout_s=0.2), lambda c: c.complete(QUESTION))
    with pytest.raises(UnavailableError):
        run_with(client(f"http://127.0.0.1:{closed_port()}/v1"), lambda c: c.complete(QUESTION))

    assert requests("complete", "timeout") == timeouts + 1
    assert requests("complete", "unavailable") == unreachable + 1


def test_a_chat_abandoned_mid_stream_counts_as_cancelled(llm: OpenAIStubServer) -> None:
    llm.reset()
    llm.queue_text(["Aramco ", "trades ", "at ", "24.10."], chunk_delay_s=0.05)
    before, ok = requests("stream", "cancelled"), requests("stream", "ok")

    async def abandon(c: LlmClient) -> None:
        stream = c.stream_chat(QUESTION, tools=(), execute_tool=Executor())
        await anext(stream)
        await stream.aclose()

    run_with(client(llm.base_url), abandon)

    assert requests("stream", "cancelled") == before + 1
    assert requests("stream", "ok") == ok
