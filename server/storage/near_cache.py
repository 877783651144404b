"""Process-local copies of hot Redis keys, kept coherent by Redis itself.

Redis's server-assisted client-side caching (`CLIENT TRACKING ... BCAST`) sends
a message naming every key under the tracked prefixes that any client changes
or deletes, or that expires. One connection per process subscribes to those
messages, with tracking redirected to itself; while it is connected, a key read
once is answered from memory until Redis says it changed, which saves a round
trip (and most of a millisecond of CPU in redis-py) on every cached answer and
every token deny-list check.

Coherence rules: a value read from Redis is kept only if no invalidation for
its key arrived while the read was in flight (a per-read marker that an
invalidation removes); when the connection fails, or Redis is flushed, every
copy is dropped and reads go straight to Redis until the subscription is back.
A write made by this process is seen by its next read as soon as Redis's
message arrives (well under a millisecond); callers that need their own write
visible at once call `forget`.
"""

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Final, cast

from redis._parsers import _AsyncRESP2Parser
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from server.metrics import (
    NEAR_CACHE_FROM_MEMORY,
    NEAR_CACHE_FROM_REDIS,
    NEAR_CACHE_INVALIDATIONS,
)
from server.storage.redis_breaker import REDIS_ERRORS

log = logging.getLogger(__name__)

INVALIDATION_CHANNEL: Final = "__redis__:invalidate"
# Without a message for this long, the subscriber pings Redis; no answer within the
# same time again means the connection is gone (and with it every invalidation).
HEARTBEAT_S = 2.0
RECONNECT_AFTER_S = 1.0
DEFAULT_MAX_ENTRIES = 100_000


class _Reading:
    """Marks a key whose value is being read from Redis; an invalidation removes it."""

    __slots__ = ()


_NOT_HELD: Final = object()


class NearCache:
    def __init__(self, redis: Redis, *, prefixes: Sequence[str],
                 max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if not prefixes:
            raise ValueError("a near cache needs at least one key prefix to track")
        self._redis = redis
        self._prefixes = tuple(prefixes)
        self._max_entries = max_entries
        # key -> value (None: the key does not exist in Redis), or a _Reading marker.
        self._entries: dict[str, bytes | None | _Reading] = {}
        self._tracking = False
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        # Invalidation messages seen: lets a caller wait for one to have arrived.
        self.invalidations = 0

    @property
    def tracking(self) -> bool:
        """Whether copies are being kept (the invalidation subscription is up)."""
        return self._tracking

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow_invalidations(),
                                         name="near-cache-invalidations")

    async def wait_until_tracking(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._stop_tracking()

    async def get(self, key: str) -> bytes | None:
        return (await self.mget([key]))[0]

    async def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        """The keys' values (None where absent), from memory where held, else from Redis.

        Raises what Redis raises; the caller decides what a Redis failure means.
        """
        if not self._tracking or not all(key.startswith(self._prefixes) for key in keys):
            # Untracked keys would never be invalidated: they are never held.
            return await self._redis_mget(keys)
        held = {key: self._entries.get(key, _NOT_HELD) for key in keys}
        wanted = [key for key, value in held.items()
                  if value is _NOT_HELD or isinstance(value, _Reading)]
        if wanted:
            NEAR_CACHE_FROM_REDIS.inc()
            fetched = await self._read_and_keep(wanted)
            held.update(fetched)
        else:
            NEAR_CACHE_FROM_MEMORY.inc()
        return [held[key] for key in keys]  # type: ignore[misc]  # no markers left

    async def _read_and_keep(self, keys: list[str]) -> dict[str, bytes | None]:
        markers = {key: _Reading() for key in keys}
        self._entries.update(markers)
        try:
            fetched = dict(zip(keys, await self._redis_mget(keys), strict=True))
        except BaseException:
            self._drop_markers(markers)
            raise
        for key, marker in markers.items():
            if self._entries.get(key) is marker:  # no invalidation came meanwhile
                self._entries[key] = fetched[key]
        self._evict_oldest()
        return fetched

    async def _redis_mget(self, keys: Sequence[str]) -> list[bytes | None]:
        # The client is built without decode_responses: values come back as bytes.
        return cast(list[bytes | None], await self._redis.mget(keys))

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def _drop_markers(self, markers: dict[str, _Reading]) -> None:
        for key, marker in markers.items():
            if self._entries.get(key) is marker:
                del self._entries[key]

    def _evict_oldest(self) -> None:
        while len(self._entries) > self._max_entries:
            del self._entries[next(iter(self._entries))]  # dicts keep insertion order

    def _stop_tracking(self) -> None:
        self._tracking = False
        self._subscribed.clear()
        self._entries.clear()

    async def _follow_invalidations(self) -> None:
        announced_outage = False
        while True:
            connection = self._subscriber_connection()
            try:
                await self._subscribe(connection)
                if announced_outage:
                    log.info("near cache: Redis invalidations followed again")
                    announced_outage = False
                await self._apply_invalidations(connection)
            except REDIS_ERRORS as error:
                if not announced_outage:
                    log.warning("near cache off: every read goes to Redis",
                                extra={"error": repr(error)})
                    announced_outage = True
            finally:
                self._stop_tracking()
                await connection.disconnect(nowait=True)
            await asyncio.sleep(RECONNECT_AFTER_S)

    def _subscriber_connection(self) -> AbstractConnection:
        pool = self._redis.connection_pool
        # RESP2 and redis-py's pure-Python parser: pub/sub messages come back as plain
        # replies (RESP3, or hiredis, would route them to push handlers instead).
        # (Redis's maintenance notifications need RESP3: not asked for here.)
        settings = {key: value for key, value in pool.connection_kwargs.items()
                    if not key.startswith("maint_notifications")}
        return pool.connection_class(**{**settings, "protocol": 2,
                                        "parser_class": _AsyncRESP2Parser})

    async def _subscribe(self, connection: AbstractConnection) -> None:
        await connection.connect()
        await connection.send_command("CLIENT", "ID")
        client_id = await connection.read_response()
        prefix_args = [part for prefix in self._prefixes for part in ("PREFIX", prefix)]
        await connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id,
                                      "BCAST", *prefix_args)
        await connection.read_response()
        await connection.send_command("SUBSCRIBE", INVALIDATION_CHANNEL)
        await connection.read_response()
        # Anything held from before may have missed its invalidation.
        self._entries.clear()
        self._tracking = True
        self._subscribed.set()

    async def _apply_invalidations(self, connection: AbstractConnection) -> None:
        awaiting_pong = False
        while True:
            message = await connection.read_response(timeout=HEARTBEAT_S)
            if message is None:
                if awaiting_pong:
                    raise ConnectionError(f"Redis did not answer a ping in {HEARTBEAT_S} s")
                await connection.send_command("PING")
                awaiting_pong = True
                continue
            awaiting_pong = False
            kind = message[0]
            if kind in (b"message", "message"):
                self._invalidate(message[2])

    def _invalidate(self, keys: list[bytes] | None) -> None:
        self.invalidations += 1
        NEAR_CACHE_INVALIDATIONS.inc()
        if keys is None:  # FLUSHDB / FLUSHALL
            self._entries.clear()
            return
        for key in keys:
            self._entries.pop(key.decode() if isinstance(key, bytes) else key, None)
