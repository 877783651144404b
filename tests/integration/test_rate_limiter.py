"""GCRA rate limits against a real Redis (database 12), and the per-process fallback."""

import asyncio
import logging
import math
import socket
import time
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from server.security.rate_limiter import RateLimitDecision, RateLimiter
from tests.support.services import free_port

# Set per session from the test Redis (local server or embedded), database 12.
REDIS_URL = ""
# Real time passes between calls to Redis; Redis-side expectations allow this much.
SLACK_S = 0.05
LOGGER = "server.security.rate_limiter"


@pytest.fixture(autouse=True)
def empty_database(scratch_redis_url: str) -> None:
    global REDIS_URL
    REDIS_URL = scratch_redis_url


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SwitchableRedis(Redis):
    """A real client whose commands fail while `down` is set; counts every attempt."""

    down = False
    attempts = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.attempts += 1
        if self.down:
            await asyncio.sleep(0.01)  # as a timeout would, let other calls run meanwhile
            raise RedisConnectionError("switched off by the test")
        return await super().execute_command(*args, **options)


def dead_redis() -> Redis:
    """A client for a port nobody listens on, failing fast (no retries)."""
    return Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2,
                 socket_timeout=0.2, retry=Retry(NoBackoff(), 0))


async def spend(limiter: RateLimiter, key: str, times: int, *, limit: int,
                cost: int = 1) -> list[RateLimitDecision]:
    return [await limiter.check(key, limit_per_minute=limit, cost=cost) for _ in range(times)]


def test_a_burst_of_exactly_the_limit_is_allowed_then_refused_for_one_interval() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            limiter = RateLimiter(client)
            decisions = await spend(limiter, "user:a", 31, limit=30)

        assert [d.allowed for d in decisions] == [True] * 30 + [False]
        assert [d.remaining for d in decisions] == list(range(29, -1, -1)) + [0]
        assert all(d.backend == "redis" and d.limit == 30 for d in decisions)
        assert all(d.retry_after_s == 0 for d in decisions[:30])
        refused = decisions[30]
        assert 2.0 - SLACK_S < refused.retry_after_s <= 2.0  # T = 60/30
        assert 60.0 - SLACK_S < refused.reset_after_s <= 60.0

    asyncio.run(scenario())


def test_cost_two_halves_the_burst_and_remaining_drops_by_the_cost() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            decisions = await spend(RateLimiter(client), "user:b", 16, limit=30, cost=2)

        assert [d.allowed for d in decisions] == [True] * 15 + [False]
        assert [d.remaining for d in decisions] == list(range(28, -1, -2)) + [0]
        assert 4.0 - SLACK_S < decisions[15].retry_after_s <= 4.0  # two intervals

    asyncio.run(scenario())


def test_refused_calls_consume_nothing() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            limiter = RateLimiter(client)
            await spend(limiter, "user:c", 9, limit=10)  # one unit left
            tat_before = await client.get("fh:rl:user:c")
            refused = await spend(limiter, "user:c", 5, limit=10, cost=2)
            assert await client.get("fh:rl:user:c") == tat_before
            last = await limiter.check("user:c", limit_per_minute=10)
            after_last = await limiter.check("user:c", limit_per_minute=10)

        assert not any(d.allowed for d in refused)
        # Retrying did not push the wait further out: each still waits about one interval.
        assert all(6.0 - SLACK_S < d.retry_after_s <= 6.0 for d in refused)
        assert last.allowed and last.remaining == 0
        assert not after_last.allowed

    asyncio.run(scenario())


def test_reset_after_is_the_time_until_the_bucket_is_full_and_the_key_expires_then() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            limiter = RateLimiter(client)
            first = await limiter.check("user:d", limit_per_minute=30)
            ttl_ms = await client.pttl("fh:rl:user:d")
            third = (await spend(limiter, "user:d", 2, limit=30))[-1]

        assert 2.0 - SLACK_S < first.reset_after_s <= 2.0
        assert 2000 - SLACK_S * 1000 < ttl_ms <= 2000
        assert 6.0 - SLACK_S < third.reset_after_s <= 6.0

    asyncio.run(scenario())


