"""Single-use, expiring tokens stored as hashes: password resets and email verification.

Both tables have the same shape; which one a repository uses is fixed at
construction from an allow-list, never from input.
"""

from enum import Enum
from typing import Any

from psycopg import AsyncConnection, sql


class OneTimeTokenKind(Enum):
    PASSWORD_RESET = "password_reset_tokens"
    EMAIL_VERIFICATION = "email_verification_tokens"


class OneTimeTokenRepository:
    def __init__(self, kind: OneTimeTokenKind) -> None:
        self._table = sql.Identifier(kind.value)

    async def add(self, conn: AsyncConnection[Any], *, user_id: str, token_hash: str,
                  ttl_s: int) -> None:
        await conn.execute(
            sql.SQL("INSERT INTO {} (token_hash, user_id, expires_at) "
                    "VALUES (%s, %s, now() + make_interval(secs => %s))").format(self._table),
            (token_hash, user_id, ttl_s))

    async def consume(self, conn: AsyncConnection[Any], token_hash: str) -> str | None:
        """Spend the token: the user id if it was unused and unexpired, else None."""
        cursor = await conn.execute(
            sql.SQL("UPDATE {} SET used_at = now() "
                    "WHERE token_hash = %s AND used_at IS NULL AND expires_at > now() "
                    "RETURNING user_id").format(self._table),
            (token_hash,))
        row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def expire_all_for_user(self, conn: AsyncConnection[Any], user_id: str) -> None:
        await conn.execute(
            sql.SQL("UPDATE {} SET used_at = now() WHERE user_id = %s AND used_at IS NULL")
            .format(self._table), (user_id,))
