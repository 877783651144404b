"""The `securities` table."""

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from server.domain.industry_groups import IndustryGroup
from server.domain.securities import Market, Security, SecurityType
from server.storage.database import Database, Row

_COLUMNS = """
    s.symbol, s.name_en, s.name_ar, s.market, s.security_type, s.sector, s.industry,
    s.sector_ar, s.currency, s.industry_group, s.isin, s.listing_date,
    (SELECT CASE WHEN count(DISTINCT b.origin) > 1 THEN 'MIXED' ELSE min(b.origin) END
     FROM (SELECT DISTINCT origin FROM daily_bars WHERE symbol = s.symbol) b) AS price_origin
"""


@dataclass(frozen=True)
class SecurityFilter:
    market: Market | None = None
    sector: str | None = None
    industry_group: IndustryGroup | None = None


def _to_security(row: Row) -> Security:
    return Security(
        symbol=row["symbol"],
        name_en=row["name_en"],
        name_ar=row["name_ar"],
        market=Market(row["market"]),
        security_type=SecurityType(row["security_type"]),
        sector=row["sector"],
        industry=row["industry"],
        sector_ar=row["sector_ar"],
        currency=row["currency"],
        has_price_history=row["price_origin"] is not None,
        industry_group=IndustryGroup(row["industry_group"]) if row["industry_group"] else None,
        isin=row["isin"],
        listing_date=row["listing_date"],
        price_origin=row["price_origin"],
    )


class SecurityRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, symbol: str) -> Security | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM securities s WHERE s.symbol = %s", (symbol,)  # noqa: S608
        )
        return _to_security(row) if row else None

    async def exists(self, symbol: str) -> bool:
        row = await self._db.fetch_one("SELECT 1 AS found FROM securities WHERE symbol = %s",
                                       (symbol,))
        return row is not None

    async def list_page(self, filters: SecurityFilter, *, after_symbol: str | None,
                        limit: int) -> tuple[list[Security], int]:
        """Up to `limit` securities after `after_symbol` in symbol order, and the total count."""
        params = {
            "market": filters.market.value if filters.market else None,
            "sector": filters.sector.lower() if filters.sector else None,
            "group": filters.industry_group.value if filters.industry_group else None,
            "after": after_symbol,
            "limit": limit,
        }
        where = """
            (%(market)s::text IS NULL OR s.market = %(market)s)
            AND (%(sector)s::text IS NULL OR lower(s.sector) = %(sector)s)
            AND (%(group)s::text IS NULL OR s.industry_group = %(group)s)
        """
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM securities s WHERE {where}"  # noqa: S608
            " AND (%(after)s::text IS NULL OR s.symbol > %(after)s)"
            " ORDER BY s.symbol LIMIT %(limit)s",
            params,
        )
        total = await self._db.fetch_one(
            f"SELECT count(*) AS total FROM securities s WHERE {where}", params  # noqa: S608
        )
        return [_to_security(row) for row in rows], int(total["total"]) if total else 0

    async def upsert_all(self, conn: AsyncConnection[Any], securities: list[Security],
                         source: str) -> int:
        """Insert or refresh reference data inside the caller's transaction."""
        async with conn.cursor() as cursor:
            await cursor.executemany(
                """
                INSERT INTO securities (symbol, name_en, name_ar, market, security_type, sector,
                    industry, sector_ar, currency, source, industry_group)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (symbol) DO UPDATE SET
                    name_en = EXCLUDED.name_en, name_ar = EXCLUDED.name_ar,
                    market = EXCLUDED.market, security_type = EXCLUDED.security_type,
                    sector = EXCLUDED.sector, industry = EXCLUDED.industry,
                    sector_ar = EXCLUDED.sector_ar, currency = EXCLUDED.currency,
                    source = EXCLUDED.source, industry_group = EXCLUDED.industry_group,
                    updated_at = now()
                WHERE (securities.name_en, securities.name_ar, securities.market,
                       securities.security_type, securities.sector, securities.industry,
                       securities.sector_ar, securities.currency, securities.source,
                       securities.industry_group)
                      IS DISTINCT FROM
                      (EXCLUDED.name_en, EXCLUDED.name_ar, EXCLUDED.market,
                       EXCLUDED.security_type, EXCLUDED.sector, EXCLUDED.industry,
                       EXCLUDED.sector_ar, EXCLUDED.currency, EXCLUDED.source,
                       EXCLUDED.industry_group)
                """,
                [(s.symbol, s.name_en, s.name_ar, s.market.value, s.security_type.value,
                  s.sector, s.industry, s.sector_ar, s.currency, source,
                  s.industry_group.value if s.industry_group else None) for s in securities],
            )
        return len(securities)
