"""The chart path's queries use the (symbol, trade_date) primary key: no sequential scan
of the bars table for a one-symbol range, on a table large enough for it to matter."""

import json
from datetime import date
from typing import Any

import psycopg
import pytest

from server.storage.backends import Backends
from server.storage.bars import HISTORY_SQL, LATEST_DATE_SQL


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found.extend(_nodes(child))
    return found


def _plan(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    row = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()  # noqa: S608
    assert row is not None
    document = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return _nodes(document[0]["Plan"])


@pytest.mark.parametrize(("sql", "params"), [
    (HISTORY_SQL, {"symbol": "2222", "start": date(2024, 12, 2), "end": date(2025, 12, 2)}),
    (HISTORY_SQL, {"symbol": "2222", "start": None, "end": date(2025, 12, 2)}),
    (LATEST_DATE_SQL, {"symbol": "2222"}),
])
def test_no_sequential_scan_of_daily_bars(seeded: Backends, sql: str,
                                          params: dict[str, Any]) -> None:
    with psycopg.connect(seeded.database_url) as conn:
        # Thousands of other securities' bars, so that a scan would be the slow choice.
        conn.execute("""
            INSERT INTO securities (symbol, name_en, market, security_type, source)
            SELECT lpad(n::text, 4, '0'), 'plan test ' || n, 'MAIN', 'EQUITY', 'test'
            FROM generate_series(5000, 5099) AS n
            ON CONFLICT DO NOTHING""")
        conn.execute("""
            INSERT INTO daily_bars (symbol, trade_date, open, high, low, close, volume, origin,
                                    provider)
            SELECT lpad(n::text, 4, '0'), d::date, 10, 11, 9, 10, 100, 'SYNTHETIC', 'test'
            FROM generate_series(5000, 5099) AS n,
                 generate_series('2022-01-01'::date, '2024-12-31'::date, '1 day') AS d
            ON CONFLICT DO NOTHING""")
        conn.execute("ANALYZE daily_bars")
        try:
            nodes = _plan(conn, sql, params)
        finally:
            conn.rollback()  # the extra rows never leave this test
    scans = [(n["Node Type"], n.get("Relation Name")) for n in nodes]
    assert ("Seq Scan", "daily_bars") not in scans, scans
    assert any(n.get("Index Name") == "daily_bars_pkey" for n in nodes), scans
