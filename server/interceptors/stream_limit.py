"""Fifth interceptor: at most N server streams open at once per caller (per worker).

A stream holds a slot of the worker's `FINANCEHUB_MAX_CONCURRENT_RPCS` for as long as the
client keeps it open, idle or not: without a per-caller bound one client could take them
all and lock every other caller out of streaming. A signed-in caller is counted as their
user (a user's API keys share the user's count), a guest by address. The stream that would
go over the limit ends at once with RESOURCE_EXHAUSTED (ErrorInfo STREAM_LIMIT_EXCEEDED,
QuotaFailure, RetryInfo); the slot is free again as soon as one of the caller's streams
ends, however it ends.
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from server.domain.access import Principal
from server.domain.errors import ResourceExhaustedError
from server.interceptors.base import ServerInterceptor
from server.interceptors.error_mapping import abort_with
from server.request_context import current_principal

RETRY_AFTER_S = 1.0


def stream_owner(principal: Principal) -> str:
    """Whose count a stream goes to: the user (any of their keys), else the address."""
    return f"user:{principal.user_id}" if principal.user_id else f"ip:{principal.address}"


class StreamLimitInterceptor(ServerInterceptor):
    def __init__(self, max_streams_per_caller: int) -> None:
        super().__init__()
        if max_streams_per_caller < 1:
            raise ValueError("max_streams_per_caller must be at least 1")
        self._limit = max_streams_per_caller
        self._open: dict[str, int] = {}

    async def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        result = method(request_or_iterator, context)
        if not hasattr(result, "__aiter__"):
            return await result
        return self._bounded(result, context, stream_owner(current_principal()))

    async def _bounded(self, stream: AsyncIterator[Any],
                       context: grpc.aio.ServicerContext[Any, Any],
                       owner: str) -> AsyncIterator[Any]:
        # Counted when the stream starts running, on the loop's one thread: a stream
        # cancelled before it ran never took a slot.
        if self._open.get(owner, 0) >= self._limit:
            await abort_with(context, ResourceExhaustedError(
                f"at most {self._limit} streams may be open at once per caller; "
                "close one before opening another",
                retry_after_s=RETRY_AFTER_S,
                quota_subject=owner,
                quota_description=f"{self._limit} concurrent server streams per caller",
                reason="STREAM_LIMIT_EXCEEDED",
                metadata={"limit": str(self._limit)}))
        self._open[owner] = self._open.get(owner, 0) + 1
        try:
            async for message in stream:
                yield message
        finally:
            left = self._open[owner] - 1
            if left:
                self._open[owner] = left
            else:
                del self._open[owner]
