"""The demo market: simulated trades published as live quotes.

One process at a time drives it (a Redis lock with a short expiry, renewed
every beat, so another process takes over within seconds if the holder dies).
Each beat advances the pure QuoteSimulator, folds the trades into each
symbol's quote for the day (open, high, low, volume, turnover), stores the
quotes and publishes them on the quote channel for every process's fan-out.
Every quote it makes is labelled synthetic.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from redis.asyncio import Redis
from redis.exceptions import RedisError

from financehub.v1 import quotes_pb2, securities_pb2
from server.domain.calendar import RIYADH
from server.domain.simulation import QuoteSimulator, SimulatedTick
from server.domain.ticks import price_limits, tick_size_for
from server.realtime.background import BackgroundLoop
from server.realtime.fanout import quote_channel
from server.services.conversions import date_message
from server.storage.quotes import EndOfDay, QuoteBook

log = logging.getLogger(__name__)

# A beat's trades go out in this many slices, evenly over the beat.
PUBLISH_SLICES = 5

LOCK_KEY = "fh:simulator:lock"


def _today() -> date:
    return datetime.now(RIYADH).date()


class MarketSimulator:
    def __init__(self, redis: Redis, quotes: QuoteBook,
                 load_references: Callable[[], Awaitable[dict[str, EndOfDay]]], *,
                 interval_s: float, seed: int) -> None:
        self._redis = redis
        self._quotes = quotes
        self._load_references = load_references
        self._interval_s = interval_s
        self._seed = seed
        self._owner = uuid.uuid4().hex
        self._loop = BackgroundLoop("market-simulator", self._run)
        self.published = 0

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        with contextlib.suppress(RedisError):
            if await self._redis.get(LOCK_KEY) == self._owner.encode():
                await self._redis.delete(LOCK_KEY)

    async def _holds_lock(self) -> bool:
        ttl_ms = int(max(self._interval_s * 4, 3.0) * 1000)
        if await self._redis.set(LOCK_KEY, self._owner, nx=True, px=ttl_ms):
            return True
        if await self._redis.get(LOCK_KEY) == self._owner.encode():
            await self._redis.pexpire(LOCK_KEY, ttl_ms)
            return True
        return False

    async def _run(self) -> None:
        market: _SimulatedDay | None = None
        while True:
            spent = 0.0
            try:
                if await self._holds_lock():
                    if market is None or market.day != _today():
                        references = await self._load_references()
                        market = _SimulatedDay(references, _today(), self._seed,
                                               await self._quotes.live(list(references)))
                    spent = await self._publish_spread(market.beat())
                else:
                    market = None  # another process drives; start afresh if we take over
            except (RedisError, OSError) as error:
                log.warning("market simulator paused: Redis unavailable",
                            extra={"error": str(error)})
            await asyncio.sleep(max(0.0, self._interval_s - spent))

    async def _publish_spread(self, quotes: list[quotes_pb2.Quote]) -> float:
        """Publish a beat's trades in PUBLISH_SLICES slices spread over the beat, as a
        market trades through the interval rather than all at its start (and so no
        process receives a whole beat's updates for its streams at once). Each trade's
        time is when it is published. Answers the seconds spent between slices."""
        # Contiguous slices keep the beat's order (a later trade never goes out first).
        size = -(-len(quotes) // PUBLISH_SLICES)  # ceiling division
        slices = [quotes[i:i + size] for i in range(0, len(quotes), size)] if quotes else []
        pause = self._interval_s / PUBLISH_SLICES
        for index, part in enumerate(slices):
            if index:
                await asyncio.sleep(pause)
            published_at = datetime.now(UTC)
            for quote in part:
                quote.update_time.FromDatetime(published_at)
            await self._quotes.store(part)
            async with self._redis.pipeline(transaction=False) as pipe:
                for quote in part:
                    pipe.publish(quote_channel(self._redis), quote.SerializeToString())
                await pipe.execute()
            self.published += len(part)
        return pause * max(0, len(slices) - 1)


class _SimulatedDay:
    """One simulated trading day's running quotes."""

    def __init__(self, references: dict[str, EndOfDay], day: date, seed: int,
                 stored: dict[str, quotes_pb2.Quote]) -> None:
        self.day = day
        self._references = references
        # Quotes another process already made today, against the same reference price:
        # continue them rather than restart the day. (A quote made against another
        # reference, before new daily bars were loaded, would carry stale limits.)
        self._quotes = {
            symbol: quote for symbol, quote in stored.items()
            if symbol in references and quote.trading_day == date_message(day)
            and quote.previous_close == references[symbol].close
        }
        day_seed = seed * 100_000 + day.toordinal() % 100_000
        self._simulator = QuoteSimulator(
            {s: (Decimal(str(eod.close)), eod.market) for s, eod in references.items()},
            day_seed,
            resume={s: (Decimal(str(q.price)), q.sequence) for s, q in self._quotes.items()})

    def beat(self) -> list[quotes_pb2.Quote]:
        return [self._apply(tick) for tick in self._simulator.step()]

    def _apply(self, tick: SimulatedTick) -> quotes_pb2.Quote:
        reference = self._references[tick.symbol]
        price = float(tick.price)
        quote = self._quotes.get(tick.symbol)
        if quote is None:
            limits = price_limits(Decimal(str(reference.close)), reference.market)
            quote = quotes_pb2.Quote(
                symbol=tick.symbol, previous_close=reference.close, open=price, high=price,
                low=price, limit_up=float(limits.upper), limit_down=float(limits.lower),
                data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC)
            quote.trading_day.CopyFrom(date_message(self.day))
            self._quotes[tick.symbol] = quote
        quote.price = price
        quote.change = price - reference.close
        quote.change_percent = (price / reference.close - 1) * 100 if reference.close else 0.0
        quote.high = max(quote.high, price)
        quote.low = min(quote.low, price)
        quote.volume += tick.volume
        quote.turnover += price * tick.volume
        quote.tick_size = float(tick_size_for(tick.price))
        quote.sequence = tick.sequence
        published = quotes_pb2.Quote()
        published.CopyFrom(quote)
        return published
