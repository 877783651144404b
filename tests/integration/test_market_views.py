"""The market views refresh under an advisory lock: one replica at a time."""

import psycopg

from server.storage.backends import Backends
from server.storage.database import Database
from server.storage.market_views import REFRESH_LOCK_KEY, MarketViewRepository
from tests.support.services import EventLoopThread


def test_scheduled_refresh_skips_while_another_replica_refreshes(
        seeded: Backends, loop_thread: EventLoopThread) -> None:
    async def refresh(wait: bool) -> bool:
        database = Database(seeded.database_url, max_size=1)
        await database.open()
        try:
            return await MarketViewRepository(database).refresh(wait=wait)
        finally:
            await database.close()

    with psycopg.connect(seeded.database_url, autocommit=True) as other_replica:
        other_replica.execute("SELECT pg_advisory_lock(%s)", (REFRESH_LOCK_KEY,))
        assert loop_thread.run(refresh(wait=False)) is False
        other_replica.execute("SELECT pg_advisory_unlock(%s)", (REFRESH_LOCK_KEY,))
    assert loop_thread.run(refresh(wait=False)) is True

