"""The `ai_conversations` and `ai_messages` tables: each user's conversations with the
assistant, every message kept as the LLM saw it so the next turn can replay it."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from server.storage.database import Database


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int


@dataclass(frozen=True)
class MessageRecord:
    role: str  # user, assistant or tool
    content: str
    tool_name: str
    payload: dict[str, Any]  # the message in OpenAI chat format
    created_at: datetime


@dataclass(frozen=True)
class NewMessage:
    role: str
    content: str
    payload: dict[str, Any]
    tool_name: str = ""


_CONVERSATION_COLUMNS = """
    c.id, c.title, c.created_at, c.updated_at,
    (SELECT count(*) FROM ai_messages m WHERE m.conversation_id = c.id) AS message_count
"""


def _conversation(row: dict[str, Any]) -> ConversationRecord:
    return ConversationRecord(id=str(row["id"]), title=row["title"],
                              created_at=row["created_at"], updated_at=row["updated_at"],
                              message_count=row["message_count"])


class ConversationRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, *, user_id: str, conversation_id: str) -> ConversationRecord | None:
        """The conversation, if it is one of the user's."""
        row = await self._db.fetch_one(
            f"SELECT {_CONVERSATION_COLUMNS} FROM ai_conversations c"  # noqa: S608 (constant)
            " WHERE c.id = %s AND c.user_id = %s", (conversation_id, user_id))
        return _conversation(row) if row else None

    async def messages(self, conversation_id: str) -> list[MessageRecord]:
        """Every message, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT role, content, tool_name, payload, created_at FROM ai_messages"
            " WHERE conversation_id = %s ORDER BY id", (conversation_id,))
        return [MessageRecord(role=row["role"], content=row["content"],
                              tool_name=row["tool_name"],
                              payload=(json.loads(row["payload"])
                                       if isinstance(row["payload"], str) else row["payload"]),
                              created_at=row["created_at"]) for row in rows]

    async def append(self, *, user_id: str, conversation_id: str, title: str,
                     messages: Sequence[NewMessage], created: bool) -> None:
        """Add a turn's messages in one transaction, creating the conversation first when
        `created` (so a failed turn leaves nothing behind)."""
        async with self._db.transaction() as conn:
            if created:
                await conn.execute(
                    "INSERT INTO ai_conversations (id, user_id, title) VALUES (%s, %s, %s)",
                    (conversation_id, user_id, title))
            else:
                await conn.execute(
                    "UPDATE ai_conversations SET updated_at = now()"
                    " WHERE id = %s AND user_id = %s", (conversation_id, user_id))
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO ai_messages (conversation_id, role, content, tool_name, payload)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    [(conversation_id, m.role, m.content, m.tool_name, Jsonb(m.payload))
                     for m in messages])

    async def page(self, *, user_id: str, after: tuple[datetime, str] | None,
                   limit: int) -> list[ConversationRecord]:
        """The user's conversations, most recently active first, after a keyset position."""
        rows = await self._db.fetch_all(
            f"""
            SELECT {_CONVERSATION_COLUMNS} FROM ai_conversations c
            WHERE c.user_id = %(user)s
              AND (%(after_time)s::timestamptz IS NULL
                   OR (c.updated_at, c.id) < (%(after_time)s, %(after_id)s::uuid))
            ORDER BY c.updated_at DESC, c.id DESC
            LIMIT %(limit)s
            """,  # noqa: S608 (_CONVERSATION_COLUMNS is a constant)
            {"user": user_id, "after_time": after[0] if after else None,
             "after_id": after[1] if after else None, "limit": limit})
        return [_conversation(row) for row in rows]

    async def delete(self, *, user_id: str, conversation_id: str) -> bool:
        async with self._db.transaction() as conn:
            deleted = await conn.execute(
                "DELETE FROM ai_conversations WHERE id = %s AND user_id = %s",
                (conversation_id, user_id))
            return deleted.rowcount > 0