def test_a_cost_equal_to_the_limit_empties_a_fresh_bucket_at_once() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            decisions = await spend(RateLimiter(client), "user:n", 2, limit=30, cost=30)

        assert decisions[0].allowed and decisions[0].remaining == 0
        assert decisions[0].reset_after_s == 60.0
        assert not decisions[1].allowed

    asyncio.run(scenario())


def test_a_cost_above_the_limit_is_always_refused() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            limiter = RateLimiter(client)
            fresh = await limiter.check("user:e", limit_per_minute=5, cost=6)
            await spend(limiter, "user:e", 2, limit=5)
            used = await limiter.check("user:e", limit_per_minute=5, cost=6)

        assert not fresh.allowed and fresh.retry_after_s == 0 and fresh.remaining == 0
        assert not used.allowed
        assert 24.0 - SLACK_S < used.retry_after_s == used.reset_after_s <= 24.0

    asyncio.run(scenario())


def test_keys_are_independent() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            limiter = RateLimiter(client)
            await spend(limiter, "user:f", 3, limit=3)
            exhausted = await limiter.check("user:f", limit_per_minute=3)
            other = await limiter.check("ip:127.0.0.1", limit_per_minute=3)

        assert not exhausted.allowed
        assert other.allowed and other.remaining == 2

    asyncio.run(scenario())


def test_two_processes_share_one_budget_through_redis() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as one, Redis.from_url(REDIS_URL) as two:
            first, second = RateLimiter(one), RateLimiter(two)
            from_first = await spend(first, "apikey:g", 3, limit=5)
            from_second = await spend(second, "apikey:g", 3, limit=5)

        assert [d.allowed for d in from_first + from_second] == [True] * 5 + [False]
        assert [d.remaining for d in from_second] == [1, 0, 0]

    asyncio.run(scenario())


def test_concurrent_checks_allow_exactly_the_limit() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            limiter = RateLimiter(client)
            decisions = await asyncio.gather(
                *(limiter.check("user:h", limit_per_minute=20) for _ in range(50)))

        assert sum(d.allowed for d in decisions) == 20
        assert sorted(d.remaining for d in decisions if d.allowed) == list(range(20))

    asyncio.run(scenario())


@pytest.mark.parametrize(("limit", "cost"), [(0, 1), (5, 0), (-1, 1)])
def test_a_limit_or_cost_below_one_is_a_programming_error(limit: int, cost: int) -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as client:
            with pytest.raises(ValueError):
                await RateLimiter(client).check("user:i", limit_per_minute=limit, cost=cost)

    asyncio.run(scenario())


def test_unreachable_redis_falls_back_to_the_same_maths_logging_once(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()

    async def scenario() -> list[RateLimitDecision]:
        async with dead_redis() as client:
            limiter = RateLimiter(client, clock=clock)
            decisions = await spend(limiter, "user:j", 31, limit=30)
            clock.now += 1.0
            decisions += await spend(limiter, "user:j", 1, limit=30)
            clock.now += 1.0
            decisions += await spend(limiter, "user:j", 1, limit=30)
            decisions += await spend(limiter, "user:k", 1, limit=30, cost=2)
            return decisions

    with caplog.at_level(logging.INFO, logger=LOGGER):
        decisions = asyncio.run(scenario())

    assert all(d.backend == "local" for d in decisions)
    assert [d.allowed for d in decisions] == [True] * 30 + [False, False, True, True]
    assert [d.remaining for d in decisions[:30]] == list(range(29, -1, -1))
    assert decisions[30].retry_after_s == 2.0 and decisions[30].reset_after_s == 60.0
    assert decisions[31].retry_after_s == 1.0  # half an interval has passed
    assert decisions[32].remaining == 0 and decisions[32].reset_after_s == 60.0
    assert decisions[33].remaining == 28 and decisions[33].reset_after_s == 4.0
    records = [r for r in caplog.records if r.name == LOGGER]
    assert [r.levelno for r in records] == [logging.WARNING]


def test_the_breaker_tries_redis_once_per_window_and_logs_its_return(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with SwitchableRedis.from_url(REDIS_URL) as client:
            limiter = RateLimiter(client, redis_retry_after_s=5.0, clock=clock)
            client.down = True
            during = await spend(limiter, "user:l", 100, limit=1000)
            assert client.attempts == 1
            clock.now += 4.9
            await spend(limiter, "user:l", 10, limit=1000)
            assert client.attempts == 1
            clock.now += 0.2  # the window is over: one call probes while the others go on
            await asyncio.gather(
                *(limiter.check("user:l", limit_per_minute=1000) for _ in range(10)))
            assert client.attempts == 2
            client.down = False
            clock.now += 5.1
            back = await spend(limiter, "user:l", 3, limit=1000)
            assert client.attempts > 2
            assert all(d.backend == "local" for d in during)
            assert all(d.backend == "redis" for d in back)

    with caplog.at_level(logging.INFO, logger=LOGGER):
        asyncio.run(scenario())

    records = [r for r in caplog.records if r.name == LOGGER]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO]


def test_a_hanging_redis_costs_one_timeout_per_window_not_one_per_call() -> None:
    # A socket that accepts connections (the kernel does) and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(200)
        port = silent.getsockname()[1]

        async def scenario() -> list[RateLimitDecision]:
            async with Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2,
                             socket_timeout=0.2, retry=Retry(NoBackoff(), 0)) as client:
                limiter = RateLimiter(client)
                return await spend(limiter, "user:m", 100, limit=1000)

        started = time.monotonic()
        decisions = asyncio.run(scenario())
        elapsed = time.monotonic() - started

    assert all(d.backend == "local" and d.allowed for d in decisions)
    assert 0.2 <= elapsed < 2.0  # one timeout, not 100 x 0.2 s


