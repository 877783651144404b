"""Account flows: registration, login, sessions, password reset, API keys.

The AuthService servicer translates protobuf to these calls and back. Every
change and the audit event that records it commit in one transaction. Hashing
is CPU-bound and runs off the event loop.
"""

import asyncio
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from psycopg import AsyncConnection

from server.domain.access import Principal, Role
from server.domain.errors import (
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    UnauthenticatedError,
    ViolationCollector,
)
from server.mailer import Mailer
from server.security.authenticator import API_KEY_PREFIX, hash_secret
from server.security.login_guard import LoginGuard
from server.security.passwords import PasswordHasher, password_problems
from server.security.revocations import RevocationList
from server.security.tokens import TokenService
from server.storage.api_keys import ApiKeyRecord, ApiKeyRepository
from server.storage.audit import AuditEntry, AuditRepository
from server.storage.database import Database
from server.storage.one_time_tokens import OneTimeTokenKind, OneTimeTokenRepository
from server.storage.sessions import SessionRepository
from server.storage.users import UserRecord, UserRepository

API_KEY_SECRET_LENGTH = 40
API_KEY_ALPHABET = string.ascii_letters + string.digits
API_KEY_VISIBLE_PREFIX = 12  # "fhp_" and 8 characters
REFRESH_TOKEN_PREFIX = "fhr_"
PASSWORD_RESET_TTL_S = 30 * 60
EMAIL_VERIFICATION_TTL_S = 48 * 3600
MAX_API_KEY_NAME = 100
MAX_REQUEST_ID = 128
INVALID_CREDENTIALS = "invalid email or password"


@dataclass(frozen=True)
class SessionTokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKeyRecord
    secret: str  # empty on a replay


def normalize_email(raw: str, field: str = "email") -> str:
    candidate = raw.strip()
    if not candidate:
        raise InvalidArgumentError([FieldViolation(field, "is required")])
    if len(candidate) > 254:
        raise InvalidArgumentError([FieldViolation(field, "must be at most 254 characters")])
    try:
        valid = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidArgumentError([FieldViolation(field, str(error))]) from None
    return valid.normalized.lower()


def require_password_policy(password: str, email: str, field: str) -> None:
    problems = ViolationCollector()
    for problem in password_problems(password, email=email):
        problems.add(field, problem)
    problems.raise_if_any()


def new_api_key_secret() -> str:
    return API_KEY_PREFIX + "".join(secrets.choice(API_KEY_ALPHABET)
                                    for _ in range(API_KEY_SECRET_LENGTH))


def _timestamp(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=UTC)


