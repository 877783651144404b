"""The `daily_bars` table: daily history per security."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from server.domain.bars import DailyBar
from server.storage.database import Database


@dataclass(frozen=True)
class DailyHistory:
    bars: list[DailyBar]
    origin: str | None
    provider: str | None


@dataclass(frozen=True)
class StoredDailyBar:
    """A daily bar as imported, with where it came from."""

    bar: DailyBar
    adj_close: float | None


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int


class DailyBarRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def latest_date(self, symbol: str) -> date | None:
        row = await self._db.fetch_one(
            "SELECT max(trade_date) AS latest FROM daily_bars WHERE symbol = %s", (symbol,)
        )
        return row["latest"] if row else None

    async def history(self, symbol: str, start: date | None, end: date) -> DailyHistory:
        rows = await self._db.fetch_all(
            """
            SELECT trade_date, open, high, low, close, volume, origin, provider
            FROM daily_bars
            WHERE symbol = %(symbol)s
              AND trade_date <= %(end)s
              AND (%(start)s::date IS NULL OR trade_date >= %(start)s)
            ORDER BY trade_date
            """,
            {"symbol": symbol, "start": start, "end": end},
        )
        bars = [
            DailyBar(r["trade_date"], r["open"], r["high"], r["low"], r["close"], r["volume"])
            for r in rows
        ]
        origins = {r["origin"] for r in rows}
        providers = {r["provider"] for r in rows}
        return DailyHistory(
            bars=bars,
            origin=origins.pop() if len(origins) == 1 else None,
            provider=", ".join(sorted(providers)) if providers else None,
        )


    async def upsert(
        self,
        conn: AsyncConnection[Any],
        symbol: str,
        bars: list[StoredDailyBar],
        *,
        origin: str,
        provider: str,
    ) -> UpsertCounts:
        """Insert or update `bars` for `symbol` inside the caller's transaction.

        Rows whose values did not change are left untouched (and counted as such),
        so re-importing the same file is a no-op.
        """
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                "CREATE TEMP TABLE incoming_bars (LIKE daily_bars INCLUDING DEFAULTS)"
                " ON COMMIT DROP"
            )
            async with cursor.copy(
                "COPY incoming_bars (symbol, trade_date, open, high, low, close, adj_close, volume,"
                " origin, provider) FROM STDIN"
            ) as copy:
                for item in bars:
                    b = item.bar
                    await copy.write_row(
                        (symbol, b.day, b.open, b.high, b.low, b.close, item.adj_close, b.volume,
                         origin, provider)
                    )
            await cursor.execute(
                """
                WITH upserted AS (
                    INSERT INTO daily_bars AS d
                        (symbol, trade_date, open, high, low, close, adj_close, volume, origin,
                         provider)
                    SELECT symbol, trade_date, open, high, low, close, adj_close, volume, origin,
                           provider
                    FROM incoming_bars
                    ON CONFLICT (symbol, trade_date) DO UPDATE SET
                        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
                        close = EXCLUDED.close, adj_close = EXCLUDED.adj_close,
                        volume = EXCLUDED.volume, origin = EXCLUDED.origin,
                        provider = EXCLUDED.provider, imported_at = now()
                    WHERE (d.open, d.high, d.low, d.close, d.adj_close, d.volume, d.origin,
                           d.provider) IS DISTINCT FROM
                          (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                           EXCLUDED.adj_close, EXCLUDED.volume, EXCLUDED.origin, EXCLUDED.provider)
                    RETURNING (xmax = 0) AS inserted
                )
                SELECT count(*) FILTER (WHERE inserted) AS inserted,
                       count(*) FILTER (WHERE NOT inserted) AS updated
                FROM upserted
                """
            )
            row = await cursor.fetchone()
        inserted, updated = (int(row["inserted"]), int(row["updated"])) if row else (0, 0)
        return UpsertCounts(inserted=inserted, updated=updated,
                            unchanged=len(bars) - inserted - updated)
