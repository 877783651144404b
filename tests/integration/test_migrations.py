"""The migration runner on a real Postgres: empty database, re-run, edits and races refused."""

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from server.storage.backends import Backends, with_database
from server.storage.migrations import MIGRATIONS_DIR, MigrationError, apply_migrations, discover
from tests.support.services import TEST_DATABASE, recreate_database


@pytest.fixture
def empty_database(backends: Backends) -> Iterator[str]:
    url = with_database(backends.database_url, f"{TEST_DATABASE}_migrations")
    recreate_database(url)
    yield url


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, target)
    return target


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def test_applies_every_file_on_an_empty_database_then_nothing(empty_database: str) -> None:
    expected = [m.name for m in discover()]
    assert apply_migrations(empty_database) == expected
    assert {"schema_migrations", "securities", "daily_bars", "index_daily_bars"} <= _tables(
        empty_database
    )
    with psycopg.connect(empty_database) as conn:
        recorded = conn.execute("SELECT name, checksum FROM schema_migrations ORDER BY version")
        assert [(name, len(checksum)) for name, checksum in recorded] == [
            (name, 64) for name in expected
        ]
    assert apply_migrations(empty_database) == []


def test_refuses_to_run_when_an_applied_file_was_edited(empty_database: str,
                                                        migrations_copy: Path) -> None:
    apply_migrations(empty_database, migrations_copy)
    first = sorted(migrations_copy.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited afterwards\n")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        apply_migrations(empty_database, migrations_copy)


def test_refuses_to_run_when_an_applied_file_is_missing(empty_database: str,
                                                        migrations_copy: Path) -> None:
    apply_migrations(empty_database, migrations_copy)
    sorted(migrations_copy.glob("*.sql"))[0].unlink()
    with pytest.raises(MigrationError, match="no longer in"):
        apply_migrations(empty_database, migrations_copy)


def test_a_failing_file_leaves_nothing_behind(empty_database: str, migrations_copy: Path) -> None:
    (migrations_copy / "9000_broken.sql").write_text(
        "CREATE TABLE half_written (id int);\nSELECT no_such_function();\n"
    )
    with pytest.raises(psycopg.Error):
        apply_migrations(empty_database, migrations_copy)
    tables = _tables(empty_database)
    assert "half_written" not in tables
    assert "securities" in tables  # the good files before it stay applied
    with psycopg.connect(empty_database) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
    assert "9000" not in versions


def test_concurrent_runners_apply_each_file_once(empty_database: str,
                                                 migrations_copy: Path) -> None:
    # A slow file widens the window in which an unlocked runner would race.
    (migrations_copy / "9001_slow.sql").write_text(
        "SELECT pg_sleep(0.5);\nCREATE TABLE slow_marker (id int);\n"
    )
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(apply_migrations(empty_database, migrations_copy))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    runners = [threading.Thread(target=run) for _ in range(3)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=60)
    assert errors == []
    applied = sorted(name for result in results for name in result)
    assert applied == sorted(m.name for m in discover(migrations_copy))


def test_badly_named_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "create_things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_snake_case"):
        discover(tmp_path)
