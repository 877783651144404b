"""MarketService on the whole (demo-seeded) market: tickers, summary, movers, sectors,
screener, market status and trading days. Every expectation is computed here from the
tables (SQL on daily_bars, securities, index_daily_bars), not with the server's helpers."""

import base64
import json
import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import grpc
import pytest

from financehub.v1 import market_pb2, market_pb2_grpc, securities_pb2
from server.domain.calendar import RIYADH
from server.domain.trading_calendar import holiday_name, market_status_at, trading_days
from server.ingest.loader import seed
from server.storage.backends import Backends, with_database
from server.storage.database import Database
from server.storage.market_views import Bounds, MarketViewRepository, ScreenQuery
from server.storage.migrations import apply_migrations
from tests.support.demo_market import (
    DEMO_LAST_DAY,
    DemoMarket,
    ExpectedMove,
    close_enough,
    demo_server,  # noqa: F401  (a fixture, used by name)
    latest_moves,
    pb_date,
    query,
    to_date,
)
from tests.support.identity import rpc_error, status_details, violated_fields
from tests.support.services import (
    TEST_DATABASE,
    EventLoopThread,
    free_port,
    recreate_database,
    start_test_server,
)

M = market_pb2
S = securities_pb2


@pytest.fixture(scope="module")
def market(demo_server: DemoMarket) -> market_pb2_grpc.MarketServiceStub:  # noqa: F811
    return market_pb2_grpc.MarketServiceStub(demo_server.channel)


@pytest.fixture(scope="module")
def moves(demo_server: DemoMarket) -> list[ExpectedMove]:  # noqa: F811
    day, found = latest_moves(demo_server.url)
    assert day == DEMO_LAST_DAY
    assert len(found) > 300  # the whole market traded on the demo's last day
    return found


def group_enum(value: str | None) -> int:
    """The contract's enum number for a stored industry group (None: unspecified)."""
    return S.IndustryGroup.Value(f"INDUSTRY_GROUP_{value.upper()}") if value \
        else S.INDUSTRY_GROUP_UNSPECIFIED


def market_enum(value: str) -> int:
    return S.Market.Value(f"MARKET_{value}")


def origin_of(origins: set[str]) -> int:
    if len(origins) > 1:
        return S.DATA_ORIGIN_MIXED
    return S.DataOrigin.Value(f"DATA_ORIGIN_{origins.pop()}")


def invalid(error: grpc.RpcError) -> list[str]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error  # type: ignore[attr-defined]
    return violated_fields(error)


# --- ListTickers --------------------------------------------------------------------------------


def all_tickers(stub, **filters) -> list[securities_pb2.Ticker]:  # noqa: ANN001
    response = stub.ListTickers(M.ListTickersRequest(page_size=1000, **filters))
    assert response.next_page_token == ""
    assert response.total_size == len(response.tickers)
    return list(response.tickers)


def test_every_ticker_has_its_stored_industry_group_or_unspecified(market, demo_server) -> None:  # noqa: F811
    stored = {r["symbol"]: r["industry_group"] for r in query(
        demo_server.url, "SELECT symbol, industry_group FROM securities")}
    tickers = all_tickers(market)
    assert {t.symbol for t in tickers} == set(stored)
    for ticker in tickers:
        assert ticker.industry_group == group_enum(stored[ticker.symbol]), ticker.symbol
    unspecified = [t for t in tickers if t.industry_group == S.INDUSTRY_GROUP_UNSPECIFIED]
    assert 0 < len(unspecified) < len(tickers) / 4  # never guessed, but most are mapped


@pytest.mark.parametrize("group", [name for name in S.IndustryGroup.keys()
                                   if name != "INDUSTRY_GROUP_UNSPECIFIED"])
def test_industry_group_filter_returns_exactly_its_members(market, demo_server, group) -> None:  # noqa: F811
    value = group.removeprefix("INDUSTRY_GROUP_").lower()
    expected = [r["symbol"] for r in query(
        demo_server.url,
        "SELECT symbol FROM securities WHERE industry_group = %s ORDER BY symbol", (value,))]
    found = all_tickers(market, industry_group=S.IndustryGroup.Value(group))
    assert [t.symbol for t in found] == expected
    assert {t.industry_group for t in found} <= {S.IndustryGroup.Value(group)}


