"""Outermost interceptor: ends a refused call with the status its refuser chose.

Every refusal (authentication, access, rate and stream limits, a servicer's error) goes
through `abort_with`, which raises `CallRefused` carrying the rich status; the
interceptors inside see a failed call as it unwinds. Here, in the outermost frame, the
request is let go and the call aborted with that status, so that the reference cycle grpc
keeps around an aborted call (see `CallRefused`) holds nothing large. A grpc interceptor
of its own, not a grpc_interceptor one: that library's wrapper frame would hold the request.

Here too a request whose bytes do not parse (a string field that is not UTF-8, which Envoy's
JSON transcoder passes on from a percent-encoded path such as `%C0%AF`) is refused as
INVALID_ARGUMENT: left to grpc, its deserializer's DecodeError would end the call as
UNKNOWN (HTTP 500 through Envoy) with the Python exception in the message.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from grpc_status import rpc_status

from server.domain.errors import FieldViolation, InvalidArgumentError
from server.interceptors.error_mapping import CallRefused, status_for

_FACTORIES = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler),
    ("unary_stream", grpc.unary_stream_rpc_method_handler),
    ("stream_unary", grpc.stream_unary_rpc_method_handler),
    ("stream_stream", grpc.stream_stream_rpc_method_handler),
)


class _Undecodable:
    """What the deserializer of a unary request hands on for bytes that do not parse."""


_UNDECODABLE = _Undecodable()


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None
    parse = deserializer

    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except DecodeError:
            return _UNDECODABLE

    return deserialize


def _undecodable_status() -> grpc.Status:
    return rpc_status.to_status(status_for(InvalidArgumentError(
        [FieldViolation("request", "the request does not parse: a string field that is not "
                                   "valid UTF-8, or bytes that are not this message")],
        reason="MALFORMED_REQUEST")))


def _ending_refusals(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    kind, factory = next((kind, factory) for kind, factory in _FACTORIES
                         if getattr(handler, kind) is not None)
    behaviour = getattr(handler, kind)

    async def unary_response(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        if request is _UNDECODABLE:
            await context.abort_with_status(_undecodable_status())
        try:
            return await behaviour(request, context)
        except CallRefused as refusal:
            status = refusal.status
        del request  # before aborting: the aborted call's frames outlive it
        await context.abort_with_status(status)

    async def stream_response(request: Any, context: grpc.aio.ServicerContext[Any, Any],
                              ) -> AsyncIterator[Any]:
        if request is _UNDECODABLE:
            await context.abort_with_status(_undecodable_status())
        try:
            async for message in behaviour(request, context):
                yield message
            return
        except CallRefused as refusal:
            status = refusal.status
        del request
        await context.abort_with_status(status)

    wrapped = stream_response if handler.response_streaming else unary_response
    deserializer = handler.request_deserializer
    if not handler.request_streaming:  # a stream's messages reach the servicer one by one
        deserializer = _tolerant(deserializer)
    ending: grpc.RpcMethodHandler = factory(
        wrapped, request_deserializer=deserializer,
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
