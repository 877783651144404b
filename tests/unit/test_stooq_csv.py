"""server.ingest.stooq_csv.parse_stooq_daily_csv: Stooq's layout, the Yahoo parser's rules."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from server.domain.bars import DailyBar
from server.ingest.stooq_csv import parse_stooq_daily_csv
from server.ingest.yahoo_csv import ImportFileError, parse_yahoo_daily_csv
from server.storage.bars import StoredDailyBar

DATA_DIR = Path(__file__).resolve().parents[2] / "server" / "ingest" / "data"

HEADER = "Date,Open,High,Low,Close,Volume"


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _error(text: str, symbol: str = "2222") -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        parse_stooq_daily_csv(text, symbol)
    return caught.value


# --- happy path ---------------------------------------------------------------------------


def test_happy_path_counts_sorts_rounds_and_skips_fillers() -> None:
    text = _csv(
        "2024-01-03,25.60000001,26.000049,25.5,25.780000686645508,1000",  # line 2
        "2024-01-02,25.5,25.5,25.5,25.5,0",                               # line 3: filler
        "2024-01-01,25.2,25.6,25.1,25.4,2000",                            # line 4: earlier
        "2024-01-04,25.8,26.0,25.7,25.9,0",                               # moved: kept
        "2024-01-07,26,26,26,26,5",                                       # traded: kept
    )
    parsed = parse_stooq_daily_csv(text, "2222")
    assert parsed.rows_read == 5
    assert parsed.fillers_skipped == 1
    assert [b.bar.day for b in parsed.bars] == [
        date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 4), date(2024, 1, 7)]
    # Stooq publishes no dividend-adjusted close.
    assert parsed.bars[1] == StoredDailyBar(
        DailyBar(date(2024, 1, 3), open=25.6, high=26.0, low=25.5, close=25.78, volume=1000),
        adj_close=None)
    assert isinstance(parsed.bars[1].bar.volume, int)


def test_open_interest_column_is_ignored() -> None:
    parsed = parse_stooq_daily_csv(_csv("2024-01-01,1.5,2.5,1.0,2.0,10,0",
                                        header=HEADER + ",OpenInt"), "2222")
    assert parsed.bars == [StoredDailyBar(DailyBar(date(2024, 1, 1), 1.5, 2.5, 1.0, 2.0, 10),
                                          None)]


def test_an_adj_close_column_is_not_stooq_s_and_is_not_read() -> None:
    parsed = parse_stooq_daily_csv(_csv("2024-01-01,1.5,2.5,1.0,2.0,10,1.9",
                                        header=HEADER + ",Adj Close"), "2222")
    assert parsed.bars[0].adj_close is None


def test_volume_written_as_float_is_accepted_when_whole() -> None:
    parsed = parse_stooq_daily_csv(_csv("2024-01-01,1,1,1,1,1500.0"), "2222")
    assert parsed.bars[0].bar.volume == 1500


def test_the_shipped_yahoo_history_in_stooq_layout_gives_the_same_bars() -> None:
    """Same rows, same rules: only the adjusted close (Yahoo's alone) differs."""
    yahoo_text = (DATA_DIR / "2222.SR.csv").read_text(encoding="utf-8-sig")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    for row in csv.DictReader(io.StringIO(yahoo_text)):
        writer.writerow([row[c] for c in HEADER.split(",")])
    stooq = parse_stooq_daily_csv(out.getvalue(), "2222")
    yahoo = parse_yahoo_daily_csv(yahoo_text, "2222")
    assert (stooq.rows_read, stooq.fillers_skipped) == (yahoo.rows_read, yahoo.fillers_skipped)
    assert [b.bar for b in stooq.bars] == [b.bar for b in yahoo.bars]
    assert {b.adj_close for b in stooq.bars} == {None}


# --- errors with line numbers (header = line 1) -------------------------------------------

GOOD = "2024-01-01,25,26,24,25,100"


def test_missing_column_is_line_1_and_names_the_format() -> None:
    error = _error(_csv("2024-01-01,1,1,1,1,100", header="Date,Open,High,Low,Close,Vol"))
    assert error.line == 1
    assert str(error).startswith("line 1: ")
    assert "Volume" in str(error) and "Stooq daily CSV" in str(error)


def test_empty_file_is_line_1() -> None:
    assert _error("").line == 1


def test_header_only_file() -> None:
    error = _error(HEADER + "\n")
    assert error.line is None
    assert "no rows" in str(error)


@pytest.mark.parametrize(
    ("bad_row", "needle"),
    [
        ("2024-13-01,25,26,24,25,100", "Date"),            # bad month
        ("01/02/2024,25,26,24,25,100", "Date"),            # US format
        ("20240102,25,26,24,25,100", "Date"),              # no dashes
        (",25,26,24,25,100", "Date"),                      # empty date
        ("2024-01-02,abc,26,24,25,100", "Open"),           # non-number price
        ("2024-01-02,25,,24,25,100", "High"),              # empty price
        ("2024-01-02,25,26,-24,25,100", "Low"),            # negative price
        ("2024-01-02,25,26,24,0,100", "Close"),            # zero price
        ("2024-01-02,25,inf,24,25,100", "High"),           # infinite price
        ("2024-01-02,nan,26,24,25,100", "Open"),           # NaN price
        ("2024-01-02,25,26,24,25,-100", "negative"),       # negative volume
        ("2024-01-02,25,26,24,25,10.5", "whole"),          # fractional volume
        ("2024-01-02,25,26,24,25,many", "Volume"),
        ("2024-01-02,25,26,25.5,25,100", "inconsistent"),  # low > open
        ("2024-01-02,25,26,24,27,100", "inconsistent"),    # close > high
        ("2024-01-02,25,26,24,23,100", "inconsistent"),    # close < low
        ("2024-01-02,26.5,26,24,25,100", "inconsistent"),  # open > high
        ("2024-01-02,25,26,24,25", "fields"),              # short row
        ("2024-01-02,25,26,24,25,100,extra", "fields"),    # long row
    ],
)
def test_bad_row_reports_its_line(bad_row: str, needle: str) -> None:
    # Two good rows first, so the bad one is on line 4.
    error = _error(_csv(GOOD, "2024-01-03,25,26,24,25,100", bad_row))
    assert error.line == 4
    assert str(error).startswith("line 4: ")
    assert needle in str(error)


def test_first_bad_row_wins() -> None:
    error = _error(_csv(GOOD, "2024-01-02,x,26,24,25,100", "2024-01-03,y,26,24,25,100"))
    assert error.line == 3


def test_blank_lines_still_count_for_line_numbers() -> None:
    text = HEADER + "\n" + GOOD + "\n\n" + "2024-01-05,25,26,24,25,-1\n"
    assert _error(text).line == 4


def test_duplicate_date_mentions_the_first_line() -> None:
    error = _error(_csv(GOOD, "2024-01-02,25,26,24,25,100", "2024-01-02,25,26,24,25,200"))
    assert error.line == 4
    assert "2024-01-02" in str(error) and "line 3" in str(error)


def test_duplicate_date_of_a_filler_is_still_refused() -> None:
    error = _error(_csv("2024-01-01,25,25,25,25,0", GOOD))
    assert (error.line, "line 2" in str(error)) == (3, True)


def test_a_symbol_column_must_name_the_requested_symbol() -> None:
    error = _error(_csv("2024-01-01,25,26,24,25,100,1120", header=HEADER + ",Symbol"))
    assert error.line == 2
    assert "1120" in str(error) and "2222" in str(error)
