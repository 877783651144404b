"""The `outbox_messages` table: mail kept for an admin to read when no SMTP server is set."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from server.storage.database import Database


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    created_at: datetime
    recipient: str
    subject: str
    body: str


class OutboxRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, conn: AsyncConnection[Any], *, recipient: str, subject: str,
                  body: str, sent: bool) -> None:
        await conn.execute(
            "INSERT INTO outbox_messages (recipient, subject, body, sent_at) "
            "VALUES (%s, %s, %s, CASE WHEN %s THEN now() END)",
            (recipient, subject, body, sent))

    async def list_page(self, *, recipient: str | None, before_id: int | None,
                        limit: int) -> list[OutboxRecord]:
        rows = await self._db.fetch_all(
            """
            SELECT id, created_at, recipient, subject, body FROM outbox_messages
            WHERE (%(recipient)s::text IS NULL OR recipient = %(recipient)s)
              AND (%(before)s::bigint IS NULL OR id < %(before)s)
            ORDER BY id DESC LIMIT %(limit)s
            """,
            {"recipient": recipient, "before": before_id, "limit": limit})
        return [OutboxRecord(id=r["id"], created_at=r["created_at"], recipient=r["recipient"],
                             subject=r["subject"], body=r["body"]) for r in rows]