def test_price_origin_of_every_ticker_matches_its_bars(market, demo_server) -> None:  # noqa: F811
    origins: dict[str, set[str]] = defaultdict(set)
    for row in query(demo_server.url, "SELECT DISTINCT symbol, origin FROM daily_bars"):
        origins[row["symbol"]].add(row["origin"])
    for ticker in all_tickers(market):
        expected = origin_of(set(origins[ticker.symbol])) if origins[ticker.symbol] \
            else S.DATA_ORIGIN_UNSPECIFIED
        assert ticker.price_origin == expected, ticker.symbol
        assert ticker.has_price_history == bool(origins[ticker.symbol])


def test_2222_is_energy_with_mixed_prices_in_the_demo_market(market) -> None:
    aramco = market.GetTicker(M.GetTickerRequest(symbol="2222.SR")).ticker
    assert aramco.industry_group == S.INDUSTRY_GROUP_ENERGY
    assert aramco.price_origin == S.DATA_ORIGIN_MIXED  # real to 2025-12-02, synthetic after
    assert aramco.market == S.MARKET_MAIN
    rajhi = market.GetTicker(M.GetTickerRequest(symbol="1120")).ticker
    assert rajhi.industry_group == S.INDUSTRY_GROUP_BANKS
    assert rajhi.price_origin == S.DATA_ORIGIN_MIXED
    sabic = market.GetTicker(M.GetTickerRequest(symbol="2010")).ticker
    assert sabic.price_origin == S.DATA_ORIGIN_SYNTHETIC


def test_nomu_companies_are_on_nomu_and_the_market_filter_is_exact(market, demo_server) -> None:  # noqa: F811
    stored = {r["symbol"]: r["market"] for r in query(
        demo_server.url, "SELECT symbol, market FROM securities")}
    nomu = all_tickers(market, market=S.MARKET_NOMU)
    assert [t.symbol for t in nomu] == sorted(s for s, m in stored.items() if m == "NOMU")
    main = all_tickers(market, market=S.MARKET_MAIN)
    assert [t.symbol for t in main] == sorted(s for s, m in stored.items() if m == "MAIN")
    nomu_95 = [t for t in nomu if t.symbol.startswith("95")]
    assert nomu_95, "the reference data lists Nomu companies with 95xx codes"
    assert all(t.market == S.MARKET_NOMU for t in nomu_95)
    assert not any(t.symbol.startswith("95") for t in main)


# --- GetMarketSummary ---------------------------------------------------------------------------


def expected_summary(moves: list[ExpectedMove], market: str | None) -> dict[str, object]:
    chosen = [m for m in moves if market is None or m.market == market]
    changes = [m.change_percent for m in chosen if m.change_percent is not None]
    return {
        "advancers": sum(1 for c in changes if c > 0),
        "decliners": sum(1 for c in changes if c < 0),
        "unchanged": sum(1 for c in changes if c == 0),
        "volume": sum(m.volume for m in chosen),
        "turnover": math.fsum(m.turnover for m in chosen),
        "origin": origin_of({m.origin for m in chosen}),
    }


@pytest.mark.parametrize("market_filter", [None, "MAIN", "NOMU"])
def test_market_summary_equals_breadth_computed_from_daily_bars(
        market, moves, market_filter) -> None:
    request = M.GetMarketSummaryRequest(
        market=market_enum(market_filter) if market_filter else S.MARKET_UNSPECIFIED)
    summary = market.GetMarketSummary(request)
    expected = expected_summary(moves, market_filter)
    assert to_date(summary.trading_day) == DEMO_LAST_DAY
    assert (summary.advancers, summary.decliners, summary.unchanged, summary.volume) == (
        expected["advancers"], expected["decliners"], expected["unchanged"], expected["volume"])
    assert close_enough(summary.turnover, expected["turnover"])  # type: ignore[arg-type]
    # Every bar of the demo's last day is synthetic (the real files end on 2025-12-02), so
    # the day's summary is SYNTHETIC, not MIXED: the origin is that of the bars it sums.
    assert summary.data_origin == expected["origin"] == S.DATA_ORIGIN_SYNTHETIC


def test_main_and_nomu_summaries_add_up_to_the_whole_market(market) -> None:
    whole = market.GetMarketSummary(M.GetMarketSummaryRequest())
    parts = [market.GetMarketSummary(M.GetMarketSummaryRequest(market=m))
             for m in (S.MARKET_MAIN, S.MARKET_NOMU)]
    for field in ("advancers", "decliners", "unchanged", "volume"):
        assert getattr(whole, field) == sum(getattr(p, field) for p in parts), field
    assert close_enough(whole.turnover, sum(p.turnover for p in parts))
    assert all(p.advancers + p.decliners > 0 for p in parts)


