"""Tracing configuration: when it is on, what it samples, what log lines get, where its
interceptor sits. The spans of a real call: tests/integration/test_observability.py."""

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from server.app import interceptor_chain
from server.config import ConfigError
from server.interceptors.access_log import AccessLogInterceptor
from server.interceptors.authentication import AuthenticationInterceptor
from server.interceptors.authorization import AuthorizationInterceptor
from server.interceptors.error_mapping import ErrorMappingInterceptor
from server.interceptors.metrics import MetricsInterceptor
from server.interceptors.rate_limit import RateLimitInterceptor
from server.interceptors.refusal import RefusalInterceptor
from server.interceptors.request_text import RequestTextInterceptor
from server.interceptors.stream_limit import StreamLimitInterceptor
from server.interceptors.tracing import TracingInterceptor
from server.tracing import (
    TraceContextFilter,
    active_tracer,
    start_tracing,
    stop_tracing,
    tracing_requested,
)


@pytest.mark.parametrize(("env", "expected"), [
    ({}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "  "}, False),
    ({"FINANCEHUB_TRACING": "true"}, True),
    ({"FINANCEHUB_TRACING": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317"}, False),
    ({"FINANCEHUB_TRACING": "off"}, False),
])
def test_tracing_is_on_when_asked_or_when_an_endpoint_is_set(env: dict[str, str],
                                                             expected: bool) -> None:
    assert tracing_requested(env) is expected


def test_a_malformed_switch_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="FINANCEHUB_TRACING='maybe'"):
        tracing_requested({"FINANCEHUB_TRACING": "maybe"})


@pytest.mark.parametrize(("env", "variable"), [
    ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"),
    ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
])
def test_an_exporter_that_is_not_shipped_is_refused(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        start_tracing(env=env)
    assert active_tracer() is None


def _chain(tracer: Any = None) -> list[type]:
    chain = interceptor_chain(object(), object(), (),  # type: ignore[arg-type]
                              tracer=tracer)
    return [type(interceptor) for interceptor in chain]


def test_metrics_and_tracing_sit_outside_the_access_checks() -> None:
    assert _chain() == [RefusalInterceptor, AccessLogInterceptor, MetricsInterceptor,
                        AuthenticationInterceptor, AuthorizationInterceptor, RateLimitInterceptor,
                        StreamLimitInterceptor, ErrorMappingInterceptor, RequestTextInterceptor]
    assert _chain(trace.NoOpTracer()) == [
        RefusalInterceptor, AccessLogInterceptor, MetricsInterceptor, TracingInterceptor,
        AuthenticationInterceptor, AuthorizationInterceptor, RateLimitInterceptor,
        StreamLimitInterceptor, ErrorMappingInterceptor, RequestTextInterceptor]


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exported = InMemorySpanExporter()
    start_tracing(exporter=exported, env={})
    try:
        yield exported
    finally:
        stop_tracing()
    assert active_tracer() is None


def test_rpcs_start_traces_and_work_outside_them_does_not(
        exporter: InMemorySpanExporter) -> None:
    tracer = active_tracer()
    assert tracer is not None
    with tracer.start_as_current_span("background SQL", kind=SpanKind.CLIENT) as orphan:
        assert not orphan.is_recording()
    with tracer.start_as_current_span("an RPC", kind=SpanKind.SERVER) as rpc:
        assert rpc.is_recording()
        with tracer.start_as_current_span("its SQL", kind=SpanKind.CLIENT) as child:
            assert child.is_recording()
    assert [span.name for span in exporter.get_finished_spans()] == ["its SQL", "an RPC"]
    resource = exporter.get_finished_spans()[0].resource
    assert resource.attributes["service.name"] == "financehub"


def test_log_records_under_a_sampled_span_carry_its_ids(exporter: InMemorySpanExporter) -> None:
    tracer = active_tracer()
    assert tracer is not None
    log_filter = TraceContextFilter()

    def record() -> logging.LogRecord:
        made = logging.LogRecord("test", logging.INFO, __file__, 1, "line", None, None)
        assert log_filter.filter(made)
        return made

    assert not hasattr(record(), "trace_id")
    with tracer.start_as_current_span("background", kind=SpanKind.CLIENT):
        assert not hasattr(record(), "trace_id")  # not sampled: no trace to look up
    with tracer.start_as_current_span("an RPC", kind=SpanKind.SERVER) as span:
        inside = record()
    context = span.get_span_context()
    assert inside.trace_id == format(context.trace_id, "032x")  # type: ignore[attr-defined]
    assert inside.span_id == format(context.span_id, "016x")  # type: ignore[attr-defined]
