"""Composition root: builds storage, security, servicers and interceptors, and runs the
gRPC server."""

import asyncio
import logging
import signal
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.trace import Tracer
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from financehub.v1 import (
    admin_pb2_grpc,
    ai_pb2_grpc,
    auth_pb2_grpc,
    backtests_pb2_grpc,
    charts_pb2_grpc,
    fundamentals_pb2_grpc,
    funds_pb2_grpc,
    indices_pb2_grpc,
    market_pb2_grpc,
    quotes_pb2_grpc,
    research_pb2_grpc,
    trading_pb2_grpc,
)
from server.ai.assistant import Assistant
from server.ai.llm import LlmClient, LlmSettings
from server.ai.news_desk import NewsDesk
from server.ai.quota import TokenQuota
from server.ai.report_writer import ReportWriter
from server.ai.sentiment import SentimentAnalyzer, load_sentiment_engine
from server.ai.tools import PlatformTools
from server.broker.matcher import order_matcher
from server.broker.paper_broker import PaperBroker
from server.config import DEFAULT_MAX_STREAMS_PER_CALLER, Settings
from server.contract import SERVICE_DESCRIPTORS
from server.domain.access import RateLimitTier
from server.domain.orders import Costs
from server.interceptors.access_log import AccessLogInterceptor
from server.interceptors.authentication import AuthenticationInterceptor
from server.interceptors.authorization import AuthorizationInterceptor
from server.interceptors.error_mapping import ErrorMappingInterceptor
from server.interceptors.metrics import MetricsInterceptor
from server.interceptors.rate_limit import RateLimitInterceptor, RateLimitMeter
from server.interceptors.refusal import RefusalInterceptor
from server.interceptors.request_text import RequestTextInterceptor
from server.interceptors.stream_limit import StreamLimitInterceptor
from server.interceptors.tracing import TracingInterceptor
from server.mailer import Mailer, SmtpSettings
from server.metrics import PoolSampler, serve_metrics
from server.realtime.background import PeriodicTask
from server.realtime.fanout import QuoteFanout
from server.realtime.order_updates import OrderUpdateFeed
from server.realtime.simulator import MarketSimulator
from server.realtime.view_refresher import view_refresher
from server.security.accounts import AccountService
from server.security.administration import AdministrationService
from server.security.authenticator import Authenticator, ProxyNetworks
from server.security.login_guard import LoginGuard
from server.security.passwords import PasswordHasher
from server.security.rate_limiter import RateLimiter
from server.security.revocations import KEY_PREFIX as DENY_LIST_PREFIX
from server.security.revocations import RevocationList
from server.security.tokens import TokenService, load_signing_keys
from server.services.admin import AdminServicer
from server.services.ai import AIServicer
from server.services.auth import AuthServicer
from server.services.backtests import BacktestServicer
from server.services.charts import ChartServicer
from server.services.fundamentals import FundamentalsServicer
from server.services.funds import FundServicer
from server.services.indices import IndexServicer
from server.services.market import MarketServicer
from server.services.quotes import QuoteServicer
from server.services.research import ResearchServicer
from server.services.trading import TradingServicer, order_update_publisher
from server.storage.ai_usage import TokenUsageRepository
from server.storage.api_keys import ApiKeyRepository
from server.storage.audit import AuditRepository
from server.storage.backends import Backends, ensure_database, resolve_backends
from server.storage.backtests import BacktestRepository
from server.storage.bars import DailyBarRepository, IntradayBarRepository
from server.storage.cache import KEY_PREFIX as CACHE_KEY_PREFIX
from server.storage.cache import ResponseCache
from server.storage.conversations import ConversationRepository
from server.storage.corporate_actions import CorporateActionRepository
from server.storage.database import Database
from server.storage.funds import FundRepository
from server.storage.indices import IndexRepository
from server.storage.intraday_retention import IntradayRetention
from server.storage.market_views import MarketViewRepository
from server.storage.migrations import apply_migrations
from server.storage.near_cache import NearCache
from server.storage.news import NewsRepository
from server.storage.outbox import OutboxRepository
from server.storage.quotes import QuoteBook
from server.storage.securities import SecurityRepository
from server.storage.sessions import SessionRepository
from server.storage.trading import TradingRepository
from server.storage.users import UserRepository
from server.tracing import active_tracer, start_tracing, stop_tracing, tracing_requested
from server.workers import stop_when_orphaned

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# How long a keepalive ping may go unanswered before the connection is closed.
KEEPALIVE_TIMEOUT_MS = 20_000
ACCESS_TOKEN_TTL_S = 15 * 60


