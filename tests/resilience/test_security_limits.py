"""Security probes on size and time: requests over the server's message limit (straight and
through the real Envoy), idle streams, clients that never read, callers who open more
streams than they may, clients that connect and never speak, and idle connections.
"""

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from redis import Redis

from financehub.v1 import (
    market_pb2,
    market_pb2_grpc,
    quotes_pb2,
    quotes_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
)
from server.app import MAX_MESSAGE_BYTES
from server.domain.access import Role
from server.storage.backends import Backends
from tests.e2e.conftest import running_envoy
from tests.resilience.conftest import Recorder
from tests.support.identity import (
    api_key,
    bearer,
    create_account,
    create_api_key,
    error_info,
    login,
    rpc_error,
    status_details,
)
from tests.support.services import EventLoopThread, RunningServer, start_test_server
from tests.support.streams import (
    SLOW_CLIENT_OPTIONS,
    channel_name,
    kind,
    publish,
    published_quote,
    take,
    until_listening,
    wait_until,
)

AREA = "Security"
STREAM_DEADLINE_S = 60
QUEUE_SIZE = 16
STREAMS_PER_CALLER = 4
HEARTBEAT_S = 0.2


# --- messages over the size limit ---------------------------------------------------------


def _get_ticker(target: str, symbol: str) -> grpc.RpcError | market_pb2.GetTickerResponse:
    with grpc.insecure_channel(target) as channel:
        stub = market_pb2_grpc.MarketServiceStub(channel)
        try:
            response: market_pb2.GetTickerResponse = stub.GetTicker(
                market_pb2.GetTickerRequest(symbol=symbol), timeout=20)
        except grpc.RpcError as error:
            return error
        return response


def _code(answer: Any) -> grpc.StatusCode:
    return answer.code() if isinstance(answer, grpc.RpcError) else grpc.StatusCode.OK


def test_requests_over_the_size_limit_are_refused_and_the_server_keeps_serving(
        server: RunningServer, tmp_path: Path, resilience: Recorder) -> None:
    over = "x" * (MAX_MESSAGE_BYTES + 1)
    under = "x" * (MAX_MESSAGE_BYTES - 64 * 1024)
    with running_envoy(server.app.port, tmp_path) as envoy:
        grpc_targets = {"server": server.address,
                        "envoy (gRPC)": envoy.base_url.removeprefix("http://")}
        cases = 0
        for name, target in grpc_targets.items():
            refused = _get_ticker(target, over)
            assert _code(refused) is grpc.StatusCode.RESOURCE_EXHAUSTED, (name, refused)
            assert over[:1024] not in (refused.details() or "")  # type: ignore[union-attr]
            # Just under the limit the request is read and refused for what it says.
            read = _get_ticker(target, under)
            assert _code(read) is grpc.StatusCode.INVALID_ARGUMENT, (name, read)
            served = _get_ticker(target, "2222")
            assert not isinstance(served, grpc.RpcError), (name, served)
            assert served.ticker.symbol == "2222"
            cases += 3

        # JSON through Envoy's transcoder: no lower limit of its own, the server's applies.
        def analyze(text: str) -> Any:
            return envoy.request("/v1/ai/sentiment:analyze", method="POST",
                                 body=json.dumps({"texts": [text]}).encode(),
                                 headers={"content-type": "application/json"}, timeout=30)

        too_big = analyze(over)
        assert too_big.status == 429, too_big.status  # RESOURCE_EXHAUSTED as HTTP
        assert too_big.json()["code"] == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
        assert over[:1024] not in too_big.body.decode(errors="replace")
        read_json = analyze(under[:-1024])  # reaches the server: refused for credentials
        assert read_json.status == 401, read_json.status
        assert read_json.json()["details"][0]["reason"] == "CREDENTIALS_REQUIRED"
        after = envoy.request("/v1/tickers/2222")
        assert after.status == 200 and after.json()["ticker"]["symbol"] == "2222"
        cases += 3
    resilience(area=AREA, probe="Messages over the size limit",
               tried=f"a request of {MAX_MESSAGE_BYTES + 1:,} bytes (one over the server's "
                     "MAX_MESSAGE_BYTES) and one 64 KiB under it, to the gRPC server "
                     "directly, through Envoy as gRPC, and as JSON through Envoy's "
                     "transcoder; then ordinary calls",
               cases=cases,
               held="over the limit: RESOURCE_EXHAUSTED (HTTP 429 through the JSON gateway), "
                    "the payload never echoed; under it the server read and judged the "
                    "request (INVALID_ARGUMENT, or 401 for no credentials); server and Envoy "
                    "went on answering GetTicker")


