"""Cache-aside for servicers, with the TTL category the contract declares for the RPC."""

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from google.protobuf.message import Message

from server.contract import policy_for
from server.storage.cache import ResponseCache, cache_key

M = TypeVar("M", bound=Message)


async def cached_answer(
    cache: ResponseCache,
    full_method: str,
    normalized_request: Message,
    response_type: type[M],
    load: Callable[[], Awaitable[M]],
    tags: Iterable[str] = (),
) -> M:
    """The answer for `normalized_request`: from Redis when fresh, else from `load`.

    Requests must be normalised first (canonical symbol, defaults applied) so
    that equivalent requests share one entry.
    """
    policy = policy_for(full_method)
    if policy is None:
        return await load()
    return await cache.get_or_load(
        key=cache_key(full_method, normalized_request),
        category=policy.cache_category,
        response_type=response_type,
        load=load,
        tags=tags,
    )
