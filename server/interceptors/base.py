"""The base of our interceptors: grpc_interceptor's, with each method's handler wrapped once."""

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc_interceptor import AsyncServerInterceptor


class ServerInterceptor(AsyncServerInterceptor):  # type: ignore[misc]
    """grpc calls `intercept_service` on every call, and grpc_interceptor wraps the next
    handler anew each time: a handler object and two closures per interceptor per call.
    The wrapper depends only on the method and the next handler, which stay the same
    for every call of a method, so it is built once per method and kept."""

    def __init__(self) -> None:
        # method -> (the next handler, our wrapper around it); registered methods only.
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        next_handler = await continuation(handler_call_details)
        if next_handler is None:  # an unknown method: nothing to wrap, nothing to keep
            return None
        method = handler_call_details.method
        known = self._wrapped.get(method)
        if known is not None and known[0] is next_handler:
            return known[1]

        async def same_handler(_: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
            return next_handler

        wrapped = await super().intercept_service(same_handler, handler_call_details)
        self._wrapped[method] = (next_handler, wrapped)
        return wrapped
