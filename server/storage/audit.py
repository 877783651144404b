"""The `audit_log` table: security-relevant events, append-only."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from server.storage.database import Database


@dataclass(frozen=True)
class AuditEventRecord:
    id: int
    occurred_at: datetime
    actor_user_id: str | None
    action: str
    target: str
    source_address: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class AuditEntry:
    action: str
    outcome: str  # "success" | "failure"
    actor_user_id: str | None = None
    target: str = ""
    source_address: str = ""
    detail: str = ""


class AuditRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def record(self, entry: AuditEntry, conn: AsyncConnection[Any] | None = None) -> None:
        """Append an event: inside the caller's transaction when `conn` is given (so it
        commits with the change it records), else on its own."""
        query = ("INSERT INTO audit_log (actor_user_id, action, target, source_address, outcome,"
                 " detail) VALUES (%s, %s, %s, %s, %s, %s)")
        params = (entry.actor_user_id, entry.action, entry.target, entry.source_address,
                  entry.outcome, entry.detail)
        if conn is not None:
            await conn.execute(query, params)
            return
        async with self._db.transaction() as own:
            await own.execute(query, params)

    async def list_page(self, *, action: str | None, actor_user_id: str | None,
                        before_id: int | None, limit: int) -> list[AuditEventRecord]:
        rows = await self._db.fetch_all(
            """
            SELECT id, occurred_at, actor_user_id, action, target, source_address, outcome,
                   detail
            FROM audit_log
            WHERE (%(action)s::text IS NULL OR action = %(action)s)
              AND (%(actor)s::uuid IS NULL OR actor_user_id = %(actor)s)
              AND (%(before)s::bigint IS NULL OR id < %(before)s)
            ORDER BY id DESC LIMIT %(limit)s
            """,
            {"action": action, "actor": actor_user_id, "before": before_id, "limit": limit})
        return [
            AuditEventRecord(
                id=row["id"], occurred_at=row["occurred_at"],
                actor_user_id=str(row["actor_user_id"]) if row["actor_user_id"] else None,
                action=row["action"], target=row["target"],
                source_address=row["source_address"], outcome=row["outcome"],
                detail=row["detail"])
            for row in rows
        ]
