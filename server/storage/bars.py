"""The `daily_bars` table: daily history per security; `intraday_bars`: minute bars in
monthly partitions."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from server.domain.bars import DailyBar, MinuteBar
from server.domain.calendar import RIYADH
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


# pg_advisory lock key: the first 8 bytes of sha256("financehub:intraday-retention").
RETENTION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"financehub:intraday-retention").digest()[:8], "big", signed=True)

# intraday_bars' partitions that end at or before a cutoff. The end is parsed from the
# catalog's bound expression ("FOR VALUES FROM ('…') TO ('…')"): names are only a convention.
_EXPIRED_PARTITIONS_SQL = r"""
    SELECT schema, name FROM (
        SELECT n.nspname AS schema, c.relname AS name,
               substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')
                   ::timestamptz AS ends
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = 'intraday_bars'::regclass
    ) AS partitions
    WHERE ends <= %(cutoff)s
    ORDER BY ends
"""


# A bound on bar_time on both sides (-infinity for "from the first bar"), not an `IS NULL OR`
# test: that keeps a day's read on its month's partition even under a generic plan (psycopg
# prepares a statement after a few runs; the executor then prunes on the parameters). A test
# PREPAREs it to check.
MINUTES_SQL = """
    SELECT bar_time, open, high, low, close, volume, origin FROM intraday_bars
    WHERE symbol = %(symbol)s AND bar_time < %(end)s
      AND bar_time >= coalesce(%(start)s::timestamptz, '-infinity')
    ORDER BY bar_time
"""


def riyadh_month_start(moment: datetime, months: int = 0) -> datetime:
    """The start of the Asia/Riyadh month `months` after (negative: before) `moment`'s month;
    the intraday partitions' bounds fall on these instants."""
    local = moment.astimezone(RIYADH)
    index = local.year * 12 + local.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=RIYADH)


class IntradayBarRepository:
    """The `intraday_bars` table: minute bars of recent trading days, one partition per
    Asia/Riyadh month (migrations/0005); retention drops whole months."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def latest_time(self, symbol: str) -> datetime | None:
        row = await self._db.fetch_one(
            "SELECT max(bar_time) AS latest FROM intraday_bars WHERE symbol = %s", (symbol,))
        return row["latest"] if row else None

    async def minutes(self, symbol: str, start: datetime | None,
                      end: datetime) -> tuple[list[MinuteBar], str | None]:
        rows = await self._db.fetch_all(MINUTES_SQL,
                                        {"symbol": symbol, "start": start, "end": end})
        bars = [MinuteBar(r["bar_time"], r["open"], r["high"], r["low"], r["close"],
                          r["volume"], synthetic=r["origin"] == "SYNTHETIC") for r in rows]
        return bars, combined_origin({r["origin"] for r in rows})

    async def replace_day(self, conn: AsyncConnection[Any], symbol: str,
                          bars: list[MinuteBar], *, origin: str) -> None:
        """Store one day's minute bars for `symbol`, replacing what that day had."""
        if not bars:
            return
        await self.ensure_partitions(conn, bars[0].start, bars[-1].start)
        await conn.execute(
            "DELETE FROM intraday_bars WHERE symbol = %s AND bar_time >= %s AND bar_time <= %s",
            (symbol, bars[0].start, bars[-1].start))
        async with conn.cursor() as cursor, cursor.copy(
            "COPY intraday_bars (symbol, bar_time, open, high, low, close, volume, origin) "
            "FROM STDIN") as copy:
            for bar in bars:
                await copy.write_row((symbol, bar.start, bar.open, bar.high, bar.low,
                                      bar.close, bar.volume, origin))

    @staticmethod
    async def ensure_partitions(conn: AsyncConnection[Any], first: datetime,
                                last: datetime) -> None:
        """Create the missing monthly partitions from `first`'s month to `last`'s, inside the
        caller's transaction. Every writer of intraday_bars calls it before inserting: a bar
        for a month without a partition is refused (there is no default partition)."""
        await conn.execute("SELECT ensure_intraday_partitions(%s, %s)", (first, last))

    async def create_partitions_ahead(self, now: datetime) -> None:
        """This month's and next month's partitions, so that the first bars of a month do
        not have to create (and lock for) their partition."""
        async with self._db.transaction() as conn:
            await self.ensure_partitions(conn, now, riyadh_month_start(now, 1))

    async def drop_expired_partitions(self, now: datetime, *, keep_months: int) -> list[str]:
        """Drop the partitions whose every bar is over `keep_months` months older than `now`
        (0 keeps everything); answers the names dropped.

        Whole partitions, never rows. Of several replicas running this together one does the
        work and the others answer []. A dropped partition's bars leave cached chart answers
        when those expire.
        """
        if keep_months == 0:
            return []
        cutoff = riyadh_month_start(now, -keep_months)
        async with self._db.transaction() as conn:
            cursor = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)",
                                        (RETENTION_LOCK_KEY,))
            locked = await cursor.fetchone()
            if not locked or not locked[0]:
                return []
            # Dropping a partition locks intraday_bars exclusively: rather than queue behind
            # a long read (and make every chart read queue behind it), give up and let the
            # next pass try again.
            await conn.execute("SET LOCAL lock_timeout = '2s'")
            cursor = await conn.execute(_EXPIRED_PARTITIONS_SQL, {"cutoff": cutoff})
            expired = await cursor.fetchall()
            # DROP rather than DETACH then DROP: a detached partition's foreign key becomes its
            # own, and dropping that locks securities (every ticker read) exclusively.
            for schema, name in expired:
                await conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, name)))
        return [name for _, name in expired]
