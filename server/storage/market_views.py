"""The market's materialized views: `mv_top_movers` (one row per security traded on
the latest trading day) and `mv_market_summary` (breadth per market). Summary,
movers, sector performance and the screener read them; imports refresh them."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from psycopg import sql

from server.domain.industry_groups import IndustryGroup
from server.domain.securities import Market
from server.storage.database import Database, Row

log = logging.getLogger(__name__)

# pg_advisory lock key: the first 8 bytes of sha256("financehub:market-views").
REFRESH_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"financehub:market-views").digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class MarketSummaryRow:
    trading_day: date
    advancers: int
    decliners: int
    unchanged: int
    volume: int
    turnover: float
    origin: str  # REAL, SYNTHETIC or MIXED


@dataclass(frozen=True)
class DailyMove:
    symbol: str
    name_en: str
    market: Market
    industry_group: IndustryGroup | None
    trading_day: date
    close: float
    previous_close: float | None
    change_percent: float | None
    volume: int
    turnover: float
    origin: str


class MoverRanking(Enum):
    GAINERS = "change_percent DESC"
    LOSERS = "change_percent ASC"
    MOST_ACTIVE_BY_VOLUME = "volume DESC"
    MOST_ACTIVE_BY_VALUE = "turnover DESC"

    @property
    def needs_change(self) -> bool:
        """Ranked by change: a security with no previous close cannot be placed."""
        return self in (MoverRanking.GAINERS, MoverRanking.LOSERS)


# The screener's sort keys: the only column names that ever reach the SQL text.
SCREEN_SORT_COLUMNS: dict[str, str] = {
    "symbol": "symbol",
    "price": "close",
    "change_percent": "change_percent",
    "volume": "volume",
    "turnover": "turnover",
}


@dataclass(frozen=True)
class Bounds:
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class ScreenQuery:
    market: Market | None
    industry_groups: tuple[IndustryGroup, ...]
    price: Bounds
    change_percent: Bounds
    volume: Bounds
    turnover: Bounds
    sort_key: str  # a key of SCREEN_SORT_COLUMNS
    descending: bool
    offset: int
    limit: int


def _move(row: Row) -> DailyMove:
    return DailyMove(
        symbol=row["symbol"], name_en=row["name_en"], market=Market(row["market"]),
        industry_group=IndustryGroup(row["industry_group"]) if row["industry_group"] else None,
        trading_day=row["trading_day"], close=row["close"],
        previous_close=row["previous_close"], change_percent=row["change_percent"],
        volume=row["volume"], turnover=row["turnover"], origin=row["origin"],
    )


_MOVE_COLUMNS = """symbol, name_en, market, industry_group, trading_day, close, previous_close,
                   change_percent, volume, turnover, origin"""


class MarketViewRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def refresh(self, *, wait: bool = True) -> bool:
        """Rebuild both views without blocking readers (CONCURRENTLY), in dependency order.

        Under a transaction-level advisory lock, so that of several replicas refreshing on
        a schedule only one does the work. An import waits for the lock (its rows must be
        in the views); the schedule does not (`wait=False`), and answers False when it
        skipped because another refresh was running.
        """
        async with self._db.transaction() as conn:
            if wait:
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (REFRESH_LOCK_KEY,))
            else:
                cursor = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)",
                                            (REFRESH_LOCK_KEY,))
                row = await cursor.fetchone()
                if not row or not row[0]:
                    return False
            await conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY mv_top_movers")
            await conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY mv_market_summary")
        return True

    async def summary(self, market: Market | None) -> MarketSummaryRow | None:
        row = await self._db.fetch_one(
            """
            SELECT max(trading_day) AS trading_day, sum(advancers)::int AS advancers,
                   sum(decliners)::int AS decliners, sum(unchanged)::int AS unchanged,
                   sum(volume)::bigint AS volume, sum(turnover) AS turnover,
                   bool_or(any_real) AS any_real, bool_or(any_synthetic) AS any_synthetic
            FROM mv_market_summary
            WHERE %(market)s::text IS NULL OR market = %(market)s
            """,
            {"market": market.value if market else None})
        if row is None or row["trading_day"] is None:
            return None
        origin = "MIXED" if row["any_real"] and row["any_synthetic"] else \
            ("REAL" if row["any_real"] else "SYNTHETIC")
        return MarketSummaryRow(
            trading_day=row["trading_day"], advancers=row["advancers"],
            decliners=row["decliners"], unchanged=row["unchanged"], volume=row["volume"],
            turnover=row["turnover"], origin=origin)

    async def top_movers(self, ranking: MoverRanking, market: Market | None,
                         limit: int) -> list[DailyMove]:
        # `ranking` is an enum whose values are fixed ORDER BY clauses, never input.
        order = sql.SQL(ranking.value)
        query = sql.SQL(
            "SELECT {columns} FROM mv_top_movers "
            "WHERE (%(market)s::text IS NULL OR market = %(market)s) "
            "AND (NOT %(needs_change)s OR change_percent IS NOT NULL) "
            "ORDER BY {order}, symbol LIMIT %(limit)s"
        ).format(columns=sql.SQL(_MOVE_COLUMNS), order=order)
        rows = await self._db.fetch_all(
            query, {"market": market.value if market else None, "limit": limit,
                    "needs_change": ranking.needs_change})
        return [_move(row) for row in rows]

    async def moves(self) -> list[DailyMove]:
        """Every security traded on the latest day (for sector aggregation)."""
        rows = await self._db.fetch_all(
            sql.SQL("SELECT {columns} FROM mv_top_movers").format(
                columns=sql.SQL(_MOVE_COLUMNS)))
        return [_move(row) for row in rows]

    async def screen(self, query: ScreenQuery) -> tuple[list[DailyMove], int]:
        column = sql.Identifier(SCREEN_SORT_COLUMNS[query.sort_key])
        direction = sql.SQL("DESC NULLS LAST" if query.descending else "ASC NULLS LAST")
        params: dict[str, Any] = {
            "market": query.market.value if query.market else None,
            "groups": [g.value for g in query.industry_groups] or None,
            "offset": query.offset, "limit": query.limit,
        }
        conditions: list[sql.Composable] = [
            sql.SQL("(%(market)s::text IS NULL OR market = %(market)s)"),
            sql.SQL("(%(groups)s::text[] IS NULL OR industry_group = ANY(%(groups)s))"),
        ]
        for name, column_name, bounds in (("price", "close", query.price),
                                          ("change", "change_percent", query.change_percent),
                                          ("volume", "volume", query.volume),
                                          ("turnover", "turnover", query.turnover)):
            if bounds.low is not None:
                params[f"{name}_low"] = bounds.low
                conditions.append(sql.SQL("{} >= {}").format(
                    sql.Identifier(column_name), sql.Placeholder(f"{name}_low")))
            if bounds.high is not None:
                params[f"{name}_high"] = bounds.high
                conditions.append(sql.SQL("{} <= {}").format(
                    sql.Identifier(column_name), sql.Placeholder(f"{name}_high")))
        where = sql.SQL(" AND ").join(conditions)
        rows = await self._db.fetch_all(
            sql.SQL("SELECT {columns}, count(*) OVER () AS total FROM mv_top_movers "
                    "WHERE {where} ORDER BY {column} {direction}, symbol "
                    "OFFSET %(offset)s LIMIT %(limit)s").format(
                columns=sql.SQL(_MOVE_COLUMNS), where=where, column=column,
                direction=direction),
            params)
        total = int(rows[0]["total"]) if rows else 0
        if not rows and query.offset:
            count = await self._db.fetch_one(
                sql.SQL("SELECT count(*) AS total FROM mv_top_movers WHERE {}").format(where),
                params)
            total = int(count["total"]) if count else 0
        return [_move(row) for row in rows], total
