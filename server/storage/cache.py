"""Redis cache-aside for RPC answers, stored as serialized protobuf.

Each RPC's cache category comes from its `method_policy` option in the
contract and sets two times: how long an answer is fresh, and how much longer
it may still be served stale while one caller refreshes it in the background
(stale-while-revalidate). Refreshes and misses are single-flight: within a
process callers share one load, and across processes a short Redis lock
(`SET NX PX`) lets one load while the others wait briefly for its answer.
NOT_FOUND answers are cached for a few seconds, so a client hammering a
missing symbol does not reach Postgres every time. Entries are tagged (by
symbol, say) so that an import can drop every answer it made stale. Redis is
an optimisation, never a dependency: when it fails, the loader answers, the
outage is logged once, and a circuit breaker keeps calls from waiting on a
dead Redis's timeouts.
"""

import asyncio
import hashlib
import json
import logging
import struct
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar, cast

from google.protobuf.message import Message
from redis.asyncio import Redis

from financehub.options.v1 import options_pb2
from server.domain.errors import NotFoundError
from server.metrics import CACHE_HIT, CACHE_MISS, CACHE_REDIS_ERRORS, CACHE_STALE
from server.storage.near_cache import NearCache
from server.storage.redis_breaker import REDIS_ERRORS, RedisBreaker

log = logging.getLogger(__name__)

KEY_PREFIX = "fh:v1"

# Seconds an answer stays fresh, and then how long it may still be served stale, per
# category (the roadmap's figures).
TTL_SECONDS: dict[int, int] = {
    options_pb2.CACHE_CATEGORY_TICKERS: 30,
    options_pb2.CACHE_CATEGORY_OHLC: 60,
    options_pb2.CACHE_CATEGORY_FINANCIALS: 3600,
    options_pb2.CACHE_CATEGORY_FUNDS: 300,
    options_pb2.CACHE_CATEGORY_NEWS: 120,
    options_pb2.CACHE_CATEGORY_AI_INSIGHTS: 300,
}
STALE_SECONDS: dict[int, int] = {
    options_pb2.CACHE_CATEGORY_TICKERS: 300,
    options_pb2.CACHE_CATEGORY_OHLC: 3600,
    options_pb2.CACHE_CATEGORY_FINANCIALS: 86400,
    options_pb2.CACHE_CATEGORY_FUNDS: 3600,
    options_pb2.CACHE_CATEGORY_NEWS: 600,
    options_pb2.CACHE_CATEGORY_AI_INSIGHTS: 1800,
}
NOT_FOUND_SECONDS = 5
# After a Redis failure, how long the cache leaves Redis alone before probing it again.
REDIS_RETRY_AFTER_S = 5.0
# How long one loader may hold a key's refresh lock, and how long others wait for it.
LOCK_MS = 5000
WAIT_FOR_LOADER_S = 2.0
POLL_INTERVAL_S = 0.02

_ENVELOPE = struct.Struct(">BQ")  # kind, fresh until (epoch ms)
_VALUE, _NOT_FOUND = 0, 1

M = TypeVar("M", bound=Message)
T = TypeVar("T")


def cache_key(method: str, request: Message) -> str:
    """A key from the full method name and the (normalised) request's bytes.

    Deterministic serialization makes equal requests give equal keys.
    """
    digest = hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()[:32]
    return f"{KEY_PREFIX}:{method.strip('/')}:{digest}"


def tag_key(tag: str) -> str:
    return f"{KEY_PREFIX}:tag:{tag}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _pack(kind: int, fresh_for_s: int, payload: bytes) -> bytes:
    return _ENVELOPE.pack(kind, _now_ms() + fresh_for_s * 1000) + payload


