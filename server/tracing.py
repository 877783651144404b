"""OpenTelemetry tracing: off unless the environment asks for it.

On (`FINANCEHUB_TRACING=true`, or by default when `OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; `FINANCEHUB_TRACING=false` wins), each
server process (each worker) exports its spans over OTLP/gRPC in batches:

- one SERVER span per RPC (server/interceptors/tracing.py): the caller's `traceparent`
  continues its trace; the request id is an attribute; a server stream's span lasts
  its whole life;
- one CLIENT span per SQL statement (opentelemetry-instrumentation-psycopg: it wraps
  psycopg's `connect`, so the pools opened after `start_tracing` are traced) and per
  Redis command or pipeline (opentelemetry-instrumentation-redis), children of the
  RPC span that ran them;
- JSON log lines written while a sampled span is current carry `trace_id` and
  `span_id`.

Unless `OTEL_TRACES_SAMPLER` says otherwise, every RPC is sampled and SQL or Redis
work outside any RPC (background jobs: the market simulator, view refreshes, the
order matcher) is not. The standard variables work as the SDK and exporter define
them: `OTEL_SERVICE_NAME` (default here `financehub`), `OTEL_RESOURCE_ATTRIBUTES`,
`OTEL_EXPORTER_OTLP_ENDPOINT` / `_TRACES_ENDPOINT` (default http://localhost:4317),
`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_INSECURE`,
`OTEL_EXPORTER_OTLP_CERTIFICATE`, `OTEL_TRACES_SAMPLER` / `_ARG`, `OTEL_BSP_*`,
`OTEL_PROPAGATORS`. `OTEL_TRACES_EXPORTER=console` prints spans to stdout instead
(development). Only the OTLP gRPC protocol is shipped.

Off, none of this is imported or installed: no interceptor, no wrapped drivers, no
log filter. `start_tracing(exporter=...)` is also the tests' hook (an in-memory
exporter, spans exported as they end).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from server.config import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

log = logging.getLogger(__name__)

DEFAULT_SERVICE_NAME = "financehub"
INSTRUMENTATION_NAME = "financehub.server"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# What stopping may spend exporting the last spans (workers get 5 s beyond their grace).
STOP_TIMEOUT_S = 3.0


def tracing_requested(env: Mapping[str, str]) -> bool:
    """`FINANCEHUB_TRACING` when set, else whether an OTLP endpoint is configured."""
    raw = env.get("FINANCEHUB_TRACING", "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    if raw:
        raise ConfigError(f"FINANCEHUB_TRACING={raw!r} is not a boolean (use true or false)")
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
                or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip())


class TraceContextFilter(logging.Filter):
    """Adds `trace_id` and `span_id` to records written under a sampled span."""

    def __init__(self) -> None:
        super().__init__()
        from opentelemetry import trace

        self._current_span = trace.get_current_span

    def filter(self, record: logging.LogRecord) -> bool:
        span_context = self._current_span().get_span_context()
        if span_context.is_valid and span_context.trace_flags.sampled:
            record.trace_id = format(span_context.trace_id, "032x")
            record.span_id = format(span_context.span_id, "016x")
        return True


@dataclass
class Tracing:
    provider: TracerProvider
    tracer: Tracer
    log_filter: TraceContextFilter
    filtered_handlers: Sequence[logging.Handler]


_active: Tracing | None = None
_global_provider_set = False


def active_tracer() -> Tracer | None:
    """The tracer RPC spans come from, or None when tracing is off."""
    return _active.tracer if _active is not None else None


def _exporter_from_env(env: Mapping[str, str]) -> SpanExporter:
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = env.get(name, "").strip().lower()
        if protocol and protocol != "grpc":
            raise ConfigError(f"{name}={protocol!r}: only grpc is supported")
    kind = env.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp"
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    raise ConfigError(f"OTEL_TRACES_EXPORTER={kind!r} must be otlp or console")


def _rpc_roots_sampler() -> Any:
    """Parent-based; a span without a parent is kept only if it is an RPC's (SERVER)."""
    from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
    from opentelemetry.trace import SpanKind

    class RpcRootsOnly(Sampler):
        def should_sample(self, parent_context: Any, trace_id: int, name: str,
                          kind: SpanKind | None = None, attributes: Any = None,
                          links: Any = None, trace_state: Any = None) -> SamplingResult:
            if kind is SpanKind.SERVER:
                return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
            return SamplingResult(Decision.DROP, None, trace_state)

        def get_description(self) -> str:
            return "RpcRootsOnly"

    return ParentBased(root=RpcRootsOnly())


def start_tracing(exporter: SpanExporter | None = None,
                  env: Mapping[str, str] | None = None) -> Tracing:
    """Configure the SDK for this process and instrument psycopg and Redis; the one
    already started when called again. With `exporter`, spans go to it as each ends
    (tests); else in batches to the exporter the environment names. Call it before the
    Postgres pools open."""
    global _active, _global_provider_set
    if _active is not None:
        return _active
    from opentelemetry import trace
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    env = os.environ if env is None else env
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    sampler = None if env.get("OTEL_TRACES_SAMPLER") else _rpc_roots_sampler()
    # Shut down by stop_tracing, within its time limit (not again at exit).
    provider = TracerProvider(resource=resource, sampler=sampler, shutdown_on_exit=False)
    if exporter is None:
        provider.add_span_processor(BatchSpanProcessor(_exporter_from_env(env)))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    PsycopgInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    if not _global_provider_set:  # OpenTelemetry takes one global provider per process
        trace.set_tracer_provider(provider)
        _global_provider_set = True
    log_filter = TraceContextFilter()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(log_filter)
    _active = Tracing(provider, provider.get_tracer(INSTRUMENTATION_NAME), log_filter,
                      handlers)
    log.info("tracing on", extra={"service": resource.attributes.get(SERVICE_NAME),
                                  "sampler": provider.sampler.get_description()})
    return _active


def stop_tracing(timeout_s: float = STOP_TIMEOUT_S) -> None:
    """Remove the instrumentation and the log filter, then export what is pending, waiting
    at most `timeout_s` (blocking): an unreachable collector must not hold up a worker's
    exit past what its supervisor allows. Nothing when tracing is off."""
    global _active
    if _active is None:
        return
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    tracing, _active = _active, None
    PsycopgInstrumentor().uninstrument()
    RedisInstrumentor().uninstrument()
    for handler in tracing.filtered_handlers:
        handler.removeFilter(tracing.log_filter)
    flush = threading.Thread(target=tracing.provider.shutdown, name="tracing-shutdown",
                             daemon=True)
    flush.start()
    flush.join(timeout_s)
    if flush.is_alive():
        log.warning("tracing: spans not exported within the shutdown allowance were dropped",
                    extra={"timeout_s": timeout_s})
