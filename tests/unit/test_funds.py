"""Funds: type and currency read from real Arabic names of the 2025-12-25 snapshot, the
synthetic NAV generator, and every performance metric on small NAV series whose expected
values are worked out here by hand."""

import math
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from server.domain.fund_metrics import (
    Drawdown,
    ReturnPeriod,
    annualised_volatility,
    daily_returns,
    fund_performance,
    max_drawdown,
    period_returns,
    period_start,
    sharpe_ratio,
)
from server.domain.funds import (
    FundType,
    SyntheticNavModel,
    currency_from_name,
    fund_type_from_name,
    normalise_arabic,
    synthetic_nav_history,
    synthetic_nav_model,
    valuation_days,
)
from server.domain.trading_calendar import trading_days

# --- names -------------------------------------------------------------------------------


def test_normalise_arabic_folds_the_snapshots_spelling_variants() -> None:
    assert normalise_arabic("الأھلي") == normalise_arabic("الأهلي") == "الاهلي"  # U+06BE
    assert normalise_arabic("إستثمار آسيا") == "استثمار اسيا"
    assert normalise_arabic("السعودیة") == "السعوديه"  # Persian yeh, taa marbuta
    assert normalise_arabic("صنـدوق  مُلكيّة") == "صندوق ملكيه"  # tatweel, harakat, spaces


# Real names from funds_snapshot_2025-12-25.tsv, each typed by hand.
@pytest.mark.parametrize(("name", "expected"), [
    ("صندوق الأهلي المتنوع بالريال السعودي", FundType.UNSPECIFIED),  # a murabaha fund
    ("صندوق الأھلي المتنوع بالدولار الأمريكي", FundType.UNSPECIFIED),
    ("صندوق الأول للإستثمار المرن للأسھم السعودیة", FundType.EQUITY),  # ھ and ی
    ("صندوق الأول للإستثمار لمؤشر الأسھم العالمیة", FundType.INDEX),
    ("صندوق الراجحي للأسهم السعودية", FundType.EQUITY),
    ("صندوق الأهلي للطروحات الأولية", FundType.EQUITY),  # IPO funds buy shares
    ("صندوق الإنماء للإصدارات الأولية", FundType.EQUITY),
    ("صندوق البلاد للأسهم العقارية الخليجية", FundType.EQUITY),
    ("صندوق الراجحي للانضمام للمؤشرات", FundType.UNSPECIFIED),  # not an index fund
    ("صندوق اليسر لمؤشر تداول الأسهم السعودية", FundType.INDEX),
    ("صندوق الأهلي للمرابحة بالريال السعودي", FundType.MONEY_MARKET),
    ("صندوق العربي لسوق النقد الأمريكي", FundType.MONEY_MARKET),
    ("صندوق الاستثمار قصير الأجل بالريال السعودي", FundType.MONEY_MARKET),
    ("صندوق الأهلي لصكوك الشركات - فئة أ", FundType.FIXED_INCOME),
    ("الأول للاستثمار للصكوك والمرابحة", FundType.FIXED_INCOME),
    ("صندوق السعودي الفرنسي كابيتال للدخل الثابت - فئة ب", FundType.FIXED_INCOME),
    ("صندوق الرياض العقاري - برج رافال", FundType.REAL_ESTATE),
    ("صندوق الأهلي العالمي للريت", FundType.REAL_ESTATE),
    ("صندوق الأهلي متعدد الأصول المتوازن", FundType.MULTI_ASSET),
    ("صندوق الأول للإستثمار الدفاعي للأصول المتنوعة", FundType.MULTI_ASSET),
    ("صندوق الجزيرة لتوزيع الأصول - استراتيجية النمو", FundType.MULTI_ASSET),
    ("صندوق بلوم القابض لصناديق الريت", FundType.FUND_OF_FUNDS),
    ("صندوق صناديق صائب", FundType.FUND_OF_FUNDS),
    ("صندوق يقين للذهب", FundType.COMMODITY),
    ("صندوق إتش إس بي سي لمؤشر السلع", FundType.COMMODITY),
    ("صندوق النفيس العالمي لأسهم السلع", FundType.EQUITY),  # commodity producers' shares
    ("صندوق الراجحي القيادي", FundType.UNSPECIFIED),
    ("صندوق الإنماء الوقفي لرعاية الايتام", FundType.UNSPECIFIED),
])
def test_fund_type_from_real_names(name: str, expected: FundType) -> None:
    assert fund_type_from_name(name) is expected


