"""Operator actions on accounts; each one is audited in the transaction that makes it."""

from datetime import datetime

from server.domain.access import Principal, Role
from server.domain.errors import FailedPreconditionError, NotFoundError
from server.security.revocations import RevocationList
from server.storage.api_keys import ApiKeyRepository
from server.storage.audit import AuditEntry, AuditEventRecord, AuditRepository
from server.storage.database import Database
from server.storage.outbox import OutboxRecord, OutboxRepository
from server.storage.sessions import SessionRepository
from server.storage.users import UserFilter, UserRecord, UserRepository


class AdministrationService:
    def __init__(self, *, database: Database, users: UserRepository, sessions: SessionRepository,
                 api_keys: ApiKeyRepository, audit: AuditRepository, outbox: OutboxRepository,
                 revocations: RevocationList) -> None:
        self._db = database
        self._users = users
        self._sessions = sessions
        self._api_keys = api_keys
        self._audit = audit
        self._outbox = outbox
        self._revocations = revocations

    async def get_user(self, user_id: str) -> UserRecord:
        user = await self._users.get(user_id)
        if user is None:
            raise NotFoundError("user", user_id, reason="USER_NOT_FOUND")
        return user

    async def list_users(self, filters: UserFilter, *, after: tuple[datetime, str] | None,
                         limit: int) -> list[UserRecord]:
        return await self._users.list_page(filters, after=after, limit=limit)

    async def set_role(self, admin: Principal, user_id: str, role: Role) -> UserRecord:
        if user_id == admin.user_id:
            raise FailedPreconditionError("admins cannot change their own role",
                                          reason="SELF_ROLE_CHANGE")
        async with self._db.transaction() as conn:
            before = await self._users.lock(conn, user_id)
            if before is None:
                raise NotFoundError("user", user_id, reason="USER_NOT_FOUND")
            user = await self._users.update(conn, user_id, role=role, revoke_tokens=True)
            await self._audit.record(AuditEntry(
                action="admin.set_role", outcome="success", actor_user_id=admin.user_id,
                target=f"user:{user_id}", source_address=admin.address,
                detail=f"{before.role.value} -> {role.value}"), conn)
        # Tokens carry the role: the old ones stop now, a refresh carries the new role.
        await self._revocations.revoke_user_tokens_of(user)
        return user

    async def deactivate(self, admin: Principal, user_id: str) -> UserRecord:
        if user_id == admin.user_id:
            raise FailedPreconditionError("admins cannot deactivate themselves",
                                          reason="SELF_DEACTIVATION")
        async with self._db.transaction() as conn:
            if await self._users.lock(conn, user_id) is None:
                raise NotFoundError("user", user_id, reason="USER_NOT_FOUND")
            user = await self._users.update(conn, user_id, is_active=False, revoke_tokens=True)
            families = await self._sessions.revoke_all_for_user(conn, user_id)
            keys = await self._api_keys.revoke_all_for_user(conn, user_id)
            await self._audit.record(AuditEntry(
                action="admin.deactivate_user", outcome="success", actor_user_id=admin.user_id,
                target=f"user:{user_id}", source_address=admin.address,
                detail=f"{len(families)} session(s) and {keys} API key(s) revoked"), conn)
        await self._revocations.revoke_sessions(families)
        await self._revocations.revoke_user_tokens_of(user)
        return user

    async def list_audit_events(self, *, action: str | None, actor_user_id: str | None,
                                before_id: int | None, limit: int) -> list[AuditEventRecord]:
        return await self._audit.list_page(action=action, actor_user_id=actor_user_id,
                                           before_id=before_id, limit=limit)

    async def list_outbox(self, *, recipient: str | None, before_id: int | None,
                          limit: int) -> list[OutboxRecord]:
        return await self._outbox.list_page(recipient=recipient, before_id=before_id,
                                            limit=limit)
