"""Per-principal rate limits: GCRA in Redis, with a per-process fallback.

GCRA (the generic cell rate algorithm) keeps one number per bucket: the
theoretical arrival time (TAT), the instant at which the bucket would be full
again if nothing more were spent. With a period of 60 s and a limit of L units
a minute, one unit costs the emission interval T = 60/L seconds; a call of cost
c is allowed when TAT + c·T - now <= 60 s, which lets a fresh bucket take
exactly L units at once and then refills one unit every T.

All times are whole microseconds. The sums are done on "scaled" times
(microseconds × L) so that T = 60e6/L stays exact for any L: a burst of L
units never fails on a rounding error. The stored TAT is rounded down, which
favours the caller by under a microsecond per call.

Redis does the arithmetic in one Lua script against its own clock, so every
server process shares the same buckets. Buckets with a high limit (a partner's,
or the unlimited tier's) take a small lease when they reach Redis: the script
grants the call's cost plus up to `lease_units_for(limit)` more units, and the
process spends that lease on its next calls for up to `LEASE_S` without a
round trip. Every call is still counted against the shared bucket; what a lease
costs is precision (each process may run up to one lease ahead, and units left
in an expired lease are not given back, at most 0.5% of the limit a second).
When Redis fails, each process limits on its own with the same maths (the
effective limit multiplies by the number of processes for the length of the
outage) rather than refusing or letting everything through.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from server.storage.redis_breaker import REDIS_ERRORS, RedisBreaker

log = logging.getLogger(__name__)

PERIOD_US = 60_000_000

# What a broken or unreachable Redis raises: redis-py's own errors, and the
# socket errors (builtin ConnectionError and TimeoutError are OSErrors).

# A bucket's lease: a two-hundredth of its per-minute limit (0.3 s of its full rate), at
# most 1,000 units; limits under 400 a minute get none and reach Redis on every call.
LEASE_FRACTION = 200
MAX_LEASE_UNITS = 1000
# How long a process may spend a lease before unspent units are forfeit.
LEASE_S = 1.0

# Mirrors `_gcra` below; keep the two in step. Returns
# {allowed (0/1), remaining, retry_after_us, reset_after_us, units granted}.
_GCRA_SCRIPT = """
-- Scripts that read TIME and then write need effects replication: the
-- default since Redis 5, and a call that is harmless (or absent) later.
pcall(redis.replicate_commands)

local limit = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local extra = tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

local debt = 0
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat and tat > now then
  debt = tat - now
end

if cost > limit then
  return {0, 0, debt, debt, 0}
end
local capacity = period * limit
local needed = debt * limit + cost * period
if needed > capacity then
  return {0, 0, math.ceil((needed - capacity) / limit), debt, 0}
end
local granted = cost + math.min(extra, math.floor((capacity - needed) / period))
needed = debt * limit + granted * period
local new_debt = math.floor(needed / limit)
redis.call('SET', KEYS[1], string.format('%.0f', now + new_debt),
           'PX', math.max(1, math.ceil(new_debt / 1000)))
