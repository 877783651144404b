"""Login brute-force protection, on a real Redis (database 12) and on the local fallback.

Every behavioural test runs twice: through Redis, and with Redis unreachable
(the in-process fallback), which must behave the same.
"""

import asyncio
import hashlib
import logging

import pytest
from pytest import approx
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from server.security.login_guard import LoginGuard, LoginLock
from tests.support.services import free_port

# Set per session from the test Redis (local server or embedded), database 12.
REDIS_URL = ""
LOGGER = "server.security.login_guard"
ALICE = "alice@example.com"
IP = "192.0.2.10"
OTHER_IP = "198.51.100.7"


@pytest.fixture(autouse=True)
def empty_database(scratch_redis_url: str) -> None:
    global REDIS_URL
    REDIS_URL = scratch_redis_url


@pytest.fixture(params=["redis", "local"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0  # wall-clock magnitudes, as in production

    def __call__(self) -> float:
        return self.now


def client_for(backend: str) -> Redis:
    """The real Redis, or one on a port nobody listens on (failing fast, no retries)."""
    if backend == "redis":
        return Redis.from_url(REDIS_URL)
    return Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2,
                 socket_timeout=0.2, retry=Retry(NoBackoff(), 0))


def lock(scope: str, retry_after_s: float) -> LoginLock:
    return LoginLock(scope, approx(retry_after_s, abs=1e-5))  # type: ignore[arg-type]


async def fail(guard: LoginGuard, times: int, account: str = ALICE, address: str = IP) -> None:
    for _ in range(times):
        await guard.record_failure(account, address)


def test_the_fifth_failure_locks_the_account_for_one_second(backend: str) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for(backend) as client:
            guard = LoginGuard(client, clock=clock)
            await fail(guard, 4)
            assert await guard.check(ALICE, IP) is None
            await fail(guard, 1)
            assert await guard.check(ALICE, IP) == lock("account", 1.0)
            clock.now += 0.25
            assert await guard.check(ALICE, IP) == lock("account", 0.75)
            clock.now += 0.5
            assert await guard.check(ALICE, OTHER_IP) == lock("account", 0.25)
            clock.now += 0.25
            assert await guard.check(ALICE, IP) is None
            assert await guard.check("bob@example.com", IP) is None

    asyncio.run(scenario())


def test_each_further_failure_doubles_the_lock_up_to_the_cap(backend: str) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for(backend) as client:
            guard = LoginGuard(client, max_delay_s=5.0, clock=clock)
            await fail(guard, 5)
            seen = []
            for _ in range(4):  # the 6th to 9th failures, each after the last lock ends
                clock.now += 60
                await fail(guard, 1)
                seen.append(await guard.check(ALICE, IP))

        assert seen == [lock("account", 2.0), lock("account", 4.0), lock("account", 5.0),
                        lock("account", 5.0)]

    asyncio.run(scenario())


def test_success_clears_the_account_but_not_the_address(backend: str) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for(backend) as client:
            guard = LoginGuard(client, max_address_failures=6, clock=clock)
            await fail(guard, 5)
            assert await guard.check(ALICE, OTHER_IP) == lock("account", 1.0)
            await guard.record_success(ALICE)
            assert await guard.check(ALICE, OTHER_IP) is None

            await fail(guard, 1, account="bob@example.com")  # the address's 6th failure
            assert await guard.check(ALICE, IP) == lock("address", 1.0)
            await guard.record_success(ALICE)
            assert await guard.check(ALICE, IP) == lock("address", 1.0)

            # Alice's count started over: four more failures lock nothing.
            await fail(guard, 4, address=OTHER_IP)
            assert await guard.check(ALICE, OTHER_IP) is None
            await fail(guard, 1, address=OTHER_IP)
            assert await guard.check(ALICE, OTHER_IP) == lock("account", 1.0)

    asyncio.run(scenario())


def test_an_address_is_locked_after_its_failures_across_accounts(backend: str) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for(backend) as client:
            guard = LoginGuard(client, clock=clock)
            for n in range(19):
                await fail(guard, 1, account=f"user{n}@example.com")
            assert await guard.check("new@example.com", IP) is None
            await fail(guard, 1, account="user19@example.com")
            assert await guard.check("new@example.com", IP) == lock("address", 1.0)
            assert await guard.check("new@example.com", OTHER_IP) is None
            await fail(guard, 1, account="user20@example.com")
            assert await guard.check("user0@example.com", IP) == lock("address", 2.0)

    asyncio.run(scenario())


def test_when_both_are_locked_the_longer_lock_is_reported(backend: str) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for(backend) as client:
            guard = LoginGuard(client, max_account_failures=1, max_address_failures=1,
                               clock=clock)
            await fail(guard, 1)
            assert await guard.check(ALICE, IP) == lock("account", 1.0)  # a tie
            await fail(guard, 1, account="bob@example.com")
            assert await guard.check(ALICE, IP) == lock("address", 2.0)

    asyncio.run(scenario())


def test_concurrent_failures_are_all_counted(backend: str) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for(backend) as client:
            guard = LoginGuard(client, clock=clock)
            await asyncio.gather(*(guard.record_failure(ALICE, IP) for _ in range(10)))
            assert await guard.check(ALICE, OTHER_IP) == lock("account", 32.0)  # 2^(10-5)

    asyncio.run(scenario())


def test_every_email_is_treated_alike_and_stored_only_hashed() -> None:
    clock = FakeClock()
    emails = ["registered@example.com", "nobody-by-this-name@example.com"]

    async def scenario() -> None:
        async with client_for("redis") as client:
            guard = LoginGuard(client, clock=clock)
            histories = []
            for email, address in zip(emails, [IP, OTHER_IP], strict=True):
                history = []
                for _ in range(6):
                    await fail(guard, 1, account=email, address=address)
                    history.append(await guard.check(email, address))
                histories.append(history)
            assert histories[0] == histories[1]
            keys = [key.decode() async for key in client.scan_iter("*")]

        digest = hashlib.sha256(emails[0].encode()).hexdigest()
        assert f"fh:login:failures:account:{digest}" in keys
        assert f"fh:login:lock:account:{digest}" in keys
        assert not any("example.com" in key for key in keys)

    asyncio.run(scenario())


def test_redis_counters_expire_a_window_after_the_first_failure() -> None:
    async def scenario() -> None:
        async with client_for("redis") as client:
            guard = LoginGuard(client, window_s=900)
            await fail(guard, 1)
            counter = f"fh:login:failures:address:{IP}"
            first_ttl_ms = await client.pttl(counter)
            await asyncio.sleep(0.05)
            await fail(guard, 1)
            later_ttl_ms = await client.pttl(counter)

        assert 899_000 < first_ttl_ms <= 900_000
        assert later_ttl_ms <= first_ttl_ms - 50  # later failures do not extend the window

    asyncio.run(scenario())


def test_local_failures_are_forgotten_a_window_after_the_first_but_a_lock_runs_on() -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for("local") as client:
            guard = LoginGuard(client, window_s=10, clock=clock)
            await fail(guard, 4)
            clock.now += 9
            await fail(guard, 1)  # the 5th failure inside the window
            assert await guard.check(ALICE, IP) == lock("account", 1.0)
            clock.now += 2  # the window and the lock are over
            await fail(guard, 4)
            assert await guard.check(ALICE, IP) is None
            await fail(guard, 8)  # the 12th failure of this window: 2^7 s
            clock.now += 11
            await fail(guard, 5)  # a new window: its 1 s lock does not cut the running one
            assert await guard.check(ALICE, IP) == lock("account", 128.0 - 11)

    asyncio.run(scenario())


def test_a_redis_lock_outlives_its_window_and_is_never_shortened() -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for("redis") as client:
            guard = LoginGuard(client, window_s=10, clock=clock)
            await fail(guard, 12)  # 2^7 s
            clock.now += 11
            await client.delete(*[key async for key in client.scan_iter("fh:login:failures:*")])
            lock_ttl_ms = await client.pttl(
                f"fh:login:lock:account:{hashlib.sha256(ALICE.encode()).hexdigest()}")
            await fail(guard, 5)  # the window ended (as Redis expires it); a new 1 s lock
            assert await guard.check(ALICE, IP) == lock("account", 128.0 - 11)

        assert 128_000 < lock_ttl_ms <= (128 + 60) * 1000  # the TTL only cleans up, later

    asyncio.run(scenario())


def test_unreachable_redis_logs_once_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for("local") as client:
            guard = LoginGuard(client, clock=clock)
            for _ in range(10):
                await guard.record_failure(ALICE, IP)
                await guard.check(ALICE, IP)
                clock.now += 1.0
            await guard.record_success(ALICE)
            assert await guard.check(ALICE, OTHER_IP) is None

    with caplog.at_level(logging.INFO, logger=LOGGER):
        asyncio.run(scenario())

    records = [r for r in caplog.records if r.name == LOGGER]
    assert [r.levelno for r in records] == [logging.WARNING]


def test_the_local_records_stay_bounded() -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with client_for("local") as client:
            guard = LoginGuard(client, local_max_keys=10, clock=clock)
            for n in range(100):
                await guard.record_failure(ALICE, f"10.0.0.{n}")
            assert len(guard._local) <= 10
            # Alice, used by every call, is never the least recently used: still locked.
            assert await guard.check(ALICE, OTHER_IP) == lock("account", 900.0)

    asyncio.run(scenario())