def test_market_summary_carries_the_latest_tasi_close(market, demo_server) -> None:  # noqa: F811
    last, previous = query(demo_server.url, """
        SELECT trade_date, close FROM index_daily_bars WHERE index_code = 'TASI'
        ORDER BY trade_date DESC LIMIT 2""")
    summary = market.GetMarketSummary(M.GetMarketSummaryRequest())
    assert to_date(summary.tasi_as_of) == last["trade_date"] == date(2025, 12, 31)
    assert summary.tasi_level == last["close"]
    assert close_enough(summary.tasi_change, last["close"] - previous["close"])
    assert close_enough(summary.tasi_change_percent,
                        (last["close"] / previous["close"] - 1) * 100)


def test_market_summary_of_the_real_only_database_is_real(channel, clean_cache) -> None:
    """The session's real-data server: 2222 and 1120 only, both real on their last day.
    (Its Redis database outlives the run: start from an empty cache.)"""
    summary = market_pb2_grpc.MarketServiceStub(channel).GetMarketSummary(
        M.GetMarketSummaryRequest())
    assert to_date(summary.trading_day) == date(2025, 12, 2)
    assert summary.data_origin == S.DATA_ORIGIN_REAL
    assert summary.advancers + summary.decliners + summary.unchanged == 2


IPO_SYMBOL = "2010"
IPO_DAY = date(2025, 12, 2)  # the last day of the real files
IPO_VOLUME = 900_000_000


@pytest.fixture(scope="module")
def ipo_market(backends: Backends,
               loop_thread: EventLoopThread) -> Iterator[market_pb2_grpc.MarketServiceStub]:
    """A market of the real files (2222 and 1120, REAL on 2025-12-02) plus one security
    whose first bar ever is that day (an IPO), synthetic: a server on its own database."""
    url = with_database(backends.database_url, f"{TEST_DATABASE}_ipo")
    recreate_database(url)
    apply_migrations(url)

    async def load() -> None:
        database = Database(url, max_size=2)
        await database.open()
        try:
            await seed(database, None)
            async with database.transaction() as conn:
                await conn.execute(
                    "INSERT INTO daily_bars (symbol, trade_date, open, high, low, close, "
                    "volume, origin, provider) VALUES (%s, %s, 70, 77, 69, 76.5, %s, "
                    "'SYNTHETIC', 'test')", (IPO_SYMBOL, IPO_DAY, IPO_VOLUME))
            await MarketViewRepository(database).refresh()
        finally:
            await database.close()

    loop_thread.run(load())
    running = start_test_server(
        Backends(database_url=url, redis_url=f"redis://127.0.0.1:{free_port()}/0"), loop_thread)
    try:
        with grpc.insecure_channel(running.address) as opened:
            yield market_pb2_grpc.MarketServiceStub(opened)
    finally:
        loop_thread.run(running.app.stop(grace_s=1))


def test_a_summary_of_real_and_synthetic_bars_is_mixed(ipo_market) -> None:
    summary = ipo_market.GetMarketSummary(M.GetMarketSummaryRequest())
    assert to_date(summary.trading_day) == IPO_DAY
    assert summary.data_origin == S.DATA_ORIGIN_MIXED
    # The IPO has no previous close: it trades (volume) but neither rises nor falls.
    assert summary.advancers + summary.decliners + summary.unchanged == 2
    assert summary.volume > IPO_VOLUME


def test_an_ipo_day_is_not_a_gainer_or_a_loser(ipo_market) -> None:
    for category in (M.MOVER_CATEGORY_GAINERS, M.MOVER_CATEGORY_LOSERS):
        movers = ipo_market.ListTopMovers(M.ListTopMoversRequest(category=category)).movers
        assert sorted(m.symbol for m in movers) == ["1120", "2222"]


@pytest.mark.parametrize("category", [M.MOVER_CATEGORY_MOST_ACTIVE_BY_VOLUME,
                                      M.MOVER_CATEGORY_MOST_ACTIVE_BY_VALUE],
                         ids=["volume", "value"])
def test_an_ipo_day_with_the_most_volume_is_the_most_active(ipo_market, category) -> None:
    movers = ipo_market.ListTopMovers(M.ListTopMoversRequest(category=category)).movers
    assert [m.symbol for m in movers][:1] == [IPO_SYMBOL]


