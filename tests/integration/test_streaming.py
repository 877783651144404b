"""StreamQuotes end to end: real gRPC streams, real Redis pub/sub, real servers.

Most tests start their own server with the market simulator off and publish quotes on the
quote channel themselves, so they know exactly what each stream must receive. The simulator
tests start servers with it on. Every wait is bounded: streams carry a deadline, polls a
time limit, and the module a pytest timeout.
"""

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import grpc
import pytest
from redis import Redis

from financehub.v1 import quotes_pb2, quotes_pb2_grpc, securities_pb2
from server.app import Application
from server.domain.calendar import RIYADH
from server.domain.securities import Market
from server.domain.ticks import is_on_tick_grid, price_limits, tick_size_for
from server.realtime.fanout import quote_channel
from server.realtime.simulator import LOCK_KEY, MarketSimulator
from server.storage.backends import Backends
from server.storage.quotes import LATEST_QUOTES_KEY, QuoteBook
from tests.support.identity import error_reason, rpc_error, status_details, violated_fields
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

pytestmark = pytest.mark.timeout(120)

T = TypeVar("T")

STREAM_DEADLINE_S = 30
# Servers a test starts send no heartbeat unless the test asks for them.
QUIET_HEARTBEAT_S = "60"


# --- helpers -------------------------------------------------------------------------------------


def numsub(redis_client: Redis, channel: str) -> int:
    return int(dict(redis_client.pubsub_numsub(channel))[channel.encode()])


def request(*symbols: str) -> quotes_pb2.StreamQuotesRequest:
    return quotes_pb2.StreamQuotesRequest(symbols=list(symbols))


def read_until(stream: Iterator[quotes_pb2.StreamQuotesResponse],
               done: Callable[[quotes_pb2.StreamQuotesResponse], bool],
               limit: int = 100_000) -> list[quotes_pb2.StreamQuotesResponse]:
    """Messages up to and including the first one that is `done` (bounded by the deadline)."""
    messages = []
    for message in stream:
        messages.append(message)
        if done(message):
            return messages
        assert len(messages) < limit, "the stream never delivered what was expected"
    raise AssertionError(f"the stream ended after {len(messages)} messages")


def quotes_of(messages: Sequence[quotes_pb2.StreamQuotesResponse]) -> list[quotes_pb2.Quote]:
    return [m.quote for m in messages if kind(m) == "quote"]


@dataclass
class StreamServer:
    """A server of the test's own, on its own loop, with a channel to it."""

    running: RunningServer
    channel: grpc.Channel
    stub: quotes_pb2_grpc.QuoteServiceStub
    stopped: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Closed or dropped only once the server has stopped (see `stop`).
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _streams: list[Any] = field(default_factory=list)

    @property
    def app(self) -> Application:
        return self.running.app

    @property
    def address(self) -> str:
        return self.running.address

    def run(self, coroutine: Any, timeout: float = 30) -> Any:
        return self.running.loop.run(coroutine, timeout)

    def on_loop(self, function: Callable[[], T]) -> T:
        """`function()` on the server's loop thread (for its non-thread-safe state)."""
        async def call() -> T:
            return function()
        return self.run(call())  # type: ignore[no-any-return]

    def client_channel(self, *options: tuple[str, Any]) -> grpc.Channel:
        """Another client connection, closed only once the server has stopped."""
        channel = grpc.insecure_channel(self.address, options=list(options))
        self.after_stop(channel.close)
        return channel

    def after_stop(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def keep(self, call: T) -> T:
        """Hold a client call until the server has stopped: a call object that is garbage
        collected cancels its RPC."""
        self._streams.append(call)
        return call

    def stream(self, *symbols: str, channel: grpc.Channel | None = None,
               timeout: float = STREAM_DEADLINE_S) -> Iterator[quotes_pb2.StreamQuotesResponse]:
        stub = quotes_pb2_grpc.QuoteServiceStub(channel) if channel is not None else self.stub
        return self.keep(stub.StreamQuotes(request(*symbols), timeout=timeout))

    def stop(self, grace_s: float = 0.5) -> None:
        """Stop the server first, then close the client channels and drop the calls: a
        client cancelling a stream the server is writing to crashes the server process
        (see test_cancelling_a_busy_stream_does_not_crash_the_server), and a test that
        fails with its streams open must not take the session down with it."""
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
        if self.app.simulator is not None:
            self.run(_end_simulator_task())
        self.run(self.app.stop(grace_s=grace_s))
        for close in [self.channel.close, *self._closers]:
            close()
        self._streams.clear()
        self.running.loop.close()


async def _end_simulator_task() -> None:
    """Work around the lost-cancellation bug (test_a_simulator_stops_when_asked): cancel the
    simulator's task (found by its name on this server's own loop) until it has ended."""
    for task in asyncio.all_tasks():
        while task.get_name() == "market-simulator" and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.1)


