"""`python -m server.ingest bars --format stooq` and `corporate-actions` against a real,
freshly migrated Postgres and Redis; an import drops the cached answers it made stale and
refreshes the market views."""

import csv
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import grpc
import psycopg
import pytest
from redis import Redis

from financehub.v1 import charts_pb2, charts_pb2_grpc
from server.domain.corporate_actions import action_type_for
from server.ingest.corporate_actions import CORPORATE_ACTIONS_FILE
from server.ingest.loader import seed
from server.ingest.reference import COMPANIES_FILE
from server.services.market import symbol_tag
from server.storage.backends import Backends
from server.storage.cache import tag_key
from server.storage.database import Database
from tests.support.importing import companies_only_database, run_importer
from tests.support.services import (
    EventLoopThread,
    RunningServer,
    start_test_server,
)

STOOQ_HEADER = "Date,Open,High,Low,Close,Volume,OpenInt"
# Four trading days and a holiday filler, out of order, as a Stooq download might be.
STOOQ_ROWS = [
    "2026-01-05,30.1,30.5,29.9,30.2,1000,0",
    "2026-01-04,30.0,30.4,29.8,30.1,900,0",
    "2026-01-06,30.2,30.2,30.2,30.2,0,0",   # filler: skipped
    "2026-01-07,30.3,31.0,30.2,30.9,1500,0",
    "2026-01-08,30.9,31.2,30.5,31.1,1200,0",
]


@pytest.fixture
def companies_db(backends: Backends) -> str:
    """A migrated database holding the company list, no prices and no actions."""
    return companies_only_database(backends, "importers")