@dataclass
class Application:
    settings: Settings
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    database: Database
    redis: Redis
    cache: ResponseCache
    accounts: AccountService
    port: int
    fanout: QuoteFanout
    simulator: MarketSimulator | None
    pubsub_redis: Redis
    refresher: PeriodicTask
    near_cache: NearCache
    pool_sampler: PoolSampler
    retention: IntradayRetention
    broker: PaperBroker
    matcher: PeriodicTask
    order_updates: OrderUpdateFeed
    metrics_server: WSGIServer | None
    analyzer: SentimentAnalyzer
    llm: LlmClient | None

    async def stop(self, grace_s: float | None = None) -> None:
        """Drain: report NOT_SERVING, keep serving for the drain delay (so load balancers
        polling health move away first), then let calls in flight finish within the grace
        period."""
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        await self.health.enter_graceful_shutdown()
        if self.settings.shutdown_drain_delay_s:
            await asyncio.sleep(self.settings.shutdown_drain_delay_s)
        await self.server.stop(grace)
        await self.refresher.stop()
        await self.retention.stop()
        await self.matcher.stop()
        if self.simulator is not None:
            await self.simulator.stop()
        await self.fanout.stop()
        await self.order_updates.stop()
        await asyncio.to_thread(self.analyzer.close)
        if self.llm is not None:
            await self.llm.close()
        await self.near_cache.stop()
        await self.pool_sampler.stop()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
        await self.database.close()
        await self.redis.aclose()
        await self.pubsub_redis.aclose()


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def build_token_service(settings: Settings, *, warn_if_ephemeral: bool = True) -> TokenService:
    keys = load_signing_keys(settings.source_env, environment=settings.environment)
    if keys.ephemeral and warn_if_ephemeral:
        log.warning("no JWT signing key configured: using an ephemeral development key; "
                    "tokens stop working when the process restarts "
                    "(set FINANCEHUB_JWT_PRIVATE_KEY_FILE)")
    return TokenService(signing_key=keys.signing_key, verification_keys=keys.verification_keys,
                        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                        access_ttl_s=ACCESS_TOKEN_TTL_S)


def interceptor_chain(authenticator: Authenticator, meter: RateLimitMeter,
                      trusted_proxies: ProxyNetworks, *,
                      tracer: Tracer | None = None,
                      max_streams_per_caller: int = DEFAULT_MAX_STREAMS_PER_CALLER,
                      ) -> list[grpc.aio.ServerInterceptor]:
    """The interceptors, outermost first: one concern each, in the order DESIGN.md gives.
    Metrics and tracing sit outside the access checks, so refused calls count too."""
    return [
        RefusalInterceptor(),
        AccessLogInterceptor(),
        MetricsInterceptor(),
        *([TracingInterceptor(tracer)] if tracer is not None else []),
        AuthenticationInterceptor(authenticator, trusted_proxies, meter),
        AuthorizationInterceptor(meter),
        RateLimitInterceptor(meter),
        StreamLimitInterceptor(max_streams_per_caller),
        ErrorMappingInterceptor(),
        # Inside the error mapping, which turns its refusals into statuses.
        RequestTextInterceptor(),
    ]


def _bind(server: grpc.aio.Server, settings: Settings) -> int:
    address = f"{settings.grpc_host}:{settings.grpc_port}"
    if settings.tls_cert_file and settings.tls_key_file:
        credentials = grpc.ssl_server_credentials(
            [(settings.tls_key_file.read_bytes(), settings.tls_cert_file.read_bytes())])
        return int(server.add_secure_port(address, credentials))
    return int(server.add_insecure_port(address))


