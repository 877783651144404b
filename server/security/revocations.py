"""Revoked access tokens.

Access tokens are self-contained JWTs, so revoking one before it expires
needs a deny-list. Postgres holds the truth (revoked session families,
`users.tokens_valid_after`, `is_active`); Redis holds a fast copy that every
call checks with one MGET. When Redis cannot be read, or a revocation could
not be written to it, the check goes to Postgres instead for one access-token
lifetime, so no revoked token slips through in this process; and the entries it
could not write are written once Redis answers again, so other processes, which
never saw the outage, learn of them too. A Redis that lost its data (restarted
without persistence) is noticed by a marker key that records since when Redis
has held the list: until one token lifetime has passed since then, every
process checks Postgres.
"""

import logging
import time
from collections.abc import Callable, Iterable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.security.tokens import AccessClaims
from server.storage.database import Database
from server.storage.near_cache import NearCache
from server.storage.users import UserRecord

log = logging.getLogger(__name__)

KEY_PREFIX = "fh:deny"
# While Redis is failing, how often a call may try again to hand it the unwritten entries.
REPLAY_INTERVAL_S = 5.0
SINCE_KEY = f"{KEY_PREFIX}:since"


class RevocationList:
    def __init__(self, redis: Redis, database: Database, *, access_ttl_s: int,
                 near: NearCache | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        # The per-call check reads through the process's near cache when there is one.
        self._near = near
        self._db = database
        self._access_ttl_s = access_ttl_s
        self._clock = clock
        self._database_checks_until = 0.0
        # Deny-list entries Redis has not got yet: key -> (value, expires at, epoch s).
        self._unwritten: dict[str, tuple[str, float]] = {}
        self._next_replay_at = 0.0

    async def revoke_token(self, token_id: str, expires_at: float) -> None:
        ttl = max(1, int(expires_at - self._clock()) + 1)
        await self._write({f"{KEY_PREFIX}:jti:{token_id}": "1"}, ttl)

    async def revoke_sessions(self, session_ids: Iterable[str]) -> None:
        entries = {f"{KEY_PREFIX}:sid:{sid}": "1" for sid in session_ids}
        if entries:
            await self._write(entries, self._access_ttl_s + 1)

    async def revoke_user_tokens(self, user_id: str, issued_before: float) -> None:
        """Every access token of the user issued before `issued_before` (epoch seconds)."""
        await self._write({f"{KEY_PREFIX}:user:{user_id}": repr(issued_before)},
                          self._access_ttl_s + 1)

    async def revoke_user_tokens_of(self, user: UserRecord) -> None:
        """Mirror `users.tokens_valid_after` (just set in Postgres) into Redis."""
        if user.tokens_valid_after is not None:
            await self.revoke_user_tokens(user.id, user.tokens_valid_after.timestamp())

    async def is_revoked(self, claims: AccessClaims) -> bool:
        if self._unwritten and self._clock() >= self._next_replay_at:
            await self._write_unwritten()
        if self._clock() < self._database_checks_until:
            return await self._revoked_in_database(claims)
        keys = [f"{KEY_PREFIX}:jti:{claims.token_id}", f"{KEY_PREFIX}:sid:{claims.session_id}",
                f"{KEY_PREFIX}:user:{claims.user_id}", SINCE_KEY]
        try:
            token, session, user_cutoff, since = await (
                self._near.mget(keys) if self._near is not None else self._redis.mget(keys))
            if since is None:
                # Empty (new, flushed or restarted) Redis: it holds no revocations yet.
                await self._redis.set(SINCE_KEY, repr(self._clock()), nx=True)
        except RedisError as error:
            self._fall_back_to_database(error)
            return await self._revoked_in_database(claims)
        if token is not None or session is not None:
            return True
        if user_cutoff is not None and claims.issued_at < float(user_cutoff):
            return True
        if since is None or self._clock() - float(since) < self._access_ttl_s:
            return await self._revoked_in_database(claims)
        return False

    async def _write(self, entries: dict[str, str], ttl_s: int) -> None:
        expires_at = self._clock() + ttl_s
        self._unwritten.update({key: (value, expires_at) for key, value in entries.items()})
        await self._write_unwritten()

    async def _write_unwritten(self) -> None:
        now = self._clock()
        pending = {key: entry for key, entry in self._unwritten.items() if entry[1] > now}
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, (value, expires_at) in pending.items():
                    pipe.set(key, value, ex=max(1, int(expires_at - now) + 1))
                await pipe.execute()
        except RedisError as error:
            self._unwritten = pending
            self._next_replay_at = now + REPLAY_INTERVAL_S
            self._fall_back_to_database(error)
            return
        self._unwritten = {}
        if self._near is not None:
            # This process's next check must see its own revocation, even before Redis's
            # invalidation message arrives.
            self._near.forget(pending)

    def _fall_back_to_database(self, error: Exception) -> None:
        if self._clock() >= self._database_checks_until:
            log.warning("token deny-list unavailable in Redis; checking Postgres instead",
                        extra={"error": str(error), "for_seconds": self._access_ttl_s})
        self._database_checks_until = self._clock() + self._access_ttl_s

    async def _revoked_in_database(self, claims: AccessClaims) -> bool:
        row = await self._db.fetch_one(
            """
            SELECT NOT u.is_active
                   OR coalesce(extract(epoch FROM u.tokens_valid_after) > %(issued_at)s, false)
                   OR EXISTS (SELECT 1 FROM refresh_tokens r
                              WHERE r.family_id = %(session)s::uuid
                                AND r.revoked_at IS NOT NULL) AS revoked
            FROM users u WHERE u.id = %(user)s::uuid
            """,
            {"issued_at": claims.issued_at, "session": claims.session_id,
             "user": claims.user_id})
        return row is None or bool(row["revoked"])
