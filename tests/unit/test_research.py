"""Research data: the consensus on hand-made ratings worked out here by hand, and the
invariants of the synthetic generators (determinism, counts, ranges, tick grid, dates)."""

from collections import Counter
from datetime import UTC, date, time, timedelta
from decimal import Decimal as D

import pytest

from server.domain.research import (
    BROKERS,
    MAX_INSIDER_TRADES_PER_YEAR,
    MAX_RATINGS,
    MIN_RATINGS,
    AnalystRating,
    AnnouncementCategory,
    Consensus,
    InsiderRole,
    InsiderTransaction,
    Recommendation,
    TradeSide,
    analyst_ratings,
    announcements,
    consensus,
    insider_transactions,
    news_items,
)
from server.domain.ticks import is_on_tick_grid, tick_size_for

AS_OF = date(2025, 6, 30)
PRICE = D("27.45")
SEED = 7
# Enough symbols that every count in a generator's range shows up at least once.
SYMBOLS = [str(1000 + i) for i in range(300)]
COMPANIES = [("2222", "Saudi Aramco"), ("1120", "Al Rajhi Bank"), ("7010", "stc"),
             ("2010", "SABIC")]


def rating(target: str, recommendation: Recommendation) -> AnalystRating:
    return AnalystRating("2222", "SNB Capital", recommendation, D(target), AS_OF)


# --- consensus -------------------------------------------------------------------------


def test_consensus_by_hand() -> None:
    ratings = [rating("24.00", Recommendation.BUY), rating("21.00", Recommendation.HOLD),
               rating("17.51", Recommendation.SELL), rating("22.00", Recommendation.BUY)]
    # mean = (24.00 + 21.00 + 17.51 + 22.00) / 4 = 84.51 / 4 = 21.1275 -> 21.13 (half-even,
    # the digit after the cent is 7); upside = 21.13 / 19.30 - 1 = 0.094818... -> 0.0948.
    assert consensus(ratings, D("19.30")) == Consensus(
        buy_count=2, hold_count=1, sell_count=1,
        mean_target=D("21.13"), high_target=D("24.00"), low_target=D("17.51"),
        upside=D("0.0948"))


def test_consensus_negative_upside_by_hand() -> None:
    ratings = [rating("18.00", Recommendation.SELL), rating("19.01", Recommendation.HOLD)]
    # mean = 37.01 / 2 = 18.505 -> 18.50 (half-even: 0 is even); upside = 18.50 / 20 - 1
    # = -0.075 -> -0.0750.
    result = consensus(ratings, D("20"))
    assert (result.mean_target, result.upside) == (D("18.50"), D("-0.0750"))
    assert (result.buy_count, result.hold_count, result.sell_count) == (0, 1, 1)


def test_consensus_of_no_ratings_has_counts_zero_and_no_targets() -> None:
    assert consensus([], PRICE) == Consensus(0, 0, 0, None, None, None, None)


@pytest.mark.parametrize("price", [D(0), D(-1), D("NaN")])
def test_consensus_rejects_a_non_positive_price(price: D) -> None:
    with pytest.raises(ValueError):
        consensus([rating("20.00", Recommendation.BUY)], price)


# --- analyst ratings -------------------------------------------------------------------


def test_ratings_are_deterministic_per_symbol_and_seed() -> None:
    first = analyst_ratings("2222", price=PRICE, as_of=AS_OF, seed=SEED)
    assert first == analyst_ratings("2222", price=PRICE, as_of=AS_OF, seed=SEED)
    assert first != analyst_ratings("2222", price=PRICE, as_of=AS_OF, seed=SEED + 1)
    assert first != analyst_ratings("1120", price=PRICE, as_of=AS_OF, seed=SEED)


def test_rating_counts_span_the_documented_range() -> None:
    counts = {len(analyst_ratings(s, price=PRICE, as_of=AS_OF, seed=SEED)) for s in SYMBOLS}
    assert min(counts) == MIN_RATINGS == 3
    assert max(counts) == MAX_RATINGS == 12


