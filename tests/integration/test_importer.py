"""`python -m server.ingest bars FILE --symbol S` against a real, freshly migrated Postgres."""

import csv
from pathlib import Path

import psycopg
import pytest

from server.ingest.reference import DAILY_PRICE_FILES
from server.storage.backends import Backends
from tests.support.importing import companies_only_database, run_importer


@pytest.fixture
def companies_only(backends: Backends) -> str:
    """A migrated database holding the company list and no prices."""
    return companies_only_database(backends, "import")


def bar_count(url: str, symbol: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM daily_bars WHERE symbol = %s",
                           (symbol,)).fetchone()
    assert row is not None
    return int(row[0])


def expected_counts(path: Path) -> tuple[int, int]:
    """Rows and zero-volume holiday fillers, counted straight from the file."""
    rows = list(csv.DictReader(path.open()))
    fillers = sum(
        1 for r in rows
        if float(r["Volume"]) == 0 and r["Open"] == r["High"] == r["Low"] == r["Close"]
    )
    return len(rows), fillers


@pytest.mark.parametrize("symbol", sorted(DAILY_PRICE_FILES))
def test_real_file_imports_with_counts_and_reimports_as_no_op(companies_only: str,
                                                              backends: Backends,
                                                              symbol: str) -> None:
    path = DAILY_PRICE_FILES[symbol]
    rows, fillers = expected_counts(path)
    first = run_importer(companies_only, backends.redis_url, "bars", str(path),
                         "--symbol", f"{symbol}.SR")
    assert first.returncode == 0, first.stderr
    assert (f"{symbol}: {rows} rows read, {fillers} zero-volume holiday fillers skipped, "
            f"{rows - fillers} inserted, 0 updated, 0 unchanged") in first.stdout
    assert bar_count(companies_only, symbol) == rows - fillers

    again = run_importer(companies_only, backends.redis_url, "bars", str(path), "--symbol", symbol)
    assert again.returncode == 0, again.stderr
    assert f"0 inserted, 0 updated, {rows - fillers} unchanged" in again.stdout
    assert bar_count(companies_only, symbol) == rows - fillers


def test_a_broken_file_is_refused_naming_the_line_and_writes_nothing(
        companies_only: str, backends: Backends, tmp_path: Path) -> None:
    lines = DAILY_PRICE_FILES["2222"].read_text().splitlines()
    # Line 6 (1-based, header is line 1) gets a high below its low; rows before it are valid.
    fields = lines[5].split(",")
    fields[3] = "1.0"  # High
    lines[5] = ",".join(fields)
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n")

    result = run_importer(companies_only, backends.redis_url, "bars", str(broken),
                          "--symbol", "2222")
    assert result.returncode == 1
    assert "line 6" in result.stderr
    assert "nothing written" in result.stderr
    assert "Traceback" not in result.stderr
    assert bar_count(companies_only, "2222") == 0


def test_unknown_symbol_is_refused(companies_only: str, backends: Backends) -> None:
    result = run_importer(companies_only, backends.redis_url, "bars",
                          str(DAILY_PRICE_FILES["2222"]), "--symbol", "9998")
    assert result.returncode == 1
    assert "9998" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_symbol_argument_is_a_usage_error(companies_only: str,
                                                    backends: Backends) -> None:
    result = run_importer(companies_only, backends.redis_url, "bars",
                          str(DAILY_PRICE_FILES["2222"]), "--symbol", "ARAMCO")
    assert result.returncode == 2
    assert "not a Tadawul symbol" in result.stderr


def test_missing_file_is_refused_cleanly(companies_only: str, backends: Backends,
                                         tmp_path: Path) -> None:
    result = run_importer(companies_only, backends.redis_url, "bars",
                          str(tmp_path / "absent.csv"), "--symbol", "2222")
    assert result.returncode == 1
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr
