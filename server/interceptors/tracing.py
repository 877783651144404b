"""Third interceptor, only while tracing is on (server/tracing.py): one span per RPC.

The span continues the caller's trace (`traceparent` in the metadata), is named
`financehub.v1.MarketService/GetTicker`, carries the request id (set by the access log,
outside this interceptor) and the gRPC status code, and becomes the current span of the
call: the SQL and Redis spans of the call are its children, and log lines carry its
trace id. A server stream's span lasts its whole life. Server-side failures (UNKNOWN,
INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED, UNIMPLEMENTED, DATA_LOSS) mark it as an error;
refusals of the caller's request (NOT_FOUND, UNAUTHENTICATED, ...) do not.
"""

from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from server.interceptors.base import ObservingInterceptor, Outcome, status_name
from server.request_context import current_request_id

REQUEST_ID_ATTRIBUTE = "financehub.request_id"
_SERVER_ERRORS = frozenset({
    grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS,
})


class TracingInterceptor(ObservingInterceptor[Span]):
    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self._tracer = tracer
        # method -> (span name, its constant attributes)
        self._methods: dict[str, tuple[str, dict[str, str]]] = {}

    def call_started(self, context: grpc.aio.ServicerContext[Any, Any],
                     method_name: str) -> Span:
        carrier = {key: value for key, value in context.invocation_metadata() or ()
                   if isinstance(value, str)}
        parent = propagate.extract(carrier)
        name, attributes = self._describe(method_name)
        span = self._tracer.start_span(
            name, context=parent, kind=SpanKind.SERVER,
            attributes={**attributes, REQUEST_ID_ATTRIBUTE: current_request_id()})
        # Never detached: grpc runs each call in a task of its own, whose context (and
        # this entry in it) ends with the call, as the request id's does.
        otel_context.attach(trace.set_span_in_context(span, parent))
        return span

    def call_ended(self, span: Span, context: grpc.aio.ServicerContext[Any, Any],
                   method_name: str, outcome: Outcome, *, streamed: bool) -> None:
        code = grpc.StatusCode[status_name(context, outcome)]
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code in _SERVER_ERRORS:
            span.set_status(Status(StatusCode.ERROR, code.name))
        span.end()

    def _describe(self, method_name: str) -> tuple[str, dict[str, str]]:
        known = self._methods.get(method_name)
        if known is None:
            name = method_name.lstrip("/")
            service, _, method = name.partition("/")
            known = self._methods[method_name] = (name, {
                "rpc.system": "grpc", "rpc.service": service, "rpc.method": method})
        return known
