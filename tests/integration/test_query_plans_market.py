"""The market's main queries besides the daily chart (test_query_plans.py): none scans a bars
table sequentially, and each symbol's bars are read through the primary key.

The plans are of the statements the repositories really send, with their parameters
(`PlanRecorder`), on the demo market's database (every security has bars; ANALYZE'd after
the seed) and, where the query is sensitive to it, on the real files alone (two securities
have bars: few distinct symbols is what tempts the planner away from the key).
"""

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any

import psycopg
import pytest
from redis.asyncio import Redis

from server.domain.calendar import RIYADH
from server.domain.industry_groups import IndustryGroup
from server.domain.securities import Market
from server.storage.backends import Backends
from server.storage.bars import IntradayBarRepository
from server.storage.market_views import Bounds, MarketViewRepository, ScreenQuery
from server.storage.quotes import QuoteBook
from server.storage.securities import SecurityFilter, SecurityRepository
from tests.support.demo_market import DEMO_LAST_DAY, demo_database
from tests.support.query_plans import (
    PlanRecorder,
    is_bars_relation,
    relations,
    sequential_scans_of_bars,
)
from tests.support.services import EventLoopThread, free_port

Nodes = list[dict[str, Any]]


@pytest.fixture(scope="module")
def demo_url(backends: Backends, loop_thread: EventLoopThread) -> str:
    return demo_database(backends, loop_thread).url


@pytest.fixture(params=["demo", "real only"])
def market_url(request: pytest.FixtureRequest, backends: Backends,
               loop_thread: EventLoopThread) -> str:
    if request.param == "demo":
        return demo_database(backends, loop_thread).url
    seeded: Backends = request.getfixturevalue("seeded")
    return seeded.database_url


def _plans(url: str, loop: EventLoopThread,
           call: Callable[[PlanRecorder], Awaitable[object]]) -> list[Nodes]:
    async def run() -> list[Nodes]:
        recorder = PlanRecorder(url)
        await recorder.open()
        try:
            await call(recorder)
        finally:
            await recorder.close()
        return recorder.plans

    plans = loop.run(run())
    assert plans, "the repository sent no statement"
    for nodes in plans:
        assert sequential_scans_of_bars(nodes) == [], nodes
    return plans


def _bars_read_by_key(nodes: Nodes) -> None:
    """Every read of a bars table (or partition) goes through its primary key."""
    reads = [(n["Node Type"], n["Relation Name"], n.get("Index Name")) for n in nodes
             if is_bars_relation(n.get("Relation Name"))]
    assert reads, nodes
    assert all(index == f"{table}_pkey" for _, table, index in reads), reads


@pytest.mark.parametrize("offset", [0, 1000])  # 1000: past the end, where the total is counted
def test_screener_reads_the_view_only(market_url: str, loop_thread: EventLoopThread,
                                      offset: int) -> None:
    query = ScreenQuery(market=Market.MAIN, industry_groups=(IndustryGroup.BANKS,
                                                             IndustryGroup.MATERIALS),
                        price=Bounds(low=5.0), change_percent=Bounds(), volume=Bounds(low=1.0),
                        turnover=Bounds(), sort_key="change_percent", descending=True,
                        offset=offset, limit=50)
    plans = _plans(market_url, loop_thread,
                   lambda db: MarketViewRepository(db).screen(query))
    # Precomputed per security: the screener's cost does not grow with the bars' history.
    for nodes in plans:
        assert relations(nodes) == {"mv_top_movers"}, nodes


def test_ticker_list_page_reads_each_securitys_bars_by_its_key(
        demo_url: str, loop_thread: EventLoopThread) -> None:
    page, count = _plans(demo_url, loop_thread, lambda db: SecurityRepository(db).list_page(
        SecurityFilter(market=Market.MAIN), after_symbol="2000", limit=100))
    # Each listed security's price origin comes from its own bars.
    _bars_read_by_key(page)
    assert not any(is_bars_relation(name) for name in relations(count)), count


@pytest.mark.parametrize("symbols", [["2222"], None])  # GetQuote; every security (simulator)
def test_latest_daily_bar_is_read_by_the_key(market_url: str, loop_thread: EventLoopThread,
                                             symbols: list[str] | None) -> None:
    # Nothing listens there: end_of_day reads Postgres only.
    unused_redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    [nodes] = _plans(market_url, loop_thread,
                     lambda db: QuoteBook(unused_redis, db).end_of_day(symbols))
    _bars_read_by_key(nodes)


def test_latest_minute_is_read_by_the_key_of_each_month(demo_url: str,
                                                        loop_thread: EventLoopThread) -> None:
    [nodes] = _plans(demo_url, loop_thread,
                     lambda db: IntradayBarRepository(db).latest_time("2222"))
    _bars_read_by_key(nodes)


def test_a_days_minutes_read_one_partition(demo_url: str, loop_thread: EventLoopThread) -> None:
    with psycopg.connect(demo_url) as conn:
        partitions = conn.execute("SELECT count(*) FROM pg_inherits "
                                  "WHERE inhparent = 'intraday_bars'::regclass").fetchone()
    assert partitions is not None and partitions[0] > 1, "nothing to prune"
    start = datetime.combine(DEMO_LAST_DAY, time(), tzinfo=RIYADH)
    end = start + timedelta(days=1)
    [nodes] = _plans(demo_url, loop_thread,
                     lambda db: IntradayBarRepository(db).minutes("2222", start, end))
    assert relations(nodes) == {f"intraday_bars_{DEMO_LAST_DAY:%Y_%m}"}, nodes
    _bars_read_by_key(nodes)
