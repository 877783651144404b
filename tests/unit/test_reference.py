"""server.ingest.reference: the shipped company list and index levels."""

import csv
import io
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest

from server.domain.securities import Market, SecurityType
from server.ingest.reference import (
    COMPANIES_FILE,
    INDICES_FILE,
    parse_companies,
    parse_index_levels,
)

# --- companies ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def companies_text() -> str:
    return COMPANIES_FILE.read_text(encoding="utf-8-sig")


@pytest.fixture(scope="module")
def securities(companies_text):
    return {s.symbol: s for s in parse_companies(companies_text)}


def test_companies_count_matches_the_file(companies_text, securities):
    rows = list(csv.DictReader(io.StringIO(companies_text)))
    assert len(rows) == 403
    assert len(securities) == 403  # no symbol twice
    assert all(len(s) == 4 and s.isascii() and s.isdigit() for s in securities)


def test_aramco(securities):
    aramco = securities["2222"]
    assert aramco.name_en == "Saudi Arabian Oil Company"
    assert aramco.name_ar == "أرامكو السعودية"
    assert (aramco.market, aramco.security_type) == (Market.MAIN, SecurityType.EQUITY)
    assert aramco.sector == "Energy"
    assert aramco.sector_ar == "الطاقة"
    assert aramco.currency == "SAR"


def test_nomu_and_etf_securities(securities):
    assert securities["9510"].market is Market.NOMU
    assert securities["9510"].security_type is SecurityType.EQUITY
    assert securities["9405"].security_type is SecurityType.ETF
    assert securities["9405"].name_en == "Albilad Gold ETF"
    nomu = [s for s in securities.values() if 9500 <= int(s.symbol) < 9700]
    assert len(nomu) > 0
    assert all(s.market is Market.NOMU for s in nomu)
    etfs = sorted(s.symbol for s in securities.values() if s.security_type is SecurityType.ETF)
    assert etfs == [str(code) for code in range(9400, 9412)]


def test_reits_include_the_one_known_only_by_sector(securities):
    assert securities["4330"].security_type is SecurityType.REIT
    # 4350 is outside the 4330-4349 block and is a REIT through its Arabic sector name.
    assert securities["4350"].sector_ar == "الصناديق العقارية المتداولة"
    assert securities["4350"].security_type is SecurityType.REIT


def test_names_are_whitespace_normalised(securities):
    for security in securities.values():
        assert security.name_en == " ".join(security.name_en.split())
        assert security.name_ar == " ".join(security.name_ar.split())
        assert security.name_en


def test_bad_symbol_in_companies_file_is_refused():
    text = ("symbol,name_en,name_ar_short,sector_ar,sector_en_yahoo,industry_en_yahoo\n"
            "ABCD,X,,,,\n")
    with pytest.raises(ValueError, match="ABCD"):
        parse_companies(text)


def test_parse_companies_collapses_spaces_and_reads_alias():
    text = ("symbol,name_en,name_ar_short,sector_ar,sector_en_yahoo,industry_en_yahoo\n"
            "4350.SR,  Some   REIT  ,اسم   قصير, الصناديق العقارية المتداولة , Real Estate ,REIT\n")
    [security] = parse_companies(text)
    assert security.symbol == "4350"
    assert security.name_en == "Some REIT"
    assert security.name_ar == "اسم قصير"
    assert security.sector == "Real Estate"
    assert security.security_type is SecurityType.REIT


def test_every_security_named_reit_is_a_reit(securities):
    named_reit = [s for s in securities.values()
                  if "REIT" in s.name_en.upper() or s.industry.upper().startswith("REIT")]
    assert "9300" in {s.symbol for s in named_reit}
    assert [s.symbol for s in named_reit if s.security_type is not SecurityType.REIT] == []


# --- index levels -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index_text() -> str:
    return INDICES_FILE.read_text(encoding="utf-8-sig")


@pytest.fixture(scope="module")
def index_levels(index_text):
    return parse_index_levels(index_text)


@pytest.fixture(scope="module")
def tasi_rows(index_text):
    """TASI rows straight from the csv module, oldest first."""
    rows = [r for r in csv.DictReader(io.StringIO(index_text))
            if r["Index"] == "Tadwul All Share Index (TASI)"]
    return sorted(rows, key=lambda r: r["Date"])


def test_four_indices_with_251_bars_each(index_levels):
    names, bars = index_levels
    assert names == {
        "TASI": "Tadawul All Share Index",
        "MT30": "MSCI Tadawul 30 Index",
        "TASI50": "TASI50 Index",
        "IPO": "Tadawul IPO Index",
    }
    assert Counter(b.index_code for b in bars) == {"TASI": 251, "MT30": 251, "TASI50": 251,
                                                   "IPO": 251}


