"""Prometheus metrics: what the server counts, and the `/metrics` endpoint.

Counters are bumped where things happen (a handful of nanoseconds each);
pool gauges are sampled every few seconds from psycopg's pool statistics.
RPCs are counted and timed by server/interceptors/metrics.py. One
process serves its own endpoint. With several workers (server/workers.py) each
worker records into files under `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's
multiprocess mode, chosen when the module is imported) and the supervisor
serves their sum.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)

from server.config import ConfigError

log = logging.getLogger(__name__)

POOL_SAMPLE_INTERVAL_S = 5.0

CACHE_LOOKUPS = Counter("financehub_cache_lookups", "Response-cache lookups by outcome",
                        ["outcome"])
CACHE_HIT = CACHE_LOOKUPS.labels("hit")
CACHE_STALE = CACHE_LOOKUPS.labels("stale")
CACHE_MISS = CACHE_LOOKUPS.labels("miss")
CACHE_REDIS_ERRORS = Counter("financehub_cache_redis_errors",
                             "Response-cache Redis operations that failed (the call was "
                             "answered from Postgres)")
NEAR_CACHE_READS = Counter("financehub_near_cache_reads",
                           "Reads of hot Redis keys: answered from process memory, or by Redis",
                           ["source"])
NEAR_CACHE_FROM_MEMORY = NEAR_CACHE_READS.labels("memory")
NEAR_CACHE_FROM_REDIS = NEAR_CACHE_READS.labels("redis")
NEAR_CACHE_INVALIDATIONS = Counter("financehub_near_cache_invalidations",
                                   "Invalidation messages received from Redis")

DB_POOL_CONNECTIONS = Gauge("financehub_db_pool_connections",
                            "Postgres connections per pool: open (size), idle, in use, and "
                            "the pool's bounds", ["pool", "state"], multiprocess_mode="livesum")
DB_POOL_WAITING = Gauge("financehub_db_pool_requests_waiting",
                        "Callers waiting for a Postgres connection", ["pool"],
                        multiprocess_mode="livesum")
DB_POOL_EVENTS = Counter("financehub_db_pool_events",
                         "Pool events: connections lost or returned broken, requests that "
                         "failed to get a connection", ["pool", "event"])

# Seconds, 0.5 ms to 10 s: a cached unary call takes about a millisecond, a backtest
# tens of milliseconds; a server stream's whole life usually lands in +Inf.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0)
RPCS_HANDLED = Counter("financehub_rpc_handled",
                       "RPCs finished, by full method name and gRPC status code name "
                       "(calls refused by the interceptors included)", ["method", "code"])
RPC_DURATION = Histogram("financehub_rpc_duration_seconds",
                         "Time from the call reaching the interceptors to its end (a server "
                         "stream: its whole life), by method and status code",
                         ["method", "code"], buckets=LATENCY_BUCKETS)
RPC_STREAMS_OPEN = Gauge("financehub_rpc_streams_open",
                         "Server streams open now (quote and order-update subscribers, chats, "
                         "backtest progress), by method", ["method"],
                         multiprocess_mode="livesum")
RATE_LIMIT_REFUSALS = Counter("financehub_rate_limit_refusals",
                              "Calls refused by the rate limiter (RESOURCE_EXHAUSTED), by the "
                              "caller's tier and method", ["tier", "method"])
SENTIMENT_INFERENCE = Histogram("financehub_sentiment_inference_seconds",
                                "Sentiment model time per batch on the inference thread "
                                "(queueing excluded), by engine and texts in the batch",
                                ["engine", "batch_size"],
                                buckets=(*LATENCY_BUCKETS, 30.0))
# What `batch_size` says: how many texts one inference call scored.
_BATCH_SIZE_BUCKETS = ((1, "1"), (8, "2-8"), (32, "9-32"))


def batch_size_bucket(texts: int) -> str:
    return next((label for bound, label in _BATCH_SIZE_BUCKETS if texts <= bound), "33+")


LLM_REQUESTS = Histogram("financehub_llm_request_seconds",
                         "Requests to the language model (one completion, or one streamed "
                         "round of a chat, retries included), by kind and outcome",
                         ["kind", "outcome"],
                         buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0))

# psycopg_pool statistic -> our event name (counters, reset as they are read).
_POOL_EVENTS = {"connections_lost": "connection_lost", "returns_bad": "returned_broken",
                "requests_errors": "request_failed", "connections_errors": "connect_failed"}


def record_pool_stats(pool: str, stats: Mapping[str, int]) -> None:
    size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
    for state, value in (("size", size), ("idle", idle), ("in_use", size - idle),
                         ("min", stats.get("pool_min", 0)), ("max", stats.get("pool_max", 0))):
        DB_POOL_CONNECTIONS.labels(pool, state).set(value)
    DB_POOL_WAITING.labels(pool).set(stats.get("requests_waiting", 0))
    for statistic, event in _POOL_EVENTS.items():
        if stats.get(statistic):
            DB_POOL_EVENTS.labels(pool, event).inc(stats[statistic])


class PoolSampler:
    """Copies pool statistics into the gauges every few seconds."""

    def __init__(self, read_stats: Callable[[], dict[str, dict[str, int]]],
                 interval_s: float = POOL_SAMPLE_INTERVAL_S) -> None:
        self._read_stats = read_stats
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        for pool, stats in self._read_stats().items():
            record_pool_stats(pool, stats)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pool-sampler")

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self._interval_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def serve_metrics(host: str, port: int, *, multiprocess_dir: str | None = None) -> WSGIServer:
    """Serve `/metrics` on a daemon thread; the sum over workers when given their directory.

    Stop it with `.shutdown()`.
    """
    registry = REGISTRY
    if multiprocess_dir is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        raise ConfigError(f"FINANCEHUB_METRICS_PORT={port}: cannot listen ({error})") from None
    log.info("metrics endpoint", extra={"port": server.server_port, "path": "/metrics"})
    return server