def test_market_summary_refuses_an_unknown_market(market) -> None:
    error = rpc_error(market.GetMarketSummary, M.GetMarketSummaryRequest(market=17))
    assert invalid(error) == ["market"]


# --- ListTopMovers ------------------------------------------------------------------------------

RANKINGS = {
    M.MOVER_CATEGORY_GAINERS: lambda m: (-m.change_percent, m.symbol),
    M.MOVER_CATEGORY_LOSERS: lambda m: (m.change_percent, m.symbol),
    M.MOVER_CATEGORY_MOST_ACTIVE_BY_VOLUME: lambda m: (-m.volume, m.symbol),
    M.MOVER_CATEGORY_MOST_ACTIVE_BY_VALUE: lambda m: (-m.turnover, m.symbol),
}


@pytest.mark.parametrize("category", list(RANKINGS), ids=lambda c: M.MoverCategory.Name(c))
@pytest.mark.parametrize(("market_filter", "limit"), [
    (None, 0), (None, 50), ("MAIN", 7), ("NOMU", 0), ("NOMU", 50)])
def test_top_movers_are_ranked_limited_and_equal_sql(market, moves, category, market_filter,
                                                     limit) -> None:
    response = market.ListTopMovers(M.ListTopMoversRequest(
        category=category, limit=limit,
        market=market_enum(market_filter) if market_filter else S.MARKET_UNSPECIFIED))
    ranked = sorted((m for m in moves if m.change_percent is not None
                     and market_filter in (None, m.market)), key=RANKINGS[category])
    expected = ranked[:limit or 10]
    assert response.category == category
    assert to_date(response.trading_day) == DEMO_LAST_DAY
    assert [m.symbol for m in response.movers] == [m.symbol for m in expected]
    for got, want in zip(response.movers, expected, strict=True):
        assert got.name_en == want.name_en
        assert got.close == want.close
        assert got.previous_close == want.previous_close
        assert want.change_percent is not None
        assert close_enough(got.change_percent, want.change_percent)
        assert got.volume == want.volume
        assert close_enough(got.turnover, want.turnover)
        assert got.data_origin == S.DATA_ORIGIN_SYNTHETIC
    # The order itself, read off the answer.
    keys = [RANKINGS[category](m) for m in response.movers]
    assert keys == sorted(keys)


@pytest.mark.parametrize(("fields", "field"), [
    ({"category": M.MOVER_CATEGORY_GAINERS, "limit": 51}, "limit"),
    ({"category": M.MOVER_CATEGORY_GAINERS, "limit": -1}, "limit"),
    ({"category": M.MOVER_CATEGORY_UNSPECIFIED}, "category"),
    ({"category": 99}, "category"),
    ({"category": M.MOVER_CATEGORY_LOSERS, "market": 17}, "market"),
])
def test_top_movers_refuse_bad_requests(market, fields, field) -> None:
    error = rpc_error(market.ListTopMovers, M.ListTopMoversRequest(**fields))
    assert invalid(error) == [field]


# --- ListSectorPerformance ----------------------------------------------------------------------


def test_sector_performance_is_turnover_weighted_and_sorted_best_first(market, moves) -> None:
    members: dict[str, list[ExpectedMove]] = defaultdict(list)
    for move in moves:
        if move.industry_group is not None and move.change_percent is not None:
            members[move.industry_group].append(move)
    expected = {}
    for group, group_moves in members.items():
        turnover = math.fsum(m.turnover for m in group_moves)
        assert turnover > 0
        changes = [m.change_percent for m in group_moves]
        expected[group_enum(group)] = {
            "change": math.fsum(m.change_percent * m.turnover for m in group_moves  # type: ignore[operator]
                                ) / turnover,
            "advancers": sum(1 for c in changes if c > 0),  # type: ignore[operator]
            "decliners": sum(1 for c in changes if c < 0),  # type: ignore[operator]
            "unchanged": sum(1 for c in changes if c == 0),
            "volume": sum(m.volume for m in group_moves), "turnover": turnover,
        }
    response = market.ListSectorPerformance(M.ListSectorPerformanceRequest())
    assert to_date(response.trading_day) == DEMO_LAST_DAY
    assert sorted(s.industry_group for s in response.sectors) == sorted(expected)
    for sector in response.sectors:
        want = expected[sector.industry_group]
        name = S.IndustryGroup.Name(sector.industry_group)
        assert close_enough(sector.change_percent, want["change"]), name
        assert (sector.advancers, sector.decliners, sector.unchanged, sector.volume) == (
            want["advancers"], want["decliners"], want["unchanged"], want["volume"]), name
        assert close_enough(sector.turnover, want["turnover"]), name
    changes = [s.change_percent for s in response.sectors]
    assert changes == sorted(changes, reverse=True)