return {1, math.floor((capacity - needed) / period), 0, new_debt, granted}
"""


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    limit: int  # requests (cost units) per minute of this tier
    remaining: int  # cost-1 units that could still be spent right now (0 when refused)
    reset_after_s: float  # seconds until the bucket is completely full again
    retry_after_s: float  # seconds until this same call would be allowed (0 when allowed)
    backend: str  # "redis" or "local"


@dataclass(frozen=True)
class _Outcome:
    allowed: bool
    remaining: int
    retry_after_us: int
    reset_after_us: int  # after this call: the debt to store when allowed
    granted: int = 0  # units spent: the cost, plus the lease taken with it


@dataclass
class _Lease:
    units: int  # prepaid units this process may still spend
    limit: int
    remaining: int  # what the bucket held after the lease was granted
    reset_after_s: float
    expires_at: float


def lease_units_for(limit: int) -> int:
    units = min(limit // LEASE_FRACTION, MAX_LEASE_UNITS)
    return units if units >= 2 else 0


def _gcra(debt_us: int, limit: int, cost: int, extra: int = 0) -> _Outcome:
    """The decision for a bucket that is `debt_us` from full (the Lua script's twin)."""
    if cost > limit:
        # Never affordable: the retry time is when the bucket is full, which
        # tells the caller waiting cannot help once it reaches zero.
        return _Outcome(False, 0, debt_us, debt_us)
    capacity = PERIOD_US * limit
    needed = debt_us * limit + cost * PERIOD_US
    if needed > capacity:
        retry_after_us = -((capacity - needed) // limit)  # ceiling division
        return _Outcome(False, 0, retry_after_us, debt_us)
    granted = cost + min(extra, (capacity - needed) // PERIOD_US)
    needed = debt_us * limit + granted * PERIOD_US
    return _Outcome(True, (capacity - needed) // PERIOD_US, 0, needed // limit, granted)


class RateLimiter:
    def __init__(
        self,
        redis: Redis,
        *,
        key_prefix: str = "fh:rl",
        local_max_keys: int = 100_000,
        redis_retry_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._script = redis.register_script(_GCRA_SCRIPT)
        self._key_prefix = key_prefix
        self._local_max_keys = local_max_keys
        self._clock = clock
        self._breaker = RedisBreaker(purpose="rate limiting",
                                     fallback="per-process limits", logger=log,
                                     retry_after_s=redis_retry_after_s, clock=clock)
        # Fallback buckets: key -> TAT in microseconds of `clock`, least recently used first.
        self._local_tats: OrderedDict[str, int] = OrderedDict()
        self._leases: dict[str, _Lease] = {}

    async def check(self, key: str, *, limit_per_minute: int, cost: int = 1) -> RateLimitDecision:
        """Spend `cost` units of `key`'s bucket if it holds them; never raises for Redis.

        A refused call spends nothing. A cost above the limit is always refused,
        with retry_after_s the time until the bucket is full (0 for a full one).
        """
        if limit_per_minute < 1:
            raise ValueError(f"limit_per_minute must be at least 1, not {limit_per_minute}")
        if cost < 1:
            raise ValueError(f"cost must be at least 1, not {cost}")
        leased = self._spend_lease(key, limit_per_minute, cost)
        if leased is not None:
            return leased
        if self._breaker.should_try():
            extra = lease_units_for(limit_per_minute)
            try:
                reply = await self._script(keys=[f"{self._key_prefix}:{key}"],
                                           args=[limit_per_minute, cost, PERIOD_US, extra])
            except REDIS_ERRORS as error:
                self._breaker.record_failure(error)
            else:
                self._breaker.record_success()
                allowed, remaining, retry_after_us, reset_after_us, granted = (
                    int(v) for v in reply)
                outcome = _Outcome(bool(allowed), remaining, retry_after_us, reset_after_us,
                                   granted)
                if outcome.granted > cost:
                    lease = self._keep_lease(key, limit_per_minute, outcome, cost)
                    return self._decision_with_lease(limit_per_minute, lease)
                return _decision(limit_per_minute, "redis", outcome)
        return _decision(limit_per_minute, "local",
                         self._check_locally(key, limit_per_minute, cost))

    def _spend_lease(self, key: str, limit: int, cost: int) -> RateLimitDecision | None:
        lease = self._leases.get(key)
        if (lease is None or lease.limit != limit or lease.units < cost
                or self._clock() >= lease.expires_at):
            return None
        lease.units -= cost
        return self._decision_with_lease(limit, lease)

    @staticmethod
    def _decision_with_lease(limit: int, lease: _Lease) -> RateLimitDecision:
        # What the caller could still spend: the shared bucket plus this process's lease.
        return RateLimitDecision(allowed=True, limit=limit,
                                 remaining=lease.remaining + lease.units,
                                 reset_after_s=lease.reset_after_s, retry_after_s=0.0,
                                 backend="redis")

    def _keep_lease(self, key: str, limit: int, outcome: _Outcome, cost: int) -> _Lease:
        now = self._clock()
        if len(self._leases) >= self._local_max_keys:
            self._leases = {k: lease for k, lease in self._leases.items()
                            if lease.expires_at > now}
        lease = _Lease(units=outcome.granted - cost, limit=limit, remaining=outcome.remaining,
                       reset_after_s=outcome.reset_after_us / 1_000_000,
                       expires_at=now + LEASE_S)
        self._leases[key] = lease
        return lease

    def _check_locally(self, key: str, limit: int, cost: int) -> _Outcome:
        now_us = round(self._clock() * 1_000_000)
        tat_us = self._local_tats.get(key)
        outcome = _gcra(max(0, tat_us - now_us) if tat_us is not None else 0, limit, cost)
        if outcome.allowed:
            self._local_tats[key] = now_us + outcome.reset_after_us
        if key in self._local_tats:
            self._local_tats.move_to_end(key)
            while len(self._local_tats) > self._local_max_keys:
                self._local_tats.popitem(last=False)
        return outcome


def _decision(limit: int, backend: str, outcome: _Outcome) -> RateLimitDecision:
    return RateLimitDecision(
        allowed=outcome.allowed,
        limit=limit,
        remaining=outcome.remaining,
        reset_after_s=outcome.reset_after_us / 1_000_000,
        retry_after_s=outcome.retry_after_us / 1_000_000,
        backend=backend,
    )