@pytest.mark.parametrize("price", [D("3.17"), PRICE, D("87.30"), D("1234.50")])
def test_ratings_are_plausible(price: D) -> None:
    for symbol in SYMBOLS[:50]:
        ratings = analyst_ratings(symbol, price=price, as_of=AS_OF, seed=SEED)
        brokers = [r.broker for r in ratings]
        assert len(set(brokers)) == len(brokers) and set(brokers) <= set(BROKERS)
        # Rounding to the nearest tick may move a target by half a tick past the band.
        tick = tick_size_for(price)
        for r in ratings:
            assert r.symbol == symbol
            assert is_on_tick_grid(r.target_price)
            assert price * D("0.80") - tick <= r.target_price <= price * D("1.35") + tick
            assert AS_OF - timedelta(days=364) <= r.rating_date <= AS_OF
            upside = r.target_price / price - 1
            expected = (Recommendation.BUY if upside >= D("0.10")
                        else Recommendation.SELL if upside <= D("-0.05")
                        else Recommendation.HOLD)
            assert r.recommendation is expected
        assert [r.rating_date for r in ratings] == sorted(
            (r.rating_date for r in ratings), reverse=True)


def test_ratings_use_every_recommendation() -> None:
    seen = {r.recommendation for s in SYMBOLS[:20]
            for r in analyst_ratings(s, price=PRICE, as_of=AS_OF, seed=SEED)}
    assert seen == set(Recommendation)


def test_ratings_reject_a_non_positive_price() -> None:
    with pytest.raises(ValueError):
        analyst_ratings("2222", price=D(0), as_of=AS_OF, seed=SEED)


# --- insider transactions --------------------------------------------------------------


def test_insider_transactions_are_deterministic() -> None:
    first = insider_transactions("2222", price=PRICE, as_of=AS_OF, seed=SEED)
    assert first == insider_transactions("2222", price=PRICE, as_of=AS_OF, seed=SEED)
    assert first != insider_transactions("2222", price=PRICE, as_of=AS_OF, seed=SEED + 1)