@pytest.mark.parametrize(("name", "expected"), [
    ("صندوق الأھلي المتنوع بالدولار الأمريكي", "USD"),
    ("صندوق الأهلي المتنوع بالريال السعودي", "SAR"),
    ("صندوق الرياض للمتاجرة بالدولار", "USD"),
    ("صندوق الأهلي للدولار قصير الأجل", "USD"),
    ("صندوق البلاد للمرابحة بالدولار الاميركي", "USD"),
    ("صندوق الأول للإستثمار للمرابحة بالدولار الأمریكي", "USD"),
    ("صندوق الأهلي للمرابحات باليورو", "EUR"),
    ("صندوق الراجحي للمضاربة الشرعية بالبضائع – يورو", "EUR"),
    ("صندوق الإستثمار القصير الأجل بالجنيه الإسترليني", "GBP"),
    ("صندوق الراجحي للأسهم السعودية", "SAR"),
])
def test_currency_from_real_names(name: str, expected: str) -> None:
    assert currency_from_name(name) == expected


# --- synthetic NAV history ---------------------------------------------------------------

END = date(2025, 12, 25)  # the snapshot's day, a Thursday
LATEST = D("1.5834")


def _history(start: date = date(2024, 12, 1), *, seed: int = 7, fund_id: str = "2013",
             latest: D = LATEST, volatility: float = 0.18) -> list[tuple[date, D]]:
    return synthetic_nav_history(fund_id, latest, END, start, annual_volatility=volatility,
                                 annual_return=0.08, seed=seed)


def test_history_ends_exactly_at_the_latest_nav() -> None:
    history = _history()
    assert history[-1] == (END, LATEST)


def test_history_is_on_valuation_days_only() -> None:
    history = _history()
    days = [day for day, _ in history]
    assert days == trading_days(date(2024, 12, 1), END)
    assert all(day.weekday() not in (4, 5) for day in days)  # no Friday or Saturday
    assert date(2025, 6, 8) not in days  # a Sunday of the Eid al-Adha closure


def test_valuation_days_outside_the_calendar_are_sunday_to_thursday() -> None:
    days = valuation_days(date(2018, 12, 27), date(2019, 1, 3))
    assert days == [date(2018, 12, 27), date(2018, 12, 30), date(2018, 12, 31),
                    date(2019, 1, 1), date(2019, 1, 2), date(2019, 1, 3)]


def test_history_is_deterministic_per_fund_and_seed() -> None:
    assert _history() == _history()
    assert _history(seed=8) != _history()
    assert _history(fund_id="2014") != _history()


def test_a_longer_history_keeps_the_recent_points() -> None:
    long = _history(date(2020, 12, 1))
    short = _history()
    assert long[-len(short):] == short


def test_navs_are_positive_and_on_four_decimals() -> None:
    history = _history(date(2019, 1, 1), latest=D("0.0150"), volatility=0.6)
    assert all(nav >= D("0.0001") for _, nav in history)
    assert all(nav == nav.quantize(D("0.0001")) for _, nav in history)


def test_history_has_about_the_volatility_asked_for() -> None:
    history = _history(date(2021, 1, 1))
    volatility = annualised_volatility(history)
    assert volatility is not None and 0.16 < volatility < 0.20


@pytest.mark.parametrize(("latest", "end"), [
    (D("0"), END), (D("-1"), END), (LATEST, date(2025, 12, 26)),  # a Friday
])
def test_history_rejects_what_it_cannot_end_at(latest: D, end: date) -> None:
    with pytest.raises(ValueError):
        synthetic_nav_history("2013", latest, end, date(2025, 1, 1), annual_volatility=0.1,
                              annual_return=0.05, seed=1)


