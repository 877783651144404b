"""Intraday bars in monthly partitions (migrations/0005): the migration of existing bars,
partitions made by the writers, pruning to one month, and retention by whole months.

Each test gets a database of its own (`{TEST_DATABASE}_partitions`): they create and drop
partitions."""

import asyncio
import re
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from server.domain.bars import MinuteBar
from server.domain.calendar import RIYADH
from server.storage.backends import Backends, with_database
from server.storage.bars import (
    MINUTES_SQL,
    RETENTION_LOCK_KEY,
    IntradayBarRepository,
    riyadh_month_start,
)
from server.storage.database import Database
from server.storage.intraday_retention import IntradayRetention
from server.storage.migrations import MIGRATIONS_DIR, apply_migrations
from tests.support.query_plans import (
    PlanRecorder,
    plan_nodes,
    relations,
    sequential_scans_of_bars,
)
from tests.support.services import TEST_DATABASE, EventLoopThread, recreate_database

SYMBOLS = [f"{n:04d}" for n in range(9000, 9020)]


@pytest.fixture
def scratch_url(backends: Backends) -> Iterator[str]:
    url = with_database(backends.database_url, f"{TEST_DATABASE}_partitions")
    recreate_database(url)
    yield url


@pytest.fixture
def migrated(scratch_url: str) -> str:
    apply_migrations(scratch_url)
    _add_securities(scratch_url)
    return scratch_url


