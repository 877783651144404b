"""Demo market data: synthetic history for every security the real files do not cover.

Real files always win: a security with real daily bars keeps them, and gets
synthetic bars only after its real history ends. Every synthetic row is stored
with origin SYNTHETIC and served with that label.

Anchors: where the 2025-12-24 market snapshot has a real last price, the
security's synthetic path passes through it on that day; otherwise the start
price is drawn (seeded) from a plausible range. The most recent trading days
also get minute bars, and their daily bars are built from those minutes so the
two always agree.
"""

import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from server.config import Settings
from server.domain.bars import DailyBar, MinuteBar
from server.domain.calendar import RIYADH
from server.domain.securities import Market
from server.domain.simulation import (
    SyntheticDailyBar,
    daily_bar_from_minutes,
    generate_daily_history,
    generate_daily_history_ending_at,
    generate_minute_bars,
)
from server.domain.ticks import RoundingDirection, round_to_tick
from server.domain.trading_calendar import previous_trading_day, trading_days
from server.storage.bars import DailyBarRepository, IntradayBarRepository, StoredDailyBar
from server.storage.database import Database

log = logging.getLogger(__name__)

SEED_DIR = Path(__file__).resolve().parent / "data"
SNAPSHOT_FILE = SEED_DIR / "tickers_snapshot_2025-12-24.tsv"
SNAPSHOT_DAY = date(2025, 12, 24)
PROVIDER = "FinanceHub demo generator"


@dataclass(frozen=True)
class DemoSettings:
    start: date
    end: date
    seed: int
    intraday_days: int


@dataclass(frozen=True)
class DemoReport:
    securities: int
    daily_bars: int
    minute_bars: int

    def summary(self) -> str:
        return (f"demo data: {self.daily_bars} synthetic daily bars and {self.minute_bars} "
                f"minute bars for {self.securities} securities")


def snapshot_prices(text: str) -> dict[str, Decimal]:
    prices = {}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        raw = (row.get("last_price") or "").strip()
        if raw and raw != "\\N" and Decimal(raw) > 0:
            prices[row["symbol"].strip()] = round_to_tick(Decimal(raw), RoundingDirection.NEAREST)
    return prices


def drawn_start_price(symbol: str, seed: int) -> Decimal:
    """A stable, plausible price (5 to 150 SAR) for a security with no anchor."""
    digest = hashlib.sha256(f"{seed}:{symbol}:start".encode()).digest()
    fraction = Decimal(int.from_bytes(digest[:4], "big")) / Decimal(2**32)
    return round_to_tick(Decimal(5) + fraction * Decimal(145), RoundingDirection.NEAREST)


def _daily(bar: SyntheticDailyBar) -> StoredDailyBar:
    return StoredDailyBar(DailyBar(bar.day, float(bar.open), float(bar.high), float(bar.low),
                                   float(bar.close), bar.volume), adj_close=None)


def synthetic_path(symbol: str, market: Market, *, first_day: date, previous_close: Decimal | None,
                   anchor: Decimal | None, settings: DemoSettings) -> list[SyntheticDailyBar]:
    """Daily bars from `first_day` to the end, continuing `previous_close` when there is
    one, else passing through the snapshot anchor, else from a drawn price."""
    if first_day > settings.end:
        return []
    if previous_close is not None:
        return generate_daily_history(symbol, start=first_day, end=settings.end,
                                      start_price=previous_close, market=market,
                                      seed=settings.seed)
    if anchor is not None and first_day <= SNAPSHOT_DAY:
        head = generate_daily_history_ending_at(symbol, start=first_day,
                                                end=min(SNAPSHOT_DAY, settings.end),
                                                end_price=anchor, market=market,
                                                seed=settings.seed)
        if settings.end <= SNAPSHOT_DAY:
            return head
        return head + generate_daily_history(
            symbol, start=trading_days(SNAPSHOT_DAY, settings.end)[1], end=settings.end,
            start_price=head[-1].close, market=market, seed=settings.seed)
    return generate_daily_history(symbol, start=first_day, end=settings.end,
                                  start_price=anchor or drawn_start_price(symbol, settings.seed),
                                  market=market, seed=settings.seed)


