"""Refresh the market views on a schedule (imports also refresh them as they finish), and
drop the cached answers built from them."""

import logging

import psycopg

from server.realtime.background import PeriodicTask
from server.services.market import MARKET_VIEWS_TAG
from server.storage.cache import ResponseCache
from server.storage.market_views import MarketViewRepository

log = logging.getLogger(__name__)


def view_refresher(views: MarketViewRepository, cache: ResponseCache,
                   interval_s: float) -> PeriodicTask:
    """Refreshes the views (one replica at a time: the refresh takes an advisory lock)."""
    async def refresh() -> None:
        if await views.refresh(wait=False):
            await cache.invalidate_tags([MARKET_VIEWS_TAG])

    return PeriodicTask("market view refresh", refresh, interval_s, retried=(psycopg.Error,),
                        logger=log)