def _add_securities(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("""
            INSERT INTO securities (symbol, name_en, market, security_type, source)
            SELECT s, 'partition test ' || s, 'MAIN', 'EQUITY', 'test' FROM unnest(%s::text[]) s
            """, (SYMBOLS,))


def _fill(url: str, days: list[date], minutes: int = 30) -> None:
    """`minutes` bars from the 10:00 open on each of `days` for every test symbol, through
    the partition function as every writer must."""
    with psycopg.connect(url) as conn:
        conn.execute("SELECT ensure_intraday_partitions(%s, %s)",
                     (_riyadh(min(days), time(10)), _riyadh(max(days), time(10))))
        conn.execute("""
            INSERT INTO intraday_bars (symbol, bar_time, open, high, low, close, volume, origin)
            SELECT s, (d + time '10:00') AT TIME ZONE 'Asia/Riyadh' + m * interval '1 minute',
                   10, 11, 9, 10, 100, 'SYNTHETIC'
            FROM unnest(%s::text[]) s, unnest(%s::date[]) d, generate_series(0, %s - 1) m
            """, (SYMBOLS, days, minutes))
        conn.execute("ANALYZE intraday_bars")


def _riyadh(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=RIYADH)


def _partitions(url: str) -> dict[str, tuple[datetime, datetime]]:
    """intraday_bars' partitions and their bounds, from the catalog."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(r"""
            SELECT c.relname,
                   substring(pg_get_expr(c.relpartbound, c.oid)
                             FROM 'FROM \(''([^'']+)''\)')::timestamptz,
                   substring(pg_get_expr(c.relpartbound, c.oid)
                             FROM 'TO \(''([^'']+)''\)')::timestamptz
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'intraday_bars'::regclass""").fetchall()
    return {name: (start, end) for name, start, end in rows}


def _bar_counts(url: str) -> dict[str, int]:
    """Bars per partition (by the partition each row is stored in)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("""
            SELECT tableoid::regclass::text, count(*) FROM intraday_bars GROUP BY 1""").fetchall()
    return dict(rows)


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[Database]:
    database = Database(url, max_size=2)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


def test_intraday_bars_are_partitioned_by_riyadh_month(migrated: str) -> None:
    with psycopg.connect(migrated) as conn:
        strategy, key = conn.execute("""
            SELECT p.partstrat, a.attname
            FROM pg_partitioned_table p
            JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
            WHERE p.partrelid = 'intraday_bars'::regclass""").fetchone() or (None, None)
        default = conn.execute("SELECT partdefid FROM pg_partitioned_table "
                               "WHERE partrelid = 'intraday_bars'::regclass").fetchone()
    assert (strategy, key) == ("r", "bar_time")
    assert default == (0,), "no default partition: a month without one is refused"
    # The migration made this month's and next month's partitions ahead of their bars.
    this_month, next_month, after = (riyadh_month_start(datetime.now(UTC), k) for k in range(3))
    assert _partitions(migrated) == {f"intraday_bars_{this_month:%Y_%m}": (this_month, next_month),
                                     f"intraday_bars_{next_month:%Y_%m}": (next_month, after)}


def test_the_migration_moves_existing_bars_into_monthly_partitions(
        scratch_url: str, tmp_path: Path) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0005":
            shutil.copy(path, before)
    apply_migrations(scratch_url, before)
    _add_securities(scratch_url)
    with psycopg.connect(scratch_url) as conn:
        # 30 November 21:30 UTC is already 1 December in Riyadh: December's partition.
        conn.execute("""
            INSERT INTO intraday_bars (symbol, bar_time, open, high, low, close, volume, origin)
            VALUES ('9000', '2025-11-30 07:00+00', 10, 11, 9, 10, 100, 'REAL'),
                   ('9000', '2025-11-30 21:30+00', 10, 12, 9, 11, 200, 'SYNTHETIC'),
                   ('9001', '2025-12-31 08:00+00', 20, 20, 20, 20, 0, 'REAL'),
                   ('9001', '2026-02-01 08:00+00', 5, 6, 4, 5, 7, 'SYNTHETIC')""")
        # As an operator might have: the grant must survive the new table.
        conn.execute("GRANT SELECT ON intraday_bars TO PUBLIC")
        rows_before = conn.execute("SELECT * FROM intraday_bars ORDER BY 1, 2").fetchall()
        constraints_before = _constraints(conn)

    assert apply_migrations(scratch_url) == [
        path.name for path in sorted(MIGRATIONS_DIR.glob("*.sql")) if path.name >= "0005"]

    with psycopg.connect(scratch_url) as conn:
        assert conn.execute("SELECT * FROM intraday_bars ORDER BY 1, 2").fetchall() == rows_before
        assert _constraints(conn) == constraints_before
        grants = conn.execute("""
            SELECT acl.grantee, acl.privilege_type
            FROM pg_class c, aclexplode(c.relacl) acl
            WHERE c.oid = 'intraday_bars'::regclass AND acl.grantee <> c.relowner""").fetchall()
        leftover = conn.execute("SELECT to_regclass('intraday_bars_unpartitioned')").fetchone()
        # The constraints hold on the new table: a bar with low above high is refused.
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("""
                INSERT INTO intraday_bars (symbol, bar_time, open, high, low, close, volume,
                                           origin)
                VALUES ('9000', '2025-12-01 07:00+00', 10, 9, 11, 10, 1, 'REAL')""")
    assert grants == [(0, "SELECT")]
    assert leftover == (None,)
    assert _bar_counts(scratch_url) == {"intraday_bars_2025_11": 1, "intraday_bars_2025_12": 2,
                                        "intraday_bars_2026_02": 1}


def _constraints(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    return conn.execute("""
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = 'intraday_bars'::regclass ORDER BY conname""").fetchall()


def test_writing_bars_of_a_new_month_creates_its_partition(
        migrated: str, loop_thread: EventLoopThread) -> None:
    day = date(2027, 3, 14)
    bars = [MinuteBar(_riyadh(day, time(10)) + timedelta(minutes=m), 10, 11, 9, 10, 5)
            for m in range(300)]

    async def write() -> None:
        async with _database(migrated) as database:
            repository = IntradayBarRepository(database)
            for _ in range(2):  # the second time the partition is there already
                async with database.transaction() as conn:
                    await repository.replace_day(conn, "9000", bars, origin="SYNTHETIC")

    assert "intraday_bars_2027_03" not in _partitions(migrated)
    loop_thread.run(write())
    assert _partitions(migrated)["intraday_bars_2027_03"] == (
        datetime(2027, 3, 1, tzinfo=RIYADH), datetime(2027, 4, 1, tzinfo=RIYADH))
    assert _bar_counts(migrated) == {"intraday_bars_2027_03": 300}


def test_a_bar_for_a_month_without_partition_is_refused(migrated: str) -> None:
    with psycopg.connect(migrated) as conn, pytest.raises(psycopg.errors.CheckViolation,
                                                          match="no partition"):
        conn.execute("""
            INSERT INTO intraday_bars (symbol, bar_time, open, high, low, close, volume, origin)
            VALUES ('9000', '2030-01-05 07:00+00', 10, 11, 9, 10, 1, 'SYNTHETIC')""")


def test_writers_reaching_a_new_month_together_create_it_once(migrated: str) -> None:
    month = (datetime(2028, 6, 3, 7, tzinfo=UTC), datetime(2028, 6, 4, 7, tzinfo=UTC))
    errors: list[BaseException] = []
    with psycopg.connect(migrated) as first:
        first.execute("SELECT ensure_intraday_partitions(%s, %s)", month)  # transaction open

        def second_writer() -> None:
            try:
                with psycopg.connect(migrated) as second:
                    second.execute("SELECT ensure_intraday_partitions(%s, %s)", month)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        waiting = threading.Thread(target=second_writer)
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive(), "the second writer waits for the first to commit"
        first.commit()
    waiting.join(timeout=10)
    assert errors == []
    assert "intraday_bars_2028_06" in _partitions(migrated)


def test_one_symbols_day_is_read_from_its_months_partition_only(
        migrated: str, loop_thread: EventLoopThread) -> None:
    _fill(migrated, [date(2025, 10, 15), date(2025, 11, 10), date(2025, 11, 11),
                     date(2025, 12, 2)])
    start, end = _riyadh(date(2025, 11, 10), time()), _riyadh(date(2025, 11, 11), time())

    async def planned() -> list[dict[str, Any]]:
        recorder = PlanRecorder(migrated)
        await recorder.open()
        try:
            await IntradayBarRepository(recorder).minutes("9005", start, end)
        finally:
            await recorder.close()
        [nodes] = recorder.plans
        return nodes

    nodes = loop_thread.run(planned())
    assert relations(nodes) == {"intraday_bars_2025_11"}, nodes
    assert sequential_scans_of_bars(nodes) == []

    # The same statement prepared, under the generic plan a reused one may get: the executor
    # prunes the other months when it starts.
    names = ["symbol", "start", "end"]
    positional = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m[1]) + 1}", MINUTES_SQL)
    with psycopg.connect(migrated) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE minutes AS {positional}")
        row = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE minutes({}, {}, {})").format(
            sql.Literal("9005"), sql.Literal(start), sql.Literal(end))).fetchone()
    assert row is not None
    generic = plan_nodes(row[0][0]["Plan"])
    assert relations(generic) == {"intraday_bars_2025_11"}, generic
    assert any(n.get("Subplans Removed") for n in generic), generic


