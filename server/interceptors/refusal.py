"""Outermost interceptor: ends a refused call with the status its refuser chose.

Every refusal (authentication, access, rate and stream limits, a servicer's error) goes
through `abort_with`, which raises `CallRefused` carrying the rich status; the
interceptors inside see a failed call as it unwinds. Here, in the outermost frame, the
request is let go and the call aborted with that status, so that the reference cycle grpc
keeps around an aborted call (see `CallRefused`) holds nothing large. A grpc interceptor
of its own, not a grpc_interceptor one: that library's wrapper frame would hold the request.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from server.interceptors.error_mapping import CallRefused

_FACTORIES = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler),
    ("unary_stream", grpc.unary_stream_rpc_method_handler),
    ("stream_unary", grpc.stream_unary_rpc_method_handler),
    ("stream_stream", grpc.stream_stream_rpc_method_handler),
)


def _ending_refusals(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    kind, factory = next((kind, factory) for kind, factory in _FACTORIES
                         if getattr(handler, kind) is not None)
    behaviour = getattr(handler, kind)

    async def unary_response(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            return await behaviour(request, context)
        except CallRefused as refusal:
            status = refusal.status
        del request  # before aborting: the aborted call's frames outlive it
        await context.abort_with_status(status)

    async def stream_response(request: Any, context: grpc.aio.ServicerContext[Any, Any],
                              ) -> AsyncIterator[Any]:
        try:
            async for message in behaviour(request, context):
                yield message
            return
        except CallRefused as refusal:
            status = refusal.status
        del request
        await context.abort_with_status(status)

    wrapped = stream_response if handler.response_streaming else unary_response
    ending: grpc.RpcMethodHandler = factory(
        wrapped, request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer)
    return ending


# grpc.aio ships no type for its interceptor base.
class RefusalInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(self) -> None:
        # method -> (the next handler, our wrapper around it): built once per method.
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        next_handler = await continuation(handler_call_details)
        if next_handler is None:
            return None
        method = handler_call_details.method
        known = self._wrapped.get(method)
        if known is not None and known[0] is next_handler:
            return known[1]
        wrapped = _ending_refusals(next_handler)
        self._wrapped[method] = (next_handler, wrapped)
        return wrapped
