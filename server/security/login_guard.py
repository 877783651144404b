"""Brute-force protection for logins: growing lockouts per account and per address.

Failed logins are counted per account (the normalised email, stored only as a
SHA-256 digest) and per client address, each over a window that starts at the
first failure. From the Nth failure on, N >= the subject's threshold, the
subject is locked for base_delay_s · 2^(N - threshold) seconds, capped at
max_delay_s. The guard never learns whether an account exists: callers record
failures for unknown emails exactly as for wrong passwords.

Lock deadlines are instants of the injected clock (wall time by default, so
that every server process agrees), stored in Redis; the keys' TTLs only clean
up. When Redis fails, each process guards on its own with the same rules.
"""

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from server.storage.redis_breaker import REDIS_ERRORS, RedisBreaker

log = logging.getLogger(__name__)

# Lock keys outlive their deadline by this much so that a host clock somewhat
# behind Redis's never frees a lock early; the stored deadline decides.
_LOCK_TTL_SLACK_S = 60

# Records one failure for the account and one for the address. Mirrors
# `LoginGuard._fail_locally`; keep the two in step.
# KEYS: account counter, account lock, address counter, address lock.
# ARGV: now, window_s, base_delay_s, max_delay_s, lock TTL slack,
#       account threshold, address threshold.
_FAILURE_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local base_delay = tonumber(ARGV[3])
local max_delay = tonumber(ARGV[4])
local slack = tonumber(ARGV[5])
for i = 0, 1 do
  local counter, lock = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local threshold = tonumber(ARGV[6 + i])
  local failures = redis.call('INCR', counter)
  if failures == 1 then
    redis.call('EXPIRE', counter, window)
  end
  if failures >= threshold then
    local delay = math.min(base_delay * 2 ^ math.min(failures - threshold, 62), max_delay)
    local deadline = now + delay
    local current = tonumber(redis.call('GET', lock))
    if current == nil or current < deadline then
      redis.call('SET', lock, string.format('%.6f', deadline),
                 'PX', math.ceil((delay + slack) * 1000))
    end
  end
end
"""


@dataclass(frozen=True)
class LoginLock:
    scope: str  # "account" or "address"
    retry_after_s: float


@dataclass
class _LocalRecord:
    failures: int
    window_ends: float
    locked_until: float


class LoginGuard:
    def __init__(
        self,
        redis: Redis,
        *,
        max_account_failures: int = 5,
        max_address_failures: int = 20,
        window_s: int = 900,
        base_delay_s: float = 1.0,
        max_delay_s: float = 900.0,
        key_prefix: str = "fh:login",
        local_max_keys: int = 100_000,
        redis_retry_after_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._failure_script = redis.register_script(_FAILURE_SCRIPT)
        self._thresholds = {"account": max_account_failures, "address": max_address_failures}
        self._window_s = window_s
        self._base_delay_s = base_delay_s
        self._max_delay_s = max_delay_s
        self._key_prefix = key_prefix
        self._local_max_keys = local_max_keys
        self._clock = clock
        self._breaker = RedisBreaker(purpose="login throttling",
                                     fallback="per-process counters", logger=log,
                                     retry_after_s=redis_retry_after_s, clock=clock)
        # Fallback records keyed by subject, least recently used first.
        self._local: OrderedDict[str, _LocalRecord] = OrderedDict()

    async def check(self, account: str, address: str) -> LoginLock | None:
        """The lock barring this attempt (the longer one if both are locked), or None."""
        subjects = _subjects(account, address)
        deadlines = await self._lock_deadlines(list(subjects.values()))
        now = self._clock()
        locks = [LoginLock(scope, deadline - now)
                 for scope, deadline in zip(subjects, deadlines, strict=True) if deadline > now]
        return max(locks, key=lambda lock: lock.retry_after_s, default=None)

    async def record_failure(self, account: str, address: str) -> None:
        subjects = _subjects(account, address)
        now = self._clock()
        if self._breaker.should_try():
            keys = [key for subject in subjects.values()
                    for key in (self._counter_key(subject), self._lock_key(subject))]
            try:
                await self._failure_script(keys=keys, args=[
                    now, self._window_s, self._base_delay_s, self._max_delay_s, _LOCK_TTL_SLACK_S,
                    self._thresholds["account"], self._thresholds["address"],
                ])
            except REDIS_ERRORS as error:
                self._breaker.record_failure(error)
            else:
                self._breaker.record_success()
                return
        for scope, subject in subjects.items():
            self._fail_locally(subject, self._thresholds[scope], now)

    async def record_success(self, account: str) -> None:
        """Forget the account's failures and lock; the address keeps its own."""
        subject = _account_subject(account)
        if self._breaker.should_try():
            try:
                await self._redis.delete(self._counter_key(subject), self._lock_key(subject))
            except REDIS_ERRORS as error:
                self._breaker.record_failure(error)
            else:
                self._breaker.record_success()
                return
        self._local.pop(subject, None)

    def _counter_key(self, subject: str) -> str:
        return f"{self._key_prefix}:failures:{subject}"

    def _lock_key(self, subject: str) -> str:
        return f"{self._key_prefix}:lock:{subject}"

    async def _lock_deadlines(self, subjects: list[str]) -> list[float]:
        if self._breaker.should_try():
            try:
                values = await self._redis.mget([self._lock_key(s) for s in subjects])
            except REDIS_ERRORS as error:
                self._breaker.record_failure(error)
            else:
                self._breaker.record_success()
                return [float(value) if value is not None else 0.0 for value in values]
        records = [self._local.get(subject) for subject in subjects]
        return [record.locked_until if record else 0.0 for record in records]

    def _fail_locally(self, subject: str, threshold: int, now: float) -> None:
        record = self._local.get(subject)
        if record is None:
            record = _LocalRecord(failures=0, window_ends=now + self._window_s, locked_until=0.0)
        elif record.window_ends <= now:
            # A new window; a lock still running from the last one stays.
            record.failures, record.window_ends = 0, now + self._window_s
        record.failures += 1
        if record.failures >= threshold:
            delay = min(self._base_delay_s * 2.0 ** min(record.failures - threshold, 62),
                        self._max_delay_s)
            record.locked_until = max(record.locked_until, now + delay)
        self._local[subject] = record
        self._local.move_to_end(subject)
        while len(self._local) > self._local_max_keys:
            self._local.popitem(last=False)


def _account_subject(account: str) -> str:
    # Hashed so that Redis never holds email addresses in clear.
    return f"account:{hashlib.sha256(account.encode()).hexdigest()}"


def _subjects(account: str, address: str) -> dict[str, str]:
    """Scope -> subject, account first (it wins ties in `check`)."""
    return {"account": _account_subject(account), "address": f"address:{address}"}
