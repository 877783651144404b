"""Order updates from whichever process made them to every stream of their owner.

The broker's changes are published on one Redis channel (the owner's user id, a
newline, the serialized financehub.v1.OrderUpdate); each process subscribes once and
hands each update to the streams its owner has open there. A stream that falls more
than `queue_size` updates behind is ended (it must reconcile with ListOrders), because
order updates, unlike quotes, cannot be skipped.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.realtime.background import BackgroundLoop

log = logging.getLogger(__name__)

RESUBSCRIBE_DELAY_S = 1.0


def order_update_channel(redis: Redis) -> str:
    # Pub/sub ignores Redis's numbered databases: the number is part of the name.
    return f"fh:orders:updates:db{redis.connection_pool.connection_kwargs.get('db', 0)}"


class UpdateStream:
    """The updates one open stream is waiting for."""

    def __init__(self, user_id: str, queue_size: int) -> None:
        self.user_id = user_id
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(queue_size)
        # Set when updates were lost: the stream fell behind, or the feed was interrupted.
        self.broken = False

    def offer(self, update: bytes) -> None:
        try:
            self._queue.put_nowait(update)
        except asyncio.QueueFull:
            self.broken = True

    async def next_update(self, timeout_s: float) -> bytes | None:
        """The next serialized update, or None when none came within `timeout_s`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                return await self._queue.get()
        return None


class OrderUpdateFeed:
    def __init__(self, publisher: Redis, subscriber: Redis, *, queue_size: int = 256) -> None:
        self._publisher = publisher
        self._subscriber = subscriber
        self._queue_size = queue_size
        self._streams: dict[str, set[UpdateStream]] = {}
        self._listener = BackgroundLoop("order-update-feed", self._listen)

    def start(self) -> None:
        self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()

    async def publish(self, user_id: str, updates: Iterable[bytes]) -> None:
        """Best effort: the change is committed already; a lost update is logged."""
        channel = order_update_channel(self._publisher)
        try:
            async with self._publisher.pipeline(transaction=False) as pipe:
                for update in updates:
                    pipe.publish(channel, user_id.encode() + b"\n" + update)
                await pipe.execute()
        except RedisError as error:
            log.warning("order update not published", extra={"error": str(error)})

    def subscribe(self, user_id: str) -> UpdateStream:
        stream = UpdateStream(user_id, self._queue_size)
        self._streams.setdefault(user_id, set()).add(stream)
        return stream

    def unsubscribe(self, stream: UpdateStream) -> None:
        streams = self._streams.get(stream.user_id)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self._streams[stream.user_id]

    def _dispatch(self, message: bytes) -> None:
        user_id, _, update = message.partition(b"\n")
        for stream in self._streams.get(user_id.decode(), ()):
            stream.offer(update)

    async def _listen(self) -> None:
        while True:
            try:
                async with self._subscriber.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(order_update_channel(self._subscriber))
                    while True:
                        message = await pubsub.get_message(timeout=1.0)
                        if message is not None and isinstance(message.get("data"), bytes):
                            self._dispatch(message["data"])
            except (RedisError, OSError) as error:
                log.warning("order update subscription lost; retrying",
                            extra={"error": str(error)})
                for streams in self._streams.values():
                    for stream in streams:
                        stream.broken = True
                await asyncio.sleep(RESUBSCRIBE_DELAY_S)