async def start_application(settings: Settings, backends: Backends, *,
                            shared_port: bool = False) -> Application:
    """Build and start everything; `shared_port` when sibling workers bind the same port."""
    tokens = build_token_service(settings)
    # Weights load before anything opens: a bad FINBERT_MODEL_PATH stops the start cleanly.
    analyzer = SentimentAnalyzer(await asyncio.to_thread(
        load_sentiment_engine, settings.finbert_model_path,
        batch_size=settings.sentiment_batch_size, max_threads=settings.sentiment_threads))
    # First, so that a busy port stops the start before anything is opened. Workers'
    # metrics are summed and served by their supervisor (server/workers.py).
    metrics_server = (serve_metrics(settings.grpc_host, settings.metrics_port)
                      if settings.metrics_port and not shared_port else None)
    database = Database(
        backends.database_url,
        backends.read_replica_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )
    await database.open()
    pool_sampler = PoolSampler(database.pool_stats)
    pool_sampler.start()
    # One quick retry (a pooled connection may be stale after a Redis restart), no
    # backoff: Redis is an optimisation, and a call must not wait long on it.
    redis = Redis.from_url(
        backends.redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        retry=Retry(NoBackoff(), 1),
    )
    # Hot keys (cached answers, the token deny-list) are held in memory between changes.
    near_cache = NearCache(redis, prefixes=[f"{CACHE_KEY_PREFIX}:", f"{DENY_LIST_PREFIX}:"])
    near_cache.start()
    cache = ResponseCache(redis, near_cache)
    securities = SecurityRepository(database)
    users = UserRepository(database)
    sessions = SessionRepository(database)
    api_keys = ApiKeyRepository(database)
    audit = AuditRepository(database)
    revocations = RevocationList(redis, database, access_ttl_s=ACCESS_TOKEN_TTL_S,
                                 near=near_cache)
    smtp = (SmtpSettings(host=settings.smtp_host, port=settings.smtp_port,
                         sender=settings.smtp_sender, username=settings.smtp_username,
                         password=settings.smtp_password, starttls=settings.smtp_starttls)
            if settings.smtp_host else None)
    accounts = AccountService(
        database=database, users=users, sessions=sessions, api_keys=api_keys, audit=audit,
        mailer=Mailer(database, smtp), tokens=tokens,
        hasher=PasswordHasher(time_cost=settings.argon2_time_cost,
                              memory_cost_kib=settings.argon2_memory_kib,
                              parallelism=settings.argon2_parallelism),
        guard=LoginGuard(redis), revocations=revocations,
        refresh_ttl_s=settings.refresh_token_ttl_s)
    administration = AdministrationService(
        database=database, users=users, sessions=sessions, api_keys=api_keys, audit=audit,
        outbox=OutboxRepository(database), revocations=revocations)
    meter = RateLimitMeter(RateLimiter(redis), {
        tier: settings.rate_limits_per_minute[tier.value] for tier in RateLimitTier})

    server = grpc.aio.server(
        interceptors=interceptor_chain(Authenticator(tokens, revocations, api_keys), meter,
                                       settings.trusted_proxies, tracer=active_tracer(),
                                       max_streams_per_caller=settings.max_streams_per_caller),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            # Off unless workers share the port on purpose: a second server started by
            # mistake on a busy port must fail, not quietly take half the connections.
            ("grpc.so_reuseport", 1 if shared_port else 0),
            # Connections are bounded too, not just calls: a client that connects and
            # never completes the HTTP/2 handshake is dropped, a connection with no call
            # for a while is closed (GOAWAY; clients reconnect when they need to), and
            # pings find peers that vanished without closing (their streams end).
            ("grpc.server_handshake_timeout_ms", _milliseconds(settings.handshake_timeout_s)),
            ("grpc.max_connection_idle_ms", _milliseconds(settings.connection_idle_s)),
            ("grpc.keepalive_time_ms", _milliseconds(settings.keepalive_s)),
            ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
        ],
        # Backpressure: calls beyond this many in flight (streams count) are refused with
        # RESOURCE_EXHAUSTED at once instead of queueing without bound.
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
    )
    quote_book = QuoteBook(redis, database)
    # Pub/sub holds its connection open: its own client, without the short read timeout.
    pubsub_redis = Redis.from_url(backends.redis_url,
                                  socket_connect_timeout=settings.redis_timeout_s)
    fanout = QuoteFanout(pubsub_redis, queue_size=settings.stream_queue_size)
    simulator = (MarketSimulator(redis, quote_book, lambda: quote_book.end_of_day(None),
                                 interval_s=settings.simulator_interval_s,
                                 seed=settings.simulator_seed)
                 if settings.demo_mode else None)
    indices_pb2_grpc.add_IndexServiceServicer_to_server(
        IndexServicer(IndexRepository(database), cache), server)
    quotes = QuoteServicer(quote_book, fanout, heartbeat_interval_s=settings.stream_heartbeat_s)
    quotes_pb2_grpc.add_QuoteServiceServicer_to_server(quotes, server)
    market = MarketServicer(securities, MarketViewRepository(database), IndexRepository(database),
                            cache)
    market_pb2_grpc.add_MarketServiceServicer_to_server(market, server)
    charts = ChartServicer(securities, DailyBarRepository(database),
                           IntradayBarRepository(database), cache)
    charts_pb2_grpc.add_ChartServiceServicer_to_server(charts, server)
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(accounts, tokens), server)
    admin_pb2_grpc.add_AdminServiceServicer_to_server(AdminServicer(administration), server)
    fundamentals = FundamentalsServicer(securities, quote_book, CorporateActionRepository(database),
                                        cache)
    fundamentals_pb2_grpc.add_FundamentalsServiceServicer_to_server(fundamentals, server)
    news = NewsRepository(database)
    news_desk = NewsDesk(news, securities, analyzer)
    research = ResearchServicer(CorporateActionRepository(database), securities, quote_book, cache,
                                news, news_desk)
    research_pb2_grpc.add_ResearchServiceServicer_to_server(research, server)
    tools = PlatformTools(market=market, quotes=quotes, charts=charts,
                          fundamentals=fundamentals, research=research)
    quota = TokenQuota(TokenUsageRepository(database), {
        tier: settings.ai_daily_tokens[tier.value] for tier in RateLimitTier})
    llm = (LlmClient(LlmSettings(base_url=settings.llm_base_url, api_key=settings.llm_api_key,
                                 model=settings.llm_model, timeout_s=settings.llm_timeout_s,
                                 max_retries=settings.llm_max_retries))
           if settings.llm_model else None)
    conversations = ConversationRepository(database)
    ai_pb2_grpc.add_AIServiceServicer_to_server(AIServicer(
        analyzer=analyzer, news_desk=news_desk, news=news, securities=securities,
        assistant=Assistant(llm, tools, conversations, quota) if llm else None,
        conversations=conversations, writer=ReportWriter(tools, llm, quota), quota=quota,
        cache=cache), server)
    funds_pb2_grpc.add_FundServiceServicer_to_server(
        FundServicer(FundRepository(database), cache), server)
    backtests_pb2_grpc.add_BacktestServiceServicer_to_server(
        BacktestServicer(securities, DailyBarRepository(database), BacktestRepository(database)),
        server)
    order_updates = OrderUpdateFeed(redis, pubsub_redis, queue_size=settings.stream_queue_size)
    broker = PaperBroker(database, TradingRepository(database), quote_book,
                         costs=Costs(commission_rate=settings.trading_commission_rate,
                                     vat_rate=settings.trading_vat_rate,
                                     slippage_rate=settings.trading_slippage_rate),
                         starting_cash=settings.trading_starting_cash,
                         on_events=order_update_publisher(order_updates))
    trading_pb2_grpc.add_TradingServiceServicer_to_server(
        TradingServicer(broker, order_updates, heartbeat_interval_s=settings.stream_heartbeat_s),
        server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    service_names = [service.full_name for service in SERVICE_DESCRIPTORS]
    reflection.enable_server_reflection(
        [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = _bind(server, settings)
    await server.start()
    fanout.start()
    order_updates.start()
    if simulator is not None:
        simulator.start()
    refresher = view_refresher(MarketViewRepository(database), cache, settings.view_refresh_s)
    refresher.start()
    retention = IntradayRetention(IntradayBarRepository(database),
                                  settings.intraday_retention_months)
    retention.start()
    matcher = order_matcher(broker, settings.matcher_interval_s)
    matcher.start()
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("gRPC server listening", extra={"port": port, "services": service_names,
                                             "tls": settings.tls_cert_file is not None})
    return Application(settings, server, health_servicer, database, redis, cache, accounts, port,
                       fanout, simulator, pubsub_redis, refresher, near_cache, pool_sampler,
                       retention, broker, matcher, order_updates, metrics_server, analyzer, llm)


async def serve(settings: Settings, *, shared_port: bool = False) -> None:
    """Run until SIGTERM or SIGINT, then drain within the grace period."""
    backends = await asyncio.to_thread(resolve_backends, settings)
    log.info("backends", extra={"origin": backends.origin})
    try:
        if settings.auto_migrate:
            await asyncio.to_thread(ensure_database, backends.database_url)
            applied = await asyncio.to_thread(apply_migrations, backends.database_url)
            log.info("migrations", extra={"applied": applied})
        if tracing_requested(settings.source_env):
            # Before the pools open: their connections must be the instrumented kind.
            start_tracing(env=settings.source_env)
        app = await start_application(settings, backends, shared_port=shared_port)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        orphan_watch = (asyncio.create_task(stop_when_orphaned(stopping)) if shared_port
                        else None)
        await stopping.wait()
        if orphan_watch is not None:
            orphan_watch.cancel()
        log.info("shutting down", extra={"grace_s": settings.shutdown_grace_s})
        await app.stop()
        log.info("stopped")
    finally:
        await asyncio.to_thread(stop_tracing)  # exports the spans still pending
        backends.close()