def with_minutes(symbol: str, market: Market, path: list[SyntheticDailyBar],
                 before: Decimal | None, settings: DemoSettings,
                 ) -> tuple[list[SyntheticDailyBar], dict[date, list[MinuteBar]]]:
    """Replace the last `intraday_days` bars of `path` with bars built from minute bars."""
    keep = max(0, len(path) - settings.intraday_days)
    daily = path[:keep]
    minutes: dict[date, list[MinuteBar]] = {}
    previous = daily[-1].close if daily else before
    for bar in path[keep:]:
        if previous is None:
            daily.append(bar)
            previous = bar.close
            continue
        day_minutes = generate_minute_bars(symbol, day=bar.day, previous_close=previous,
                                           market=market, seed=settings.seed)
        built = daily_bar_from_minutes(day_minutes)
        daily.append(built)
        minutes[bar.day] = [MinuteBar(m.start, float(m.open), float(m.high), float(m.low),
                                      float(m.close), m.volume, synthetic=True)
                            for m in day_minutes]
        previous = built.close
    return daily, minutes


async def seed_demo_market(database: Database, settings: DemoSettings) -> DemoReport:
    anchors = snapshot_prices(SNAPSHOT_FILE.read_text(encoding="utf-8"))
    securities = await database.fetch_all(
        """
        SELECT s.symbol, s.market, real.last_day, real.last_close,
               (SELECT max(trade_date) FROM daily_bars
                WHERE symbol = s.symbol AND origin = 'SYNTHETIC') AS synthetic_until
        FROM securities s
        LEFT JOIN LATERAL (
            SELECT trade_date AS last_day, close AS last_close FROM daily_bars
            WHERE symbol = s.symbol AND origin = 'REAL' ORDER BY trade_date DESC LIMIT 1
        ) real ON true
        ORDER BY s.symbol
        """)
    bars_repo = DailyBarRepository(database)
    intraday_repo = IntradayBarRepository(database)
    daily_count = minute_count = 0
    for row in securities:
        if row["synthetic_until"] is not None and row["synthetic_until"] >= settings.end:
            continue  # generated before; the generator is deterministic, so it would match
        symbol, market = row["symbol"], Market(row["market"])
        previous_close = (round_to_tick(Decimal(str(row["last_close"])),
                                        RoundingDirection.NEAREST)
                          if row["last_close"] is not None else None)
        first_day = settings.start
        if row["last_day"] is not None:
            following = [d for d in trading_days(row["last_day"], settings.end)
                         if d > row["last_day"]]
            if not following:
                continue
            first_day = following[0]
        path = synthetic_path(symbol, market, first_day=first_day,
                              previous_close=previous_close, anchor=anchors.get(symbol),
                              settings=settings)
        daily, minutes = with_minutes(symbol, market, path, previous_close, settings)
        async with database.transaction() as conn:
            await bars_repo.upsert(conn, symbol, [_daily(bar) for bar in daily],
                                   origin="SYNTHETIC", provider=PROVIDER)
            for day_minutes in minutes.values():
                await intraday_repo.replace_day(conn, symbol, day_minutes, origin="SYNTHETIC")
        daily_count += len(daily)
        minute_count += sum(len(m) for m in minutes.values())
    return DemoReport(len(securities), daily_count, minute_count)


def demo_settings_from(settings: Settings, today: date | None = None) -> DemoSettings | None:
    """The demo data to generate under `settings` (None when demo mode is off).

    History ends on the last trading day before today (Asia/Riyadh): today's session
    is the live simulator's.
    """
    if not settings.demo_mode:
        return None
    end = settings.demo_end_date or previous_trading_day(
        today or datetime.now(RIYADH).date())
    return DemoSettings(start=settings.demo_history_start, end=end, seed=settings.simulator_seed,
                        intraday_days=settings.demo_intraday_days)
