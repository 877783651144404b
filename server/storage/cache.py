"""Redis cache-aside for RPC answers, stored as serialized protobuf.

Each RPC's cache category comes from its `method_policy` option in the
contract; the category sets the time to live. Entries are tagged (by symbol,
say) so that an import can drop every answer it made stale. Redis is an
optimisation, never a dependency: when it fails, the loader answers and the
failure is logged.
"""

import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from google.protobuf.message import Message
from redis.asyncio import Redis
from redis.exceptions import RedisError

from financehub.options.v1 import options_pb2

log = logging.getLogger(__name__)

KEY_PREFIX = "fh:v1"

# Seconds an answer stays fresh, per category (DESIGN.md, Storage).
TTL_SECONDS: dict[int, int] = {
    options_pb2.CACHE_CATEGORY_TICKERS: 30,
    options_pb2.CACHE_CATEGORY_OHLC: 60,
    options_pb2.CACHE_CATEGORY_FINANCIALS: 3600,
    options_pb2.CACHE_CATEGORY_FUNDS: 300,
    options_pb2.CACHE_CATEGORY_NEWS: 120,
    options_pb2.CACHE_CATEGORY_AI_INSIGHTS: 300,
}

M = TypeVar("M", bound=Message)


def cache_key(method: str, request: Message) -> str:
    """A key from the full method name and the (normalised) request's bytes.

    Deterministic serialization makes equal requests give equal keys.
    """
    digest = hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()[:32]
    return f"{KEY_PREFIX}:{method.strip('/')}:{digest}"


def tag_key(tag: str) -> str:
    return f"{KEY_PREFIX}:tag:{tag}"


class ResponseCache:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self.hits = 0
        self.misses = 0
        self.errors = 0

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
        cached = await self._get(key)
        if cached is not None:
            self.hits += 1
            return response_type.FromString(cached)
        self.misses += 1
        response = await load()
        await self._set(key, response.SerializeToString(), ttl, tags)
        return response

    async def invalidate_tags(self, tags: Iterable[str]) -> int:
        """Drop every entry stored under any of `tags`; returns how many were dropped."""
        dropped = 0
        try:
            for tag in tags:
                members = await self._redis.smembers(tag_key(tag))
                if members:
                    dropped += await self._redis.delete(*members)
                await self._redis.delete(tag_key(tag))
        except RedisError as error:
            self.errors += 1
            log.warning("cache invalidation failed", extra={"error": str(error)})
        return dropped

    async def _get(self, key: str) -> bytes | None:
        try:
            value = await self._redis.get(key)
        except RedisError as error:
            self.errors += 1
            log.warning("cache read failed; answering from the database",
                        extra={"error": str(error)})
            return None
        return value if isinstance(value, bytes) else None

    async def _set(self, key: str, value: bytes, ttl: int, tags: Iterable[str]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(key, value, ex=ttl)
                for tag in tags:
                    pipe.sadd(tag_key(tag), key)
                    # A tag set outlives its entries only briefly.
                    pipe.expire(tag_key(tag), max(ttl, 3600))
                await pipe.execute()
        except RedisError as error:
            self.errors += 1
            log.warning("cache write failed", extra={"error": str(error)})
