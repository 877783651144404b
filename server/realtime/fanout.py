"""Fan-out of live quotes from one Redis subscription to many streams.

Each server process subscribes to the quote channel once. Every open stream
registers a Subscription: a bounded queue of the quotes it asked for. A
subscriber that does not keep up loses its OLDEST updates (the newest price is
what matters) and is told how many it lost; it never blocks the publisher or
the other subscribers, and never makes the process hold more than
`queue_size` quotes for it.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from financehub.v1 import quotes_pb2
from server.realtime.background import BackgroundLoop

log = logging.getLogger(__name__)

def quote_channel(redis: Redis) -> str:
    """The channel live quotes go out on. Pub/sub ignores Redis's numbered databases, so
    the database number is part of the name: deployments sharing a Redis server on
    different databases do not hear each other's quotes."""
    return f"fh:quotes:ticks:db{redis.connection_pool.connection_kwargs.get('db', 0)}"

RESUBSCRIBE_DELAY_S = 1.0


@dataclass(frozen=True)
class QuoteUpdate:
    quote: quotes_pb2.Quote


@dataclass(frozen=True)
class Gap:
    dropped: int
    # The feed itself was interrupted: what is queued may be stale; take a new snapshot.
    resnapshot: bool = False


StreamEvent = QuoteUpdate | Gap


@dataclass(eq=False)  # identity, not value: subscriptions live in a set
class Subscription:
    """The updates one stream is waiting for."""

    symbols: frozenset[str]
    queue_size: int
    _pending: deque[quotes_pb2.Quote] = field(default_factory=deque)
    _dropped: int = 0
    _interrupted: bool = False
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, quote: quotes_pb2.Quote) -> None:
        if len(self._pending) >= self.queue_size:
            self._pending.popleft()
            self._dropped += 1
        self._pending.append(quote)
        self._ready.set()

    def interrupt(self) -> None:
        """The feed broke: updates may have been missed without anyone dropping them."""
        self._interrupted = True
        self._ready.set()

    async def next_event(self, timeout_s: float) -> StreamEvent | None:
        """The next event, or None when nothing came within `timeout_s` (time for a heartbeat)."""
        if not self._pending and not self._dropped and not self._interrupted:
            self._ready.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for makes a task per wait,
            # and every stream waits once per update.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await self._ready.wait()
        if self._interrupted:
            dropped = self._dropped
            self._interrupted, self._dropped = False, 0
            self._pending.clear()
            return Gap(dropped, resnapshot=True)
        if self._dropped:
            dropped, self._dropped = self._dropped, 0
            return Gap(dropped)
        if self._pending:
            return QuoteUpdate(self._pending.popleft())
        return None

    @property
    def backlog(self) -> int:
        return len(self._pending)


class QuoteFanout:
    def __init__(self, redis: Redis, *, queue_size: int = 256) -> None:
        self._redis = redis
        self._queue_size = queue_size
        self._subscriptions: set[Subscription] = set()
        # symbol -> the subscriptions that want it: a quote reaches its watchers without a
        # look at every open stream.
        self._watchers: dict[str, set[Subscription]] = {}
        self._listener = BackgroundLoop("quote-fanout", self._listen)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def start(self) -> None:
        self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()

    def subscribe(self, symbols: Iterable[str]) -> Subscription:
        subscription = Subscription(frozenset(symbols), self._queue_size)
        self._subscriptions.add(subscription)
        for symbol in subscription.symbols:
            self._watchers.setdefault(symbol, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription not in self._subscriptions:
            return
        self._subscriptions.discard(subscription)
        for symbol in subscription.symbols:
            watchers = self._watchers[symbol]
            watchers.discard(subscription)
            if not watchers:
                del self._watchers[symbol]

    def dispatch(self, quote: quotes_pb2.Quote) -> None:
        for subscription in self._watchers.get(quote.symbol, ()):
            subscription.offer(quote)

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    channel = quote_channel(self._redis)
                    await pubsub.subscribe(channel)
                    log.info("quote fan-out subscribed", extra={"channel": channel})
                    while True:
                        message = await pubsub.get_message(timeout=1.0)
                        if message is not None and isinstance(message.get("data"), bytes):
                            self.dispatch(quotes_pb2.Quote.FromString(message["data"]))
            except (RedisError, OSError) as error:
                log.warning("quote subscription lost; retrying",
                            extra={"error": str(error)})
                for subscription in self._subscriptions:
                    subscription.interrupt()
                await asyncio.sleep(RESUBSCRIBE_DELAY_S)
