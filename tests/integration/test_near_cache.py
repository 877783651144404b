"""The near cache against a real Redis: held copies, invalidation by Redis, failures."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from server.security.revocations import RevocationList
from server.security.tokens import AccessClaims
from server.storage.near_cache import NearCache

PREFIX = "fh:test-near:"
INVALIDATION_WAIT_S = 2.0


class CountingRedis(Redis):
    """A real client that counts MGETs and can hold them until the test releases them."""

    mgets = 0
    hold: asyncio.Event | None = None

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if args and args[0] == "MGET":
            self.mgets += 1
            if self.hold is not None:
                reply = await super().execute_command(*args, **options)
                await self.hold.wait()
                return reply
        return await super().execute_command(*args, **options)


async def eventually(check: Callable[[], Awaitable[bool]]) -> bool:
    deadline = time.monotonic() + INVALIDATION_WAIT_S
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.005)
    return False


def run_with_near_cache(url: str,
                        scenario: Callable[[NearCache, CountingRedis, Redis], Awaitable[None]]
                        ) -> None:
    async def main() -> None:
        async with CountingRedis.from_url(url) as client, Redis.from_url(url) as writer:
            near = NearCache(client, prefixes=[PREFIX])
            near.start()
            try:
                assert await near.wait_until_tracking(5.0)
                await scenario(near, client, writer)
            finally:
                await near.stop()

    asyncio.run(main())


def test_a_read_value_is_held_until_another_client_changes_it(scratch_redis_url: str) -> None:
    async def scenario(near: NearCache, client: CountingRedis, writer: Redis) -> None:
        await writer.set(f"{PREFIX}a", b"1")
        assert await near.get(f"{PREFIX}a") == b"1"
        assert await near.mget([f"{PREFIX}a", f"{PREFIX}absent"]) == [b"1", None]
        reads = client.mgets
        for _ in range(50):
            assert await near.mget([f"{PREFIX}a", f"{PREFIX}absent"]) == [b"1", None]
        assert client.mgets == reads  # all fifty from memory

        await writer.set(f"{PREFIX}a", b"2")
        await writer.set(f"{PREFIX}absent", b"now here")
        assert await eventually(lambda: _equals(near, [f"{PREFIX}a", f"{PREFIX}absent"],
                                                [b"2", b"now here"]))
        await writer.delete(f"{PREFIX}a")
        assert await eventually(lambda: _equals(near, [f"{PREFIX}a"], [None]))

    run_with_near_cache(scratch_redis_url, scenario)


def test_expiry_and_flush_drop_the_copies(scratch_redis_url: str) -> None:
    async def scenario(near: NearCache, client: CountingRedis, writer: Redis) -> None:
        await writer.set(f"{PREFIX}short", b"x", px=100)
        await writer.set(f"{PREFIX}long", b"y")
        assert await near.mget([f"{PREFIX}short", f"{PREFIX}long"]) == [b"x", b"y"]
        # Redis expires keys lazily or in its background cycle; reading it expires it.
        await asyncio.sleep(0.15)
        await writer.get(f"{PREFIX}short")
        assert await eventually(lambda: _equals(near, [f"{PREFIX}short"], [None]))
        await writer.flushdb()
        assert await eventually(lambda: _equals(near, [f"{PREFIX}long"], [None]))

    run_with_near_cache(scratch_redis_url, scenario)


def test_keys_outside_the_prefixes_are_read_from_redis_every_time(
        scratch_redis_url: str) -> None:
    async def scenario(near: NearCache, client: CountingRedis, writer: Redis) -> None:
        await writer.set("fh:untracked", b"1")
        await writer.set(f"{PREFIX}tracked", b"1")
        assert not await _held_after_read(near, client, "fh:untracked")
        assert await _held_after_read(near, client, f"{PREFIX}tracked")

    run_with_near_cache(scratch_redis_url, scenario)


async def _held_after_read(near: NearCache, client: CountingRedis, key: str) -> bool:
    await near.get(key)
    reads = client.mgets
    await near.get(key)
    return client.mgets == reads


def test_a_change_while_a_read_is_in_flight_is_not_overwritten_by_the_old_value(
        scratch_redis_url: str) -> None:
    async def scenario(near: NearCache, client: CountingRedis, writer: Redis) -> None:
        await writer.set(f"{PREFIX}race", b"old")
        client.hold = asyncio.Event()
        reading = asyncio.create_task(near.get(f"{PREFIX}race"))
        await asyncio.sleep(0.05)  # the MGET has its answer ("old") and is held back
        invalidations = near.invalidations
        await writer.set(f"{PREFIX}race", b"new")
        assert await eventually(lambda: _true(near.invalidations > invalidations))
        client.hold.set()
        client.hold = None
        assert await reading == b"old"  # that caller asked before the change
        assert await near.get(f"{PREFIX}race") == b"new"  # but "old" was not kept

    run_with_near_cache(scratch_redis_url, scenario)


def test_a_lost_subscription_stops_holding_copies_until_it_is_back(
        scratch_redis_url: str) -> None:
    async def scenario(near: NearCache, client: CountingRedis, writer: Redis) -> None:
        await writer.set(f"{PREFIX}k", b"1")
        await near.get(f"{PREFIX}k")
        await writer.client_kill_filter(_type="pubsub")
        assert await eventually(lambda: _true(not near.tracking))
        # Changes made while nobody listens are not missed: the copies are gone.
        await writer.set(f"{PREFIX}k", b"2")
        assert await near.get(f"{PREFIX}k") == b"2"
        assert await near.wait_until_tracking(5.0)
        assert await _held_after_read(near, client, f"{PREFIX}k")

    run_with_near_cache(scratch_redis_url, scenario)


def test_a_revocation_in_one_process_reaches_another_that_held_the_token_as_good(
        scratch_redis_url: str) -> None:
    claims = AccessClaims(user_id="00000000-0000-0000-0000-000000000001", role="user",
                          session_id="00000000-0000-0000-0000-000000000002",
                          token_id="t-1", issued_at=time.time(), expires_at=time.time() + 900)

    async def main() -> None:
        async with Redis.from_url(scratch_redis_url) as one, \
                Redis.from_url(scratch_redis_url) as two:
            # Redis has held the deny-list for longer than a token lives: no Postgres checks.
            await one.set("fh:deny:since", repr(time.time() - 3600))
            nears = [NearCache(one, prefixes=["fh:deny:"]), NearCache(two, prefixes=["fh:deny:"])]
            for near in nears:
                near.start()
                assert await near.wait_until_tracking(5.0)
            # No Postgres: the since marker above keeps every check in Redis.
            lists = [RevocationList(client, database=None, access_ttl_s=900,  # type: ignore[arg-type]
                                    near=near)
                     for client, near in zip((one, two), nears, strict=True)]
            try:
                assert not await lists[1].is_revoked(claims)
                assert not await lists[1].is_revoked(claims)  # now held as "not revoked"
                await lists[0].revoke_token(claims.token_id, claims.expires_at)
                assert await lists[0].is_revoked(claims)  # its own write: at once
                assert await eventually(lambda: lists[1].is_revoked(claims))
            finally:
                for near in nears:
                    await near.stop()

    asyncio.run(main())


async def _equals(near: NearCache, keys: list[str], expected: list[bytes | None]) -> bool:
    return await near.mget(keys) == expected


async def _true(value: bool) -> bool:
    return value