def test_retention_drops_whole_months_older_than_the_setting(
        migrated: str, loop_thread: EventLoopThread) -> None:
    months = [date(2025, m, 10) for m in range(7, 13)]
    _fill(migrated, months)
    now = datetime(2025, 12, 15, 12, tzinfo=RIYADH)

    async def drop(keep_months: int) -> list[str]:
        async with _database(migrated) as database:
            return await IntradayBarRepository(database).drop_expired_partitions(
                now, keep_months=keep_months)

    assert loop_thread.run(drop(0)) == []  # 0 keeps everything
    assert len(_partitions(migrated)) == 8  # six filled, this month and next (migration)
    # Three months back from 15 December: bars from 15 September on are kept, so September's
    # partition stays whole; July's and August's hold nothing that recent.
    assert loop_thread.run(drop(3)) == ["intraday_bars_2025_07", "intraday_bars_2025_08"]
    counts = _bar_counts(migrated)
    assert sorted(counts) == [f"intraday_bars_2025_{m:02d}" for m in range(9, 13)]
    assert set(counts.values()) == {len(SYMBOLS) * 30}
    assert loop_thread.run(drop(3)) == []


def test_retention_leaves_the_work_to_a_replica_already_doing_it(
        migrated: str, loop_thread: EventLoopThread) -> None:
    _fill(migrated, [date(2025, 1, 10)])

    async def drop() -> list[str]:
        async with _database(migrated) as database:
            return await IntradayBarRepository(database).drop_expired_partitions(
                datetime(2025, 12, 15, tzinfo=UTC), keep_months=3)

    with psycopg.connect(migrated) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (RETENTION_LOCK_KEY,))
        assert loop_thread.run(drop()) == []
    assert loop_thread.run(drop()) == ["intraday_bars_2025_01"]


def test_the_retention_job_makes_next_month_and_drops_expired_ones(
        migrated: str, loop_thread: EventLoopThread) -> None:
    _fill(migrated, [date(2020, 1, 12)])

    # Two months on from now: the migration's partitions (this month and next) are kept.
    later = riyadh_month_start(datetime.now(UTC), 2) + timedelta(days=9)

    async def one_pass() -> list[str]:
        async with _database(migrated) as database:
            job = IntradayRetention(IntradayBarRepository(database), keep_months=3)
            return await job.run_once(later)

    assert loop_thread.run(one_pass()) == ["intraday_bars_2020_01"]
    ahead = {f"intraday_bars_{riyadh_month_start(later, k):%Y_%m}" for k in (0, 1)}
    assert ahead <= set(_partitions(migrated))


def test_the_retention_job_runs_on_its_schedule(
        migrated: str, loop_thread: EventLoopThread) -> None:
    _fill(migrated, [date(2020, 1, 12)])

    async def scheduled() -> None:
        async with _database(migrated) as database:
            job = IntradayRetention(IntradayBarRepository(database), keep_months=3,
                                    interval_s=0.05)
            job.start()
            try:
                for _ in range(100):
                    await asyncio.sleep(0.05)
                    if "intraday_bars_2020_01" not in await asyncio.to_thread(_partitions,
                                                                              migrated):
                        return
            finally:
                await job.stop()

    loop_thread.run(scheduled())
    assert "intraday_bars_2020_01" not in _partitions(migrated)