def test_model_takes_the_snapshots_stdev_only_where_plausible() -> None:
    assert synthetic_nav_model(FundType.EQUITY, D("26.8787")) == SyntheticNavModel(
        0.268787, 0.08)
    assert synthetic_nav_model(FundType.EQUITY, D("496.3952")).annual_volatility == 0.18
    assert synthetic_nav_model(FundType.EQUITY, D("0")).annual_volatility == 0.18
    assert synthetic_nav_model(FundType.EQUITY, D("NaN")).annual_volatility == 0.18
    assert synthetic_nav_model(FundType.MONEY_MARKET, D("0.4295")).annual_volatility == \
        pytest.approx(0.004295)
    # A murabaha fund published at 20 % is a data error, not a volatile fund.
    assert synthetic_nav_model(FundType.MONEY_MARKET, D("20.6708")).annual_volatility == 0.005
    assert synthetic_nav_model(FundType.UNSPECIFIED).annual_volatility == 0.10


# --- period returns ----------------------------------------------------------------------

AS_OF = date(2025, 12, 25)
SERIES = [
    (date(2024, 12, 25), D("100")),  # the 1Y base
    (date(2024, 12, 31), D("110")),  # the YTD base: the last NAV of 2024
    (date(2025, 9, 25), D("90")),  # the 3M base
    (date(2025, 11, 25), D("120")),  # the 1M base
    (date(2025, 12, 25), D("121")),
]


def _returns(series: list[tuple[date, D]], as_of: date) -> dict[str, float | None]:
    return {r.period.value: r.total_return for r in period_returns(series, as_of)}


def test_period_starts() -> None:
    assert period_start(ReturnPeriod.ONE_MONTH, date(2025, 3, 31)) == date(2025, 2, 28)
    assert period_start(ReturnPeriod.THREE_MONTHS, date(2025, 1, 15)) == date(2024, 10, 15)
    assert period_start(ReturnPeriod.YEAR_TO_DATE, date(2025, 6, 1)) == date(2024, 12, 31)
    assert period_start(ReturnPeriod.ONE_YEAR, date(2024, 2, 29)) == date(2023, 2, 28)
    assert period_start(ReturnPeriod.FIVE_YEARS, AS_OF) == date(2020, 12, 25)


def test_period_returns_by_hand() -> None:
    returns = _returns(SERIES, AS_OF)
    assert returns["1M"] == pytest.approx(121 / 120 - 1)
    assert returns["3M"] == pytest.approx(121 / 90 - 1)
    assert returns["YTD"] == pytest.approx(0.1)  # 121 / 110 - 1
    assert returns["1Y"] == pytest.approx(0.21)  # 121 / 100 - 1
    assert returns["3Y"] is None and returns["5Y"] is None  # not covered


def test_period_return_bases_on_the_last_nav_on_or_before_the_start() -> None:
    # As of 24 December the latest NAV is 25 November's (120); the 1M start, 24 November,
    # has no NAV, so its base is 25 September's (90).
    returns = _returns(SERIES, date(2025, 12, 24))
    assert returns["1M"] == pytest.approx(120 / 90 - 1)
    assert returns["1Y"] is None  # 24 December 2024 is before the first NAV


def test_three_year_return_is_annualised() -> None:
    series = [(date(2022, 12, 25), D("100")), (AS_OF, D("133.1"))]
    three_years = next(r for r in period_returns(series, AS_OF)
                       if r.period is ReturnPeriod.THREE_YEARS)
    assert three_years.total_return == pytest.approx(0.331)
    assert three_years.annualised_return == pytest.approx(0.1)  # 1.331 ** (1/3) = 1.1


def test_a_short_history_gets_only_the_periods_it_covers() -> None:
    series = [(date(2025, 10, 1), D("10")), (date(2025, 11, 20), D("10.5")), (AS_OF, D("11"))]
    returns = _returns(series, AS_OF)
    assert returns["1M"] == pytest.approx(11 / 10.5 - 1)
    assert [returns[p] for p in ("3M", "YTD", "1Y", "3Y", "5Y")] == [None] * 5
    assert all(r.total_return is None for r in period_returns([], AS_OF))


