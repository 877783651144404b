"""Composition root: builds storage, servicers and interceptors, and runs the gRPC server."""

import asyncio
import logging
import signal
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from redis.asyncio import Redis

from financehub.v1 import charts_pb2_grpc, market_pb2_grpc
from server.config import Settings
from server.contract import SERVICE_DESCRIPTORS
from server.interceptors.access_log import AccessLogInterceptor
from server.interceptors.error_mapping import ErrorMappingInterceptor
from server.services.charts import ChartServicer
from server.services.market import MarketServicer
from server.storage.backends import Backends, ensure_database, resolve_backends
from server.storage.bars import DailyBarRepository
from server.storage.cache import ResponseCache
from server.storage.database import Database
from server.storage.migrations import apply_migrations
from server.storage.securities import SecurityRepository

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024


@dataclass
class Application:
    settings: Settings
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    database: Database
    redis: Redis
    cache: ResponseCache
    port: int

    async def stop(self, grace_s: float | None = None) -> None:
        """Drain: report NOT_SERVING, keep serving for the drain delay (so load balancers
        polling health move away first), then let calls in flight finish within the grace
        period."""
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        await self.health.enter_graceful_shutdown()
        if self.settings.shutdown_drain_delay_s:
            await asyncio.sleep(self.settings.shutdown_drain_delay_s)
        await self.server.stop(grace)
        await self.database.close()
        await self.redis.aclose()


async def start_application(settings: Settings, backends: Backends) -> Application:
    database = Database(
        backends.database_url,
        backends.read_replica_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )
    await database.open()
    redis = Redis.from_url(
        backends.redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
    )
    cache = ResponseCache(redis)
    securities = SecurityRepository(database)
    bars = DailyBarRepository(database)

    server = grpc.aio.server(
        interceptors=[AccessLogInterceptor(), ErrorMappingInterceptor()],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    market_pb2_grpc.add_MarketServiceServicer_to_server(MarketServicer(securities, cache), server)
    charts_pb2_grpc.add_ChartServiceServicer_to_server(
        ChartServicer(securities, bars, cache), server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    service_names = [service.full_name for service in SERVICE_DESCRIPTORS]
    reflection.enable_server_reflection(
        [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")
    await server.start()
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("gRPC server listening", extra={"port": port, "services": service_names})
    return Application(settings, server, health_servicer, database, redis, cache, port)


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then drain within the grace period."""
    backends = await asyncio.to_thread(resolve_backends, settings)
    log.info("backends", extra={"origin": backends.origin})
    try:
        if settings.auto_migrate:
            await asyncio.to_thread(ensure_database, backends.database_url)
            applied = await asyncio.to_thread(apply_migrations, backends.database_url)
            log.info("migrations", extra={"applied": applied})
        app = await start_application(settings, backends)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        log.info("shutting down", extra={"grace_s": settings.shutdown_grace_s})
        await app.stop()
        log.info("stopped")
    finally:
        backends.close()