# --- ScreenSecurities ---------------------------------------------------------------------------


def screen_all(stub, page_size: int = 37, **fields) -> list[M.ScreenedSecurity]:  # noqa: ANN001
    """Every result of a screen, page by page; checks total_size and duplicates as it goes."""
    found: list[M.ScreenedSecurity] = []
    token = ""
    totals = set()
    for _ in range(100):
        page = stub.ScreenSecurities(M.ScreenSecuritiesRequest(
            page_size=page_size, page_token=token, **fields))
        totals.add(page.total_size)
        assert len(page.securities) <= page_size
        found += page.securities
        token = page.next_page_token
        if not token:
            break
    else:
        raise AssertionError("the screen never ended")
    symbols = [s.symbol for s in found]
    assert len(symbols) == len(set(symbols)), "a security came back twice"
    assert totals == {len(found)}, f"total_size {totals} vs {len(found)} results"
    return found


def in_range(value: float | None, low: float | None, high: float | None) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


FILTERS = [
    pytest.param({}, id="no filter"),
    pytest.param({"market": S.MARKET_NOMU}, id="market NOMU"),
    pytest.param({"market": S.MARKET_MAIN}, id="market MAIN"),
    pytest.param({"industry_groups": [S.INDUSTRY_GROUP_BANKS, S.INDUSTRY_GROUP_ENERGY]},
                 id="banks and energy"),
    pytest.param({"price": M.NumericRange(min=10, max=50)}, id="price 10-50"),
    pytest.param({"price": M.NumericRange(max=20)}, id="price to 20"),
    pytest.param({"change_percent": M.NumericRange(min=-1, max=1)}, id="change -1..1"),
    pytest.param({"change_percent": M.NumericRange(min=0)}, id="change from 0"),
    pytest.param({"volume": M.NumericRange(min=1_000_000)}, id="volume from 1M"),
    pytest.param({"turnover": M.NumericRange(min=1e6, max=2e7)}, id="turnover 1M-20M"),
    pytest.param({"market": S.MARKET_MAIN, "industry_groups": [S.INDUSTRY_GROUP_MATERIALS],
                  "price": M.NumericRange(min=5), "change_percent": M.NumericRange(max=0.5),
                  "volume": M.NumericRange(min=10_000)}, id="combined"),
]


def expected_screen(moves: list[ExpectedMove], fields: dict[str, object]) -> list[ExpectedMove]:
    market = fields.get("market")
    groups = {S.IndustryGroup.Name(g).removeprefix("INDUSTRY_GROUP_").lower()
              for g in fields.get("industry_groups", [])}  # type: ignore[attr-defined]

    def bounds(name: str) -> tuple[float | None, float | None]:
        given = fields.get(name)
        if given is None:
            return None, None
        assert isinstance(given, M.NumericRange)
        return (given.min if given.HasField("min") else None,
                given.max if given.HasField("max") else None)

    return [m for m in moves
            if (market is None or market_enum(m.market) == market)
            and (not groups or m.industry_group in groups)
            and in_range(m.close, *bounds("price"))
            and in_range(m.change_percent, *bounds("change_percent"))
            and in_range(m.volume, *bounds("volume"))
            and in_range(m.turnover, *bounds("turnover"))]


@pytest.mark.parametrize("fields", FILTERS)
def test_screen_filters_return_exactly_the_sql_set(market, moves, fields) -> None:
    expected = expected_screen(moves, fields)
    assert expected, "a filter that matches nothing proves nothing"
    if fields:
        assert len(expected) < len(moves), "a filter that matches everything proves nothing"
    found = screen_all(market, **fields)
    assert [s.symbol for s in found] == [m.symbol for m in expected]  # default: symbol order
    by_symbol = {m.symbol: m for m in expected}
    for security in found:
        want = by_symbol[security.symbol]
        assert security.market == market_enum(want.market)
        assert security.industry_group == group_enum(want.industry_group)
        assert security.price == want.close
        assert want.change_percent is not None
        assert close_enough(security.change_percent, want.change_percent)
        assert security.volume == want.volume
        assert close_enough(security.turnover, want.turnover)
        assert security.data_origin == S.DATA_ORIGIN_SYNTHETIC
        assert not security.has_market_cap and not security.has_pe_ratio


