"""A second, demo-seeded market for the market-data integration tests.

The session's `seeded` database holds only the real files (2222 and 1120). The market
tests need the whole market, so this module builds `{TEST_DATABASE}_demo`: every
migration, the shipped seed, and the demo generator over fixed dates (so every answer is
deterministic): 2025-09-01 to 2025-12-10, seed 7, minute bars for the last two trading
days. 2222 and 1120 keep their real bars up to 2025-12-02 and get synthetic ones after.

The database is built once per test process (the seed takes seconds; see
`DemoMarket.seed_seconds`); each test module that imports the `demo_server` fixture gets
its own server on it. That server is given a Redis URL where nothing listens: the cache
keys do not name the database, so sharing the session's Redis database with the
real-data server would let one server answer with the other's cached responses. Without
Redis every answer comes from Postgres, as the design promises.

Test modules must import the fixture by name:
`from tests.support.demo_market import demo_server`.
"""

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import grpc
import psycopg
import pytest
from google.type import date_pb2
from psycopg.rows import dict_row

from server.ingest.demo import DemoSettings
from server.ingest.loader import SeedReport, seed
from server.storage.backends import Backends, with_database
from server.storage.database import Database
from server.storage.migrations import apply_migrations
from tests.support.services import (
    TEST_DATABASE,
    EventLoopThread,
    RunningServer,
    free_port,
    recreate_database,
    start_test_server,
)

DEMO_DATABASE = f"{TEST_DATABASE}_demo"
DEMO_SETTINGS = DemoSettings(start=date(2025, 9, 1), end=date(2025, 12, 10), seed=7,
                             intraday_days=2)
# What the fixed settings imply (the tests assert these rather than trust them).
DEMO_LAST_DAY = date(2025, 12, 10)
REAL_LAST_DAY = date(2025, 12, 2)  # the last bar of the shipped 2222 and 1120 files
SEED_TIMEOUT_S = 600


@dataclass(frozen=True)
class DemoDatabase:
    url: str
    report: SeedReport
    seed_seconds: float


@dataclass
class DemoMarket:
    server: RunningServer
    channel: grpc.Channel
    database: DemoDatabase

    @property
    def url(self) -> str:
        return self.database.url


_built: DemoDatabase | None = None
_lock = threading.Lock()


def demo_database(backends: Backends, loop: EventLoopThread) -> DemoDatabase:
    """The demo database, built on first use in this process."""
    global _built
    with _lock:
        if _built is None:
            url = with_database(backends.database_url, DEMO_DATABASE)
            recreate_database(url)
            apply_migrations(url)

            async def load() -> SeedReport:
                database = Database(url, max_size=2)
                await database.open()
                try:
                    return await seed(database, None, DEMO_SETTINGS)
                finally:
                    await database.close()

            started = time.monotonic()
            report = loop.run(load(), timeout=SEED_TIMEOUT_S)
            _built = DemoDatabase(url, report, time.monotonic() - started)
        return _built


@pytest.fixture(scope="module")
def demo_server(backends: Backends, loop_thread: EventLoopThread) -> Iterator[DemoMarket]:
    """A server on the demo database (no Redis: see the module docstring), with a channel."""
    built = demo_database(backends, loop_thread)
    own = Backends(database_url=built.url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    running = start_test_server(own, loop_thread)
    try:
        with grpc.insecure_channel(running.address) as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            yield DemoMarket(running, channel, built)
    finally:
        loop_thread.run(running.app.stop(grace_s=1))


# --- helpers shared by the market-data test modules ------------------------------------------


def query(url: str, text: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
    """Rows of `text` on the database `url`, as dicts."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return list(conn.execute(text, params).fetchall())  # type: ignore[arg-type]


def to_date(message: date_pb2.Date) -> date:
    return date(message.year, message.month, message.day)


def pb_date(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def close_enough(ours: float, reference: float, tolerance: float = 1e-9) -> bool:
    """Within `tolerance`, absolute or relative to the reference, whichever is looser."""
    return abs(ours - reference) <= tolerance * max(1.0, abs(reference))


@dataclass(frozen=True)
class ExpectedMove:
    """One security's move on the latest trading day, computed from `daily_bars` here."""

    symbol: str
    name_en: str
    market: str  # MAIN or NOMU
    industry_group: str | None
    close: float
    previous_close: float | None
    change_percent: float | None
    volume: int
    turnover: float
    origin: str


def latest_moves(url: str) -> tuple[date, list[ExpectedMove]]:
    """The latest trading day on record and every security's move on it: the close against
    the previous bar's close, turnover as published or else close × volume."""
    rows = query(url, """
        WITH bars AS (
            SELECT symbol, trade_date, close, volume, turnover, origin,
                   lag(close) OVER (PARTITION BY symbol ORDER BY trade_date) AS previous_close
            FROM daily_bars)
        SELECT b.*, s.name_en, s.market, s.industry_group
        FROM bars b JOIN securities s USING (symbol)
        WHERE b.trade_date = (SELECT max(trade_date) FROM daily_bars)
        ORDER BY b.symbol""")
    moves = []
    for row in rows:
        previous = row["previous_close"]
        change = (row["close"] / previous - 1) * 100 if previous else None
        turnover = row["turnover"] if row["turnover"] is not None \
            else row["close"] * row["volume"]
        moves.append(ExpectedMove(row["symbol"], row["name_en"], row["market"],
                                  row["industry_group"], row["close"], previous, change,
                                  row["volume"], turnover, row["origin"]))
    return rows[0]["trade_date"], moves
