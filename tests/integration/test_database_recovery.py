"""Reads survive Postgres dropping every pooled connection (pg_terminate_backend)."""

import asyncio
import threading
import time

import grpc
import psycopg

from financehub.v1 import charts_pb2, charts_pb2_grpc, market_pb2, market_pb2_grpc
from server.storage.backends import Backends
from server.storage.database import Database
from tests.support.services import EventLoopThread, RunningServer


def _terminate_every_other_backend(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
    return len(rows)


def test_calls_succeed_after_all_pooled_connections_are_terminated(
        server: RunningServer, channel: grpc.Channel, seeded: Backends,
        clean_cache: None) -> None:
    market = market_pb2_grpc.MarketServiceStub(channel)
    charts = charts_pb2_grpc.ChartServiceStub(channel)
    assert market.GetTicker(market_pb2.GetTickerRequest(symbol="2222")).ticker.symbol == "2222"

    assert _terminate_every_other_backend(seeded.database_url) >= 1
    for symbol in ("1120", "2222"):  # not cached yet: both reach Postgres
        bars = charts.GetBars(charts_pb2.GetBarsRequest(symbol=symbol), timeout=10)
        assert len(bars.bars) > 200
    ticker = market.GetTicker(market_pb2.GetTickerRequest(symbol="1120"), timeout=10)
    assert ticker.ticker.name_en.startswith("Al Rajhi")


def test_a_read_whose_connection_dies_mid_query_is_retried(
        seeded: Backends, loop_thread: EventLoopThread) -> None:
    marker = "recovery-probe-7f3a"

    def kill_the_probe_once() -> None:
        with psycopg.connect(seeded.database_url, autocommit=True) as conn:
            for _ in range(200):
                killed = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE %s AND pid <> pg_backend_pid()",
                    (f"%{marker}%pg_sleep%",)).fetchall()
                if killed:
                    return
                time.sleep(0.01)

    async def probe() -> dict[str, object] | None:
        database = Database(seeded.database_url, max_size=1)
        await database.open()
        try:
            return await database.fetch_one(
                f"SELECT '{marker}' AS marker, pg_sleep(0.5) AS slept")  # noqa: S608
        finally:
            await database.close()

    killer = threading.Thread(target=kill_the_probe_once)
    killer.start()
    row = loop_thread.run(probe())
    killer.join(timeout=10)
    assert row is not None and row["marker"] == marker


def test_a_pool_full_of_dead_connections_recovers_at_once(
        seeded: Backends, loop_thread: EventLoopThread) -> None:
    """Every pooled connection dead (a restart, a failover): the first check that fails
    sweeps the rest, instead of psycopg_pool finding them one by one with growing
    backoff (1 + 2 + 4 + ... s: ten dead connections kept a call waiting over 10 s)."""
    async def scenario() -> tuple[int, float]:
        database = Database(seeded.database_url, min_size=1, max_size=10)
        await database.open()
        try:
            # Ten connections in the pool, all idle.
            await asyncio.gather(*[database.fetch_one("SELECT pg_sleep(0.1)")
                                   for _ in range(10)])
            idle = database.pool_stats()["write"]["pool_available"]
            await asyncio.to_thread(_terminate_every_other_backend, seeded.database_url)
            started = time.monotonic()
            row = await database.fetch_one("SELECT 1 AS alive")
            assert row is not None and row["alive"] == 1
            return idle, time.monotonic() - started
        finally:
            await database.close()

    idle, took = loop_thread.run(scenario())
    assert idle >= 5
    assert took < 1.0, f"the read waited {took:.1f} s for a live connection"
