"""The base of our interceptors: grpc_interceptor's, with each method's handler wrapped once;
and the base of those that observe whole calls (access log, metrics, tracing)."""

import abc
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, Literal, TypeVar

import grpc
from grpc_interceptor import AsyncServerInterceptor

Observation = TypeVar("Observation")


class ServerInterceptor(AsyncServerInterceptor):
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

        # grpc_interceptor leaves intercept_service unannotated: give it its signature.
        wrap: Callable[
            [Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
             grpc.HandlerCallDetails],
            Awaitable[grpc.RpcMethodHandler],
        ] = super().intercept_service
        wrapped = await wrap(same_handler, handler_call_details)
        self._wrapped[method] = (next_handler, wrapped)
        return wrapped


# How an observed call ended: answered, failed (refused, or an error), or cancelled (the
# client went away, or shutdown cut it).
Outcome = Literal["ok", "failed", "cancelled"]
_OUTCOME_CODES = {"ok": "OK", "cancelled": "CANCELLED"}


def status_name(context: grpc.aio.ServicerContext[Any, Any], outcome: Outcome) -> str:
    """The call's gRPC status code name: the one set on the context (an abort), else what
    the outcome implies."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return str(code.name)  # grpc is untyped: an enum member's name
    return _OUTCOME_CODES.get(outcome, "UNKNOWN")


class ObservingInterceptor(ServerInterceptor, Generic[Observation]):
    """Sees every call from start to end, exactly once: a unary call when its response is
    ready or it fails; a server stream over its whole life (the last message sent, a
    failure mid-stream, or the client gone). Subclasses say what happens at the start
    (`call_started`, whose result they get back) and at the end (`call_ended`), and
    optionally when a stream opens and just before the first response goes out."""

    @abc.abstractmethod
    def call_started(self, context: grpc.aio.ServicerContext[Any, Any],
                     method_name: str) -> Observation: ...

    @abc.abstractmethod
    def call_ended(self, observation: Observation, context: grpc.aio.ServicerContext[Any, Any],
                   method_name: str, outcome: Outcome, *, streamed: bool) -> None: ...

    def stream_opened(self, observation: Observation, method_name: str) -> None:
        """A server stream starts running (`call_ended` follows with `streamed=True`)."""

    async def responding(self, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        """Just before the response (a stream's first message) is sent; failures count as
        the call's."""

    async def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        observation = self.call_started(context, method_name)
        try:
            result = method(request_or_iterator, context)
            if hasattr(result, "__aiter__"):
                return self._observe_stream(result, context, method_name, observation)
            response = await result
            await self.responding(context)
        except asyncio.CancelledError:
            self.call_ended(observation, context, method_name, "cancelled", streamed=False)
            raise
        except BaseException:
            self.call_ended(observation, context, method_name, "failed", streamed=False)
            raise
        self.call_ended(observation, context, method_name, "ok", streamed=False)
        return response

    async def _observe_stream(self, stream: AsyncIterator[Any],
                              context: grpc.aio.ServicerContext[Any, Any], method_name: str,
                              observation: Observation) -> AsyncIterator[Any]:
        outcome: Outcome = "failed"
        self.stream_opened(observation, method_name)
        try:
            await self.responding(context)
            async for message in stream:
                yield message
            outcome = "ok"
        except (asyncio.CancelledError, GeneratorExit):
            outcome = "cancelled"
            raise
        finally:
            self.call_ended(observation, context, method_name, outcome, streamed=True)