# --- volatility and Sharpe ---------------------------------------------------------------

# Daily returns +2 %, -2 %, +1 %.
SMALL = [(date(2025, 12, 21), D("100")), (date(2025, 12, 22), D("102")),
         (date(2025, 12, 23), D("99.96")), (date(2025, 12, 24), D("100.9596"))]


def test_volatility_by_hand() -> None:
    assert daily_returns(SMALL) == pytest.approx([0.02, -0.02, 0.01])
    # mean 1/300; deviations 5/300, -7/300, 2/300; sample variance (25 + 49 + 4) / 90000 / 2
    # = 13/30000; annualised variance 13/30000 * 250 = 13/120.
    assert annualised_volatility(SMALL) == pytest.approx(math.sqrt(13 / 120))  # 0.32914


def test_sharpe_by_hand_with_a_risk_free_rate() -> None:
    # (mean * 250 - rf) / volatility = (250/300 - 0.05) / sqrt(13/120) = 2.37993
    assert sharpe_ratio(SMALL, 0.05) == pytest.approx((250 / 300 - 0.05) / math.sqrt(13 / 120))
    assert sharpe_ratio(SMALL, 0.0) == pytest.approx((250 / 300) / math.sqrt(13 / 120))


def test_volatility_and_sharpe_need_two_returns_and_some_variation() -> None:
    assert annualised_volatility(SMALL[:2]) is None
    assert sharpe_ratio(SMALL[:2], 0.05) is None
    flat = [(date(2025, 12, 21 + i), D("10")) for i in range(4)]
    assert annualised_volatility(flat) == 0.0
    assert sharpe_ratio(flat, 0.05) is None


# --- drawdown ----------------------------------------------------------------------------

def _days(*navs: str) -> list[tuple[date, D]]:
    return [(date(2025, 1, 1) + timedelta(days=i), D(nav)) for i, nav in enumerate(navs)]


def test_max_drawdown_with_recovery() -> None:
    series = _days("100", "120", "90", "110", "120", "130", "117")
    # 120 -> 90 is 25 %; 130 -> 117 only 10 %. Back at 120 on the fifth day.
    assert max_drawdown(series) == Drawdown(0.25, date(2025, 1, 2), date(2025, 1, 3),
                                            date(2025, 1, 5))


def test_max_drawdown_not_recovered() -> None:
    # 1 - 80/100 is Decimal 0.2 exactly, so the float is the literal 0.2
    assert max_drawdown(_days("100", "80", "90")) == Drawdown(0.2, date(2025, 1, 1),
                                                              date(2025, 1, 2), None)


def test_equal_drawdowns_report_the_first() -> None:
    drawdown = max_drawdown(_days("100", "50", "100", "50"))
    assert drawdown is not None
    assert (drawdown.trough_date, drawdown.recovery_date) == (date(2025, 1, 2),
                                                              date(2025, 1, 3))


def test_no_drawdown_when_the_nav_never_fell() -> None:
    assert max_drawdown(_days("100", "100", "101")) is None
    assert max_drawdown([]) is None


# --- together ----------------------------------------------------------------------------

def test_fund_performance_uses_the_last_year_for_risk_and_all_history_for_drawdown() -> None:
    series = [(date(2023, 12, 25), D("200"))] + SERIES + [(date(2025, 12, 28), D("999"))]
    performance = fund_performance(series, AS_OF, 0.05)
    last_year = SERIES  # from the 1Y base, 25 December 2024, on; the 28th is after as_of
    assert performance.annualised_volatility == pytest.approx(annualised_volatility(last_year))
    assert performance.sharpe_ratio == pytest.approx(sharpe_ratio(last_year, 0.05))
    assert performance.risk_free_rate == 0.05
    assert performance.max_drawdown == Drawdown(0.55, date(2023, 12, 25), date(2025, 9, 25),
                                                None)  # 200 -> 90
    assert {r.period.value: r.total_return for r in performance.returns}["1Y"] == \
        pytest.approx(0.21)
