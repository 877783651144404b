"""Parse the shipped reference files: the company list and the exchange's 2025 index levels."""

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from server.domain.indices import IndexDailyBar, close_to_close_returns
from server.domain.industry_groups import industry_group_for
from server.domain.securities import Security, classify
from server.domain.symbols import parse_symbol

SEED_DIR = Path(__file__).resolve().parent / "data"
COMPANIES_FILE = SEED_DIR / "companies.csv"
INDICES_FILE = SEED_DIR / "TASI_indices_2025_daily.csv"
DAILY_PRICE_FILES = {"2222": SEED_DIR / "2222.SR.csv", "1120": SEED_DIR / "1120.SR.csv"}
COMPANIES_SOURCE = "TadawulHawk 2025-09-30 + Arabic name map"
INDICES_PROVIDER = "Saudi Exchange"

# Names in the exchange's file -> our index codes.
INDEX_CODES = {
    "Tadwul All Share Index (TASI)": ("TASI", "Tadawul All Share Index"),
    "MSCI Tadawul 30 Index": ("MT30", "MSCI Tadawul 30 Index"),
    "TASI50 Index": ("TASI50", "TASI50 Index"),
    "Tadawul IPO Index": ("IPO", "Tadawul IPO Index"),
}


def parse_companies(text: str) -> list[Security]:
    securities = []
    for row in csv.DictReader(io.StringIO(text)):
        symbol = parse_symbol(row["symbol"])
        if symbol is None:
            raise ValueError(f"companies file: {row['symbol']!r} is not a Tadawul symbol")
        sector_ar = row["sector_ar"].strip()
        market, security_type = classify(symbol, sector_ar, row["industry_en_yahoo"])
        securities.append(Security(
            symbol=symbol,
            name_en=" ".join(row["name_en"].split()),
            name_ar=" ".join(row["name_ar_short"].split()),
            market=market,
            security_type=security_type,
            sector=row["sector_en_yahoo"].strip(),
            industry=row["industry_en_yahoo"].strip(),
            sector_ar=sector_ar,
            currency="SAR",
            industry_group=industry_group_for(sector_ar, row["industry_en_yahoo"]),
        ))
    return securities


def _optional_whole(raw: str) -> int | None:
    return int(float(raw)) if raw.strip() else None


def parse_index_levels(text: str) -> tuple[dict[str, str], list[IndexDailyBar]]:
    """Index names by code, and every index's bars with returns recomputed in date order.

    The file's own Daily_Return_Pct was computed over newest-first rows and is
    wrong, so it is ignored.
    """
    by_index: dict[str, list[dict[str, str]]] = defaultdict(list)
    names: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code, name = INDEX_CODES[row["Index"]]
        names[code] = name
        by_index[code].append(row)
    bars: list[IndexDailyBar] = []
    for code, rows in by_index.items():
        rows.sort(key=lambda r: r["Date"])
        closes = [float(r["Close"]) for r in rows]
        for row, daily_return in zip(rows, close_to_close_returns(closes), strict=True):
            bars.append(IndexDailyBar(
                index_code=code,
                day=date.fromisoformat(row["Date"]),
                open=float(row["Open"]), high=float(row["High"]), low=float(row["Low"]),
                close=float(row["Close"]),
                volume=_optional_whole(row["Volume Traded"]),
                value_traded=(Decimal(row["Value Traded (SAR)"]).quantize(Decimal("0.01"))
                              if row["Value Traded (SAR)"] else None),
                trades=_optional_whole(row["Number of Trades"]),
                daily_return=daily_return,
            ))
    return names, bars
