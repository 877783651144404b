"""The `daily_bars` table: daily history per security."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from server.domain.bars import DailyBar, MinuteBar
from server.storage.database import Database

# The chart path's two queries; a test EXPLAINs them to keep them on the
# (symbol, trade_date) primary key rather than scanning the table.
LATEST_DATE_SQL = "SELECT max(trade_date) AS latest FROM daily_bars WHERE symbol = %(symbol)s"
HISTORY_SQL = """
    SELECT trade_date, open, high, low, close, volume, adj_close, origin, provider
    FROM daily_bars
    WHERE symbol = %(symbol)s
      AND trade_date <= %(end)s
      AND (%(start)s::date IS NULL OR trade_date >= %(start)s)
    ORDER BY trade_date
"""


def combined_origin(origins: set[str]) -> str | None:
    """REAL, SYNTHETIC, or MIXED for a series holding both (None when empty)."""
    if len(origins) > 1:
        return "MIXED"
    return next(iter(origins), None)


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
        row = await self._db.fetch_one(LATEST_DATE_SQL, {"symbol": symbol})
        return row["latest"] if row else None

    async def history(self, symbol: str, start: date | None, end: date) -> DailyHistory:
        rows = await self._db.fetch_all(HISTORY_SQL,
                                        {"symbol": symbol, "start": start, "end": end})
        bars = [
            DailyBar(r["trade_date"], r["open"], r["high"], r["low"], r["close"], r["volume"],
                     adj_close=r["adj_close"], synthetic=r["origin"] == "SYNTHETIC")
            for r in rows
        ]
        return DailyHistory(bars=bars, origin=combined_origin({r["origin"] for r in rows}),
                            provider=", ".join(sorted({r["provider"] for r in rows})) or None)


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
                    -- Real data always wins: synthetic rows never replace real ones.
                    WHERE (d.origin <> 'REAL' OR EXCLUDED.origin = 'REAL')
                      AND (d.open, d.high, d.low, d.close, d.adj_close, d.volume, d.origin,
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


class IntradayBarRepository:
    """The `intraday_bars` table: minute bars of recent trading days."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def latest_time(self, symbol: str) -> datetime | None:
        row = await self._db.fetch_one(
            "SELECT max(bar_time) AS latest FROM intraday_bars WHERE symbol = %s", (symbol,))
        return row["latest"] if row else None

    async def minutes(self, symbol: str, start: datetime | None,
                      end: datetime) -> tuple[list[MinuteBar], str | None]:
        rows = await self._db.fetch_all(
            """
            SELECT bar_time, open, high, low, close, volume, origin FROM intraday_bars
            WHERE symbol = %(symbol)s AND bar_time < %(end)s
              AND (%(start)s::timestamptz IS NULL OR bar_time >= %(start)s)
            ORDER BY bar_time
            """, {"symbol": symbol, "start": start, "end": end})
        bars = [MinuteBar(r["bar_time"], r["open"], r["high"], r["low"], r["close"],
                          r["volume"], synthetic=r["origin"] == "SYNTHETIC") for r in rows]
        return bars, combined_origin({r["origin"] for r in rows})

    async def replace_day(self, conn: AsyncConnection[Any], symbol: str,
                          bars: list[MinuteBar], *, origin: str) -> None:
        """Store one day's minute bars for `symbol`, replacing what that day had."""
        if not bars:
            return
        await conn.execute(
            "DELETE FROM intraday_bars WHERE symbol = %s AND bar_time >= %s AND bar_time <= %s",
            (symbol, bars[0].start, bars[-1].start))
        async with conn.cursor() as cursor, cursor.copy(
            "COPY intraday_bars (symbol, bar_time, open, high, low, close, volume, origin) "
            "FROM STDIN") as copy:
            for bar in bars:
                await copy.write_row((symbol, bar.start, bar.open, bar.high, bar.low,
                                      bar.close, bar.volume, origin))
