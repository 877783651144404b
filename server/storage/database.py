"""Postgres access through psycopg async pools: one for writes, one for reads.

Reads go to `READ_REPLICA_URL` when it is set, else to the primary. Every
connection gets a statement timeout, so a runaway query cannot hold a pool
slot for ever. A connection lost under a call (a restart, a failover, a terminated
backend) is retried for reads; for writes, and for reads out of retries, the call is
refused as UNAVAILABLE (`DATABASE_UNAVAILABLE`), as is a statement timeout
(`DATABASE_TIMEOUT`) or a full pool (`DATABASE_BUSY`); a deadlock or serialization failure
is ABORTED (`TRANSACTION_CONFLICT`). A transaction cut off is rolled back, or committed if
the commit got through, so a retry with the same client key is safe.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection, AsyncCursor, sql
from psycopg.errors import DeadlockDetected, QueryCanceled, SerializationFailure
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from server.domain.errors import AbortedError, DomainError, UnavailableError

log = logging.getLogger(__name__)

# How the server's connections show in pg_stat_activity (operators and tests pick them out).
APPLICATION_NAME = "financehub-server"
# How long a call waits for a pooled connection before it is refused (UNAVAILABLE):
# psycopg_pool's default, 30 s, outlasts any client's deadline.
POOL_WAIT_S = 5.0
READ_ATTEMPTS = 3
READ_BACKOFF_S = 0.05
T = TypeVar("T")

Row = dict[str, Any]
# A statement: literal SQL, or one composed with psycopg.sql (identifiers from allow-lists).
Query = str | sql.SQL | sql.Composed


class _SweepOnBrokenConnection:
    """The check a connection passes before each use; when it fails, every idle connection
    is checked at once.

    One broken connection usually means Postgres dropped them all (a restart, a failover,
    terminated backends). psycopg_pool would otherwise find them one per checkout, backing
    off 1, 2, 4, 8 s between them: a pool of ten dead connections kept a call waiting for
    over ten seconds. Sweeping them together leaves one short backoff before a fresh one.
    """

    def __init__(self) -> None:
        self.pool: AsyncConnectionPool | None = None

    async def __call__(self, conn: AsyncConnection[Any]) -> None:
        try:
            await AsyncConnectionPool.check_connection(conn)
        except psycopg.Error:
            if self.pool is not None:
                await self.pool.check()
            raise


class Database:
    def __init__(
        self,
        write_url: str,
        read_url: str | None = None,
        *,
        min_size: int = 1,
        max_size: int = 10,
        statement_timeout_ms: int = 5000,
    ) -> None:
        options = f"-c statement_timeout={statement_timeout_ms} -c TimeZone=UTC"
        self._write_pool = self._make_pool(write_url, "write", min_size, max_size, options)
        self._read_pool = (
            self._make_pool(read_url, "read", min_size, max_size, options)
            if read_url and read_url != write_url
            else self._write_pool
        )
        # Counts statements sent to Postgres; tests use it to prove cache hits stay off it.
        self.statements_executed = 0

    @staticmethod
    def _make_pool(url: str, name: str, min_size: int, max_size: int,
                   options: str) -> AsyncConnectionPool:
        sweep = _SweepOnBrokenConnection()
        pool = AsyncConnectionPool(
            url,
            name=name,
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=POOL_WAIT_S,
            kwargs={"options": options, "application_name": APPLICATION_NAME},
            check=sweep,
        )
        sweep.pool = pool
        return pool

    async def open(self) -> None:
        await self._write_pool.open(wait=True, timeout=30)
        if self._read_pool is not self._write_pool:
            await self._read_pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        if self._read_pool is not self._write_pool:
            await self._read_pool.close()
        await self._write_pool.close()

    def pool_stats(self) -> dict[str, dict[str, int]]:
        """Each pool's statistics (psycopg_pool's names); event counters restart at zero."""
        pools = {"write": self._write_pool}
        if self._read_pool is not self._write_pool:
            pools["read"] = self._read_pool
        return {name: pool.pop_stats() for name, pool in pools.items()}

    async def fetch_all(self, query: Query,
                        params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        async def run(cursor: AsyncCursor[Row]) -> list[Row]:
            await cursor.execute(query, params)
            return await cursor.fetchall()

        return await self._read(run)

    async def fetch_one(self, query: Query,
                        params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        async def run(cursor: AsyncCursor[Row]) -> Row | None:
            await cursor.execute(query, params)
            return await cursor.fetchone()

        return await self._read(run)

    async def _read(self, run: Callable[[AsyncCursor[Row]], Awaitable[T]]) -> T:
        """Run a read, retried with exponential backoff when the connection broke under it
        (a restarted or failed-over server, a terminated backend). Reads are idempotent;
        writes are never retried here."""
        for attempt in range(READ_ATTEMPTS):
            try:
                async with self._read_pool.connection() as conn, \
                        conn.cursor(row_factory=dict_row) as cursor:
                    self.statements_executed += 1
                    return await run(cursor)
            except psycopg.OperationalError as error:
                # Only a lost connection is worth another try: a statement timeout would
                # time out again as slowly, a full pool has already been waited for.
                if attempt == READ_ATTEMPTS - 1 or not is_connection_lost(error):
                    raise refusal_for(error) from error
                log.warning("read failed on a broken connection; retrying",
                            extra={"attempt": attempt + 1, "error": str(error)})
                await asyncio.sleep(READ_BACKOFF_S * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A write connection inside one transaction: committed on exit, rolled back on error.

        Never retried here (the caller's work would run twice): a transaction the database
        cut short (connection lost, deadlock, statement timeout) refuses the call with a
        retryable status instead of failing it as an internal error."""
        try:
            async with self._write_pool.connection() as conn, conn.transaction():
                yield conn
        except psycopg.OperationalError as error:
            refusal = refusal_for(error)
            log.warning("write refused by the database",
                        extra={"reason": refusal.reason, "error": str(error)})
            raise refusal from error


def is_connection_lost(error: psycopg.OperationalError) -> bool:
    """Whether `error` means the connection broke (the only kind a read is retried for)."""
    return not isinstance(error, DeadlockDetected | SerializationFailure | QueryCanceled
                          | PoolTimeout)


def refusal_for(error: psycopg.OperationalError) -> DomainError:
    """What a call is told when the database cut it short for a reason of the moment:
    a retryable status, with no SQL and no driver text."""
    if isinstance(error, DeadlockDetected | SerializationFailure):
        return AbortedError("the call conflicted with a concurrent one and was rolled back; "
                            "retry it", reason="TRANSACTION_CONFLICT")
    if isinstance(error, QueryCanceled):
        return UnavailableError("the database took too long to answer; retry later",
                                reason="DATABASE_TIMEOUT")
    if isinstance(error, PoolTimeout):
        return UnavailableError("the database is busy; retry the call", reason="DATABASE_BUSY")
    return UnavailableError("the database connection was lost; retry the call",
                            reason="DATABASE_UNAVAILABLE")
