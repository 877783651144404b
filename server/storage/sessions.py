"""The `refresh_tokens` table: login sessions ("families") and their single-use tokens."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from server.storage.database import Database


@dataclass(frozen=True)
class RefreshTokenRecord:
    id: str
    user_id: str
    family_id: str
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    expired: bool


class SessionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, conn: AsyncConnection[Any], *, user_id: str, family_id: str,
                  token_hash: str, ttl_s: int) -> datetime:
        """Store a new refresh token; returns its expiry."""
        async with conn.cursor() as cursor:
            await cursor.execute(
                "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at) "
                "VALUES (%s, %s, %s, %s, now() + make_interval(secs => %s)) RETURNING expires_at",
                (uuid.uuid4(), user_id, family_id, token_hash, ttl_s),
            )
            row = await cursor.fetchone()
        assert row is not None
        expires_at: datetime = row[0]
        return expires_at

    async def lock_by_hash(self, conn: AsyncConnection[Any],
                           token_hash: str) -> RefreshTokenRecord | None:
        """The token, row-locked so two refreshes with it cannot both succeed."""
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                """
                SELECT id, user_id, family_id, expires_at, used_at, revoked_at,
                       expires_at <= now() AS expired
                FROM refresh_tokens WHERE token_hash = %s FOR UPDATE
                """,
                (token_hash,),
            )
            row = await cursor.fetchone()
        if row is None:
            return None
        return RefreshTokenRecord(
            id=str(row["id"]), user_id=str(row["user_id"]), family_id=str(row["family_id"]),
            expires_at=row["expires_at"], used_at=row["used_at"], revoked_at=row["revoked_at"],
            expired=row["expired"],
        )

    async def mark_used(self, conn: AsyncConnection[Any], token_id: str) -> None:
        await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE id = %s", (token_id,))

    async def revoke_family(self, conn: AsyncConnection[Any], family_id: str) -> int:
        cursor = await conn.execute(
            "UPDATE refresh_tokens SET revoked_at = now() "
            "WHERE family_id = %s AND revoked_at IS NULL", (family_id,))
        return cursor.rowcount

    async def revoke_all_for_user(self, conn: AsyncConnection[Any], user_id: str, *,
                                  keep_family: str | None = None) -> list[str]:
        """Revoke every live session of the user but `keep_family`; returns their family ids."""
        async with conn.cursor() as cursor:
            await cursor.execute(
                "UPDATE refresh_tokens SET revoked_at = now() "
                "WHERE user_id = %s AND revoked_at IS NULL "
                "AND (%s::uuid IS NULL OR family_id <> %s::uuid) RETURNING family_id",
                (user_id, keep_family, keep_family))
            rows = await cursor.fetchall()
        return sorted({str(row[0]) for row in rows})

    async def family_revoked(self, family_id: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT bool_or(revoked_at IS NOT NULL) AS revoked FROM refresh_tokens "
            "WHERE family_id = %s", (family_id,))
        return bool(row and row["revoked"])
