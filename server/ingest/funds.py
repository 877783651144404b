"""The funds snapshot (`funds_snapshot_2025-12-25.tsv`, PostgreSQL COPY text: tabs, `\\N`
for NULL) into fund records."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from server.domain.funds import (
    FundType,
    currency_from_name,
    fund_type_from_name,
    is_valuation_day,
    synthetic_nav_history,
    synthetic_nav_model,
)
from server.ingest.reference import SEED_DIR
from server.storage.database import Database
from server.storage.funds import FundRecord, FundRepository

FUNDS_FILE = SEED_DIR / "funds_snapshot_2025-12-25.tsv"
FUNDS_SOURCE = "fund snapshot of 2025-12-25 (original FinanceHub project export)"
FUNDS_FILE_COLUMNS = 15
# Five years of history for the 5Y return, and a fortnight more so that its start (a
# calendar day) always has a valuation day on or before it.
HISTORY_DAYS = 5 * 366 + 14
NAV_SEED = 2026


@dataclass(frozen=True)
class ParsedFund:
    record: FundRecord
    # The snapshot's annualised standard deviation (percent): the synthetic walk uses it
    # where it is plausible for the fund's type.
    published_stdev: Decimal | None


@dataclass(frozen=True)
class FundsReport:
    funds: int
    without_nav: int
    histories_written: int

    def summary(self) -> str:
        return (f"funds: {self.funds} loaded ({self.without_nav} without a NAV: closed); "
                f"synthetic NAV histories written for {self.histories_written}")


class FundsFileError(ValueError):
    """A malformed line; the message names it."""


def _optional_decimal(raw: str, line: int, column: str) -> Decimal | None:
    if raw == "\\N":
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise FundsFileError(f"line {line}: {column} {raw!r} is not a number") from None


def parse_funds(text: str) -> list[ParsedFund]:
    """Every fund of the snapshot. Its currency column says SAR for every row, USD share
    classes included: the currency comes from the name instead. A NAV of 0 (closed funds)
    is kept as no NAV."""
    lines = text.splitlines()
    funds = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != FUNDS_FILE_COLUMNS:
            raise FundsFileError(f"line {number}: {len(fields)} columns, expected "
                                 f"{FUNDS_FILE_COLUMNS}")
        fund_id, name, manager = fields[0].strip(), fields[1].strip(), fields[2].strip()
        if not fund_id or not name:
            raise FundsFileError(f"line {number}: fund id and name are required")
        nav = _optional_decimal(fields[5], number, "latest_nav")
        try:
            nav_date = date.fromisoformat(fields[10][:10])
        except ValueError:
            raise FundsFileError(f"line {number}: last_updated {fields[10]!r} is not a "
                                 "date") from None
        funds.append(ParsedFund(FundRecord(
            id=fund_id, name_ar=name, manager=manager, type=fund_type_from_name(name).name,
            currency=currency_from_name(name),
            latest_nav=nav if nav is not None and nav > 0 else None, nav_date=nav_date,
            published_ytd_return=_optional_decimal(fields[7], number, "ytd_return")),
            published_stdev=_optional_decimal(fields[13], number, "standard_deviation")))
    return funds


async def load_funds(database: Database, text: str) -> FundsReport:
    """The snapshot's funds, and for each with a NAV a synthetic history ending at it
    (written once: a fund whose history already ends at its latest NAV is left alone)."""
    parsed = parse_funds(text)
    repository = FundRepository(database)
    ends = await repository.history_ends()
    written = 0
    async with database.transaction() as conn:
        await repository.upsert_all(conn, [fund.record for fund in parsed], FUNDS_SOURCE)
        for fund in parsed:
            record = fund.record
            if record.latest_nav is None:
                continue
            end = record.nav_date
            while not is_valuation_day(end):
                end -= timedelta(days=1)
            if ends.get(record.id) == (end, record.latest_nav):
                continue
            model = synthetic_nav_model(FundType[record.type], fund.published_stdev)
            history = synthetic_nav_history(
                record.id, record.latest_nav, end, end - timedelta(days=HISTORY_DAYS),
                annual_volatility=model.annual_volatility,
                annual_return=model.annual_return, seed=NAV_SEED)
            await repository.replace_navs(conn, record.id, history, "SYNTHETIC")
            written += 1
    return FundsReport(len(parsed), sum(f.record.latest_nav is None for f in parsed), written)