@pytest.fixture
def start_server(seeded: Backends, redis_client: Redis) -> Iterator[Callable[..., StreamServer]]:
    """Start servers of the test's own (settings as keyword overrides); all stop at the end."""
    started: list[StreamServer] = []
    redis_client.delete(LATEST_QUOTES_KEY)

    def start(**env: str) -> StreamServer:
        loop = EventLoopThread()
        running = start_test_server(
            seeded, loop, **{"FINANCEHUB_STREAM_HEARTBEAT_SECONDS": QUIET_HEARTBEAT_S, **env})
        channel = grpc.insecure_channel(running.address)
        handle = StreamServer(running, channel, quotes_pb2_grpc.QuoteServiceStub(channel))
        started.append(handle)
        handle.run(until_listening(running.app, channel_name(redis_client)))
        return handle

    yield start
    errors = []
    for handle in reversed(started):
        try:
            handle.stop()
        except Exception as error:  # noqa: BLE001 - stop the others, then report it
            errors.append(error)
    redis_client.delete(LATEST_QUOTES_KEY)  # what a simulator stored
    if errors:
        raise errors[0]


def subscription_backlogs(server: StreamServer) -> list[int]:
    # Private access (QuoteFanout._subscriptions) on purpose: the bound on server memory is
    # a property of the per-stream queues, which nothing public exposes one by one.
    return server.on_loop(lambda: [s.backlog for s in server.app.fanout._subscriptions])


# --- the channel ---------------------------------------------------------------------------------


def test_quote_channel_is_named_after_the_redis_database(
        server: RunningServer, redis_client: Redis) -> None:
    db = redis_client.connection_pool.connection_kwargs.get("db", 0)
    assert channel_name(redis_client) == f"fh:quotes:ticks:db{db}"
    assert quote_channel(server.app.pubsub_redis) == channel_name(redis_client)
    assert quote_channel(server.app.redis) == channel_name(redis_client)


# --- snapshot first ------------------------------------------------------------------------------