SORT_VALUES = {
    M.SCREEN_SORT_KEY_UNSPECIFIED: lambda m: m.symbol,
    M.SCREEN_SORT_KEY_SYMBOL: lambda m: m.symbol,
    M.SCREEN_SORT_KEY_PRICE: lambda m: m.close,
    M.SCREEN_SORT_KEY_CHANGE_PERCENT: lambda m: m.change_percent,
    M.SCREEN_SORT_KEY_VOLUME: lambda m: m.volume,
    M.SCREEN_SORT_KEY_TURNOVER: lambda m: m.turnover,
}


def sort_expected(moves: list[ExpectedMove], sort_by: int, descending: bool) -> list[str]:
    """ORDER BY key (ASC or DESC), then symbol ascending."""
    by_symbol = sorted(moves, key=lambda m: m.symbol)
    # Python's sort is stable, also with reverse=True: ties keep their symbol order.
    return [m.symbol for m in sorted(by_symbol, key=SORT_VALUES[sort_by], reverse=descending)]


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort_by", list(SORT_VALUES), ids=lambda k: M.ScreenSortKey.Name(k))
def test_screen_sorts_by_each_key(market, moves, sort_by, descending) -> None:
    fields = {"market": S.MARKET_MAIN, "price": M.NumericRange(max=40)}
    found = screen_all(market, page_size=45, sort_by=sort_by, descending=descending, **fields)
    assert [s.symbol for s in found] == sort_expected(
        expected_screen(moves, fields), sort_by, descending)


def test_screen_pagination_walks_everything_once(market, moves) -> None:
    first = market.ScreenSecurities(M.ScreenSecuritiesRequest(page_size=25))
    assert first.total_size == len(moves)
    assert len(first.securities) == 25 and first.next_page_token
    for page_size in (1000, 25, 7):
        found = screen_all(market, page_size=page_size,
                           sort_by=M.SCREEN_SORT_KEY_TURNOVER, descending=True)
        assert [s.symbol for s in found] == sort_expected(
            moves, M.SCREEN_SORT_KEY_TURNOVER, True)
    default = market.ScreenSecurities(M.ScreenSecuritiesRequest())
    assert len(default.securities) == 50  # default page size
    assert to_date(default.trading_day) == DEMO_LAST_DAY


def test_a_screen_page_token_only_works_with_its_own_filters(market) -> None:
    first = market.ScreenSecurities(M.ScreenSecuritiesRequest(
        page_size=10, market=S.MARKET_MAIN, sort_by=M.SCREEN_SORT_KEY_VOLUME))
    token = first.next_page_token
    assert token
    # The same filters with another page size are fine.
    market.ScreenSecurities(M.ScreenSecuritiesRequest(
        page_size=20, page_token=token, market=S.MARKET_MAIN, sort_by=M.SCREEN_SORT_KEY_VOLUME))
    for changed in ({"market": S.MARKET_NOMU, "sort_by": M.SCREEN_SORT_KEY_VOLUME},
                    {"market": S.MARKET_MAIN, "sort_by": M.SCREEN_SORT_KEY_PRICE},
                    {"market": S.MARKET_MAIN, "sort_by": M.SCREEN_SORT_KEY_VOLUME,
                     "descending": True},
                    {"market": S.MARKET_MAIN, "sort_by": M.SCREEN_SORT_KEY_VOLUME,
                     "price": M.NumericRange(min=1)}):
        error = rpc_error(market.ScreenSecurities, M.ScreenSecuritiesRequest(
            page_size=10, page_token=token, **changed))
        assert invalid(error) == ["page_token"], changed


def with_cursor(token: str, after: str) -> str:
    """`token` (issued by the server) with its position replaced: what a client can forge,
    since the token is base64 JSON and keeps its filters' fingerprint."""
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert set(payload) == {"a", "f"}, payload
    payload["a"] = after
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_a_screen_page_token_with_its_position_changed_still_pages(market) -> None:
    token = market.ScreenSecurities(M.ScreenSecuritiesRequest(page_size=10)).next_page_token
    page = market.ScreenSecurities(M.ScreenSecuritiesRequest(
        page_size=10, page_token=with_cursor(token, "20")))
    all_symbols = [s.symbol for s in screen_all(market, page_size=1000)]
    assert [s.symbol for s in page.securities] == all_symbols[20:30]


