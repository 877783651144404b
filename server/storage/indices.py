"""The `market_indices`, `index_daily_bars` and `index_constituents` tables."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection

from server.domain.bars import DailyBar
from server.domain.indices import IndexDailyBar
from server.storage.database import Database


@dataclass(frozen=True)
class IndexLevel:
    code: str
    name_en: str
    level: float | None
    previous_level: float | None
    as_of: date | None
    provider: str | None


@dataclass(frozen=True)
class Constituent:
    symbol: str
    name_en: str
    weight_percent: Decimal


@dataclass(frozen=True)
class IndexMembership:
    origin: str | None
    method: str
    constituents: list[Constituent]


class IndexRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def levels(self, code: str | None = None) -> list[IndexLevel]:
        """Each index (or the one named) with its latest close and the close before it."""
        rows = await self._db.fetch_all(
            """
            SELECT i.code, i.name_en, last.close AS level, last.trade_date AS as_of,
                   last.provider, prev.close AS previous_level
            FROM market_indices i
            LEFT JOIN LATERAL (SELECT close, trade_date, provider FROM index_daily_bars
                               WHERE index_code = i.code ORDER BY trade_date DESC LIMIT 1)
                 last ON true
            LEFT JOIN LATERAL (SELECT close FROM index_daily_bars
                               WHERE index_code = i.code AND trade_date < last.trade_date
                               ORDER BY trade_date DESC LIMIT 1) prev ON true
            WHERE %(code)s::text IS NULL OR i.code = %(code)s
            ORDER BY i.code
            """, {"code": code})
        return [IndexLevel(code=r["code"], name_en=r["name_en"], level=r["level"],
                           previous_level=r["previous_level"], as_of=r["as_of"],
                           provider=r["provider"]) for r in rows]

    async def latest_date(self, code: str) -> date | None:
        row = await self._db.fetch_one(
            "SELECT max(trade_date) AS latest FROM index_daily_bars WHERE index_code = %s",
            (code,))
        return row["latest"] if row else None

    async def history(self, code: str, start: date | None, end: date) -> list[DailyBar]:
        rows = await self._db.fetch_all(
            """
            SELECT trade_date, open, high, low, close, coalesce(volume, 0) AS volume
            FROM index_daily_bars
            WHERE index_code = %(code)s AND trade_date <= %(end)s
              AND (%(start)s::date IS NULL OR trade_date >= %(start)s)
            ORDER BY trade_date
            """, {"code": code, "start": start, "end": end})
        return [DailyBar(r["trade_date"], r["open"], r["high"], r["low"], r["close"],
                         r["volume"]) for r in rows]

    async def membership(self, code: str) -> IndexMembership:
        rows = await self._db.fetch_all(
            """
            SELECT c.symbol, s.name_en, c.weight_percent, i.constituents_origin,
                   i.constituents_method
            FROM market_indices i
            LEFT JOIN index_constituents c ON c.index_code = i.code
            LEFT JOIN securities s ON s.symbol = c.symbol
            WHERE i.code = %s
            ORDER BY c.weight_percent DESC NULLS LAST, c.symbol
            """, (code,))
        if not rows:
            return IndexMembership(origin=None, method="", constituents=[])
        return IndexMembership(
            origin=rows[0]["constituents_origin"], method=rows[0]["constituents_method"],
            constituents=[Constituent(r["symbol"], r["name_en"], r["weight_percent"])
                          for r in rows if r["symbol"] is not None])

    async def replace_membership(self, conn: AsyncConnection[Any], code: str,
                                 weights: dict[str, Decimal], *, origin: str,
                                 method: str) -> None:
        await conn.execute("DELETE FROM index_constituents WHERE index_code = %s", (code,))
        async with conn.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO index_constituents (index_code, symbol, weight_percent) "
                "VALUES (%s, %s, %s)", [(code, symbol, w) for symbol, w in weights.items()])
        await conn.execute(
            "UPDATE market_indices SET constituents_origin = %s, constituents_method = %s "
            "WHERE code = %s", (origin, method, code))

    async def upsert(self, conn: AsyncConnection[Any], names: dict[str, str],
                     bars: list[IndexDailyBar], provider: str) -> int:
        async with conn.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO market_indices (code, name_en) VALUES (%s, %s) "
                "ON CONFLICT (code) DO UPDATE SET name_en = EXCLUDED.name_en",
                list(names.items()),
            )
            await cursor.executemany(
                """
                INSERT INTO index_daily_bars (index_code, trade_date, open, high, low, close,
                    volume, value_traded, trades, daily_return, provider)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (index_code, trade_date) DO UPDATE SET
                    open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
                    close = EXCLUDED.close, volume = EXCLUDED.volume,
                    value_traded = EXCLUDED.value_traded, trades = EXCLUDED.trades,
                    daily_return = EXCLUDED.daily_return, provider = EXCLUDED.provider
                """,
                [(b.index_code, b.day, b.open, b.high, b.low, b.close, b.volume,
                  b.value_traded, b.trades, b.daily_return, provider) for b in bars],
            )
        return len(bars)
