"""Parse and validate Yahoo Finance daily CSV exports (Date, Open, High, Low, Close,
Adj Close, Volume[, Symbol]), and the row validation every daily CSV format shares
(Stooq's parser in `stooq_csv` uses it too).

The whole file is checked before anything is written: the first bad row stops
the import with its line number. Zero-volume rows with open = high = low =
close are holiday fillers Yahoo inserts on days the exchange was shut; they
are skipped and counted, not imported.

Yahoo's exports carry float32 noise (25.780000686645508 for 25.78); prices
are rounded to 4 decimal places, which keeps split-adjusted values such as
29.0909 (IPO 32.00 after Aramco's 1-for-10 bonus) to a hundredth of a halala.
"""

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date

from server.domain.bars import DailyBar
from server.domain.symbols import parse_symbol
from server.storage.bars import StoredDailyBar

PRICE_DECIMALS = 4
REQUIRED_COLUMNS = ("Date", "Open", "High", "Low", "Close", "Volume")
PROVIDER = "Yahoo Finance"


class ImportFileError(ValueError):
    """The file cannot be imported; `line` is 1-based (the header is line 1)."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(frozen=True)
class ParsedDailyFile:
    bars: list[StoredDailyBar]
    rows_read: int
    fillers_skipped: int


@dataclass(frozen=True)
class DailyCsvLayout:
    """What sets one provider's daily CSV apart; everything else is validated alike."""

    name: str  # named when a required column is missing
    # The provider's dividend-adjusted close column; None where it publishes none.
    adj_close_column: str | None


YAHOO_LAYOUT = DailyCsvLayout(name="Yahoo Finance daily CSV", adj_close_column="Adj Close")


def _price(row: dict[str, str], column: str, line: int) -> float:
    raw = (row.get(column) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ImportFileError(line, f"{column} {raw!r} is not a number") from None
    value = round(value, PRICE_DECIMALS)
    if not math.isfinite(value) or value <= 0:
        raise ImportFileError(line, f"{column} {raw!r} must be a positive price")
    return value


def _volume(row: dict[str, str], line: int) -> int:
    raw = (row.get("Volume") or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ImportFileError(line, f"Volume {raw!r} is not a number") from None
    if not math.isfinite(value) or value != int(value):
        raise ImportFileError(line, f"Volume {raw!r} must be a whole number")
    if value < 0:
        raise ImportFileError(line, f"Volume {raw!r} must not be negative")
    return int(value)


def _adj_close(row: dict[str, str], column: str | None, line: int) -> float | None:
    if column is None or not (row.get(column) or "").strip():
        return None
    return _price(row, column, line)


_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T].*)?$", re.ASCII)


def _day(row: dict[str, str], line: int) -> date:
    raw = (row.get("Date") or "").strip()
    match = _ISO_DAY.match(raw)
    try:
        if match is None:
            raise ValueError(raw)
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise ImportFileError(line, f"Date {raw!r} is not a YYYY-MM-DD date") from None


def parse_daily_csv(text: str, symbol: str, layout: DailyCsvLayout) -> ParsedDailyFile:
    """Validate every row of a Date/Open/High/Low/Close/Volume file for `symbol`.

    Extra columns are ignored, except a Symbol column, which must name `symbol`.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        found = ", ".join(header) or "empty header"
        raise ImportFileError(1, f"missing column(s) {', '.join(missing)}; expected a "
                                 f"{layout.name} (found: {found})")
    bars: list[StoredDailyBar] = []
    seen: dict[date, int] = {}
    fillers = rows = 0
    for row in reader:
        line = reader.line_num
        rows += 1
        if None in row or None in row.values():
            raise ImportFileError(line, f"expected {len(header)} fields")
        file_symbol = (row.get("Symbol") or "").strip()
        if file_symbol and parse_symbol(file_symbol) != symbol:
            raise ImportFileError(line, f"Symbol {file_symbol!r} does not match {symbol}")
        day = _day(row, line)
        if day in seen:
            raise ImportFileError(line, f"Date {day.isoformat()} repeats line {seen[day]}")
        seen[day] = line
        open_, high, low, close = (_price(row, c, line) for c in ("Open", "High", "Low", "Close"))
        volume = _volume(row, line)
        if not (low <= open_ <= high and low <= close <= high):
            raise ImportFileError(
                line, f"prices are inconsistent: need low ≤ open, close ≤ high "
                      f"(open {open_}, high {high}, low {low}, close {close})")
        if volume == 0 and open_ == high == low == close:
            fillers += 1
            continue
        adj_close = _adj_close(row, layout.adj_close_column, line)
        bars.append(StoredDailyBar(DailyBar(day, open_, high, low, close, volume), adj_close))
    if rows == 0:
        raise ImportFileError(None, "the file has a header but no rows")
    bars.sort(key=lambda item: item.bar.day)
    return ParsedDailyFile(bars=bars, rows_read=rows, fillers_skipped=fillers)


def parse_yahoo_daily_csv(text: str, symbol: str) -> ParsedDailyFile:
    return parse_daily_csv(text, symbol, YAHOO_LAYOUT)
