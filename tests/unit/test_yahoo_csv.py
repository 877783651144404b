"""server.ingest.yahoo_csv.parse_yahoo_daily_csv on inline and shipped files."""

import csv
from datetime import date
from pathlib import Path

import pytest

from server.domain.bars import DailyBar
from server.ingest.yahoo_csv import ImportFileError, parse_yahoo_daily_csv
from server.storage.bars import StoredDailyBar

DATA_DIR = Path(__file__).resolve().parents[2] / "server" / "ingest" / "data"

HEADER = "Date,Adj Close,Close,High,Low,Open,Volume,Symbol"


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _error(text: str, symbol: str = "2222") -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        parse_yahoo_daily_csv(text, symbol)
    return caught.value


# --- happy path ---------------------------------------------------------------------------


def test_happy_path_counts_sorts_rounds_and_skips_fillers():
    text = _csv(
        # line 2: a real day, float32 noise in every price
        "2024-01-03,20.123456789,25.780000686645508,26.000049,25.5,25.6000001,1000,2222.SR",
        # line 3: a holiday filler (Volume 0 and O=H=L=C) -> skipped
        "2024-01-02,20.0,25.5,25.5,25.5,25.5,0,2222.SR",
        # line 4: an earlier real day (file not in date order)
        "2024-01-01,19.9,25.4,25.6,25.1,25.2,2000,2222.SR",
        # line 5: zero volume but the prices moved -> kept, not a filler
        "2024-01-04,20.1,25.9,26.0,25.7,25.8,0,2222.SR",
        # line 6: O=H=L=C but traded -> kept
        "2024-01-07,20.2,26.0,26.0,26.0,26.0,5,2222.SR",
    )
    parsed = parse_yahoo_daily_csv(text, "2222")
    assert parsed.rows_read == 5
    assert parsed.fillers_skipped == 1
    assert [b.bar.day for b in parsed.bars] == [
        date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 4), date(2024, 1, 7)]
    jan3 = parsed.bars[1]
    assert jan3 == StoredDailyBar(
        DailyBar(date(2024, 1, 3), open=25.6, high=26.0, low=25.5, close=25.78, volume=1000),
        adj_close=20.1235,
    )
    assert isinstance(jan3.bar.volume, int)


def test_columns_in_any_order_without_symbol_and_without_adj_close_value():
    text = _csv("2024-01-01,1.5,2.5,1.0,2.0,,10",
                header="Date,Open,High,Low,Close,Adj Close,Volume")
    parsed = parse_yahoo_daily_csv(text, "1120")
    assert parsed.bars == [StoredDailyBar(DailyBar(date(2024, 1, 1), 1.5, 2.5, 1.0, 2.0, 10), None)]


def test_minimal_columns_only():
    text = _csv("2024-01-01,1,2,1,2,7", header="Date,Open,High,Low,Close,Volume")
    parsed = parse_yahoo_daily_csv(text, "2222")
    assert parsed.bars == [StoredDailyBar(DailyBar(date(2024, 1, 1), 1.0, 2.0, 1.0, 2.0, 7), None)]


def test_timestamp_dates_and_symbol_aliases_are_accepted():
    text = _csv(
        "2024-01-01 00:00:00+03:00,1,1.5,1.6,1.4,1.45,3,2222",
        "2024-01-02T00:00:00,1,1.5,1.6,1.4,1.45,3,2222.sr",
    )
    parsed = parse_yahoo_daily_csv(text, "2222")
    assert [b.bar.day for b in parsed.bars] == [date(2024, 1, 1), date(2024, 1, 2)]


def test_volume_written_as_float_is_accepted_when_whole():
    parsed = parse_yahoo_daily_csv(_csv("2024-01-01,1,1,1,1,1,1500.0,2222.SR"), "2222")
    assert parsed.bars[0].bar.volume == 1500


# --- errors with line numbers (header = line 1) -------------------------------------------

