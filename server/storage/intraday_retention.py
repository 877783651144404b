"""Upkeep of the intraday partitions on a schedule: next month's partition made before its
first bar, and months past FINANCEHUB_INTRADAY_RETENTION_MONTHS dropped whole."""

import logging
from datetime import UTC, datetime

import psycopg

from server.realtime.background import PeriodicTask
from server.storage.bars import IntradayBarRepository

log = logging.getLogger(__name__)

# Partitions span months: an hourly pass is early enough for both jobs, and cheap (a catalog
# lookup when there is nothing to do).
PASS_INTERVAL_S = 3600.0


class IntradayRetention:
    def __init__(self, bars: IntradayBarRepository, keep_months: int,
                 interval_s: float = PASS_INTERVAL_S) -> None:
        self._bars = bars
        self._keep_months = keep_months
        # The first pass one interval after start, as the view refresher's: start-up stays
        # quick, and writers create the partitions they need themselves.
        self._schedule = PeriodicTask("intraday partition upkeep", self._pass, interval_s,
                                      retried=(psycopg.Error,), logger=log)

    def start(self) -> None:
        self._schedule.start()

    async def stop(self) -> None:
        await self._schedule.stop()

    async def run_once(self, now: datetime) -> list[str]:
        """One pass; answers the partitions dropped."""
        await self._bars.create_partitions_ahead(now)
        return await self._bars.drop_expired_partitions(now, keep_months=self._keep_months)

    async def _pass(self) -> None:
        dropped = await self.run_once(datetime.now(UTC))
        if dropped:
            log.info("dropped expired intraday partitions",
                     extra={"partitions": dropped, "keep_months": self._keep_months})
