"""Session-wide real services: Postgres, Redis, the seeded database and a gRPC server."""

from collections.abc import Iterator

import grpc
import pytest
from redis import Redis

from server.ingest.loader import seed
from server.storage.backends import Backends
from server.storage.database import Database
from server.storage.migrations import apply_migrations
from tests.support.services import (
    EventLoopThread,
    RunningServer,
    free_port,
    recreate_database,
    redis_url_with_db,
    start_test_server,
    test_backends,
)


@pytest.fixture(scope="session")
def backends() -> Iterator[Backends]:
    resolved = test_backends()
    recreate_database(resolved.database_url)
    # Answers cached by an earlier run would outlive the database they came from.
    flush = Redis.from_url(resolved.redis_url)
    flush.flushdb()
    flush.close()
    yield resolved
    resolved.close()


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[EventLoopThread]:
    thread = EventLoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="session")
def seeded(backends: Backends, loop_thread: EventLoopThread) -> Backends:
    """The test database with every migration applied and the shipped seed loaded."""
    apply_migrations(backends.database_url)

    async def load() -> None:
        database = Database(backends.database_url, max_size=2)
        await database.open()
        try:
            await seed(database, None)
        finally:
            await database.close()

    loop_thread.run(load())
    return backends


@pytest.fixture(scope="session")
def server(seeded: Backends, loop_thread: EventLoopThread) -> Iterator[RunningServer]:
    running = start_test_server(seeded, loop_thread)
    yield running
    loop_thread.run(running.app.stop(grace_s=1))


@pytest.fixture
def redis_client(backends: Backends) -> Iterator[Redis]:
    client = Redis.from_url(backends.redis_url)
    yield client
    client.close()


@pytest.fixture
def clean_cache(redis_client: Redis) -> None:
    """Start the test with an empty cache (the tests own their Redis database)."""
    redis_client.flushdb()


@pytest.fixture
def scratch_redis_url(backends: Backends) -> Iterator[str]:
    """An emptied Redis database of its own (12) on the test Redis server, emptied again
    after the test: for tests of Redis-backed parts used without a server."""
    url = redis_url_with_db(backends.redis_url, 12)
    client = Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def server_without_redis(seeded: Backends) -> Iterator[RunningServer]:
    """A server whose Redis URL points at a port where nothing listens."""
    unreachable = Backends(database_url=seeded.database_url,
                           redis_url=f"redis://127.0.0.1:{free_port()}/0")
    loop = EventLoopThread()
    running = start_test_server(unreachable, loop)
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


@pytest.fixture(scope="session")
def channel(server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as opened:
        grpc.channel_ready_future(opened).result(timeout=10)
        yield opened

