"""Observability through a real server: RPC counters and latency histograms by method and
code (refusals included), rate-limit refusals, the open-stream gauge and sentiment inference
time, all scraped from /metrics over HTTP; and OpenTelemetry spans for an RPC and the SQL
and Redis work it did, in one trace, exported to memory.

Metrics are per process and other tests' servers share this one: every check compares a
scrape after the calls with one before.
"""

import logging
import re
import time
import urllib.request
from collections.abc import Callable, Iterator

import grpc
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from financehub.v1 import (
    ai_pb2,
    ai_pb2_grpc,
    market_pb2,
    market_pb2_grpc,
    quotes_pb2,
    quotes_pb2_grpc,
)
from server.storage.backends import Backends
from server.tracing import start_tracing, stop_tracing
from tests.support.identity import (
    bearer,
    call_metadata,
    create_account,
    login,
    unique_address,
)
from tests.support.services import (
    EventLoopThread,
    RunningServer,
    free_port,
    start_test_server,
)

GUEST_LIMIT = 12  # StreamQuotes costs 10, GetTicker 1
GET_TICKER = "/financehub.v1.MarketService/GetTicker"
STREAM_QUOTES = "/financehub.v1.QuoteService/StreamQuotes"
ANALYZE_SENTIMENT = "/financehub.v1.AIService/AnalyzeSentiment"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", re.MULTILINE)
_LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')


def scrape(port: int) -> Samples:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {(name, frozenset(_LABEL.findall(labels or ""))): float(value)
            for name, labels, value in _SAMPLE.findall(text)}


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


class Scraper:
    def __init__(self, port: int) -> None:
        self.port = port
        self.before: Samples = {}

    def mark(self) -> None:
        self.before = scrape(self.port)

    def grown(self, name: str, **labels: str) -> float:
        """How much the sample grew since `mark`."""
        return sample(scrape(self.port), name, **labels) - sample(self.before, name, **labels)

    def wait_for(self, check: Callable[[], bool], what: str, timeout_s: float = 10) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def observed(seeded: Backends) -> Iterator[tuple[RunningServer, Scraper]]:
    loop = EventLoopThread()
    port = free_port()
    running = start_test_server(seeded, loop, FINANCEHUB_METRICS_PORT=str(port),
                                FINANCEHUB_RATE_LIMIT_GUEST=str(GUEST_LIMIT),
                                FINANCEHUB_STREAM_HEARTBEAT_SECONDS="60")
    yield running, Scraper(port)
    loop.run(running.app.stop(grace_s=1))
    loop.close()


@pytest.fixture
def channel(observed: tuple[RunningServer, Scraper]) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(observed[0].address) as opened:
        grpc.channel_ready_future(opened).result(timeout=10)
        yield opened


@pytest.fixture
def metrics(observed: tuple[RunningServer, Scraper]) -> Scraper:
    scraper = observed[1]
    scraper.mark()
    return scraper


def code_of(call: Callable[[], object]) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as error:
        return error.code()  # type: ignore[attr-defined, no-any-return]
    return grpc.StatusCode.OK


def test_rpcs_are_counted_and_timed_by_method_and_code_refusals_included(
        channel: grpc.Channel, metrics: Scraper, clean_cache: None) -> None:
    stub = market_pb2_grpc.MarketServiceStub(channel)

    def ticker(symbol: str, metadata: list[tuple[str, str]]) -> grpc.StatusCode:
        return code_of(lambda: stub.GetTicker(market_pb2.GetTickerRequest(symbol=symbol),
                                              metadata=metadata, timeout=10))

    caller = call_metadata(address=unique_address())
    codes = [ticker("2222", caller), ticker("2222", caller), ticker("9999", caller),
             ticker("2222", call_metadata(token="not-a-token", address=unique_address()))]
    assert codes == [grpc.StatusCode.OK, grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND,
                     grpc.StatusCode.UNAUTHENTICATED]
    # One guest spends its whole budget; the next call is refused.
    greedy = call_metadata(address=unique_address())
    allowed = 0
    while ticker("2222", greedy) is grpc.StatusCode.OK:
        allowed += 1
        assert allowed <= GUEST_LIMIT, "the rate limit never refused"
    expected = {"OK": 2 + allowed, "NOT_FOUND": 1, "UNAUTHENTICATED": 1,
                "RESOURCE_EXHAUSTED": 1}

    for code, count in expected.items():
        assert metrics.grown("financehub_rpc_handled_total", method=GET_TICKER,
                             code=code) == count, code
        assert metrics.grown("financehub_rpc_duration_seconds_count", method=GET_TICKER,
                             code=code) == count, code
        # All of them took less than 10 s, and some time.
        assert metrics.grown("financehub_rpc_duration_seconds_bucket", method=GET_TICKER,
                             code=code, le="10.0") == count, code
        assert metrics.grown("financehub_rpc_duration_seconds_sum", method=GET_TICKER,
                             code=code) > 0, code
    assert metrics.grown("financehub_rpc_handled_total", method=GET_TICKER,
                         code="INTERNAL") == 0
    assert metrics.grown("financehub_rate_limit_refusals_total", tier="guest",
                         method=GET_TICKER) == 1


