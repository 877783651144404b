"""Second interceptor: RPCs counted and timed by method and status code, open streams gauged.

Right inside the access log, so every call the interceptors refuse (UNAUTHENTICATED,
PERMISSION_DENIED, RESOURCE_EXHAUSTED from the rate limiter) is counted with its code.
Calls grpc itself refuses before any interceptor runs (unknown methods, the
`FINANCEHUB_MAX_CONCURRENT_RPCS` ceiling) are not seen here. A server stream counts once,
when it ends, with its whole life as its duration; while it runs it is in
`financehub_rpc_streams_open`.

Per call: one dict lookup for the (method, code) pair's metric children, made once and
kept, then a counter increment and a histogram observation.
"""

import time
from typing import Any

import grpc
from prometheus_client import Counter, Gauge, Histogram

from server.interceptors.base import ObservingInterceptor, Outcome, status_name
from server.metrics import RPC_DURATION, RPC_STREAMS_OPEN, RPCS_HANDLED


class MetricsInterceptor(ObservingInterceptor[float]):
    def __init__(self, handled: Counter = RPCS_HANDLED, duration: Histogram = RPC_DURATION,
                 streams_open: Gauge = RPC_STREAMS_OPEN) -> None:
        super().__init__()
        self._handled = handled
        self._duration = duration
        self._streams_open = streams_open
        # (method, code) -> its handled counter and duration histogram; method -> gauge.
        self._children: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._stream_gauges: dict[str, Any] = {}

    def call_started(self, context: grpc.aio.ServicerContext[Any, Any],
                     method_name: str) -> float:
        return time.perf_counter()

    def stream_opened(self, observation: float, method_name: str) -> None:
        self._stream_gauge(method_name).inc()

    def call_ended(self, observation: float, context: grpc.aio.ServicerContext[Any, Any],
                   method_name: str, outcome: Outcome, *, streamed: bool) -> None:
        elapsed = time.perf_counter() - observation
        key = (method_name, status_name(context, outcome))
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (self._handled.labels(*key),
                                               self._duration.labels(*key))
        children[0].inc()
        children[1].observe(elapsed)
        if streamed:
            self._stream_gauge(method_name).dec()

    def _stream_gauge(self, method_name: str) -> Any:
        gauge = self._stream_gauges.get(method_name)
        if gauge is None:
            gauge = self._stream_gauges[method_name] = self._streams_open.labels(method_name)
        return gauge
