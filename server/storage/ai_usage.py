"""The `ai_token_usage` table: LLM tokens each user spent per Asia/Riyadh day."""

from datetime import date

from server.storage.database import Database


class TokenUsageRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def used(self, user_id: str, day: date) -> int:
        row = await self._db.fetch_one(
            "SELECT tokens FROM ai_token_usage WHERE user_id = %s AND day = %s", (user_id, day))
        return int(row["tokens"]) if row else 0

    async def add(self, user_id: str, day: date, tokens: int) -> int:
        """Count `tokens` more for the day; the day's total after them."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                """
                INSERT INTO ai_token_usage (user_id, day, tokens) VALUES (%s, %s, %s)
                ON CONFLICT (user_id, day) DO UPDATE
                    SET tokens = ai_token_usage.tokens + EXCLUDED.tokens
                RETURNING tokens
                """, (user_id, day, tokens))
            row = await cursor.fetchone()
        if row is None:
            raise AssertionError("an upsert with RETURNING returns its row")
        return int(row[0])