class AccountService:
    def __init__(self, *, database: Database, users: UserRepository, sessions: SessionRepository,
                 api_keys: ApiKeyRepository, audit: AuditRepository, mailer: Mailer,
                 tokens: TokenService, hasher: PasswordHasher, guard: LoginGuard,
                 revocations: RevocationList, refresh_ttl_s: int) -> None:
        self._db = database
        self._users = users
        self._sessions = sessions
        self._api_keys = api_keys
        self._audit = audit
        self._mailer = mailer
        self._tokens = tokens
        self._hasher = hasher
        self._guard = guard
        self._revocations = revocations
        self._refresh_ttl_s = refresh_ttl_s
        self._resets = OneTimeTokenRepository(OneTimeTokenKind.PASSWORD_RESET)
        self._verifications = OneTimeTokenRepository(OneTimeTokenKind.EMAIL_VERIFICATION)

    # --- registration and verification -------------------------------------------------

    async def register(self, email: str, password: str, address: str) -> UserRecord:
        problems = ViolationCollector()
        try:
            normalized = normalize_email(email)
        except InvalidArgumentError as error:
            problems.violations.extend(error.violations)
            normalized = ""
        for problem in password_problems(password, email=normalized):
            problems.add("password", problem)
        problems.raise_if_any()
        return await self.create_user(normalized, password, Role.USER, address=address,
                                      verified=False, actor_user_id=None)

    async def create_user(self, email: str, password: str, role: Role, *, address: str,
                          verified: bool, actor_user_id: str | None) -> UserRecord:
        """Create an account; mails a verification token unless it is created verified."""
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        async with self._db.transaction() as conn:
            user = await self._users.create(conn, email=email, password_hash=password_hash,
                                            role=role, is_verified=verified)
            if not verified:
                token = secrets.token_urlsafe(32)
                await self._verifications.add(conn, user_id=user.id, token_hash=hash_secret(token),
                                              ttl_s=EMAIL_VERIFICATION_TTL_S)
                await self._mailer.queue(
                    conn, recipient=user.email, subject="Verify your FinanceHub Pro email",
                    body=f"Your verification token (valid 48 hours):\n\n{token}\n")
            await self._audit.record(AuditEntry(
                action="auth.register", outcome="success", actor_user_id=actor_user_id or user.id,
                target=f"user:{user.id}", source_address=address, detail=f"role {role.value}"),
                conn)
        await self._mailer.deliver_pending()
        return user

    async def verify_email(self, token: str, address: str) -> UserRecord:
        if not token.strip():
            raise InvalidArgumentError([FieldViolation("token", "is required")])
        async with self._db.transaction() as conn:
            user_id = await self._verifications.consume(conn, hash_secret(token.strip()))
            if user_id is None:
                raise InvalidArgumentError([FieldViolation(
                    "token", "is invalid, expired or already used")], reason="TOKEN_INVALID")
            user = await self._users.update(conn, user_id, is_verified=True)
            await self._audit.record(AuditEntry(
                action="auth.verify_email", outcome="success", actor_user_id=user.id,
                target=f"user:{user.id}", source_address=address), conn)
        return user

    # --- login and sessions ------------------------------------------------------------

    async def login(self, email: str, password: str, address: str) -> tuple[SessionTokens,
                                                                             UserRecord]:
        normalized = normalize_email(email)
        if not password:
            raise InvalidArgumentError([FieldViolation("password", "is required")])
        await self._refuse_if_throttled(normalized, address, action="auth.login")
        user = await self._users.get_by_email(normalized)
        matches, new_hash = False, None
        if user is not None and user.is_active:
            matches, new_hash = await asyncio.to_thread(self._hasher.verify, password,
                                                        user.password_hash)
        else:
            # Same work as a real check, so unknown emails cannot be told apart by timing.
            await asyncio.to_thread(self._hasher.verify_dummy, password)
        if user is None or not matches or not user.is_active:
            await self._guard.record_failure(normalized, address)
            await self._audit.record(AuditEntry(
                action="auth.login", outcome="failure", actor_user_id=user.id if user else None,
                target=f"user:{user.id}" if user else f"email:{normalized}",
                source_address=address, detail="invalid credentials"))
            raise UnauthenticatedError(INVALID_CREDENTIALS, reason="INVALID_CREDENTIALS")
        await self._guard.record_success(normalized)
        async with self._db.transaction() as conn:
            user = await self._users.update(conn, user.id, password_hash=new_hash,
                                            record_login=True)
            tokens = await self._start_session(conn, user, family_id=str(uuid.uuid4()))
            await self._audit.record(AuditEntry(
                action="auth.login", outcome="success", actor_user_id=user.id,
                target=f"user:{user.id}", source_address=address,
                detail="password re-hashed" if new_hash else ""), conn)
        return tokens, user

    async def _refuse_if_throttled(self, email: str, address: str, *, action: str) -> None:
        lock = await self._guard.check(email, address)
        if lock is None:
            return
        await self._audit.record(AuditEntry(
            action=action, outcome="failure", target=f"email:{email}", source_address=address,
            detail=f"throttled ({lock.scope})"))
        raise ResourceExhaustedError(
            "too many failed password attempts; wait before trying again",
            retry_after_s=lock.retry_after_s, quota_subject=f"login:{lock.scope}",
            quota_description="failed password attempts per 15 minutes",
            reason="LOGIN_THROTTLED")

    async def _start_session(self, conn: AsyncConnection[Any], user: UserRecord, *,
                             family_id: str) -> SessionTokens:
        refresh_token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
        refresh_expires = await self._sessions.add(
            conn, user_id=user.id, family_id=family_id,
            token_hash=hash_secret(refresh_token), ttl_s=self._refresh_ttl_s)
        access = self._tokens.issue_access_token(user_id=user.id, role=user.role.value,
                                                 session_id=family_id)
        return SessionTokens(access_token=access.token,
                             access_expires_at=_timestamp(access.expires_at),
                             refresh_token=refresh_token, refresh_expires_at=refresh_expires)

    async def refresh(self, refresh_token: str, address: str) -> SessionTokens:
        if not refresh_token.strip():
            raise InvalidArgumentError([FieldViolation("refresh_token", "is required")])
        reused_family: str | None = None
        async with self._db.transaction() as conn:
            record = await self._sessions.lock_by_hash(conn, hash_secret(refresh_token.strip()))
            if record is None:
                raise UnauthenticatedError("refresh token refused",
                                           reason="REFRESH_TOKEN_INVALID")
            if record.used_at is None and record.revoked_at is not None:
                # Its session was ended (logout, reset, deactivation): not a theft signal.
                raise UnauthenticatedError("the session was ended; log in again",
                                           reason="REFRESH_TOKEN_REVOKED")
            if record.used_at is not None:
                # A spent token presented again: someone holds a copy. End the session.
                await self._sessions.revoke_family(conn, record.family_id)
                await self._audit.record(AuditEntry(
                    action="auth.refresh_token_reuse", outcome="failure",
                    actor_user_id=record.user_id, target=f"session:{record.family_id}",
                    source_address=address, detail="session revoked"), conn)
                reused_family = record.family_id
            elif record.expired:
                raise UnauthenticatedError("refresh token expired; log in again",
                                           reason="REFRESH_TOKEN_EXPIRED")
            else:
                user = await self._users.get(record.user_id)
                if user is None or not user.is_active:
                    raise UnauthenticatedError("refresh token refused",
                                               reason="REFRESH_TOKEN_INVALID")
                await self._sessions.mark_used(conn, record.id)
                tokens = await self._start_session(conn, user, family_id=record.family_id)
        if reused_family is not None:
            await self._revocations.revoke_sessions([reused_family])
            raise UnauthenticatedError("refresh token already used; the session was ended",
                                       reason="REFRESH_TOKEN_REUSED")
        return tokens

    async def logout(self, principal: Principal) -> None:
        if principal.session_id is None or principal.user_id is None:
            raise FailedPreconditionError(
                "logout ends a login session; API keys are revoked with RevokeApiKey",
                reason="NOT_A_SESSION")
        async with self._db.transaction() as conn:
            await self._sessions.revoke_family(conn, principal.session_id)
            await self._audit.record(AuditEntry(
                action="auth.logout", outcome="success", actor_user_id=principal.user_id,
                target=f"session:{principal.session_id}", source_address=principal.address),
                conn)
        await self._revocations.revoke_sessions([principal.session_id])
        if principal.token_id and principal.token_expires_at:
            await self._revocations.revoke_token(principal.token_id, principal.token_expires_at)

    # --- passwords -----------------------------------------------------------------------

    async def request_password_reset(self, email: str, address: str) -> None:
        normalized = normalize_email(email)
        user = await self._users.get_by_email(normalized)
        if user is None or not user.is_active:
            await self._audit.record(AuditEntry(
                action="auth.password_reset_request", outcome="failure",
                target=f"email:{normalized}", source_address=address, detail="no such account"))
            return
        token = secrets.token_urlsafe(32)
        async with self._db.transaction() as conn:
            await self._resets.add(conn, user_id=user.id, token_hash=hash_secret(token),
                                   ttl_s=PASSWORD_RESET_TTL_S)
            await self._mailer.queue(
                conn, recipient=user.email, subject="Reset your FinanceHub Pro password",
                body=f"Your password reset token (valid 30 minutes, single use):\n\n{token}\n\n"
                     "If you did not ask for it, ignore this message.")
            await self._audit.record(AuditEntry(
                action="auth.password_reset_request", outcome="success", actor_user_id=user.id,
                target=f"user:{user.id}", source_address=address), conn)
        await self._mailer.deliver_pending()

    async def reset_password(self, token: str, new_password: str, address: str) -> None:
        if not token.strip():
            raise InvalidArgumentError([FieldViolation("token", "is required")])
        new_hash: str | None = None
        async with self._db.transaction() as conn:
            user_id = await self._resets.consume(conn, hash_secret(token.strip()))
            if user_id is None:
                raise InvalidArgumentError([FieldViolation(
                    "token", "is invalid, expired or already used")], reason="TOKEN_INVALID")
            user = await self._users.lock(conn, user_id)
            assert user is not None
            # A refused password rolls back, leaving the token usable for a better one.
            require_password_policy(new_password, user.email, "new_password")
            new_hash = await asyncio.to_thread(self._hasher.hash, new_password)
            user = await self._users.update(conn, user.id, password_hash=new_hash,
                                            revoke_tokens=True)
            families = await self._sessions.revoke_all_for_user(conn, user.id)
            await self._resets.expire_all_for_user(conn, user.id)
            await self._audit.record(AuditEntry(
                action="auth.password_reset", outcome="success", actor_user_id=user.id,
                target=f"user:{user.id}", source_address=address,
                detail=f"{len(families)} session(s) ended"), conn)
        await self._revocations.revoke_sessions(families)
        await self._revocations.revoke_user_tokens_of(user)

    async def change_password(self, principal: Principal, current: str, new: str) -> None:
        user = await self._require_user(principal)
        if not current:
            raise InvalidArgumentError([FieldViolation("current_password", "is required")])
        # Guessing the current password here counts, and is throttled, like failed logins.
        await self._refuse_if_throttled(user.email, principal.address,
                                        action="auth.change_password")
        matches, _ = await asyncio.to_thread(self._hasher.verify, current, user.password_hash)
        if not matches:
            await self._guard.record_failure(user.email, principal.address)
            await self._audit.record(AuditEntry(
                action="auth.change_password", outcome="failure", actor_user_id=user.id,
                target=f"user:{user.id}", source_address=principal.address,
                detail="wrong current password"))
            raise InvalidArgumentError([FieldViolation("current_password", "is not correct")],
                                       reason="INVALID_CREDENTIALS")
        await self._guard.record_success(user.email)
        require_password_policy(new, user.email, "new_password")
        new_hash = await asyncio.to_thread(self._hasher.hash, new)
        async with self._db.transaction() as conn:
            await self._users.update(conn, user.id, password_hash=new_hash)
            families = await self._sessions.revoke_all_for_user(
                conn, user.id, keep_family=principal.session_id)
            await self._resets.expire_all_for_user(conn, user.id)
            await self._audit.record(AuditEntry(
                action="auth.change_password", outcome="success", actor_user_id=user.id,
                target=f"user:{user.id}", source_address=principal.address,
                detail=f"{len(families)} other session(s) ended"), conn)
        await self._revocations.revoke_sessions(families)

    # --- profile and API keys ------------------------------------------------------------

    async def _require_user(self, principal: Principal) -> UserRecord:
        user = await self._users.get(principal.user_id) if principal.user_id else None
        if user is None or not user.is_active:
            raise UnauthenticatedError("the account no longer exists or is inactive",
                                       reason="ACCOUNT_INACTIVE")
        return user

    async def get_me(self, principal: Principal) -> UserRecord:
        return await self._require_user(principal)

    async def create_api_key(self, principal: Principal, *, name: str,
                             expires_at: datetime | None, request_id: str) -> CreatedApiKey:
        user = await self._require_user(principal)
        problems = ViolationCollector()
        label = name.strip()
        if not label:
            problems.add("name", "is required")
        elif len(label) > MAX_API_KEY_NAME:
            problems.add("name", f"must be at most {MAX_API_KEY_NAME} characters")
        if expires_at is not None and expires_at <= datetime.now(UTC):
            problems.add("expire_time", "must be in the future")
        if len(request_id) > MAX_REQUEST_ID:
            problems.add("request_id", f"must be at most {MAX_REQUEST_ID} characters")
        problems.raise_if_any()
        if request_id:
            earlier = await self._api_keys.get_by_request_id(user.id, request_id)
            if earlier is not None:
                return CreatedApiKey(key=earlier, secret="")
        secret = new_api_key_secret()
        async with self._db.transaction() as conn:
            key = await self._api_keys.create(
                conn, user_id=user.id, name=label, prefix=secret[:API_KEY_VISIBLE_PREFIX],
                key_hash=hash_secret(secret), expires_at=expires_at,
                request_id=request_id or None)
            if key is None:  # a concurrent call with the same request_id won
                replay = await self._api_keys.get_by_request_id(user.id, request_id)
                assert replay is not None
                return CreatedApiKey(key=replay, secret="")
            await self._audit.record(AuditEntry(
                action="api_key.create", outcome="success", actor_user_id=user.id,
                target=f"api_key:{key.id}", source_address=principal.address,
                detail=f"prefix {key.prefix}"), conn)
        return CreatedApiKey(key=key, secret=secret)

    async def list_api_keys(self, principal: Principal, *,
                            after: tuple[datetime, str] | None,
                            limit: int) -> list[ApiKeyRecord]:
        user = await self._require_user(principal)
        return await self._api_keys.list_page(user.id, after=after, limit=limit)

    async def revoke_api_key(self, principal: Principal, key_id: str) -> ApiKeyRecord:
        user = await self._require_user(principal)
        async with self._db.transaction() as conn:
            key = await self._api_keys.revoke(conn, user.id, key_id)
            if key is None:
                # Someone else's key and no key at all look the same.
                raise NotFoundError("api_key", key_id, reason="API_KEY_NOT_FOUND")
            await self._audit.record(AuditEntry(
                action="api_key.revoke", outcome="success", actor_user_id=user.id,
                target=f"api_key:{key.id}", source_address=principal.address), conn)
        return key