class ResponseCache:
    def __init__(self, redis: Redis, near: NearCache | None = None) -> None:
        self._redis = redis
        # Cached answers are read through the process's near cache when there is one.
        self._near = near
        self._loading: dict[str, asyncio.Future[bytes]] = {}
        self._refreshes: set[asyncio.Task[None]] = set()
        self._breaker = RedisBreaker(purpose="the response cache",
                                     fallback="answering every call from Postgres", logger=log,
                                     retry_after_s=REDIS_RETRY_AFTER_S)

    async def get_or_load(
        self,
        *,
        key: str,
        category: int,
        response_type: type[M],
        load: Callable[[], Awaitable[M]],
        tags: Iterable[str] = (),
    ) -> M:
        ttl = TTL_SECONDS.get(category)
        if ttl is None:
            return await load()
        tags = tuple(tags)
        envelope = await self._get(key)
        if envelope is not None:
            kind, fresh_until = _ENVELOPE.unpack_from(envelope)
            payload = envelope[_ENVELOPE.size:]
            if fresh_until >= _now_ms():
                CACHE_HIT.inc()
            else:
                CACHE_STALE.inc()
                self._refresh_in_background(key, category, load, tags)
            return self._decode(kind, payload, response_type)
        CACHE_MISS.inc()
        return self._decode(*await self._load_once(key, category, load, tags), response_type)

    @staticmethod
    def _decode(kind: int, payload: bytes, response_type: type[M]) -> M:
        if kind == _NOT_FOUND:
            found = json.loads(payload)
            raise NotFoundError(found["type"], found["name"], reason=found["reason"])
        # protobuf is untyped (FromString is Any); it parses an instance of response_type.
        return cast(M, response_type.FromString(payload))

    async def _load_once(self, key: str, category: int, load: Callable[[], Awaitable[Message]],
                         tags: tuple[str, ...]) -> tuple[int, bytes]:
        """Load `key` once for every concurrent caller of this process (and, through the
        Redis lock, of the others); returns the stored (kind, payload)."""
        pending = self._loading.get(key)
        if pending is not None:
            return _split(await asyncio.shield(pending))
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            envelope = await self._load_across_processes(key, category, load, tags)
            future.set_result(envelope)
            return _split(envelope)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # consumed here; waiters get it through the shield
            raise
        finally:
            del self._loading[key]

    async def _load_across_processes(self, key: str, category: int,
                                     load: Callable[[], Awaitable[Message]],
                                     tags: tuple[str, ...]) -> bytes:
        locked = await self._lock(key)
        if not locked:
            # Another process is loading it: wait for its answer rather than query too.
            deadline = time.monotonic() + WAIT_FOR_LOADER_S
            while time.monotonic() < deadline:
                await asyncio.sleep(POLL_INTERVAL_S)
                envelope = await self._get(key)
                if envelope is not None:
                    return envelope
        try:
            return await self._load_and_store(key, category, load, tags)
        finally:
            if locked:
                await self._unlock(key)

    async def _load_and_store(self, key: str, category: int,
                              load: Callable[[], Awaitable[Message]],
                              tags: tuple[str, ...]) -> bytes:
        try:
            response = await load()
        except NotFoundError as missing:
            envelope = _pack(_NOT_FOUND, NOT_FOUND_SECONDS, json.dumps({
                "type": missing.resource_type, "name": missing.resource_name,
                "reason": missing.reason}).encode())
            await self._set(key, envelope, NOT_FOUND_SECONDS, tags)
            raise
        envelope = _pack(_VALUE, TTL_SECONDS[category], response.SerializeToString())
        await self._set(key, envelope, TTL_SECONDS[category] + STALE_SECONDS[category], tags)
        return envelope

    def _refresh_in_background(self, key: str, category: int,
                               load: Callable[[], Awaitable[Message]],
                               tags: tuple[str, ...]) -> None:
        if key in self._loading:
            return

        async def refresh() -> None:
            if not await self._lock(key):
                return  # someone, here or elsewhere, is already refreshing it
            try:
                await self._load_and_store(key, category, load, tags)
            except Exception as error:  # noqa: BLE001 - the stale answer was served
                log.warning("background cache refresh failed", extra={"error": str(error)})
            finally:
                await self._unlock(key)

        task = asyncio.create_task(refresh())
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def invalidate_tags(self, tags: Iterable[str]) -> int:
        """Drop every entry stored under any of `tags`; returns how many were dropped."""
        async def drop() -> int:
            dropped = 0
            for tag in tags:
                members = await self._redis.smembers(tag_key(tag))
                if members:
                    dropped += await self._redis.delete(*members)
                await self._redis.delete(tag_key(tag))
            return dropped

        return await self._through_breaker(drop, unavailable=0)

    async def _lock(self, key: str) -> bool:
        async def take() -> bool:
            return bool(await self._redis.set(f"{key}:lock", b"1", nx=True, px=LOCK_MS))

        # No Redis, no other process to coordinate with: go ahead.
        return await self._through_breaker(take, unavailable=True)

    async def _unlock(self, key: str) -> None:
        async def release() -> None:
            await self._redis.delete(f"{key}:lock")

        await self._through_breaker(release, unavailable=None)

    async def _get(self, key: str) -> bytes | None:
        read = self._near.get if self._near is not None else self._redis.get
        value = await self._through_breaker(lambda: read(key), unavailable=None)
        return value if isinstance(value, bytes) and len(value) >= _ENVELOPE.size else None

    async def _set(self, key: str, value: bytes, ttl: int, tags: Iterable[str]) -> None:
        async def store() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(key, value, ex=ttl)
                for tag in tags:
                    pipe.sadd(tag_key(tag), key)
                    # A tag set outlives its entries only briefly.
                    pipe.expire(tag_key(tag), ttl + 60)
                await pipe.execute()

        await self._through_breaker(store, unavailable=None)

    async def _through_breaker(self, operation: Callable[[], Awaitable[T]], *,
                               unavailable: T) -> T:
        """`operation()` on Redis, or `unavailable` while Redis is failing."""
        if not self._breaker.should_try():
            return unavailable
        try:
            result = await operation()
        except REDIS_ERRORS as error:
            CACHE_REDIS_ERRORS.inc()
            self._breaker.record_failure(error)
            return unavailable
        self._breaker.record_success()
        return result


def _split(envelope: bytes) -> tuple[int, bytes]:
    kind, _ = _ENVELOPE.unpack_from(envelope)
    return kind, envelope[_ENVELOPE.size:]