# --- streams --------------------------------------------------------------------------------


@dataclass
class StreamingServer:
    running: RunningServer
    loop: EventLoopThread
    channels: list[grpc.Channel]

    def channel(self, *options: tuple[str, Any]) -> grpc.Channel:
        opened = grpc.insecure_channel(self.running.address, options=list(options))
        self.channels.append(opened)
        return opened

    def backlogs(self) -> list[int]:
        # Private on purpose: the bound on server memory is a property of each stream's
        # queue, which nothing public exposes one by one.
        async def read() -> list[int]:
            return [s.backlog for s in self.running.app.fanout._subscriptions]
        return self.loop.run(read())

    def metadata_of(self, label: str) -> tuple[tuple[str, str], ...]:
        account = create_account(self.running, Role.USER, label=label)
        with grpc.insecure_channel(self.running.address) as channel:
            return bearer(login(channel, account).tokens.access_token)


@pytest.fixture(scope="module")
def streaming(seeded: Backends) -> Iterator[StreamingServer]:
    """A server with small stream queues, quick heartbeats and a low per-caller stream
    limit; its client channels close only after it stopped (a client cancelling a stream
    the server is writing to is what test_streaming.py shows must not crash it)."""
    loop = EventLoopThread()
    running = start_test_server(
        seeded, loop, FINANCEHUB_STREAM_QUEUE_SIZE=str(QUEUE_SIZE),
        FINANCEHUB_STREAM_HEARTBEAT_SECONDS=str(HEARTBEAT_S),
        FINANCEHUB_MAX_STREAMS_PER_CALLER=str(STREAMS_PER_CALLER))
    handle = StreamingServer(running, loop, [])
    redis = Redis.from_url(seeded.redis_url)
    try:
        loop.run(until_listening(running.app, channel_name(redis)))
        yield handle
    finally:
        redis.close()
        loop.run(running.app.stop(grace_s=0.5))
        for opened in handle.channels:
            opened.close()
        loop.close()


def _stream(channel: grpc.Channel, metadata: tuple[tuple[str, str], ...],
            *symbols: str) -> Any:
    return quotes_pb2_grpc.QuoteServiceStub(channel).StreamQuotes(
        quotes_pb2.StreamQuotesRequest(symbols=list(symbols)), metadata=metadata,
        timeout=STREAM_DEADLINE_S)


def test_a_client_that_never_reads_stays_bounded_and_idle_streams_get_heartbeats(
        streaming: StreamingServer, redis_client: Redis, resilience: Recorder) -> None:
    channel = channel_name(redis_client)
    reader = streaming.metadata_of("stream-reader")
    stalled = _stream(streaming.channel(*SLOW_CLIENT_OPTIONS),
                      streaming.metadata_of("stream-stalled"), "2222")
    wait_until(lambda: streaming.running.app.fanout.subscriber_count == 1,
               what="the stalled stream to subscribe")
    idle = _stream(streaming.channel(), reader, "1120")  # nothing is published for 1120
    fast = _stream(streaming.channel(), reader, "2222")
    assert take(idle, 1)[0].snapshot and take(fast, 1)[0].snapshot

    batch, batches = 16, 250  # 4,000 updates: several flow-control windows of them
    sequence = largest_backlog = 0
    for _ in range(batches):
        sent = [published_quote("2222", sequence + i) for i in range(1, batch + 1)]
        sequence += batch
        publish(redis_client, channel, sent)
        got = []
        while len(got) < batch:
            message = next(fast)
            if kind(message) == "quote":
                got.append(message.quote)
            else:
                assert kind(message) == "heartbeat", message
        assert got == sent  # every update, in order, none held back
        backlogs = streaming.backlogs()
        assert len(backlogs) == 3 and max(backlogs) <= QUEUE_SIZE, backlogs
        largest_backlog = max(largest_backlog, *backlogs)
    assert largest_backlog == QUEUE_SIZE  # the stalled stream's queue did fill, and stopped

    # The idle stream was kept alive with heartbeats all along, and nothing else.
    heartbeats = take(idle, 3)
    assert [kind(m) for m in heartbeats] == ["heartbeat"] * 3
    # The stalled client, reading at last: the oldest updates dropped and counted, never
    # an unbounded pile.
    messages = []
    for message in stalled:
        messages.append(message)
        if kind(message) == "quote" and message.quote.sequence == sequence:
            break
    gaps = [m.gap.dropped for m in messages[1:] if kind(m) == "gap"]
    quotes = [m.quote.sequence for m in messages[1:] if kind(m) == "quote"]
    assert messages[0].snapshot and gaps and all(dropped > 0 for dropped in gaps)
    assert len(quotes) + sum(gaps) == sequence
    assert quotes == sorted(set(quotes))
    for stream in (stalled, idle, fast):
        stream.cancel()
    wait_until(lambda: streaming.running.app.fanout.subscriber_count == 0,
               what="the streams to leave")
    resilience(area=AREA, probe="Idle streams and clients that never read",
               tried=f"a quote stream whose client never read (64 KiB HTTP/2 window), an "
                     f"idle stream and a reading one on one server (queue {QUEUE_SIZE}, "
                     f"heartbeat {HEARTBEAT_S} s); {batch * batches} quotes published in "
                     f"{batches} batches",
               cases=batch * batches,
               held=f"every stream's queue stayed at most {QUEUE_SIZE} (the stalled one "
                    "filled and stopped there); the reading stream got every update in "
                    "order, batch by batch; the idle stream got heartbeats only; the stalled "
                    "client later read a gap whose counts plus the quotes delivered account "
                    "for every update")


