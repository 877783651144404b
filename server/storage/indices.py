"""The `market_indices` and `index_daily_bars` tables."""

from typing import Any

from psycopg import AsyncConnection

from server.domain.indices import IndexDailyBar


class IndexRepository:
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
