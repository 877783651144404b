"""Write parsed files to Postgres, each in one transaction, and drop stale cache entries."""

import logging
from dataclasses import dataclass
from pathlib import Path

from server.domain.errors import NotFoundError
from server.ingest.reference import (
    COMPANIES_FILE,
    COMPANIES_SOURCE,
    DAILY_PRICE_FILES,
    INDICES_FILE,
    INDICES_PROVIDER,
    parse_companies,
    parse_index_levels,
)
from server.ingest.yahoo_csv import PROVIDER as YAHOO_PROVIDER
from server.ingest.yahoo_csv import ImportFileError, parse_yahoo_daily_csv
from server.services.market import SECURITIES_TAG, symbol_tag
from server.storage.bars import DailyBarRepository, UpsertCounts
from server.storage.cache import ResponseCache
from server.storage.database import Database
from server.storage.indices import IndexRepository
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
                            symbol: str) -> BarsImportReport:
    """Validate the whole file, then upsert it in one transaction (all or nothing)."""
    parsed = parse_yahoo_daily_csv(read_text(path), symbol)
    securities = SecurityRepository(database)
    if not await securities.exists(symbol):
        raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
    async with database.transaction() as conn:
        counts = await DailyBarRepository(database).upsert(
            conn, symbol, parsed.bars, origin="REAL", provider=YAHOO_PROVIDER
        )
    if cache is not None:
        await cache.invalidate_tags([symbol_tag(symbol)])
    return BarsImportReport(symbol, parsed.rows_read, parsed.fillers_skipped, counts)


@dataclass(frozen=True)
class SeedReport:
    securities: int
    bars: list[BarsImportReport]
    index_bars: int

    def summary(self) -> str:
        lines = [f"securities: {self.securities} loaded"]
        lines += [report.summary() for report in self.bars]
        lines.append(f"index levels: {self.index_bars} loaded (returns recomputed in date order)")
        return "\n".join(lines)


async def seed(database: Database, cache: ResponseCache | None) -> SeedReport:
    """Load the shipped reference data; safe to run any number of times."""
    companies = parse_companies(read_text(COMPANIES_FILE))
    names, index_bars = parse_index_levels(read_text(INDICES_FILE))
    async with database.transaction() as conn:
        await SecurityRepository(database).upsert_all(conn, companies, COMPANIES_SOURCE)
        await IndexRepository().upsert(conn, names, index_bars, INDICES_PROVIDER)
    if cache is not None:
        await cache.invalidate_tags([SECURITIES_TAG])
    reports = [await import_daily_bars(database, cache, path, symbol)
               for symbol, path in DAILY_PRICE_FILES.items()]
    return SeedReport(len(companies), reports, len(index_bars))
