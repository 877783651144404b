"""Helpers for tests of StreamQuotes: the quote channel of a Redis database, publishing
quotes on it, reading streams, and polling with a deadline."""

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from redis import Redis

from financehub.v1 import quotes_pb2, securities_pb2
from server.app import Application
from server.realtime.fanout import QuoteUpdate

T = TypeVar("T")

# A client channel that never reads: without BDP probing its HTTP/2 window stays at the
# initial 64 KiB, so the server's writes to it block soon and its queue fills.
SLOW_CLIENT_OPTIONS = (("grpc.http2.bdp_probe", 0),)
# A symbol no stream asks for: the probe that proves a server's fan-out is listening.
PROBE_SYMBOL = "0000"


def channel_name(redis_client: Redis) -> str:
    """The quote channel, by hand: pub/sub ignores numbered databases, so the name carries it."""
    return f"fh:quotes:ticks:db{redis_client.connection_pool.connection_kwargs.get('db', 0)}"


def wait_until(condition: Callable[[], T], timeout_s: float = 10, what: str = "") -> T:
    """Poll `condition` until it is truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(0.01)


def published_quote(symbol: str, sequence: int, price: float | None = None) -> quotes_pb2.Quote:
    quote = quotes_pb2.Quote(
        symbol=symbol, price=price if price is not None else 24.0 + (sequence % 100) / 100,
        previous_close=24.40, sequence=sequence, volume=100 * sequence,
        data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC)
    quote.update_time.FromDatetime(datetime.now(UTC))
    return quote


def publish(redis_client: Redis, channel: str, quotes: Sequence[quotes_pb2.Quote]) -> None:
    with redis_client.pipeline(transaction=False) as pipe:
        for quote in quotes:
            pipe.publish(channel, quote.SerializeToString())
        pipe.execute()


def take(stream: Iterator[quotes_pb2.StreamQuotesResponse],
         count: int) -> list[quotes_pb2.StreamQuotesResponse]:
    """The next `count` messages (bounded by the stream's deadline)."""
    return [next(stream) for _ in range(count)]


def kind(message: quotes_pb2.StreamQuotesResponse) -> str | None:
    return message.WhichOneof("event")


async def until_listening(app: Application, channel: str) -> None:
    """Publish probe quotes until the app's fan-out hands one to a probe subscription (it
    subscribes to Redis in the background); run it on the app's loop."""
    probe = app.fanout.subscribe([PROBE_SYMBOL])
    try:
        async with asyncio.timeout(10):
            while True:
                await app.redis.publish(channel, quotes_pb2.Quote(
                    symbol=PROBE_SYMBOL).SerializeToString())
                # Only a delivered probe proves the fan-out listens again (a gap event
                # just reports the interruption itself).
                if isinstance(await probe.next_event(0.05), QuoteUpdate):
                    return
    finally:
        app.fanout.unsubscribe(probe)