GOOD = "2024-01-01,20,25,26,24,25,100,2222.SR"


def test_missing_column_is_line_1_and_names_it():
    error = _error(_csv("2024-01-01,1,1,1,1,100", header="Date,Open,High,Low,Close,Vol"))
    assert error.line == 1
    assert "Volume" in str(error)
    assert str(error).startswith("line 1: ")


def test_empty_file_is_line_1():
    assert _error("").line == 1


def test_header_only_file():
    error = _error(HEADER + "\n")
    assert error.line is None
    assert "no rows" in str(error)


@pytest.mark.parametrize(
    ("bad_row", "needle"),
    [
        ("2024-13-01,20,25,26,24,25,100,2222.SR", "Date"),          # bad month
        ("01/02/2024,20,25,26,24,25,100,2222.SR", "Date"),          # US format
        ("2024-01-0x,20,25,26,24,25,100,2222.SR", "Date"),
        (",20,25,26,24,25,100,2222.SR", "Date"),                    # empty date
        ("2024-01-02,20,abc,26,24,25,100,2222.SR", "Close"),        # non-number price
        ("2024-01-02,20,25,26,24,null,100,2222.SR", "Open"),        # Yahoo's null
        ("2024-01-02,20,25,26,24,,100,2222.SR", "Open"),            # empty price
        ("2024-01-02,20,25,26,-24,25,100,2222.SR", "Low"),          # negative price
        ("2024-01-02,20,25,26,24,0,100,2222.SR", "Open"),           # zero price
        ("2024-01-02,20,25,inf,24,25,100,2222.SR", "High"),         # infinite price
        ("2024-01-02,20,25,26,24,nan,100,2222.SR", "Open"),         # NaN price
        ("2024-01-02,20,25,26,24,25,-100,2222.SR", "negative"),     # negative volume
        ("2024-01-02,20,25,26,24,25,10.5,2222.SR", "whole"),        # fractional volume
        ("2024-01-02,20,25,26,24,25,many,2222.SR", "Volume"),
        ("2024-01-02,20,25,26,24,25,nan,2222.SR", "Volume"),
        ("2024-01-02,20,25,26,25.5,25,100,2222.SR", "inconsistent"),  # low > open
        ("2024-01-02,20,27,26,24,25,100,2222.SR", "inconsistent"),    # close > high
        ("2024-01-02,20,23,26,24,25,100,2222.SR", "inconsistent"),    # close < low
        ("2024-01-02,20,25,26,24,26.5,100,2222.SR", "inconsistent"),  # open > high
        ("2024-01-02,-20,25,26,24,25,100,2222.SR", "Adj Close"),      # bad adj close
        ("2024-01-02,20,25,26,24,25,100,1120.SR", "1120.SR"),         # other symbol
        ("2024-01-02,20,25,26,24,25,100,ARAMCO", "ARAMCO"),           # not a symbol
        ("2024-01-02,20,25,26,24,25", "fields"),                      # short row
        ("2024-01-02,20,25,26,24,25,100,2222.SR,extra", "fields"),    # long row
    ],
)
def test_bad_row_reports_its_line(bad_row, needle):
    # Two good rows first, so the bad one is on line 4.
    text = _csv(GOOD, "2024-01-03,20,25,26,24,25,100,2222.SR", bad_row)
    error = _error(text)
    assert error.line == 4
    assert str(error).startswith("line 4: ")
    assert needle in str(error)


def test_bad_row_on_line_2():
    error = _error(_csv("2024-01-02,20,25,26,24,0,100,2222.SR", GOOD))
    assert error.line == 2


def test_first_bad_row_wins():
    error = _error(_csv(GOOD, "2024-01-02,20,x,26,24,25,100,2222.SR",
                        "2024-01-03,20,y,26,24,25,100,2222.SR"))
    assert error.line == 3


