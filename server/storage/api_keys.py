"""The `api_keys` table. Keys are stored as SHA-256 hashes; only a prefix is kept readable."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from server.domain.access import RateLimitTier, Role
from server.storage.database import Database, Row

_COLUMNS = "k.id, k.user_id, k.name, k.prefix, k.created_at, k.expires_at, k.last_used_at, " \
           "k.revoked_at"


@dataclass(frozen=True)
class ApiKeyRecord:
    id: str
    user_id: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class ApiKeyOwner:
    """What authenticating with a key needs: the key's state and its owner's."""

    key: ApiKeyRecord
    role: Role
    rate_limit_tier: RateLimitTier | None
    user_active: bool
    expired: bool
    last_use_stale: bool


def _to_key(row: Row) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=str(row["id"]), user_id=str(row["user_id"]), name=row["name"], prefix=row["prefix"],
        created_at=row["created_at"], expires_at=row["expires_at"],
        last_used_at=row["last_used_at"], revoked_at=row["revoked_at"],
    )


class ApiKeyRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(self, conn: AsyncConnection[Any], *, user_id: str, name: str, prefix: str,
                     key_hash: str, expires_at: datetime | None,
                     request_id: str | None) -> ApiKeyRecord | None:
        """The new key, or None when this user already used `request_id` (a replay)."""
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                f"""
                INSERT INTO api_keys AS k (id, user_id, name, prefix, key_hash, expires_at,
                                           request_id)
                VALUES (%s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (user_id, request_id) DO NOTHING
                RETURNING {_COLUMNS}
                """,  # noqa: S608
                (uuid.uuid4(), user_id, name, prefix, key_hash, expires_at, request_id),
            )
            row = await cursor.fetchone()
        return _to_key(row) if row else None

    async def get_by_request_id(self, user_id: str, request_id: str) -> ApiKeyRecord | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM api_keys k WHERE k.user_id = %s AND k.request_id = %s",  # noqa: S608
            (user_id, request_id))
        return _to_key(row) if row else None

    async def find_owner(self, key_hash: str, *, last_use_refresh_s: int) -> ApiKeyOwner | None:
        row = await self._db.fetch_one(
            f"""
            SELECT {_COLUMNS}, u.role, u.rate_limit_tier, u.is_active AS user_active,
                   coalesce(k.expires_at <= now(), false) AS expired,
                   (k.last_used_at IS NULL
                    OR k.last_used_at < now() - make_interval(secs => %s)) AS last_use_stale
            FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.key_hash = %s
            """,  # noqa: S608
            (last_use_refresh_s, key_hash))
        if row is None:
            return None
        return ApiKeyOwner(
            key=_to_key(row), role=Role(row["role"]),
            rate_limit_tier=RateLimitTier(row["rate_limit_tier"]) if row["rate_limit_tier"]
            else None,
            user_active=row["user_active"], expired=row["expired"],
            last_use_stale=row["last_use_stale"],
        )

    async def touch(self, key_id: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = %s",
                               (key_id,))

    async def list_page(self, user_id: str, *, after: tuple[datetime, str] | None,
                        limit: int) -> list[ApiKeyRecord]:
        rows = await self._db.fetch_all(
            f"""
            SELECT {_COLUMNS} FROM api_keys k
            WHERE k.user_id = %(user)s
              AND (%(after_time)s::timestamptz IS NULL
                   OR (k.created_at, k.id) < (%(after_time)s, %(after_id)s::uuid))
            ORDER BY k.created_at DESC, k.id DESC LIMIT %(limit)s
            """,  # noqa: S608
            {"user": user_id, "after_time": after[0] if after else None,
             "after_id": after[1] if after else None, "limit": limit})
        return [_to_key(row) for row in rows]

    async def revoke(self, conn: AsyncConnection[Any], user_id: str,
                     key_id: str) -> ApiKeyRecord | None:
        """Revoke one of the user's keys (idempotent); None when the user has no such key."""
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                f"""
                UPDATE api_keys AS k SET revoked_at = coalesce(k.revoked_at, now())
                WHERE k.id = %s AND k.user_id = %s RETURNING {_COLUMNS}
                """,  # noqa: S608
                (key_id, user_id))
            row = await cursor.fetchone()
        return _to_key(row) if row else None

    async def revoke_all_for_user(self, conn: AsyncConnection[Any], user_id: str) -> int:
        cursor = await conn.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
            (user_id,))
        return cursor.rowcount