def test_insider_transactions_counts_and_ranges() -> None:
    per_symbol = []
    roles: set[InsiderRole] = set()
    sides: set[TradeSide] = set()
    for symbol in SYMBOLS:
        trades = insider_transactions(symbol, price=PRICE, as_of=AS_OF, seed=SEED)
        per_symbol.append(len(trades))
        years = Counter((AS_OF - t.trade_date).days // 365 for t in trades)
        assert set(years) <= {0, 1}
        assert all(n <= MAX_INSIDER_TRADES_PER_YEAR for n in years.values())
        for t in trades:
            assert t.symbol == symbol
            assert AS_OF - timedelta(days=729) <= t.trade_date <= AS_OF
            assert is_on_tick_grid(t.price)
            assert PRICE * D("0.95") - D("0.02") <= t.price <= PRICE * D("1.05") + D("0.02")
            assert t.shares > 0 and t.shares % 100 == 0
            assert t.value == t.shares * t.price
            roles.add(t.role)
            sides.add(t.side)
        assert [t.trade_date for t in trades] == sorted(
            (t.trade_date for t in trades), reverse=True)
    assert min(per_symbol) == 0
    assert max(per_symbol) <= 2 * MAX_INSIDER_TRADES_PER_YEAR
    assert roles == set(InsiderRole) and sides == set(TradeSide)


def test_insider_transaction_value_must_be_shares_times_price() -> None:
    with pytest.raises(ValueError):
        InsiderTransaction("2222", InsiderRole.CEO, TradeSide.BUY, AS_OF, 100, D("27.45"),
                           D("2745.01"))


# --- announcements ---------------------------------------------------------------------


def test_announcements_are_deterministic() -> None:
    first = announcements("2222", "Saudi Aramco", as_of=AS_OF, seed=SEED)
    assert first == announcements("2222", "Saudi Aramco", as_of=AS_OF, seed=SEED)
    assert first != announcements("2222", "Saudi Aramco", as_of=AS_OF, seed=SEED + 1)


@pytest.mark.parametrize("as_of", [AS_OF, date(2025, 1, 10), date(2024, 3, 1)])
def test_announcements_are_periodic_and_inside_the_window(as_of: date) -> None:
    for symbol in SYMBOLS[:30]:
        items = announcements(symbol, "Saudi Aramco", as_of=as_of, seed=SEED)
        assert all(as_of - timedelta(days=729) <= a.published_on <= as_of for a in items)
        assert all(a.symbol == symbol and a.title.startswith("Saudi Aramco ") for a in items)
        assert [a.published_on for a in items] == sorted(
            (a.published_on for a in items), reverse=True)
        by_category = Counter(a.category for a in items)
        # Two years hold about eight quarterly results; the window's edges may cut one
        # off or let one more in.
        assert 7 <= by_category[AnnouncementCategory.FINANCIAL_RESULTS] <= 9
        assert 1 <= by_category[AnnouncementCategory.AGM_INVITATION] <= 3
        # Each results title names its own period, so no period is announced twice.
        results = [a.title for a in items
                   if a.category is AnnouncementCategory.FINANCIAL_RESULTS]
        assert len(set(results)) == len(results)
        # A dividend recommendation goes out with each annual result, on the same day.
        annual_days = sorted(a.published_on for a in items if "annual" in a.title)
        dividend_days = sorted(a.published_on for a in items
                               if a.category is AnnouncementCategory.BOARD_RECOMMENDATION)
        assert annual_days == dividend_days


def test_results_are_published_within_the_regulatory_lags() -> None:
    items = announcements("2222", "Saudi Aramco", as_of=AS_OF, seed=SEED)
    interim = [a for a in items if "interim" in a.title]
    annual = [a for a in items if "annual" in a.title]
    q1_2025 = next(a for a in interim if "31 March 2025" in a.title)
    assert date(2025, 4, 15) <= q1_2025.published_on <= date(2025, 4, 30)
    fy_2024 = next(a for a in annual if "31 December 2024" in a.title)
    assert date(2025, 2, 14) <= fy_2024.published_on <= date(2025, 3, 26)


# --- news ------------------------------------------------------------------------------


def test_news_is_deterministic() -> None:
    start, end = date(2025, 6, 1), date(2025, 6, 10)
    first = news_items(COMPANIES, start=start, end=end, seed=SEED, per_day=5)
    assert first == news_items(COMPANIES, start=start, end=end, seed=SEED, per_day=5)
    assert first != news_items(COMPANIES, start=start, end=end, seed=SEED + 1, per_day=5)


def test_news_headlines_name_their_company_inside_the_dates() -> None:
    start, end = date(2025, 5, 25), date(2025, 6, 7)
    items = news_items(COMPANIES, start=start, end=end, seed=SEED, per_day=4)
    assert len(items) == 4 * 14
    names = dict(COMPANIES)
    for item in items:
        assert names[item.symbol] in item.headline
        assert item.published_at.tzinfo is UTC
        assert start <= item.published_at.date() <= end
        assert time(5, 0) <= item.published_at.time() < time(18, 0)
        assert item.sentiment is None
    assert [n.published_at for n in items] == sorted(
        (n.published_at for n in items), reverse=True)
    assert {n.symbol for n in items} == set(names)


def test_news_of_a_day_does_not_depend_on_the_range() -> None:
    wide = news_items(COMPANIES, start=date(2025, 6, 1), end=date(2025, 6, 30), seed=SEED,
                      per_day=3)
    narrow = news_items(COMPANIES, start=date(2025, 6, 10), end=date(2025, 6, 12), seed=SEED,
                        per_day=3)
    assert narrow == [n for n in wide
                      if date(2025, 6, 10) <= n.published_at.date() <= date(2025, 6, 12)]


def test_news_edge_cases() -> None:
    day = date(2025, 6, 1)
    assert news_items([], start=day, end=day, seed=SEED, per_day=3) == []
    assert news_items(COMPANIES, start=day, end=day, seed=SEED, per_day=0) == []
    with pytest.raises(ValueError):
        news_items(COMPANIES, start=day, end=day - timedelta(days=1), seed=SEED, per_day=1)
    with pytest.raises(ValueError):
        news_items(COMPANIES, start=day, end=day, seed=SEED, per_day=-1)
