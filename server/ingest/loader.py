"""Write parsed files to Postgres, each in one transaction, and drop stale cache entries."""

import logging
from dataclasses import dataclass
from pathlib import Path

from server.domain.corporate_actions import CorporateActionType
from server.domain.errors import NotFoundError
from server.domain.indices import capped_weights
from server.ingest.corporate_actions import (
    CORPORATE_ACTIONS_FILE,
    CORPORATE_ACTIONS_SOURCE,
    parse_corporate_actions,
)
from server.ingest.demo import DemoReport, DemoSettings, seed_demo_market
from server.ingest.funds import FUNDS_FILE, FundsReport, load_funds
from server.ingest.reference import (
    COMPANIES_FILE,
    COMPANIES_SOURCE,
    DAILY_PRICE_FILES,
    INDICES_FILE,
    INDICES_PROVIDER,
    parse_companies,
    parse_index_levels,
)
from server.ingest.stooq_csv import PROVIDER as STOOQ_PROVIDER
from server.ingest.stooq_csv import parse_stooq_daily_csv
from server.ingest.yahoo_csv import PROVIDER as YAHOO_PROVIDER
from server.ingest.yahoo_csv import ImportFileError, ParsedDailyFile, parse_yahoo_daily_csv
from server.services.funds import FUNDS_TAG
from server.services.indices import INDICES_TAG
from server.services.market import MARKET_VIEWS_TAG, SECURITIES_TAG, symbol_tag
from server.services.research import CORPORATE_ACTIONS_TAG
from server.storage.bars import DailyBarRepository, UpsertCounts
from server.storage.cache import ResponseCache
from server.storage.corporate_actions import CorporateActionRepository, UnknownSymbols
from server.storage.database import Database
from server.storage.indices import IndexRepository
from server.storage.market_views import MarketViewRepository
from server.storage.securities import SecurityRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BarsImportReport:
    symbol: str
    rows_read: int
    fillers_skipped: int
    counts: UpsertCounts

    def summary(self) -> str:
        return (f"{self.symbol}: {self.rows_read} rows read, "
                f"{self.fillers_skipped} zero-volume holiday fillers skipped, "
                f"{self.counts.inserted} inserted, {self.counts.updated} updated, "
                f"{self.counts.unchanged} unchanged")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportFileError(None, f"cannot read {path}: {error}") from None


async def import_daily_bars(database: Database, cache: ResponseCache | None, path: Path,
                            symbol: str, *, refresh_views: bool = True) -> BarsImportReport:
    """Validate the whole Yahoo Finance file, then upsert it in one transaction (all or
    nothing). `refresh_views=False` leaves the market views to a caller that refreshes
    them once after several imports (the seed)."""
    parsed = parse_yahoo_daily_csv(read_text(path), symbol)
    return await _store_daily_bars(database, cache, symbol, parsed, YAHOO_PROVIDER,
                                   refresh_views=refresh_views)


async def import_stooq_daily_bars(database: Database, cache: ResponseCache | None, path: Path,
                                  symbol: str) -> BarsImportReport:
    """Validate the whole Stooq file, then upsert it in one transaction (all or nothing)."""
    parsed = parse_stooq_daily_csv(read_text(path), symbol)
    return await _store_daily_bars(database, cache, symbol, parsed, STOOQ_PROVIDER)


async def _store_daily_bars(database: Database, cache: ResponseCache | None, symbol: str,
                            parsed: ParsedDailyFile, provider: str, *,
                            refresh_views: bool = True) -> BarsImportReport:
    securities = SecurityRepository(database)
    if not await securities.exists(symbol):
        raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
    async with database.transaction() as conn:
        counts = await DailyBarRepository(database).upsert(
            conn, symbol, parsed.bars, origin="REAL", provider=provider
        )
    if refresh_views:
        await MarketViewRepository(database).refresh()
    if cache is not None:
        await cache.invalidate_tags([symbol_tag(symbol), MARKET_VIEWS_TAG])
    return BarsImportReport(symbol, parsed.rows_read, parsed.fillers_skipped, counts)


@dataclass(frozen=True)
class CorporateActionsReport:
    rows_read: int
    repeats_merged: int
    by_type: dict[CorporateActionType, int]
    counts: UpsertCounts
    unknown_symbols: UnknownSymbols
    unlisted_types: dict[str, int]

    def summary(self) -> str:
        lines = [
            f"corporate actions: {self.rows_read} rows read, {self.repeats_merged} repeated "
            f"rows merged, {self.counts.inserted} inserted, {self.counts.updated} updated, "
            f"{self.counts.unchanged} unchanged",
            "corporate actions by type: " + ", ".join(
                f"{kind} {count}" for kind, count in self.by_type.items()),
            f"corporate actions of symbols not in the securities list (kept): "
            f"{self.unknown_symbols.actions} across {self.unknown_symbols.symbols} symbols",
        ]
        if self.unlisted_types:
            lines.append("Arabic action types with no classification yet (stored as OTHER): "
                         + ", ".join(f"{name} {count}"
                                     for name, count in self.unlisted_types.items()))
        return "\n".join(lines)


