"""IndexService on the demo market: levels from index_daily_bars, TASI and MT30 members
and weights recomputed here from daily_bars, index bars aggregated by hand."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import grpc
import pytest

from financehub.v1 import charts_pb2, indices_pb2, indices_pb2_grpc, securities_pb2
from server.domain.indices import capped_weights
from tests.support.demo_market import (
    DemoMarket,
    close_enough,
    demo_server,  # noqa: F401  (a fixture, used by name)
    pb_date,
    query,
    to_date,
)
from tests.support.identity import rpc_error, status_details, violated_fields

C = charts_pb2
I = indices_pb2  # noqa: E741
S = securities_pb2
MT30_CAP = Decimal(15)
WEIGHT_QUANTUM = Decimal("0.000001")


@pytest.fixture(scope="module")
def indices(demo_server: DemoMarket) -> indices_pb2_grpc.IndexServiceStub:  # noqa: F811
    return indices_pb2_grpc.IndexServiceStub(demo_server.channel)


def exact(weight: float) -> Decimal:
    """A served weight (numeric(9, 6) in the table) as the decimal it stands for."""
    return Decimal(repr(weight)).quantize(WEIGHT_QUANTUM)


def invalid(error: grpc.RpcError) -> list[str]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error  # type: ignore[attr-defined]
    return violated_fields(error)


# --- levels -------------------------------------------------------------------------------------


def test_list_indices_answers_each_latest_close(indices, demo_server) -> None:  # noqa: F811
    rows = query(demo_server.url, """
        SELECT index_code, trade_date, close,
               lag(close) OVER (PARTITION BY index_code ORDER BY trade_date) AS previous
        FROM index_daily_bars""")
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["index_code"] not in latest or \
                row["trade_date"] > latest[row["index_code"]]["trade_date"]:
            latest[row["index_code"]] = row
    response = indices.ListIndices(I.ListIndicesRequest())
    assert sorted(i.code for i in response.indices) == sorted(latest) == [
        "IPO", "MT30", "TASI", "TASI50"]
    for summary in response.indices:
        want = latest[summary.code]
        assert summary.level == want["close"], summary.code
        assert to_date(summary.as_of) == want["trade_date"] == date(2025, 12, 31)
        assert close_enough(summary.change, want["close"] - want["previous"])
        assert close_enough(summary.change_percent, (want["close"] / want["previous"] - 1) * 100)
        assert summary.data_origin == S.DATA_ORIGIN_REAL
        assert summary.name_en
    tasi = indices.GetIndex(I.GetIndexRequest(code="TASI")).index
    assert tasi == next(i for i in response.indices if i.code == "TASI")


# --- membership ---------------------------------------------------------------------------------


def test_tasi_holds_every_main_market_equity_with_prices_equally(indices, demo_server) -> None:  # noqa: F811
    expected = {r["symbol"] for r in query(demo_server.url, """
        SELECT symbol FROM securities s
        WHERE market = 'MAIN' AND security_type = 'EQUITY'
          AND EXISTS (SELECT 1 FROM daily_bars b WHERE b.symbol = s.symbol)""")}
    not_in = {r["symbol"] for r in query(demo_server.url, """
        SELECT symbol FROM securities WHERE market = 'NOMU' OR security_type <> 'EQUITY'""")}
    response = indices.GetIndex(I.GetIndexRequest(code="tasi"))
    members = {c.symbol: exact(c.weight_percent) for c in response.constituents}
    assert set(members) == expected
    assert len(members) == len(response.constituents) > 200
    assert not set(members) & not_in  # no Nomu company, REIT or ETF
    assert sum(members.values()) == 100
    equal_share = (Decimal(100) / len(members)).quantize(WEIGHT_QUANTUM)
    weights = Counter(members.values())
    # Equal weights, rounded to 6 places; the rounding remainder sits on one member.
    assert weights[equal_share] >= len(members) - 1
    assert max(members.values()) - min(members.values()) <= len(members) * WEIGHT_QUANTUM
    assert response.constituents_origin == S.DATA_ORIGIN_SYNTHETIC
    assert response.constituents_method
    assert all(c.name_en for c in response.constituents)


def independent_capped_weights(values: dict[str, float], cap: float) -> dict[str, float]:
    """Weights in percent proportional to `values`, none above `cap`; the excess of the
    capped members shared among the others in proportion (water-filling)."""
    capped: set[str] = set()
    while True:
        free_total = sum(v for s, v in values.items() if s not in capped)
        budget = 100.0 - cap * len(capped)
        weights = {s: cap if s in capped else budget * v / free_total for s, v in values.items()}
        newly = {s for s, w in weights.items() if w > cap and s not in capped}
        if not newly:
            return weights
        capped |= newly


def test_mt30_is_the_30_most_traded_main_equities_capped_at_15(indices, demo_server) -> None:  # noqa: F811
    liquidity = {r["symbol"]: r["turnover"] for r in query(demo_server.url, """
        SELECT b.symbol, avg(coalesce(b.turnover, b.close * b.volume)) AS turnover
        FROM daily_bars b JOIN securities s USING (symbol)
        WHERE s.market = 'MAIN' AND s.security_type = 'EQUITY'
          AND b.trade_date > (SELECT max(trade_date) FROM daily_bars) - 91
        GROUP BY b.symbol""")}
    top = sorted(liquidity, key=lambda s: (-liquidity[s], s))[:30]
    response = indices.GetIndex(I.GetIndexRequest(code="MT30"))
    members = {c.symbol: exact(c.weight_percent) for c in response.constituents}
    assert set(members) == set(top)
    assert len(response.constituents) == 30
    assert sum(members.values()) == 100
    assert max(members.values()) <= MT30_CAP
    expected = independent_capped_weights({s: liquidity[s] for s in top}, float(MT30_CAP))
    for symbol, weight in members.items():
        assert abs(float(weight) - expected[symbol]) <= 30 * 1e-6, symbol
    # Heaviest first.
    served = [c.weight_percent for c in response.constituents]
    assert served == sorted(served, reverse=True)
    assert response.constituents_origin == S.DATA_ORIGIN_SYNTHETIC
    assert "30" in response.constituents_method


def test_a_capped_member_never_rises_above_the_cap_through_rounding() -> None:
    # One name far more liquid than seven others: it is capped at 15 and the seven share
    # 85 (12.142857142… each, which rounds down, leaving +0.000001 to place).
    weights = capped_weights({"1010": 100.0, **{f"20{i:02d}": 1.0 for i in range(7)}}, 15.0)
    assert sum(weights.values()) == 100
    assert max(weights.values()) <= MT30_CAP


@pytest.mark.parametrize("code", ["TASI50", "IPO"])
def test_indices_without_derived_members_say_so(indices, code) -> None:
    response = indices.GetIndex(I.GetIndexRequest(code=code))
    assert response.index.code == code and response.index.level > 0
    assert list(response.constituents) == []
    assert response.constituents_origin == S.DATA_ORIGIN_UNSPECIFIED


# --- bad codes ----------------------------------------------------------------------------------


def test_an_unknown_index_is_not_found(indices) -> None:
    for call in (lambda: indices.GetIndex(I.GetIndexRequest(code="NOPE")),
                 lambda: indices.GetIndexBars(I.GetIndexBarsRequest(code="NOPE"))):
        error = rpc_error(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
        assert status_details(error)["ErrorInfo"].reason == "INDEX_NOT_FOUND"


@pytest.mark.parametrize("code", ["TA SI", "", "   ", "TASI;--", "ТASI", "X" * 17])
def test_a_malformed_index_code_is_invalid_argument(indices, code) -> None:
    assert invalid(rpc_error(indices.GetIndex, I.GetIndexRequest(code=code))) == ["code"]
    assert invalid(rpc_error(indices.GetIndexBars, I.GetIndexBarsRequest(code=code))) == ["code"]


# --- index bars ---------------------------------------------------------------------------------


def tasi_rows(url: str) -> list[dict[str, Any]]:
    return query(url, """
        SELECT trade_date, open, high, low, close, coalesce(volume, 0) AS volume
        FROM index_daily_bars WHERE index_code = 'TASI'
          AND trade_date BETWEEN '2025-01-01' AND '2025-12-31'
        ORDER BY trade_date""")


def sunday_of(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)  # Monday is 0, Sunday 6


def aggregated(rows: list[dict[str, Any]], key: Any) -> list[tuple[Any, ...]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(key(row["trade_date"]), []).append(row)
    return [(days[0]["trade_date"], days[-1]["trade_date"], days[0]["open"],
             max(d["high"] for d in days), min(d["low"] for d in days), days[-1]["close"],
             sum(d["volume"] for d in days), len(days)) for days in groups.values()]


def as_tuples(bars: Any) -> list[tuple[Any, ...]]:
    return [(to_date(b.start_date), to_date(b.end_date), b.open, b.high, b.low, b.close,
             b.volume, b.trading_days) for b in bars]


@pytest.mark.parametrize(("interval", "key"), [
    (C.INTERVAL_WEEK, sunday_of),
    (C.INTERVAL_MONTH, lambda day: (day.year, day.month)),
    (C.INTERVAL_DAY, lambda day: day),
], ids=["week", "month", "day"])
def test_tasi_bars_of_2025_equal_the_daily_levels_aggregated_by_hand(indices, demo_server,  # noqa: F811
                                                                     interval, key) -> None:
    rows = tasi_rows(demo_server.url)
    assert len(rows) > 240
    response = indices.GetIndexBars(I.GetIndexBarsRequest(
        code="TASI", interval=interval, start_date=pb_date(date(2025, 1, 1)),
        end_date=pb_date(date(2025, 12, 31))))
    assert response.code == "TASI" and response.interval == interval
    assert response.data_origin == S.DATA_ORIGIN_REAL and response.provider
    assert as_tuples(response.bars) == aggregated(rows, key)
    if interval == C.INTERVAL_WEEK:
        for bar in response.bars:  # Sunday to Thursday
            start, end = to_date(bar.start_date), to_date(bar.end_date)
            assert sunday_of(start) == sunday_of(end)
            assert start.weekday() not in (4, 5) and end.weekday() not in (4, 5)
        assert sum(b.trading_days == 5 for b in response.bars) > 30


def test_tasi_bars_default_to_the_latest_year(indices, demo_server) -> None:  # noqa: F811
    response = indices.GetIndexBars(I.GetIndexBarsRequest(code="TASI"))
    assert to_date(response.end_date) == date(2025, 12, 31)
    assert to_date(response.start_date) == date(2024, 12, 31)
    assert as_tuples(response.bars) == aggregated(tasi_rows(demo_server.url), lambda d: d)


@pytest.mark.parametrize("interval", [C.INTERVAL_MINUTE, C.INTERVAL_FIVE_MINUTES,
                                      C.INTERVAL_FIFTEEN_MINUTES, C.INTERVAL_HOUR, 99])
def test_an_intraday_or_unknown_interval_on_an_index_is_invalid_argument(indices,
                                                                         interval) -> None:
    error = rpc_error(indices.GetIndexBars, I.GetIndexBarsRequest(code="TASI",
                                                                  interval=interval))
    assert invalid(error) == ["interval"]


def test_an_inverted_index_bar_range_is_invalid_argument(indices) -> None:
    error = rpc_error(indices.GetIndexBars, I.GetIndexBarsRequest(
        code="TASI", start_date=pb_date(date(2025, 6, 1)), end_date=pb_date(date(2025, 5, 1))))
    assert invalid(error) == ["start_date"]