def test_snapshot_first_then_published_quotes_of_the_subscribed_symbols_only(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    server = start_server()
    channel = channel_name(redis_client)
    stream = server.stream("2222", "1120.SR")

    snapshot = take(stream, 2)
    assert [kind(m) for m in snapshot] == ["quote", "quote"]
    assert [m.quote.symbol for m in snapshot] == ["2222", "1120"]  # request order
    assert all(m.snapshot for m in snapshot)
    for message in snapshot:  # the end-of-day quote, as GetQuote answers it
        assert message.quote == server.stub.GetQuote(
            quotes_pb2.GetQuoteRequest(symbol=message.quote.symbol), timeout=10).quote
        assert message.quote.data_origin == securities_pb2.DATA_ORIGIN_REAL
    assert snapshot[0].quote.price == 24.40 and snapshot[1].quote.price == 96.0

    sent = [published_quote("1010", 1, 33.1), published_quote("2222", 1, 24.42),
            published_quote("1120", 1, 96.05), published_quote("9998", 1, 10.0),
            published_quote("2222", 2, 24.44), published_quote("1120", 2, 96.10)]
    publish(redis_client, channel, sent)
    updates = take(stream, 4)
    assert [m.quote for m in updates] == [sent[1], sent[2], sent[4], sent[5]]
    assert not any(m.snapshot for m in updates)

    # Nothing for 1010 or 9998 is queued behind them: the next message is the next 2222 quote.
    sentinel = published_quote("2222", 3, 24.46)
    publish(redis_client, channel, [published_quote("1010", 2, 33.2), sentinel])
    assert take(stream, 1)[0].quote == sentinel


def test_snapshot_is_the_live_quote_when_redis_holds_one_and_duplicates_stream_once(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    server = start_server()
    live = published_quote("2222", 41, 24.58)
    redis_client.hset(LATEST_QUOTES_KEY, "2222", live.SerializeToString())
    stream = server.stream("2222", "2222.SR", "2222")
    first = take(stream, 1)[0]
    assert first.snapshot and first.quote == live

    sent = [published_quote("2222", 42, 24.60), published_quote("2222", 43, 24.62)]
    publish(redis_client, channel_name(redis_client), sent)
    # One message per update, not one per time the symbol was asked for.
    assert [m.quote for m in take(stream, 2)] == sent
    assert server.app.fanout.subscriber_count == 1


def test_no_update_older_than_the_snapshot_is_delivered_after_it(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    server = start_server()
    day = datetime.now(RIYADH).date()

    def on_day(quote: quotes_pb2.Quote) -> quotes_pb2.Quote:
        quote.trading_day.year, quote.trading_day.month, quote.trading_day.day = (
            day.year, day.month, day.day)
        return quote

    newer = on_day(published_quote("2222", 42, 24.60))
    redis_client.hset(LATEST_QUOTES_KEY, "2222", newer.SerializeToString())
    stream = server.stream("2222")
    assert take(stream, 1)[0].quote == newer

    late = on_day(published_quote("2222", 41, 24.58))
    next_one = on_day(published_quote("2222", 43, 24.62))
    publish(redis_client, channel_name(redis_client), [late, next_one])
    assert take(stream, 1)[0].quote == next_one


# --- fan-out to many -----------------------------------------------------------------------------


def test_fifty_streams_each_receive_every_update_over_one_redis_subscription(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    channel = channel_name(redis_client)
    before = numsub(redis_client, channel)  # other servers of this session on this database
    server = start_server()
    with_server = numsub(redis_client, channel)
    assert with_server == before + 1

    plans = [[("2222",), ("1120",), ("2222", "1120")][i % 3] for i in range(50)]
    sent = [published_quote(symbol, sequence, price)
            for sequence in range(1, 21)
            for symbol, price in (("2222", 24.0 + sequence / 100), ("1010", 33.0),
                                  ("1120", 96.0 + sequence / 20))]
    expected = [[q for q in sent if q.symbol in plan] for plan in plans]

    async def read(call: Any, count: int) -> list[quotes_pb2.StreamQuotesResponse]:
        return [await call.read() for _ in range(count)]

    # The 50 streams run on a grpc.aio channel on a loop of their own; the channel is closed
    # only after the server stopped (see StreamServer.stop).
    client = EventLoopThread()

    async def open_channel() -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(server.address)

    aio_channel = client.run(open_channel())

    def close_client() -> None:
        client.run(aio_channel.close())
        client.close()

    server.after_stop(close_client)
    stub = quotes_pb2_grpc.QuoteServiceStub(aio_channel)

    async def open_streams() -> list[Any]:
        calls = [stub.StreamQuotes(request(*plan), timeout=STREAM_DEADLINE_S) for plan in plans]
        snapshots = await asyncio.gather(
            *(read(c, len(p)) for c, p in zip(calls, plans, strict=True)))
        assert all(m.snapshot for snapshot in snapshots for m in snapshot)
        return calls

    calls = server.keep(client.run(open_streams()))
    assert server.app.fanout.subscriber_count == 50
    assert numsub(redis_client, channel) == with_server  # 50 streams, still one subscription

    async def receive() -> list[list[quotes_pb2.StreamQuotesResponse]]:
        return await asyncio.gather(
            *(read(c, len(e)) for c, e in zip(calls, expected, strict=True)))

    started = time.monotonic()
    publish(redis_client, channel, sent)
    received = client.run(receive())
    elapsed = time.monotonic() - started
    for plan, want, got in zip(plans, expected, received, strict=True):
        assert [m.quote for m in got] == want, plan
        assert not any(m.snapshot for m in got)
    assert elapsed < 5, f"fan-out of {len(sent)} quotes to 50 streams took {elapsed:.2f} s"

    server.stop()
    assert server.app.fanout.subscriber_count == 0
    wait_until(lambda: numsub(redis_client, channel) == before,
               what="the stopped server's subscription to go")


# --- a slow consumer -----------------------------------------------------------------------------

# The slow client turns off HTTP/2 BDP probing, so its flow-control window stays at the
# initial 64 KiB. With probing on, gRPC grows the window of a connection that keeps
# receiving to a few MB (measured: about 73,000 quotes accepted by a client that never
# reads before the server had to wait); that memory is the client's, the server's side is
# the same bounded queue, only reached later (SLOW_CLIENT_OPTIONS).
INITIAL_WINDOW_BYTES = 65_535


def test_a_consumer_that_never_reads_stays_bounded_and_does_not_hold_back_others(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    queue_size, batch, batches = 32, 16, 500  # 8,000 updates, far beyond the queue
    server = start_server(FINANCEHUB_STREAM_QUEUE_SIZE=str(queue_size))
    channel = channel_name(redis_client)

    # Opened and never read (until the end): HTTP/2 flow control stops the server from
    # writing to it once the client's window is full.
    slow = server.stream("2222", channel=server.client_channel(*SLOW_CLIENT_OPTIONS),
                         timeout=90)
    wait_until(lambda: server.app.fanout.subscriber_count == 1, what="the slow stream")
    fast = server.stream("2222", timeout=90)
    assert take(fast, 1)[0].snapshot

    sequence, largest_backlog, slowest_batch = 0, 0, 0.0
    for _ in range(batches):
        sent = [published_quote("2222", sequence + i) for i in range(1, batch + 1)]
        sequence += batch
        started = time.monotonic()
        publish(redis_client, channel, sent)
        got = take(fast, batch)
        slowest_batch = max(slowest_batch, time.monotonic() - started)
        assert [m.quote for m in got] == sent  # every update, in order, no gap
        backlogs = subscription_backlogs(server)
        assert len(backlogs) == 2
        assert max(backlogs) <= queue_size
        largest_backlog = max(largest_backlog, *backlogs)
    assert largest_backlog == queue_size  # the slow stream's queue did fill up
    assert slowest_batch < 2.0, f"a batch took {slowest_batch:.2f} s to reach the fast stream"

    # Now read the slow stream: what the transport held, a gap, then the newest quotes.
    messages = read_until(slow, lambda m: m.quote.sequence == sequence)
    assert messages[0].snapshot
    events = messages[1:]
    gaps = [m.gap.dropped for m in events if kind(m) == "gap"]
    assert gaps and all(d > 0 for d in gaps)
    updates = quotes_of(events)
    sequences = [q.sequence for q in updates]
    assert sequences == sorted(set(sequences))  # oldest dropped, never reordered or repeated
    assert len(updates) + sum(gaps) == sequence  # every update delivered or counted as dropped
    last_gap = max(i for i, m in enumerate(events) if kind(m) == "gap")
    newest = quotes_of(events[last_gap + 1:])
    assert [q.sequence for q in newest] == list(range(sequence - queue_size + 1, sequence + 1))
    # Before the queue took over, about one flow-control window of quotes was written (a
    # server buffering for the slow client would have delivered all of them).
    window_of_quotes = INITIAL_WINDOW_BYTES // len(events[-1].SerializeToString())
    assert len(updates) <= 2 * window_of_quotes + queue_size, len(updates)


def test_cancelled_idle_streams_leave_the_fan_out(
        start_server: Callable[..., StreamServer]) -> None:
    server = start_server()
    streams = [server.stream("2222") for _ in range(3)]
    for stream in streams:
        take(stream, 1)
    assert server.app.fanout.subscriber_count == 3
    streams[0].cancel()
    wait_until(lambda: server.app.fanout.subscriber_count == 2, what="one stream to leave")
    for stream in streams[1:]:
        stream.cancel()
    wait_until(lambda: server.app.fanout.subscriber_count == 0, what="all streams to leave")


# Runs in a child process: a server that dies of a segmentation fault must not take the
# test session with it.
CANCEL_SCRIPT = textwrap.dedent("""
    import os, sys, time
    import grpc
    from redis import Redis
    from financehub.v1 import quotes_pb2, quotes_pb2_grpc
    from server.storage.backends import Backends
    from tests.support.services import EventLoopThread, start_test_server

    mode = sys.argv[1]
    backends = Backends(database_url=os.environ["CANCEL_DATABASE_URL"],
                        redis_url=os.environ["CANCEL_REDIS_URL"])
    redis = Redis.from_url(backends.redis_url)
    channel = "fh:quotes:ticks:db%d" % redis.connection_pool.connection_kwargs.get("db", 0)
    def subscribers():
        return dict(redis.pubsub_numsub(channel))[channel.encode()]

    before = subscribers()
    loop = EventLoopThread()
    running = start_test_server(backends, loop, FINANCEHUB_STREAM_QUEUE_SIZE="8",
                                FINANCEHUB_STREAM_HEARTBEAT_SECONDS="60")
    deadline = time.monotonic() + 10
    while subscribers() == before:  # the fan-out subscribes in the background
        assert time.monotonic() < deadline, "the fan-out never subscribed"
        time.sleep(0.01)
    flood = quotes_pb2.Quote(symbol="2222", price=24.5).SerializeToString()
    options = [("grpc.http2.bdp_probe", 0)]
    with grpc.insecure_channel(running.address, options=options) as client:
        stub = quotes_pb2_grpc.QuoteServiceStub(client)
        for _ in range(3):
            stream = stub.StreamQuotes(quotes_pb2.StreamQuotesRequest(symbols=["2222"]),
                                       timeout=20)
            next(stream)  # the snapshot
            with redis.pipeline(transaction=False) as pipe:
                # Far more than the client's flow-control window takes, so the server
                # blocks on the write and its queue fills.
                for _ in range(12000):
                    pipe.publish(channel, flood)
                pipe.execute()
            if mode == "busy":  # the server is writing to it
                for _ in range(3):
                    next(stream)
            else:  # never read: the server is blocked on flow control
                deadline = time.monotonic() + 30  # generous: the suite may load the machine
                while not any(s.backlog == 8 for s in list(running.app.fanout._subscriptions)):
                    assert time.monotonic() < deadline, "the stream never blocked"
                    time.sleep(0.01)
            stream.cancel()
    deadline = time.monotonic() + 10
    while running.app.fanout.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.01)
    print("subscribers left:", running.app.fanout.subscriber_count, flush=True)
    loop.run(running.app.stop(grace_s=0.5))
""")


@pytest.mark.parametrize("mode", ["busy", "blocked"])
def test_cancelling_a_busy_stream_does_not_crash_the_server(seeded: Backends,
                                                             mode: str) -> None:
    env = {**os.environ, "CANCEL_DATABASE_URL": seeded.database_url,
           "CANCEL_REDIS_URL": seeded.redis_url}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.run([sys.executable, "-X", "faulthandler", "-c", CANCEL_SCRIPT, mode],
                           cwd=root, env=env, capture_output=True, text=True, timeout=90)
    crash = child.stderr[child.stderr.find("Current thread"):][:600]
    assert child.returncode == 0, f"the server process ended with {child.returncode}: {crash}"
    assert "subscribers left: 0" in child.stdout


# --- heartbeats ----------------------------------------------------------------------------------


def test_an_idle_stream_gets_heartbeats_at_the_configured_interval(
        start_server: Callable[..., StreamServer]) -> None:
    server = start_server(FINANCEHUB_STREAM_HEARTBEAT_SECONDS="0.3")
    stream = server.stream("2222")
    assert take(stream, 1)[0].snapshot
    opened = time.monotonic()
    arrivals, server_times = [], []
    for _ in range(4):
        message = next(stream)
        arrivals.append(time.monotonic())
        assert kind(message) == "heartbeat" and not message.snapshot
        assert message.heartbeat.HasField("server_time")
        server_times.append(message.heartbeat.server_time.ToDatetime(UTC))

    assert arrivals[2] - opened <= 1.5  # three within ~1.5 s
    intervals = [b - a for a, b in zip([opened, *arrivals], arrivals, strict=False)]
    assert all(0.2 <= interval <= 1.0 for interval in intervals), intervals
    assert server_times == sorted(server_times)
    assert all(abs((datetime.now(UTC) - t).total_seconds()) < 10 for t in server_times)


def test_heartbeats_wait_while_quotes_flow(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    server = start_server(FINANCEHUB_STREAM_HEARTBEAT_SECONDS="0.3")
    stream = server.stream("2222")
    take(stream, 1)
    publish(redis_client, channel_name(redis_client), [published_quote("2222", 1)])
    # The quote, then (with nothing more to send) a heartbeat: quotes never wait for one.
    assert [kind(m) for m in take(stream, 2)] == ["quote", "heartbeat"]


# --- the market simulator ------------------------------------------------------------------------

SIMULATOR = {"FINANCEHUB_DEMO_MODE": "true", "FINANCEHUB_SIMULATOR_INTERVAL_MS": "50"}


def check_simulated_quote(quote: quotes_pb2.Quote, reference: Decimal) -> None:
    price = Decimal(str(round(quote.price, 2)))
    assert quote.price == float(price), f"{quote.price!r} is not a price in halalas"
    assert is_on_tick_grid(price), f"{price} is off the tick grid"
    limits = price_limits(reference, Market.MAIN)
    assert (quote.limit_down, quote.limit_up) == (float(limits.lower), float(limits.upper))
    assert limits.lower <= price <= limits.upper
    assert quote.tick_size == float(tick_size_for(price))
    assert quote.previous_close == float(reference)
    assert quote.change == pytest.approx(float(price - reference), abs=1e-9)
    assert quote.low <= quote.price <= quote.high
    assert quote.data_origin == securities_pb2.DATA_ORIGIN_SYNTHETIC
    today = datetime.now(RIYADH).date()
    assert (quote.trading_day.year, quote.trading_day.month, quote.trading_day.day) == (
        today.year, today.month, today.day)


def test_the_simulator_streams_ticks_on_the_grid_within_the_limits(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    redis_client.delete(LOCK_KEY)
    server = start_server(**SIMULATOR)
    stream = server.stream("2222", "1120")
    take(stream, 2)
    opened = time.monotonic()
    updates: dict[str, list[quotes_pb2.Quote]] = {"2222": [], "1120": []}
    while len(updates["2222"]) < 8 or len(updates["1120"]) < 3:
        message = next(stream)
        if kind(message) == "quote":
            assert not message.snapshot
            updates[message.quote.symbol].append(message.quote)
    assert time.monotonic() - opened < 10

    # The reference is the latest close (the seeded data's last day, 2 December 2025).
    references = {"2222": Decimal("24.40"), "1120": Decimal("96.00")}
    for symbol, quotes in updates.items():
        for quote in quotes:
            check_simulated_quote(quote, references[symbol])
        sequences = [q.sequence for q in quotes]
        assert sequences == sorted(set(sequences)), sequences
        volumes = [q.volume for q in quotes]
        assert volumes == sorted(volumes) and volumes[0] > 0  # the day's volume only grows
    assert server.app.simulator is not None and server.app.simulator.published > 0
    # What it publishes is also what GetQuote answers from the quote book.
    live = server.stub.GetQuote(quotes_pb2.GetQuoteRequest(symbol="2222"), timeout=10).quote
    assert live.data_origin == securities_pb2.DATA_ORIGIN_SYNTHETIC and live.sequence > 0


def test_two_simulators_on_one_redis_database_publish_once(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    redis_client.delete(LOCK_KEY)
    first, second = start_server(**SIMULATOR), start_server(**SIMULATOR)
    assert first.app.simulator is not None and second.app.simulator is not None
    a, b = first.app.simulator, second.app.simulator

    # A stream on each server hears the ticks, whichever process makes them.
    streams = [s.stream("2222")
               for s in (first, second)]
    for stream in streams:
        assert take(stream, 1)[0].snapshot
        heard = read_until(stream, lambda m: kind(m) == "quote")[-1].quote
        assert heard.data_origin == securities_pb2.DATA_ORIGIN_SYNTHETIC
    wait_until(lambda: a.published + b.published >= 20, what="20 published quotes")
    assert sorted([a.published > 0, b.published > 0]) == [False, True], (a.published,
                                                                         b.published)

    # The holder goes away; the other takes over (the lock is released on stop).
    holder, other, other_stream = ((first, b, streams[1]) if a.published
                                   else (second, a, streams[0]))
    holder.stop()
    wait_until(lambda: other.published > 0, what="the other simulator to take over")
    read_until(other_stream, lambda m: kind(m) == "quote")


def test_a_simulator_taking_over_continues_the_day(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    redis_client.delete(LOCK_KEY)
    first = start_server(**SIMULATOR)
    get_2222 = quotes_pb2.GetQuoteRequest(symbol="2222")
    wait_until(lambda: first.stub.GetQuote(get_2222, timeout=10).quote.sequence >= 10,
               what="ten ticks of 2222")
    second = start_server(**SIMULATOR)
    assert second.app.simulator is not None and second.app.simulator.published == 0
    first.stop()
    before = second.stub.GetQuote(get_2222, timeout=10).quote  # the day so far
    after = wait_until(lambda: (q := second.stub.GetQuote(get_2222, timeout=10).quote)
                       != before and q, what="the new holder's first 2222 tick")
    assert second.app.simulator.published > 0
    assert after.sequence > before.sequence
    assert after.volume >= before.volume


async def _stops_that_hang(app: Application, rounds: int) -> list[int]:
    """Start and stop simulators built as the app builds its own, cancelling each at another
    point of its beat; the first round whose stop did not end within 1 s, if any."""
    book = QuoteBook(app.redis, app.database)
    hung = []
    for round_ in range(rounds):
        simulator = MarketSimulator(app.redis, book, lambda: book.end_of_day(None),
                                    interval_s=0.01, seed=1)
        simulator.start()
        await asyncio.sleep(0.003 * (round_ % 10 + 1))  # not a wait: varies the cancel point
        stopping = asyncio.ensure_future(simulator.stop())
        done, _ = await asyncio.wait({stopping}, timeout=1)
        if not done:
            hung.append(round_)
            await _end_simulator_task()  # don't leave a runaway simulator behind
            await stopping
            break
    await app.redis.delete(LOCK_KEY)
    return hung


def test_a_simulator_stops_when_asked(start_server: Callable[..., StreamServer]) -> None:
    server = start_server()
    assert server.run(_stops_that_hang(server.app, 40), timeout=100) == []


# --- losing the Redis subscription ---------------------------------------------------------------


def pubsub_client_ids(redis_client: Redis) -> set[int]:
    """The servers' pub/sub subscriptions (quote fan-out and order updates; the near
    caches' carry the tracking flag "t")."""
    db = redis_client.connection_pool.connection_kwargs.get("db", 0)
    return {int(c["id"]) for c in redis_client.client_list()
            if "P" in c["flags"] and "t" not in c["flags"] and int(c["db"]) == db}


def test_the_fan_out_resubscribes_after_losing_its_redis_connection(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    channel = channel_name(redis_client)
    others = pubsub_client_ids(redis_client)
    server = start_server()
    ours = pubsub_client_ids(redis_client) - others
    assert len(ours) == 2  # the quote fan-out's and the order updates'
    stream = server.stream("2222")
    take(stream, 1)

    for client_id in ours:
        redis_client.client_kill_filter(_id=client_id)
    server.run(until_listening(server.app, channel))  # subscribed again
    sent = published_quote("2222", 7)
    publish(redis_client, channel, [sent])
    messages = read_until(stream, lambda m: m.quote == sent)
    # The interruption is signalled and followed by a fresh snapshot, then live updates.
    gaps = [m.gap for m in messages if kind(m) == "gap"]
    assert gaps and gaps[0].resnapshot
    assert any(m.snapshot for m in messages)
    assert messages[-1].quote == sent


def test_updates_missed_while_resubscribing_are_signalled_as_a_gap(
        start_server: Callable[..., StreamServer], redis_client: Redis) -> None:
    channel = channel_name(redis_client)
    others = pubsub_client_ids(redis_client)
    server = start_server()
    ours = pubsub_client_ids(redis_client) - others
    assert len(ours) == 2  # the quote fan-out's and the order updates'
    stream = server.stream("2222")
    take(stream, 1)

    before = numsub(redis_client, channel)
    for client_id in ours:
        redis_client.client_kill_filter(_id=client_id)
    wait_until(lambda: numsub(redis_client, channel) == before - 1, what="the subscription to go")
    publish(redis_client, channel, [published_quote("2222", 1)])  # this server misses it
    server.run(until_listening(server.app, channel))
    sent = published_quote("2222", 2)
    publish(redis_client, channel, [sent])
    messages = read_until(stream, lambda m: m.quote == sent)
    assert "gap" in [kind(m) for m in messages]


# --- bad input -----------------------------------------------------------------------------------


@pytest.fixture
def quotes(channel: grpc.Channel) -> quotes_pb2_grpc.QuoteServiceStub:
    return quotes_pb2_grpc.QuoteServiceStub(channel)


def consume(quotes: quotes_pb2_grpc.QuoteServiceStub, symbols: Sequence[str],
            received: list[quotes_pb2.StreamQuotesResponse]) -> None:
    for message in quotes.StreamQuotes(request(*symbols), timeout=10):
        received.append(message)


@pytest.mark.parametrize(("symbols", "field"), [
    ([], "symbols"), (["2222"] * 101, "symbols"), (["2222", "22A2"], "symbols[1]"),
    (["", "2222"], "symbols[0]")], ids=["none", "101", "malformed", "empty"])
def test_stream_with_bad_symbols_is_invalid_argument_before_any_message(
        quotes, symbols: list[str], field: str) -> None:
    received: list[quotes_pb2.StreamQuotesResponse] = []
    error = rpc_error(consume, quotes, symbols, received)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == [field]
    assert received == []


def test_stream_of_an_unknown_symbol_is_not_found_before_any_message(
        server: RunningServer, quotes) -> None:
    received: list[quotes_pb2.StreamQuotesResponse] = []
    error = rpc_error(consume, quotes, ["2222", "9998", "1010"], received)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(error) == "QUOTE_NOT_FOUND"
    assert status_details(error)["ResourceInfo"].resource_name == "9998"
    assert received == []
    wait_until(lambda: server.app.fanout.subscriber_count == 0,
               what="the refused stream to leave the fan-out")


# --- shutdown ------------------------------------------------------------------------------------


def test_a_stream_ends_with_a_status_when_the_server_shuts_down(
        start_server: Callable[..., StreamServer]) -> None:
    server = start_server()
    stream = server.stream("2222")
    take(stream, 1)
    stopper = threading.Thread(target=server.stop, kwargs={"grace_s": 0.5})
    started = time.monotonic()
    stopper.start()
    error = rpc_error(take, stream, 1_000)
    ended = time.monotonic() - started
    stopper.join(timeout=10)
    assert not stopper.is_alive()
    assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), error
    assert ended < 5, f"the stream took {ended:.1f} s to end"
    assert server.app.fanout.subscriber_count == 0