@pytest.fixture
def cache_redis(backends: Backends) -> Iterator[Redis]:
    """The Redis database the importer and the server share, emptied first."""
    client = Redis.from_url(backends.redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def server_on(companies_db: str, backends: Backends,
              loop_thread: EventLoopThread) -> Iterator[RunningServer]:
    # The schedule stays off, so that only the import can have refreshed the views.
    running = start_test_server(Backends(database_url=companies_db,
                                         redis_url=backends.redis_url),
                                loop_thread, FINANCEHUB_VIEW_REFRESH_SECONDS="0")
    yield running
    loop_thread.run(running.app.stop(grace_s=1))


def write_stooq(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([STOOQ_HEADER, *rows]) + "\n")
    return path


def query(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def count(url: str, sql: str, params: tuple[object, ...] = ()) -> int:
    [(value,)] = query(url, sql, params)
    assert isinstance(value, int)
    return value


# --- Stooq bars ---------------------------------------------------------------------------


def test_stooq_file_imports_with_counts_refreshes_movers_and_reimports_as_no_op(
        companies_db: str, cache_redis: Redis, backends: Backends, tmp_path: Path) -> None:
    path = write_stooq(tmp_path / "2222_d.csv", STOOQ_ROWS)
    first = run_importer(companies_db, backends.redis_url, "bars", str(path),
                         "--symbol", "2222.SR", "--format", "stooq")
    assert first.returncode == 0, first.stderr
    assert ("2222: 5 rows read, 1 zero-volume holiday fillers skipped, 4 inserted, "
            "0 updated, 0 unchanged") in first.stdout
    assert query(companies_db, "SELECT trade_date, close, adj_close, provider, origin "
                               "FROM daily_bars WHERE symbol = '2222' ORDER BY trade_date") == [
        (date(2026, 1, 4), 30.1, None, "Stooq", "REAL"),
        (date(2026, 1, 5), 30.2, None, "Stooq", "REAL"),
        (date(2026, 1, 7), 30.9, None, "Stooq", "REAL"),
        (date(2026, 1, 8), 31.1, None, "Stooq", "REAL"),
    ]
    # No server runs here: the importer itself refreshed the view.
    assert query(companies_db, "SELECT symbol, trading_day, close, previous_close "
                               "FROM mv_top_movers") == [("2222", date(2026, 1, 8), 31.1, 30.9)]

    again = run_importer(companies_db, backends.redis_url, "bars", str(path),
                         "--symbol", "2222", "--format", "stooq")
    assert again.returncode == 0, again.stderr
    assert "0 inserted, 0 updated, 4 unchanged" in again.stdout
    assert count(companies_db, "SELECT count(*) FROM daily_bars") == 4


def test_a_broken_stooq_file_is_refused_naming_the_line_and_writes_nothing(
        companies_db: str, cache_redis: Redis, backends: Backends, tmp_path: Path) -> None:
    rows = list(STOOQ_ROWS)
    rows[3] = "2026-01-07,30.3,29.0,30.2,30.9,1500,0"  # line 5: high below low
    path = write_stooq(tmp_path / "broken.csv", rows)
    result = run_importer(companies_db, backends.redis_url, "bars", str(path),
                          "--symbol", "2222", "--format", "stooq")
    assert result.returncode == 1
    assert "line 5" in result.stderr and "nothing written" in result.stderr
    assert "Traceback" not in result.stderr
    assert count(companies_db, "SELECT count(*) FROM daily_bars") == 0


def test_a_yahoo_file_declared_as_stooq_names_the_expected_format(
        companies_db: str, cache_redis: Redis, backends: Backends, tmp_path: Path) -> None:
    path = tmp_path / "yahoo.csv"
    path.write_text("Date,Adj Close,Close,High,Low,Open,Vol\n2026-01-04,1,1,1,1,1,1\n")
    result = run_importer(companies_db, backends.redis_url, "bars", str(path),
                          "--symbol", "2222", "--format", "stooq")
    assert result.returncode == 1
    assert "line 1" in result.stderr and "Stooq daily CSV" in result.stderr


def test_an_unknown_format_is_a_usage_error(companies_db: str, backends: Backends,
                                            tmp_path: Path) -> None:
    path = write_stooq(tmp_path / "2222.csv", STOOQ_ROWS)
    result = run_importer(companies_db, backends.redis_url, "bars", str(path),
                          "--symbol", "2222", "--format", "metastock")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


# --- corporate actions --------------------------------------------------------------------


def _shipped_actions() -> list[dict[str, str]]:
    """The file's distinct rows (verbatim repeats are one action), read with csv alone."""
    with CORPORATE_ACTIONS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) == 6653
    return list({tuple(row.values()): row for row in rows}.values())


def test_corporate_actions_import_counts_per_type_and_reimports_as_no_op(
        companies_db: str, cache_redis: Redis, backends: Backends) -> None:
    actions = _shipped_actions()
    listed = {row["symbol"] for row in csv.DictReader(COMPANIES_FILE.open(encoding="utf-8"))}
    unknown = [row for row in actions if row["symbol"] not in listed]
    first = run_importer(companies_db, backends.redis_url, "corporate-actions",
                         str(CORPORATE_ACTIONS_FILE))
    assert first.returncode == 0, first.stderr
    assert (f"corporate actions: 6653 rows read, {6653 - len(actions)} repeated rows merged, "
            f"{len(actions)} inserted, 0 updated, 0 unchanged") in first.stdout
    assert (f"{len(unknown)} across {len({row['symbol'] for row in unknown})} symbols"
            in first.stdout)

    # The Arabic type is stored verbatim, row for row, next to its classification.
    stored = Counter({(arabic, kind): n for arabic, kind, n in query(
        companies_db, "SELECT action_type_ar, action_type, count(*) FROM corporate_actions "
                      "GROUP BY 1, 2")})
    assert stored == Counter((row["action_type"], action_type_for(row["action_type"]).value)
                             for row in actions)
    by_type = Counter[str]()
    for (_, kind), n in stored.items():
        by_type[kind] += n
    printed = next(line for line in first.stdout.splitlines() if "by type" in line)
    assert printed == "corporate actions by type: " + ", ".join(
        f"{kind} {by_type[kind]}" for kind in ("CASH_DIVIDEND", "BONUS_SHARES", "SPLIT",
                                               "RIGHTS_ISSUE", "CAPITAL_REDUCTION", "OTHER"))
    assert count(companies_db, "SELECT count(*) FROM corporate_actions WHERE ex_date IS NULL") \
        == sum(row["ex_date"] == "\\N" for row in actions)
    assert query(companies_db, "SELECT DISTINCT source FROM corporate_actions") == [
        ("corporate_actions.tsv",)]  # no --source: the file's name

    imported_at = query(companies_db, "SELECT max(imported_at) FROM corporate_actions")
    again = run_importer(companies_db, backends.redis_url, "corporate-actions",
                         str(CORPORATE_ACTIONS_FILE))
    assert again.returncode == 0, again.stderr
    assert f"0 inserted, 0 updated, {len(actions)} unchanged" in again.stdout
    assert count(companies_db, "SELECT count(*) FROM corporate_actions") == len(actions)
    assert query(companies_db, "SELECT max(imported_at) FROM corporate_actions") == imported_at


def test_a_broken_corporate_actions_file_is_refused_and_writes_nothing(
        companies_db: str, cache_redis: Redis, backends: Backends, tmp_path: Path) -> None:
    lines = CORPORATE_ACTIONS_FILE.read_text(encoding="utf-8").splitlines()
    fields = lines[99].split("\t")  # line 100 (the header is line 1)
    fields[2] = "2025-02-30"        # announcement_date
    lines[99] = "\t".join(fields)
    broken = tmp_path / "actions.tsv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_importer(companies_db, backends.redis_url, "corporate-actions", str(broken))
    assert result.returncode == 1
    assert "line 100" in result.stderr and "announcement_date" in result.stderr
    assert "nothing written" in result.stderr and "Traceback" not in result.stderr
    assert count(companies_db, "SELECT count(*) FROM corporate_actions") == 0


def test_seed_loads_the_shipped_corporate_actions_once(companies_db: str, backends: Backends,
                                                       loop_thread: EventLoopThread) -> None:
    async def seed_twice() -> tuple[str, str]:
        database = Database(companies_db, max_size=2)
        await database.open()
        try:
            return (await seed(database, None)).summary(), (await seed(database, None)).summary()
        finally:
            await database.close()

    first, second = loop_thread.run(seed_twice(), timeout=120)
    distinct = len(_shipped_actions())
    assert f"{distinct} inserted, 0 updated, 0 unchanged" in first
    assert f"0 inserted, 0 updated, {distinct} unchanged" in second
    assert "corporate actions by type: CASH_DIVIDEND" in first
    assert count(companies_db, "SELECT count(*) FROM corporate_actions") == distinct
    # The same file from the command line (another source label) changes nothing either.
    again = run_importer(companies_db, backends.redis_url, "corporate-actions",
                         str(CORPORATE_ACTIONS_FILE))
    assert f"0 inserted, 0 updated, {distinct} unchanged" in again.stdout


# --- the cache ----------------------------------------------------------------------------


def _daily_bars(server: RunningServer, symbol: str) -> list[tuple[date, float]]:
    with grpc.insecure_channel(server.address) as channel:
        response = charts_pb2_grpc.ChartServiceStub(channel).GetBars(charts_pb2.GetBarsRequest(
            symbol=symbol, period=charts_pb2.PERIOD_MAX, interval=charts_pb2.INTERVAL_DAY))
    return [(date(b.start_date.year, b.start_date.month, b.start_date.day), b.close)
            for b in response.bars]


def test_a_bars_import_replaces_the_cached_getbars_answer(
        companies_db: str, cache_redis: Redis, backends: Backends, server_on: RunningServer,
        tmp_path: Path) -> None:
    first_file = write_stooq(tmp_path / "first.csv", STOOQ_ROWS[:3])
    assert run_importer(companies_db, backends.redis_url, "bars", str(first_file),
                        "--symbol", "2222", "--format", "stooq").returncode == 0
    before = [(date(2026, 1, 4), 30.1), (date(2026, 1, 5), 30.2)]
    assert _daily_bars(server_on, "2222") == before
    assert cache_redis.exists(tag_key(symbol_tag("2222")))  # the answer is cached
    assert _daily_bars(server_on, "2222") == before

    # A later day, and a correction of an earlier one.
    corrected = [STOOQ_ROWS[0].replace("30.2,1000", "30.3,1000"), *STOOQ_ROWS[1:]]
    second_file = write_stooq(tmp_path / "second.csv", corrected)
    result = run_importer(companies_db, backends.redis_url, "bars", str(second_file),
                          "--symbol", "2222", "--format", "stooq")
    assert result.returncode == 0, result.stderr
    assert "2 inserted, 1 updated, 1 unchanged" in result.stdout
    assert _daily_bars(server_on, "2222") == [
        (date(2026, 1, 4), 30.1), (date(2026, 1, 5), 30.3), (date(2026, 1, 7), 30.9),
        (date(2026, 1, 8), 31.1)]
    assert query(companies_db, "SELECT trading_day, close FROM mv_top_movers "
                               "WHERE symbol = '2222'") == [(date(2026, 1, 8), 31.1)]


def test_a_corporate_actions_import_drops_the_cached_answers_of_the_symbols_it_changed(
        companies_db: str, cache_redis: Redis, backends: Backends, server_on: RunningServer,
        tmp_path: Path) -> None:
    _daily_bars(server_on, "2222")
    _daily_bars(server_on, "1120")
    assert cache_redis.exists(tag_key(symbol_tag("2222")), tag_key(symbol_tag("1120"))) == 2

    actions = tmp_path / "actions.tsv"
    actions.write_text(
        CORPORATE_ACTIONS_FILE.read_text(encoding="utf-8").splitlines()[0] + "\n"
        "2222\tتوزيع أرباح نقدية\t2026-01-04\t2026-01-20\t\\N\t\\N\t0.35\tSAR\tربع سنوي\n",
        encoding="utf-8")
    first = run_importer(companies_db, backends.redis_url, "corporate-actions", str(actions))
    assert first.returncode == 0, first.stderr
    assert "1 inserted" in first.stdout
    assert not cache_redis.exists(tag_key(symbol_tag("2222")))
    assert cache_redis.exists(tag_key(symbol_tag("1120")))

    # Nothing changes on a re-import, so nothing cached is dropped.
    _daily_bars(server_on, "2222")
    again = run_importer(companies_db, backends.redis_url, "corporate-actions", str(actions))
    assert "0 inserted, 0 updated, 1 unchanged" in again.stdout
    assert cache_redis.exists(tag_key(symbol_tag("2222")))
