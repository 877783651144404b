"""The latest quote of each security.

Live quotes (from the market simulator, or a real feed later) are kept in one
Redis hash as serialized protobuf. For securities Redis has nothing on, or
when it cannot be read, the end-of-day record comes from the latest daily bars
in Postgres: the close of the latest trading day against the close before it.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from redis.asyncio import Redis
from redis.exceptions import RedisError

from financehub.v1 import quotes_pb2
from server.domain.securities import Market
from server.storage.database import Database

log = logging.getLogger(__name__)

LATEST_QUOTES_KEY = "fh:quotes:latest"


@dataclass(frozen=True)
class EndOfDay:
    symbol: str
    market: Market
    trading_day: date
    open: float
    high: float
    low: float
    close: float
    previous_close: float | None
    volume: int
    turnover: float
    origin: str


class QuoteBook:
    def __init__(self, redis: Redis, database: Database) -> None:
        self._redis = redis
        self._db = database

    async def store(self, quotes: Sequence[quotes_pb2.Quote]) -> None:
        if quotes:
            await self._redis.hset(LATEST_QUOTES_KEY, mapping={
                q.symbol: q.SerializeToString() for q in quotes})

    async def live(self, symbols: Sequence[str]) -> dict[str, quotes_pb2.Quote]:
        """The live quotes Redis holds for any of `symbols` (none when Redis is down)."""
        unique = list(dict.fromkeys(symbols))
        if not unique:
            return {}
        try:
            payloads = await self._redis.hmget(LATEST_QUOTES_KEY, unique)
        except RedisError as error:
            log.warning("live quotes unavailable; answering from daily bars",
                        extra={"error": str(error)})
            return {}
        return {symbol: quotes_pb2.Quote.FromString(payload)
                for symbol, payload in zip(unique, payloads, strict=True)
                if isinstance(payload, bytes)}

    async def end_of_day(self, symbols: Sequence[str] | None) -> dict[str, EndOfDay]:
        """The latest daily record of each of `symbols` that has one (None: of every security)."""
        rows = await self._db.fetch_all(
            """
            SELECT s.symbol, s.market, last.trade_date, last.open, last.high, last.low,
                   last.close, last.volume,
                   coalesce(last.turnover, last.close * last.volume) AS turnover,
                   last.origin, previous.close AS previous_close
            FROM securities s
            JOIN LATERAL (SELECT * FROM daily_bars b WHERE b.symbol = s.symbol
                          ORDER BY b.trade_date DESC LIMIT 1) last ON true
            LEFT JOIN LATERAL (SELECT close FROM daily_bars p
                               WHERE p.symbol = s.symbol AND p.trade_date < last.trade_date
                               ORDER BY p.trade_date DESC LIMIT 1) previous ON true
            WHERE %(symbols)s::text[] IS NULL OR s.symbol = ANY(%(symbols)s)
            """, {"symbols": list(dict.fromkeys(symbols)) if symbols is not None else None})
        return {
            row["symbol"]: EndOfDay(
                symbol=row["symbol"], market=Market(row["market"]),
                trading_day=row["trade_date"], open=row["open"], high=row["high"],
                low=row["low"], close=row["close"], previous_close=row["previous_close"],
                volume=row["volume"], turnover=row["turnover"], origin=row["origin"])
            for row in rows
        }