def test_bars_are_in_date_order_without_repeats(index_levels):
    _, bars = index_levels
    by_code = defaultdict(list)
    for bar in bars:
        by_code[bar.index_code].append(bar.day)
    for days in by_code.values():
        assert days == sorted(set(days))
        assert days[0] == date(2025, 1, 1)
        assert days[-1] == date(2025, 12, 31)


def test_first_day_of_each_index_has_no_return(index_levels):
    _, bars = index_levels
    first_return = {}
    for bar in bars:
        first_return.setdefault(bar.index_code, bar.daily_return)
    assert first_return == {"TASI": None, "MT30": None, "TASI50": None, "IPO": None}
    assert sum(1 for b in bars if b.daily_return is None) == 4


def test_tasi_first_bar_matches_the_file(index_levels, tasi_rows):
    _, bars = index_levels
    tasi = [b for b in bars if b.index_code == "TASI"]
    first_row = tasi_rows[0]
    assert first_row["Date"] == "2025-01-01"
    assert tasi[0].day == date(2025, 1, 1)
    assert tasi[0].close == float(first_row["Close"]) == 12077.31
    assert tasi[0].volume == 136109159
    assert tasi[0].trades == 318228
    assert tasi[0].value_traded == Decimal("3316593761.95")
    assert tasi[0].daily_return is None


@pytest.mark.parametrize("position", [1, 2, 100, 250])
def test_tasi_returns_are_close_over_previous_close(index_levels, tasi_rows, position):
    _, bars = index_levels
    tasi = [b for b in bars if b.index_code == "TASI"]
    today, yesterday = tasi_rows[position], tasi_rows[position - 1]
    expected = float(today["Close"]) / float(yesterday["Close"]) - 1
    assert tasi[position].day.isoformat() == today["Date"]
    assert tasi[position].daily_return == pytest.approx(expected, rel=1e-12)


def test_tasi_second_day_return_by_hand(index_levels):
    _, bars = index_levels
    second = [b for b in bars if b.index_code == "TASI"][1]
    # 2025-01-02 close 12102.55 over 2025-01-01 close 12077.31
    assert second.day == date(2025, 1, 2)
    assert second.daily_return == pytest.approx(12102.55 / 12077.31 - 1)
    assert second.daily_return == pytest.approx(0.0020899, abs=1e-7)


def test_files_own_daily_return_was_computed_in_reverse_and_is_ignored(index_levels, tasi_rows):
    _, bars = index_levels
    tasi = [b for b in bars if b.index_code == "TASI"]
    # 2025-01-02 in the file says +0.2712 %: that is 12102.55 / 12069.82 - 1, i.e. the
    # close of the day over the close of the NEXT trading day (2025-01-05).
    jan2 = tasi_rows[1]
    assert jan2["Date"] == "2025-01-02"
    file_value = float(jan2["Daily_Return_Pct"]) / 100
    assert file_value == pytest.approx(12102.55 / 12069.82 - 1, rel=1e-9)
    assert tasi[1].daily_return != pytest.approx(file_value, rel=1e-3)
    # Every comparable day disagrees, and every file value is close(d) / close(d+1) - 1.
    comparable = [(bar, row) for bar, row in zip(tasi, tasi_rows, strict=True)
                  if row["Daily_Return_Pct"] and bar.daily_return is not None]
    assert len(comparable) >= 240
    assert all(bar.daily_return != pytest.approx(float(row["Daily_Return_Pct"]) / 100, rel=1e-6)
               for bar, row in comparable)
    for today, tomorrow in zip(tasi_rows, tasi_rows[1:], strict=False):
        if today["Daily_Return_Pct"]:
            reverse = float(today["Close"]) / float(tomorrow["Close"]) - 1
            assert float(today["Daily_Return_Pct"]) / 100 == pytest.approx(reverse, rel=1e-9)


def test_optional_index_columns_become_none(index_levels):
    _, bars = index_levels
    tasi50 = [b for b in bars if b.index_code == "TASI50"]
    # The exchange publishes no volume for TASI50 (the column is empty in the file).
    assert all(b.volume is None for b in tasi50)
    assert all(b.value_traded is not None for b in tasi50)


def test_unknown_index_name_is_refused():
    text = ("Date,Open,High,Low,Close,Volume Traded,Value Traded (SAR),Number of Trades,Index\n"
            "2025-01-01,1,1,1,1,,,,Some Other Index\n")
    with pytest.raises((KeyError, ValueError), match="Some Other Index"):
        parse_index_levels(text)
