"""Outgoing mail through a transactional outbox.

Messages are written to `outbox_messages` inside the transaction of the change
that causes them (no mail for a rolled-back reset). With SMTP configured,
`deliver_pending` sends what is queued after commit; without it the outbox is
the mailbox an admin reads (AdminService.ListOutboxMessages).
"""

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from psycopg import AsyncConnection

from server.storage.database import Database
from server.storage.outbox import OutboxRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = True


class Mailer:
    def __init__(self, database: Database, smtp: SmtpSettings | None = None) -> None:
        self._db = database
        self._outbox = OutboxRepository(database)
        self._smtp = smtp

    @property
    def delivers(self) -> bool:
        return self._smtp is not None

    async def queue(self, conn: AsyncConnection[Any], *, recipient: str, subject: str,
                    body: str) -> None:
        await self._outbox.add(conn, recipient=recipient, subject=subject, body=body, sent=False)

    async def deliver_pending(self) -> int:
        """Send queued mail over SMTP (no-op without SMTP); returns how many were sent."""
        if self._smtp is None:
            return 0
        rows = await self._db.fetch_all(
            "SELECT id, recipient, subject, body FROM outbox_messages "
            "WHERE sent_at IS NULL ORDER BY id LIMIT 100")
        sent = 0
        for row in rows:
            try:
                await asyncio.to_thread(self._send, row["recipient"], row["subject"], row["body"])
            except (OSError, smtplib.SMTPException) as error:
                log.warning("mail delivery failed; kept in the outbox",
                            extra={"outbox_id": row["id"], "error": str(error)})
                continue
            async with self._db.transaction() as conn:
                await conn.execute("UPDATE outbox_messages SET sent_at = now() WHERE id = %s",
                                   (row["id"],))
            sent += 1
        return sent

    def _send(self, recipient: str, subject: str, body: str) -> None:
        assert self._smtp is not None
        message = EmailMessage()
        message["From"] = self._smtp.sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self._smtp.host, self._smtp.port, timeout=10) as client:
            if self._smtp.starttls:
                client.starttls()
            if self._smtp.username:
                client.login(self._smtp.username, self._smtp.password or "")
            client.send_message(message)
