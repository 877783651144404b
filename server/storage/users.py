"""The `users` table."""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation
from psycopg.rows import dict_row

from server.domain.access import RateLimitTier, Role
from server.domain.errors import AlreadyExistsError
from server.storage.database import Database, Row

_COLUMNS = """id, email, password_hash, role, is_active, is_verified, rate_limit_tier,
              created_at, last_login, tokens_valid_after"""


@dataclass(frozen=True)
class UserRecord:
    id: str
    email: str
    password_hash: str
    role: Role
    is_active: bool
    is_verified: bool
    rate_limit_tier: RateLimitTier | None
    created_at: datetime
    last_login: datetime | None
    tokens_valid_after: datetime | None


def _to_user(row: Row) -> UserRecord:
    return UserRecord(
        id=str(row["id"]),
        email=row["email"],
        password_hash=row["password_hash"],
        role=Role(row["role"]),
        is_active=row["is_active"],
        is_verified=row["is_verified"],
        rate_limit_tier=RateLimitTier(row["rate_limit_tier"]) if row["rate_limit_tier"] else None,
        created_at=row["created_at"],
        last_login=row["last_login"],
        tokens_valid_after=row["tokens_valid_after"],
    )


@dataclass(frozen=True)
class UserFilter:
    role: Role | None = None
    active: bool | None = None


class UserRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(self, conn: AsyncConnection[Any], *, email: str, password_hash: str,
                     role: Role, is_verified: bool = False) -> UserRecord:
        try:
            async with conn.cursor(row_factory=dict_row) as cursor:
                await cursor.execute(
                    f"INSERT INTO users (id, email, password_hash, role, is_verified) "  # noqa: S608
                    f"VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                    (uuid.uuid4(), email, password_hash, role.value, is_verified),
                )
                row = await cursor.fetchone()
        except UniqueViolation:
            raise AlreadyExistsError(f"an account for {email} already exists",
                                     reason="EMAIL_TAKEN") from None
        assert row is not None
        return _to_user(row)

    async def get(self, user_id: str) -> UserRecord | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM users WHERE id = %s",  # noqa: S608
            (user_id,))
        return _to_user(row) if row else None

    async def get_by_email(self, email: str) -> UserRecord | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM users WHERE email = %s",  # noqa: S608
            (email,))
        return _to_user(row) if row else None

    async def lock(self, conn: AsyncConnection[Any], user_id: str) -> UserRecord | None:
        """The user, row-locked for the rest of the caller's transaction."""
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                f"SELECT {_COLUMNS} FROM users WHERE id = %s FOR UPDATE",  # noqa: S608
                (user_id,))
            row = await cursor.fetchone()
        return _to_user(row) if row else None

    async def update(self, conn: AsyncConnection[Any], user_id: str, *,
                     password_hash: str | None = None, role: Role | None = None,
                     is_active: bool | None = None, is_verified: bool | None = None,
                     revoke_tokens: bool = False, record_login: bool = False) -> UserRecord:
        """Set the given fields; `revoke_tokens` invalidates access tokens issued until now.

        "Now" is this process's clock, the same clock that stamps tokens' `iat`, so a skew
        between the database and the application hosts cannot refuse fresh tokens.
        """
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                f"""
                UPDATE users SET
                    password_hash = coalesce(%(password_hash)s, password_hash),
                    role = coalesce(%(role)s, role),
                    is_active = coalesce(%(is_active)s, is_active),
                    is_verified = coalesce(%(is_verified)s, is_verified),
                    tokens_valid_after = CASE WHEN %(revoke)s THEN to_timestamp(%(now)s)
                                              ELSE tokens_valid_after END,
                    last_login = CASE WHEN %(login)s THEN now() ELSE last_login END
                WHERE id = %(id)s
                RETURNING {_COLUMNS}
                """,  # noqa: S608
                {"id": user_id, "password_hash": password_hash,
                 "role": role.value if role else None, "is_active": is_active,
                 "is_verified": is_verified, "revoke": revoke_tokens, "login": record_login,
                 "now": time.time()},
            )
            row = await cursor.fetchone()
        assert row is not None, f"user {user_id} vanished inside its own transaction"
        return _to_user(row)

    async def list_page(self, filters: UserFilter, *, after: tuple[datetime, str] | None,
                        limit: int) -> list[UserRecord]:
        """Newest first; `after` is the (created_at, id) of the previous page's last user."""
        rows = await self._db.fetch_all(
            f"""
            SELECT {_COLUMNS} FROM users
            WHERE (%(role)s::text IS NULL OR role = %(role)s)
              AND (%(active)s::boolean IS NULL OR is_active = %(active)s)
              AND (%(after_time)s::timestamptz IS NULL
                   OR (created_at, id) < (%(after_time)s, %(after_id)s::uuid))
            ORDER BY created_at DESC, id DESC
            LIMIT %(limit)s
            """,  # noqa: S608
            {"role": filters.role.value if filters.role else None, "active": filters.active,
             "after_time": after[0] if after else None, "after_id": after[1] if after else None,
             "limit": limit},
        )
        return [_to_user(row) for row in rows]
