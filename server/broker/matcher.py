"""Run the paper broker's matching pass on a schedule (one process at a time matches:
the pass takes an advisory lock)."""

import asyncio
import logging

import psycopg
from redis.exceptions import RedisError

from server.broker.paper_broker import PaperBroker
from server.realtime.background import BackgroundLoop

log = logging.getLogger(__name__)


class OrderMatcher:
    def __init__(self, broker: PaperBroker, interval_s: float) -> None:
        self._broker = broker
        self._interval_s = interval_s
        self._loop = BackgroundLoop("order-matcher", self._run)

    def start(self) -> None:
        if self._interval_s > 0:
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self._broker.match_open_orders()
            except (psycopg.Error, RedisError, OSError) as error:
                log.warning("order matching failed; will retry", extra={"error": str(error)})