def test_an_open_stream_is_in_the_gauge_until_it_ends(
        channel: grpc.Channel, metrics: Scraper) -> None:
    stub = quotes_pb2_grpc.QuoteServiceStub(channel)

    def open_streams() -> float:
        return sample(scrape(metrics.port), "financehub_rpc_streams_open", method=STREAM_QUOTES)

    before = open_streams()
    stream = stub.StreamQuotes(quotes_pb2.StreamQuotesRequest(symbols=["2222"]),
                               metadata=call_metadata(address=unique_address()), timeout=30)
    try:
        metrics.wait_for(lambda: open_streams() == before + 1, "the stream to be counted open")
        # Still open a while later: the gauge is not a count of calls started.
        time.sleep(0.3)
        assert open_streams() == before + 1
        assert metrics.grown("financehub_rpc_handled_total", method=STREAM_QUOTES,
                             code="CANCELLED") == 0
    finally:
        stream.cancel()  # an idle stream (no quotes, no heartbeat due): safe to cancel
    metrics.wait_for(lambda: open_streams() == before, "the stream to be counted closed")
    metrics.wait_for(lambda: metrics.grown("financehub_rpc_handled_total", method=STREAM_QUOTES,
                                           code="CANCELLED") == 1, "the stream's end counted")
    assert metrics.grown("financehub_rpc_duration_seconds_count", method=STREAM_QUOTES,
                         code="CANCELLED") == 1
    # Its whole life, not the time to its first message.
    assert metrics.grown("financehub_rpc_duration_seconds_sum", method=STREAM_QUOTES,
                         code="CANCELLED") >= 0.3


def test_sentiment_inference_is_timed_by_engine_and_batch_size(
        observed: tuple[RunningServer, Scraper], channel: grpc.Channel,
        metrics: Scraper) -> None:
    account = create_account(observed[0])
    token = login(channel, account, address=unique_address()).tokens.access_token
    texts = ["Net profit rose on record demand", "The company reported a loss",
             "The board meets on Sunday"]

    response = ai_pb2_grpc.AIServiceStub(channel).AnalyzeSentiment(
        ai_pb2.AnalyzeSentimentRequest(texts=texts), metadata=bearer(token), timeout=30)

    assert response.engine.name == "lexicon"
    assert metrics.grown("financehub_sentiment_inference_seconds_count", engine="lexicon",
                         batch_size="2-8") == 1
    assert metrics.grown("financehub_sentiment_inference_seconds_sum", engine="lexicon",
                         batch_size="2-8") > 0
    assert metrics.grown("financehub_sentiment_inference_seconds_count", engine="lexicon",
                         batch_size="1") == 0
    assert metrics.grown("financehub_rpc_handled_total", method=ANALYZE_SENTIMENT,
                         code="OK") == 1


# --- tracing -------------------------------------------------------------------------------------

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"


def system_of(span: ReadableSpan) -> str | None:
    attributes = span.attributes or {}
    value = attributes.get("db.system") or attributes.get("db.system.name")
    return str(value) if value is not None else None


def test_an_rpc_span_has_its_sql_and_redis_spans_as_children_in_the_callers_trace(
        seeded: Backends, clean_cache: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="financehub.access")
    exporter = InMemorySpanExporter()
    start_tracing(exporter=exporter)
    loop = EventLoopThread()
    try:
        running = start_test_server(seeded, loop)
        try:
            with grpc.insecure_channel(running.address) as channel:
                # A cold cache: Redis is asked, then Postgres, then the answer stored.
                market_pb2_grpc.MarketServiceStub(channel).GetTicker(
                    market_pb2.GetTickerRequest(symbol="2222"), timeout=10,
                    metadata=[("traceparent", f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"),
                              ("x-request-id", "trace-test-1")])
        finally:
            loop.run(running.app.stop(grace_s=1))
    finally:
        loop.close()
        stop_tracing()
    spans = exporter.get_finished_spans()

    [rpc] = [span for span in spans if span.kind is SpanKind.SERVER
             and span.name == "financehub.v1.MarketService/GetTicker"]
    assert format(rpc.context.trace_id, "032x") == TRACE_ID
    assert rpc.parent is not None and format(rpc.parent.span_id, "016x") == CALLER_SPAN_ID
    assert rpc.attributes is not None
    assert rpc.attributes["financehub.request_id"] == "trace-test-1"
    assert rpc.attributes["rpc.grpc.status_code"] == 0
    assert rpc.attributes["rpc.service"] == "financehub.v1.MarketService"
    children = [span for span in spans if span.parent is not None
                and span.parent.span_id == rpc.context.span_id]
    assert all(span.kind is SpanKind.CLIENT for span in children)
    assert all(span.context.trace_id == rpc.context.trace_id for span in children)
    systems = {system_of(span) for span in children}
    assert {"postgresql", "redis"} <= systems, [(s.name, system_of(s)) for s in children]
    sql = [span for span in children if system_of(span) == "postgresql"]
    assert any("SELECT" in str((span.attributes or {}).get("db.statement", "")) for span in sql)
    # Work outside an RPC (background jobs) starts no trace of its own.
    assert all(span.parent is not None for span in spans if span.kind is SpanKind.CLIENT)
    # The access log line of the call carries the trace id.
    [line] = [record for record in caplog.records
              if getattr(record, "method", None) == GET_TICKER]
    assert getattr(line, "trace_id", None) == TRACE_ID


def test_without_tracing_no_driver_is_instrumented(server: RunningServer) -> None:
    import psycopg
    import redis.asyncio

    from server.tracing import active_tracer

    assert active_tracer() is None
    assert not hasattr(psycopg.AsyncConnection.connect, "__wrapped__")
    assert not hasattr(redis.asyncio.Redis.execute_command, "__wrapped__")
