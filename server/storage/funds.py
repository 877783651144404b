"""The `funds` and `fund_navs` tables."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection

from server.storage.database import Database


@dataclass(frozen=True)
class FundRecord:
    id: str
    name_ar: str
    manager: str
    type: str  # a server.domain.funds.FundType name
    currency: str
    latest_nav: Decimal | None  # None: the source lists no NAV (a closed fund)
    nav_date: date
    published_ytd_return: Decimal | None


_FUND_SELECT = ("SELECT id, name_ar, manager, type, currency, latest_nav, nav_date,"
                " published_ytd_return FROM funds")
# ListFunds: the page, and the total under the same filters.
_PAGE_SQL = """
    SELECT id, name_ar, manager, type, currency, latest_nav, nav_date, published_ytd_return
    FROM funds
    WHERE (%(manager)s::text IS NULL OR manager = %(manager)s)
      AND (%(type)s::text IS NULL OR type = %(type)s)
      AND (%(currency)s::text IS NULL OR currency = %(currency)s)
      AND (%(after)s::text IS NULL OR id > %(after)s)
    ORDER BY id LIMIT %(limit)s
"""
_COUNT_SQL = """
    SELECT count(*) AS n FROM funds
    WHERE (%(manager)s::text IS NULL OR manager = %(manager)s)
      AND (%(type)s::text IS NULL OR type = %(type)s)
      AND (%(currency)s::text IS NULL OR currency = %(currency)s)
"""


class FundRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def upsert_all(self, conn: AsyncConnection[Any], funds: list[FundRecord],
                         source: str) -> None:
        async with conn.cursor() as cursor:
            await cursor.executemany(
                """
                INSERT INTO funds (id, name_ar, manager, type, currency, latest_nav, nav_date,
                                   published_ytd_return, source)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (id) DO UPDATE SET
                    name_ar = EXCLUDED.name_ar, manager = EXCLUDED.manager,
                    type = EXCLUDED.type, currency = EXCLUDED.currency,
                    latest_nav = EXCLUDED.latest_nav, nav_date = EXCLUDED.nav_date,
                    published_ytd_return = EXCLUDED.published_ytd_return,
                    source = EXCLUDED.source, imported_at = now()
                """,
                [(f.id, f.name_ar, f.manager, f.type, f.currency, f.latest_nav, f.nav_date,
                  f.published_ytd_return, source) for f in funds])

    async def replace_navs(self, conn: AsyncConnection[Any], fund_id: str,
                           points: list[tuple[date, Decimal]], origin: str) -> None:
        """The fund's whole NAV history, replaced (an import is all-or-nothing)."""
        await conn.execute("DELETE FROM fund_navs WHERE fund_id = %s", (fund_id,))
        async with conn.cursor().copy(
                "COPY fund_navs (fund_id, nav_date, nav, origin) FROM STDIN") as copy:
            for day, nav in points:
                await copy.write_row((fund_id, day, nav, origin))

    async def history_ends(self) -> dict[str, tuple[date, Decimal]]:
        """Each fund's last stored NAV (date, value)."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT ON (fund_id) fund_id, nav_date, nav FROM fund_navs"
            " ORDER BY fund_id, nav_date DESC")
        return {row["fund_id"]: (row["nav_date"], row["nav"]) for row in rows}

    async def page(self, *, manager: str | None, fund_type: str | None, currency: str | None,
                   after_id: str | None, limit: int) -> tuple[list[FundRecord], int]:
        """Funds by id after `after_id`, and how many match the filters in all."""
        params = {"manager": manager, "type": fund_type, "currency": currency,
                  "after": after_id, "limit": limit}
        rows = await self._db.fetch_all(_PAGE_SQL, params)
        total = await self._db.fetch_one(_COUNT_SQL, params)
        return [FundRecord(**row) for row in rows], int(total["n"]) if total else 0

    async def get(self, fund_id: str) -> FundRecord | None:
        row = await self._db.fetch_one(_FUND_SELECT + " WHERE id = %s", (fund_id,))
        return FundRecord(**row) if row else None

    async def navs(self, fund_id: str, start: date | None,
                   end: date | None) -> tuple[list[tuple[date, Decimal]], set[str]]:
        """The NAVs in [start, end], oldest first, and the origins among them."""
        rows = await self._db.fetch_all(
            """
            SELECT nav_date, nav, origin FROM fund_navs
            WHERE fund_id = %(fund)s
              AND (%(start)s::date IS NULL OR nav_date >= %(start)s)
              AND (%(end)s::date IS NULL OR nav_date <= %(end)s)
            ORDER BY nav_date
            """, {"fund": fund_id, "start": start, "end": end})
        return [(r["nav_date"], r["nav"]) for r in rows], {r["origin"] for r in rows}