@pytest.mark.parametrize("after", ["abc", "-5", "1e3", "99999999999999999999"])
def test_a_forged_screen_page_token_is_invalid_argument(market, after) -> None:
    token = market.ScreenSecurities(M.ScreenSecuritiesRequest(page_size=10)).next_page_token
    error = rpc_error(market.ScreenSecurities, M.ScreenSecuritiesRequest(
        page_size=10, page_token=with_cursor(token, after)))
    assert invalid(error) == ["page_token"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"price": M.NumericRange(min=50, max=10)}, "price.min"),
    ({"volume": M.NumericRange(min=2, max=1)}, "volume.min"),
    ({"price": M.NumericRange(min=math.nan)}, "price"),
    ({"change_percent": M.NumericRange(max=math.inf)}, "change_percent"),
    ({"turnover": M.NumericRange(min=-math.inf)}, "turnover"),
    ({"sort_by": 99}, "sort_by"),
    ({"industry_groups": [S.INDUSTRY_GROUP_BANKS, 99]}, "industry_groups[1]"),
    ({"page_size": -1}, "page_size"),
    ({"market": 17}, "market"),
    ({"page_token": "not-a-token"}, "page_token"),
])
def test_screen_refuses_bad_requests(market, fields, field) -> None:
    error = rpc_error(market.ScreenSecurities, M.ScreenSecuritiesRequest(**fields))
    assert invalid(error) == [field]


@pytest.mark.parametrize("sort_by", [M.SCREEN_SORT_KEY_MARKET_CAP, M.SCREEN_SORT_KEY_PE_RATIO])
def test_screen_by_fundamentals_is_a_failed_precondition(market, sort_by) -> None:
    error = rpc_error(market.ScreenSecurities, M.ScreenSecuritiesRequest(sort_by=sort_by))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION  # type: ignore[attr-defined]
    info = status_details(error)["ErrorInfo"]
    assert (info.reason, info.domain) == ("FUNDAMENTALS_UNAVAILABLE", "financehub.sa")


def test_an_injection_through_the_sort_key_is_refused_at_the_sql_layer(demo_server) -> None:  # noqa: F811
    """The RPC's sort key is an enum, so no text reaches the server through it; the
    repository under it must still refuse any column name off its allow-list."""
    count = "SELECT count(*) AS n FROM securities"
    before = query(demo_server.url, count)[0]["n"]

    def screen(sort_key: str) -> ScreenQuery:
        return ScreenQuery(market=None, industry_groups=(), price=Bounds(),
                           change_percent=Bounds(), volume=Bounds(), turnover=Bounds(),
                           sort_key=sort_key, descending=False, offset=0, limit=5)

    async def attempt() -> tuple[int, list[str]]:
        database = Database(demo_server.url, max_size=1)
        await database.open()
        try:
            views = MarketViewRepository(database)
            refused = 0
            for key in ("close; DROP TABLE securities", "close; DROP TABLE securities --",
                        "symbol DESC; DROP TABLE securities", "(SELECT 1)", "Symbol"):
                try:
                    await views.screen(screen(key))
                except KeyError:
                    refused += 1
            allowed, _ = await views.screen(screen("price"))
            return refused, [move.symbol for move in allowed]
        finally:
            await database.close()

    refused, allowed = demo_server.server.loop.run(attempt())
    assert refused == 5
    assert len(allowed) == 5  # the same call with an allow-listed key works
    assert query(demo_server.url, "SELECT to_regclass('securities') IS NOT NULL AS present"
                 )[0]["present"]
    assert query(demo_server.url, count)[0]["n"] == before


# --- GetMarketStatus ----------------------------------------------------------------------------

SESSION_STARTS = [(time(9, 30), "PRE_OPEN"), (time(10, 0), "CONTINUOUS"),
                  (time(15, 0), "CLOSING_AUCTION"), (time(15, 10), "TRADE_AT_LAST"),
                  (time(15, 20), "CLOSED")]


def session_by_hand(local: datetime) -> str:
    day = local.date()
    if day.weekday() in (4, 5):  # Friday, Saturday
        return "CLOSED"
    if holiday_name(day):
        return "HOLIDAY"
    session = "CLOSED"
    for start, name in SESSION_STARTS:
        if local.time() >= start:
            session = name
    return session


