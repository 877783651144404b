"""Prometheus metrics: what the server counts, and the `/metrics` endpoint.

Counters are bumped where things happen (a handful of nanoseconds each);
pool gauges are sampled every few seconds from psycopg's pool statistics. One
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