def test_blank_lines_still_count_for_line_numbers():
    text = HEADER + "\n" + GOOD + "\n\n" + "2024-01-05,20,25,26,24,25,-1,2222.SR\n"
    assert _error(text).line == 4


def test_duplicate_date_mentions_the_first_line():
    text = _csv(
        "2024-01-01,20,25,26,24,25,100,2222.SR",   # line 2
        "2024-01-02,20,25,26,24,25,100,2222.SR",   # line 3
        "2024-01-03,20,25,26,24,25,100,2222.SR",   # line 4
        "2024-01-02,20,25,26,24,25,100,2222.SR",   # line 5: repeats line 3
    )
    error = _error(text)
    assert error.line == 5
    assert "2024-01-02" in str(error)
    assert "line 3" in str(error)


def test_duplicate_date_of_a_filler_is_still_refused():
    text = _csv("2024-01-01,25,25,25,25,25,0,2222.SR", "2024-01-01,20,25,26,24,25,100,2222.SR")
    error = _error(text)
    assert (error.line, "line 2" in str(error)) == (3, True)


def test_symbol_column_mismatch_with_requested_symbol():
    text = _csv("2024-01-01,20,25,26,24,25,100,1120.SR")
    error = _error(text, symbol="2222")
    assert error.line == 2
    assert "1120.SR" in str(error) and "2222" in str(error)


def test_price_that_rounds_to_zero_is_refused():
    text = _csv("2024-01-01,0.00001,0.00001,0.00001,0.00001,0.00001,100,2222.SR")
    with pytest.raises(ImportFileError, match="positive"):
        parse_yahoo_daily_csv(text, "2222")  # today: imported with open=high=low=close=0.0


# --- the shipped files --------------------------------------------------------------------


def _expected_counts(path: Path) -> tuple[int, int, list[str]]:
    """Rows, fillers and the kept dates, counted with the csv module alone."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fillers = 0
    kept = []
    for row in rows:
        prices = {float(row[c]) for c in ("Open", "High", "Low", "Close")}
        if float(row["Volume"]) == 0 and len(prices) == 1:
            fillers += 1
        else:
            kept.append(row["Date"][:10])
    return len(rows), fillers, sorted(kept)


@pytest.mark.parametrize(
    ("symbol", "rows", "fillers"),
    [("2222", 1493, 35), ("1120", 1737, 65)],
)
def test_shipped_files(symbol, rows, fillers):
    path = DATA_DIR / f"{symbol}.SR.csv"
    expected_rows, expected_fillers, kept_dates = _expected_counts(path)
    assert (expected_rows, expected_fillers) == (rows, fillers)
    parsed = parse_yahoo_daily_csv(path.read_text(encoding="utf-8-sig"), symbol)
    assert parsed.rows_read == expected_rows
    assert parsed.fillers_skipped == expected_fillers
    assert len(parsed.bars) == expected_rows - expected_fillers
    assert [b.bar.day.isoformat() for b in parsed.bars] == kept_dates
    for stored in parsed.bars:
        bar = stored.bar
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.low > 0 and bar.volume >= 0
        for price in (bar.open, bar.high, bar.low, bar.close):
            assert round(price, 4) == price


def test_shipped_aramco_ipo_day_is_rounded():
    text = (DATA_DIR / "2222.SR.csv").read_text(encoding="utf-8-sig")
    first = parse_yahoo_daily_csv(text, "2222").bars[0]
    # File: 2019-12-11, Close 29.09090805053711 (IPO 32.00 / 1.1 bonus), Volume 38289394
    assert first.bar == DailyBar(date(2019, 12, 11), 29.0909, 29.0909, 29.0909, 29.0909,
                                 38289394)
    assert first.adj_close == 22.3526


def test_shipped_file_imported_under_the_wrong_symbol_fails_on_line_2():
    text = (DATA_DIR / "1120.SR.csv").read_text(encoding="utf-8-sig")
    error = _error(text, symbol="2222")
    assert error.line == 2