def test_each_caller_may_hold_only_so_many_streams(streaming: StreamingServer,
                                                   resilience: Recorder) -> None:
    account = create_account(streaming.running, Role.USER, label="stream-hoarder")
    channel = streaming.channel()
    token = login(channel, account).tokens.access_token
    key = create_api_key(channel, token, name="hoarder").secret
    other = streaming.metadata_of("stream-neighbour")
    held = [_stream(channel, bearer(token), "2222") for _ in range(STREAMS_PER_CALLER)]
    for stream in held:
        assert take(stream, 1)[0].snapshot

    refusals = []
    for metadata in (bearer(token), api_key(key)):
        refusals.append(rpc_error(lambda m: next(_stream(channel, m, "1120")), metadata))
        refusals.append(rpc_error(lambda m: next(trading_pb2_grpc.TradingServiceStub(
            channel).StreamOrderUpdates(trading_pb2.StreamOrderUpdatesRequest(), metadata=m,
                                        timeout=STREAM_DEADLINE_S)), metadata))
    for refused in refusals:
        assert refused.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_info(refused).reason == "STREAM_LIMIT_EXCEEDED"
        details = status_details(refused)
        assert details["QuotaFailure"].violations[0].subject == f"user:{account.user_id}"
        assert details["RetryInfo"].retry_delay.ToMilliseconds() > 0
        assert token not in (refused.details() or "") and key not in (refused.details() or "")
    # Unary calls of the same caller, and other callers' streams, are not held back.
    quote = quotes_pb2_grpc.QuoteServiceStub(channel).GetQuote(
        quotes_pb2.GetQuoteRequest(symbol="2222"), metadata=bearer(token), timeout=10)
    assert quote.quote.symbol == "2222"
    neighbour = _stream(channel, other, "2222")
    assert take(neighbour, 1)[0].snapshot

    # A slot comes back as soon as one of the caller's streams ends.
    held.pop().cancel()

    def reopened() -> Any:
        stream = _stream(channel, bearer(token), "2222")
        try:
            return stream if take(stream, 1)[0].snapshot else None
        except grpc.RpcError as error:
            assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
            time.sleep(0.05)
            return None
    held.append(wait_until(reopened, what="a freed stream slot"))
    for stream in (*held, neighbour):
        stream.cancel()
    wait_until(lambda: streaming.running.app.fanout.subscriber_count == 0,
               what="the streams to leave")
    resilience(area=AREA, probe="Streams per caller",
               tried=f"a user holding FINANCEHUB_MAX_STREAMS_PER_CALLER={STREAMS_PER_CALLER} "
                     "quote streams opened one more StreamQuotes and a StreamOrderUpdates, by "
                     "bearer token and by their API key; then a unary call, another user's "
                     "stream, and a new stream after one of theirs ended",
               cases=len(refusals) + 3,
               held="each extra stream RESOURCE_EXHAUSTED (STREAM_LIMIT_EXCEEDED, QuotaFailure "
                    "naming the user, RetryInfo), API keys counted with their user; the "
                    "caller's unary calls and the other user's stream unaffected; the slot "
                    "came back when a stream ended")