async def import_corporate_actions(database: Database, cache: ResponseCache | None, path: Path,
                                   source: str, *,
                                   refresh_views: bool = True) -> CorporateActionsReport:
    """Validate the whole file, then upsert it in one transaction (all or nothing)."""
    parsed = parse_corporate_actions(read_text(path))
    actions = CorporateActionRepository(database)
    async with database.transaction() as conn:
        stored = await actions.upsert(conn, parsed.actions, source=source)
        unknown = await actions.unknown_symbols(conn)
    if refresh_views:
        await MarketViewRepository(database).refresh()
    if cache is not None:
        await cache.invalidate_tags([CORPORATE_ACTIONS_TAG, *sorted(
            symbol_tag(s) for s in stored.changed_symbols)])
    return CorporateActionsReport(parsed.rows_read, parsed.repeats_merged, parsed.by_type(),
                                  stored.counts, unknown, parsed.unlisted_types)


@dataclass(frozen=True)
class SeedReport:
    securities: int
    corporate_actions: CorporateActionsReport
    bars: list[BarsImportReport]
    index_bars: int
    demo: DemoReport | None
    index_members: dict[str, int]
    funds: FundsReport

    def summary(self) -> str:
        lines = [f"securities: {self.securities} loaded", self.corporate_actions.summary()]
        lines += [report.summary() for report in self.bars]
        lines.append(f"index levels: {self.index_bars} loaded (returns recomputed in date order)")
        if self.demo is not None:
            lines.append(self.demo.summary())
        lines.append("index members (derived, synthetic): " + ", ".join(
            f"{code} {count}" for code, count in self.index_members.items()))
        lines.append(self.funds.summary())
        return "\n".join(lines)


MT30_SIZE = 30
MT30_CAP_PERCENT = 15.0
MEMBERSHIP_METHOD = {
    "TASI": "every Main Market equity with prices, equal weights (the exchange's free-float "
            "market-cap weights need share counts the platform does not have)",
    "MT30": "the 30 Main Market equities with the highest average daily value traded over the "
            "last 3 months, weighted by it and capped at 15% (MSCI's list and free-float "
            "weights are not in the platform's data)",
}


async def rebuild_index_membership(database: Database) -> dict[str, int]:
    """Derive TASI and MT30 members and weights from the data on hand; marked synthetic."""
    rows = await database.fetch_all(
        """
        SELECT b.symbol, avg(coalesce(b.turnover, b.close * b.volume)) AS turnover
        FROM daily_bars b JOIN securities s ON s.symbol = b.symbol
        WHERE s.market = 'MAIN' AND s.security_type = 'EQUITY'
          AND b.trade_date > (SELECT max(trade_date) FROM daily_bars) - 91
        GROUP BY b.symbol
        """)
    liquidity = {row["symbol"]: float(row["turnover"] or 0) for row in rows}
    most_traded = sorted(liquidity, key=lambda s: (-liquidity[s], s))[:MT30_SIZE]
    members = {
        "TASI": capped_weights({symbol: 1.0 for symbol in liquidity}),
        "MT30": capped_weights({s: liquidity[s] for s in most_traded}, MT30_CAP_PERCENT)
        if len(most_traded) * MT30_CAP_PERCENT >= 100 else {},
    }
    indices = IndexRepository(database)
    async with database.transaction() as conn:
        for code, weights in members.items():
            await indices.replace_membership(conn, code, weights, origin="SYNTHETIC",
                                             method=MEMBERSHIP_METHOD[code])
    return {code: len(weights) for code, weights in members.items()}


async def seed(database: Database, cache: ResponseCache | None,
               demo: DemoSettings | None = None) -> SeedReport:
    """Load the shipped reference data, then (with `demo`) the synthetic market; safe to
    run any number of times."""
    companies = parse_companies(read_text(COMPANIES_FILE))
    names, index_bars = parse_index_levels(read_text(INDICES_FILE))
    async with database.transaction() as conn:
        await SecurityRepository(database).upsert_all(conn, companies, COMPANIES_SOURCE)
        await IndexRepository(database).upsert(conn, names, index_bars, INDICES_PROVIDER)
    if cache is not None:
        await cache.invalidate_tags([SECURITIES_TAG])
    corporate_actions = await import_corporate_actions(database, cache, CORPORATE_ACTIONS_FILE,
                                                       CORPORATE_ACTIONS_SOURCE,
                                                       refresh_views=False)
    reports = [await import_daily_bars(database, cache, path, symbol, refresh_views=False)
               for symbol, path in DAILY_PRICE_FILES.items()]
    funds = await load_funds(database, read_text(FUNDS_FILE))
    if cache is not None:
        await cache.invalidate_tags([FUNDS_TAG])
    demo_report = await seed_demo_market(database, demo) if demo is not None else None
    async with database.transaction() as conn:
        # Fresh planner statistics after a bulk load, so charts use the indexes at once.
        await conn.execute("ANALYZE daily_bars, intraday_bars, securities")
    membership = await rebuild_index_membership(database)
    await MarketViewRepository(database).refresh()
    if cache is not None:
        await cache.invalidate_tags([SECURITIES_TAG, MARKET_VIEWS_TAG, INDICES_TAG])
    return SeedReport(len(companies), corporate_actions, reports, len(index_bars), demo_report,
                      membership, funds)
