"""The cache's single flight and stale-while-revalidate, against real Redis."""

import asyncio
from collections.abc import Iterator

import pytest
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from financehub.options.v1 import options_pb2
from financehub.v1 import market_pb2, securities_pb2
from server.domain.errors import NotFoundError
from server.storage.backends import Backends
from server.storage.cache import ResponseCache
from tests.support.services import EventLoopThread

KEY = "fh:v1:test:single-flight"
TICKERS = options_pb2.CACHE_CATEGORY_TICKERS


@pytest.fixture
def cache_env(backends: Backends, redis_client: Redis,
              clean_cache: None) -> Iterator[tuple[EventLoopThread, str]]:
    loop = EventLoopThread()
    yield loop, backends.redis_url
    loop.close()


def _answer(name: str) -> market_pb2.GetTickerResponse:
    return market_pb2.GetTickerResponse(ticker=securities_pb2.Ticker(symbol="2222", name_en=name))


def test_a_hundred_concurrent_misses_load_once_across_two_processes(
        cache_env: tuple[EventLoopThread, str]) -> None:
    loop, url = cache_env
    loads = 0

    async def load() -> market_pb2.GetTickerResponse:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.2)  # a slow query: everyone else arrives meanwhile
        return _answer("Saudi Arabian Oil Company")

    async def scenario() -> list[market_pb2.GetTickerResponse]:
        # Two caches with their own Redis clients stand for two server processes.
        first, second = AsyncRedis.from_url(url), AsyncRedis.from_url(url)
        caches = [ResponseCache(first), ResponseCache(second)]
        try:
            return await asyncio.gather(*(
                caches[i % 2].get_or_load(key=KEY, category=TICKERS,
                                          response_type=market_pb2.GetTickerResponse, load=load)
                for i in range(100)))
        finally:
            await first.aclose()
            await second.aclose()

    answers = loop.run(scenario())
    assert loads == 1
    assert {a.ticker.name_en for a in answers} == {"Saudi Arabian Oil Company"}


def test_a_stale_answer_is_served_at_once_and_refreshed_once_in_the_background(
        cache_env: tuple[EventLoopThread, str], redis_client: Redis) -> None:
    loop, url = cache_env
    refreshed = asyncio.Event()
    loads = 0

    async def load() -> market_pb2.GetTickerResponse:
        nonlocal loads
        loads += 1
        if loads > 1:
            await asyncio.sleep(0.3)
            refreshed.set()
        return _answer(f"version {loads}")

    async def scenario() -> tuple[list[str], str]:
        client = AsyncRedis.from_url(url)
        cache = ResponseCache(client)
        try:
            get = lambda: cache.get_or_load(  # noqa: E731
                key=KEY, category=TICKERS, response_type=market_pb2.GetTickerResponse,
                load=load)
            await get()
            # Age the entry past its fresh time (the header holds "fresh until", in ms).
            envelope = await client.get(KEY)
            await client.set(KEY, envelope[:1] + (0).to_bytes(8, "big") + envelope[9:],
                             keepttl=True)
            stale = [(await get()).ticker.name_en for _ in range(5)]
            await asyncio.wait_for(refreshed.wait(), 5)
            await asyncio.sleep(0.05)
            return stale, (await get()).ticker.name_en
        finally:
            await client.aclose()

    stale, after = loop.run(scenario())
    assert stale == ["version 1"] * 5  # served at once, not after the slow refresh
    assert loads == 2  # one refresh for five stale reads
    assert after == "version 2"


def test_not_found_is_shared_by_concurrent_callers(cache_env: tuple[EventLoopThread, str]) -> None:
    loop, url = cache_env
    loads = 0

    async def load() -> market_pb2.GetTickerResponse:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.1)
        raise NotFoundError("ticker", "9998", reason="TICKER_NOT_FOUND")

    async def scenario() -> list[BaseException | market_pb2.GetTickerResponse]:
        client = AsyncRedis.from_url(url)
        cache = ResponseCache(client)
        try:
            return await asyncio.gather(*(
                cache.get_or_load(key=KEY, category=TICKERS,
                                  response_type=market_pb2.GetTickerResponse, load=load)
                for _ in range(10)), return_exceptions=True)
        finally:
            await client.aclose()

    outcomes = loop.run(scenario())
    assert loads == 1
    assert all(isinstance(o, NotFoundError) and o.reason == "TICKER_NOT_FOUND" for o in outcomes)