# --- connections: silent clients and idle connections -------------------------------------------

HANDSHAKE_TIMEOUT_S = 1.0
CONNECTION_IDLE_S = 0.5
SILENT_CLIENTS = 5
CLOSE_MARGIN_S = 4.0  # grpc checks its timers coarsely; without the settings: 120 s, never


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Read (and drop what the server sends, its HTTP/2 settings) until the server closes
    the connection; how long that took, or None if it stayed open for `seconds`."""
    started = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - started < seconds:
        try:
            if not sock.recv(4096):
                return time.monotonic() - started
        except TimeoutError:
            continue
        except ConnectionError:
            return time.monotonic() - started
    return None


def test_silent_clients_and_idle_connections_are_closed(seeded: Backends,
                                                         resilience: Recorder) -> None:
    loop = EventLoopThread()
    running = start_test_server(
        seeded, loop, FINANCEHUB_HANDSHAKE_TIMEOUT_SECONDS=str(HANDSHAKE_TIMEOUT_S),
        FINANCEHUB_CONNECTION_IDLE_SECONDS=str(CONNECTION_IDLE_S),
        FINANCEHUB_STREAM_HEARTBEAT_SECONDS=str(HEARTBEAT_S))
    resilience(area=AREA, probe="Silent clients and idle connections",
               tried=f"{SILENT_CLIENTS} TCP clients that connect and never send the HTTP/2 "
                     f"preface (FINANCEHUB_HANDSHAKE_TIMEOUT_SECONDS={HANDSHAKE_TIMEOUT_S:g}); "
                     "a gRPC channel left idle after one call and one holding a quote stream "
                     f"(FINANCEHUB_CONNECTION_IDLE_SECONDS={CONNECTION_IDLE_S:g})",
               cases=SILENT_CLIENTS + 2,
               held=f"the server dropped every silent client within the handshake timeout "
                    f"plus {CLOSE_MARGIN_S:g} s; it closed the idle channel's connection "
                    "(the channel went IDLE) and the next call on it succeeded; the stream's "
                    "connection stayed open and its heartbeats kept coming")
    host, port = running.address.rsplit(":", 1)
    silent = [socket.create_connection((host, int(port)), timeout=5)
              for _ in range(SILENT_CLIENTS)]
    states: list[grpc.ChannelConnectivity] = []
    try:
        for sock in silent:
            took = _closed_within(sock, HANDSHAKE_TIMEOUT_S + CLOSE_MARGIN_S)
            assert took is not None, "a client that never spoke kept its connection"

        # A connection of its own each (grpc would share one between equal channels).
        own = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.insecure_channel(running.address, options=own) as idle, \
                grpc.insecure_channel(running.address, options=own) as streaming_channel:
            idle.subscribe(states.append, try_to_connect=False)
            market = market_pb2_grpc.MarketServiceStub(idle)
            assert market.GetTicker(market_pb2.GetTickerRequest(symbol="2222"),
                                    timeout=10).ticker.symbol == "2222"
            stream = quotes_pb2_grpc.QuoteServiceStub(streaming_channel).StreamQuotes(
                quotes_pb2.StreamQuotesRequest(symbols=["2222"]), timeout=STREAM_DEADLINE_S)
            assert take(stream, 1)[0].snapshot
            wait_until(lambda: states[-1:] == [grpc.ChannelConnectivity.IDLE],
                       timeout_s=CONNECTION_IDLE_S + CLOSE_MARGIN_S,
                       what="the server to close the idle connection")
            # Well past the idle time, the stream's connection is still in use.
            kinds = {kind(message) for message in take(stream, 5)}
            assert kinds == {"heartbeat"}, kinds
            assert market.GetTicker(market_pb2.GetTickerRequest(symbol="2222"),
                                    timeout=10).ticker.symbol == "2222"
            stream.cancel()
    finally:
        for sock in silent:
            sock.close()
        loop.run(running.app.stop(grace_s=0.5))
        loop.close()
