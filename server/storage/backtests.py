"""The `backtests` table: stored results, as the serialized messages the caller got."""

from dataclasses import dataclass
from datetime import datetime

from server.storage.database import Database


@dataclass(frozen=True)
class StoredBacktest:
    id: str
    created_at: datetime
    payload: bytes  # the summary (listing) or the whole document (get)


class BacktestRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, *, backtest_id: str, user_id: str, symbol: str, created_at: datetime,
                  summary: bytes, document: bytes) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO backtests (id, user_id, symbol, created_at, summary, document)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (backtest_id, user_id, symbol, created_at, summary, document))

    async def document(self, *, user_id: str, backtest_id: str) -> bytes | None:
        """The whole stored message, if `backtest_id` is one of the user's."""
        row = await self._db.fetch_one(
            "SELECT document FROM backtests WHERE id = %s AND user_id = %s",
            (backtest_id, user_id))
        return bytes(row["document"]) if row else None

    async def summaries(self, *, user_id: str, symbol: str | None,
                        after: tuple[datetime, str] | None, limit: int) -> list[StoredBacktest]:
        """The user's backtests newest first, after the keyset position `after`."""
        rows = await self._db.fetch_all(
            """
            SELECT id, created_at, summary FROM backtests
            WHERE user_id = %(user)s
              AND (%(symbol)s::text IS NULL OR symbol = %(symbol)s)
              AND (%(after_time)s::timestamptz IS NULL
                   OR (created_at, id) < (%(after_time)s, %(after_id)s::uuid))
            ORDER BY created_at DESC, id DESC
            LIMIT %(limit)s
            """,
            {"user": user_id, "symbol": symbol, "after_time": after[0] if after else None,
             "after_id": after[1] if after else None, "limit": limit})
        return [StoredBacktest(id=str(row["id"]), created_at=row["created_at"],
                               payload=bytes(row["summary"])) for row in rows]