def test_market_status_is_the_calendar_at_the_server_time(market) -> None:
    before = datetime.now(UTC)
    status = market.GetMarketStatus(M.GetMarketStatusRequest())
    after = datetime.now(UTC)
    now = status.server_time.ToDatetime(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= now <= after + timedelta(seconds=1)
    expected = market_status_at(now)
    assert M.MarketSession.Name(status.session) == f"MARKET_SESSION_{expected.session.name}"
    assert M.MarketSession.Name(status.session) == \
        f"MARKET_SESSION_{session_by_hand(now.astimezone(RIYADH))}"
    assert to_date(status.trading_day) == now.astimezone(RIYADH).date() == expected.trading_day
    assert status.holiday == (holiday_name(expected.trading_day) or "")
    next_open = status.next_open_time.ToDatetime(tzinfo=UTC)
    next_close = status.next_close_time.ToDatetime(tzinfo=UTC)
    assert (next_open, next_close) == (expected.next_open, expected.next_close)
    assert now < next_open <= now + timedelta(days=15)
    assert now < next_close < next_open + timedelta(hours=5, seconds=1)
    assert next_open.time() == time(7, 0) and next_close.time() == time(12, 0)  # 10:00, 15:00
    for instant in (next_open, next_close):
        day = instant.astimezone(RIYADH).date()
        assert day.weekday() not in (4, 5) and holiday_name(day) is None


# --- ListTradingDays ----------------------------------------------------------------------------


def test_trading_days_of_june_2025_skip_weekends_and_eid_al_adha(market) -> None:
    response = market.ListTradingDays(M.ListTradingDaysRequest(
        start_date=pb_date(date(2025, 6, 1)), end_date=pb_date(date(2025, 6, 30))))
    eid = [date(2025, 6, 5), date(2025, 6, 8), date(2025, 6, 9), date(2025, 6, 10)]
    by_hand = [date(2025, 6, d) for d in range(1, 31)
               if date(2025, 6, d).weekday() not in (4, 5) and date(2025, 6, d) not in eid]
    days = [to_date(d) for d in response.trading_days]
    assert days == by_hand == trading_days(date(2025, 6, 1), date(2025, 6, 30))
    assert len(days) == 18
    assert [(to_date(h.date), h.name) for h in response.holidays] == [
        (day, "Eid al-Adha") for day in eid]


@pytest.mark.parametrize(("start", "end", "fields"), [
    (date(2025, 6, 30), date(2025, 6, 1), ["start_date"]),
    (date(2019, 1, 1), date(2025, 1, 1), ["end_date"]),  # more than five years
    (date(2020, 1, 1), date(2025, 1, 10), ["end_date"]),
    (date(2018, 12, 31), date(2019, 1, 10), ["start_date"]),
    (date(2030, 12, 1), date(2031, 1, 1), ["end_date"]),
    (None, date(2025, 6, 1), ["start_date"]),
    (date(2025, 6, 1), None, ["end_date"]),
])
def test_trading_days_refuse_bad_ranges(market, start, end, fields) -> None:
    request = M.ListTradingDaysRequest()
    if start:
        request.start_date.CopyFrom(pb_date(start))
    if end:
        request.end_date.CopyFrom(pb_date(end))
    assert invalid(rpc_error(market.ListTradingDays, request)) == fields


def test_trading_days_answer_a_range_of_exactly_five_years(market) -> None:
    response = market.ListTradingDays(M.ListTradingDaysRequest(
        start_date=pb_date(date(2020, 1, 1)), end_date=pb_date(date(2025, 1, 1))))
    assert [to_date(d) for d in response.trading_days] == trading_days(date(2020, 1, 1),
                                                                        date(2025, 1, 1))


def test_trading_days_refuse_a_range_one_day_over_five_years(market) -> None:
    request = M.ListTradingDaysRequest(start_date=pb_date(date(2020, 1, 1)),
                                       end_date=pb_date(date(2025, 1, 2)))
    assert invalid(rpc_error(market.ListTradingDays, request)) == ["end_date"]


def test_trading_days_refuse_a_date_that_does_not_exist(market) -> None:
    request = M.ListTradingDaysRequest(start_date={"year": 2025, "month": 2, "day": 30},
                                       end_date=pb_date(date(2025, 3, 5)))
    assert invalid(rpc_error(market.ListTradingDays, request)) == ["start_date"]
    partial = M.ListTradingDaysRequest(start_date={"year": 2025},
                                       end_date=pb_date(date(2025, 3, 5)))
    assert invalid(rpc_error(market.ListTradingDays, partial)) == ["start_date"]


def test_trading_days_without_either_date_name_both_fields(market) -> None:
    fields = invalid(rpc_error(market.ListTradingDays, M.ListTradingDaysRequest()))
    assert sorted(fields) == ["end_date", "start_date"]

