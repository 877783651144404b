"""Refresh the market views on a schedule (imports also refresh them as they finish), and
drop the cached answers built from them."""

import asyncio
import logging

import psycopg

from server.realtime.background import BackgroundLoop
from server.services.market import MARKET_VIEWS_TAG
from server.storage.cache import ResponseCache
from server.storage.market_views import MarketViewRepository

log = logging.getLogger(__name__)


class ViewRefresher:
    def __init__(self, views: MarketViewRepository, cache: ResponseCache,
                 interval_s: float) -> None:
        self._views = views
        self._cache = cache
        self._interval_s = interval_s
        self._loop = BackgroundLoop("market-view-refresher", self._run)

    def start(self) -> None:
        if self._interval_s > 0:
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                if await self._views.refresh(wait=False):
                    await self._cache.invalidate_tags([MARKET_VIEWS_TAG])
            except psycopg.Error as error:
                log.warning("market view refresh failed; will retry",
                            extra={"error": str(error)})