def test_the_local_buckets_stay_bounded_forgetting_the_least_recently_used() -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with dead_redis() as client:
            limiter = RateLimiter(client, local_max_keys=10, clock=clock)
            await spend(limiter, "user:old", 1, limit=1)
            await spend(limiter, "user:recent", 1, limit=1)
            for n in range(100):
                await limiter.check(f"ip:10.0.0.{n}", limit_per_minute=5)
                await limiter.check("user:recent", limit_per_minute=1)  # refused, still used
            assert len(limiter._local_tats) <= 10
            # Evicted, "old" starts over; "recent" was kept and is still exhausted.
            assert (await limiter.check("user:old", limit_per_minute=1)).allowed
            assert not (await limiter.check("user:recent", limit_per_minute=1)).allowed

    asyncio.run(scenario())


# --- leases for high limits ---------------------------------------------------------------


def test_low_limits_reach_redis_on_every_call() -> None:
    async def scenario() -> None:
        async with SwitchableRedis.from_url(REDIS_URL) as client:
            decisions = await spend(RateLimiter(client), "user:m", 20, limit=399)
            assert client.attempts == 20
            assert [d.remaining for d in decisions] == list(range(398, 378, -1))

    asyncio.run(scenario())


def test_a_high_limit_spends_a_lease_without_round_trips_and_counts_down_by_one() -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with SwitchableRedis.from_url(REDIS_URL) as client:
            limiter = RateLimiter(client, clock=clock)
            decisions = await spend(limiter, "partner:n", 11, limit=2000)  # lease: 10 units
            assert client.attempts == 1
            assert [d.remaining for d in decisions] == list(range(1999, 1988, -1))
            assert all(d.allowed and d.backend == "redis" for d in decisions)
            await spend(limiter, "partner:n", 1, limit=2000)
            assert client.attempts == 2
            clock.now += 1.0  # the lease has expired: its unspent units are forfeit
            await spend(limiter, "partner:n", 1, limit=2000)
            assert client.attempts == 3

    asyncio.run(scenario())


def test_leases_never_let_processes_spend_more_than_the_shared_limit() -> None:
    async def scenario() -> None:
        async with Redis.from_url(REDIS_URL) as one, Redis.from_url(REDIS_URL) as two:
            limiters = [RateLimiter(one), RateLimiter(two)]
            started = time.monotonic()
            decisions = [await limiters[n % 2].check("partner:o", limit_per_minute=1000)
                         for n in range(1100)]
            elapsed_s = time.monotonic() - started
        allowed = sum(d.allowed for d in decisions)
        # Each process may be left holding part of one lease (5 units) when the bucket runs
        # dry; the bucket refills at 1000/min while the calls run (a busy machine is slow).
        refilled = math.floor(elapsed_s * 1000 / 60)
        assert 1000 - 2 * 5 <= allowed <= 1000 + refilled
        assert not decisions[-1].allowed

    asyncio.run(scenario())
