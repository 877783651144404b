"""ChartService over a real channel: intraday bars of the demo market against the stored
minute bars, price adjustments against the stored daily bars, indicators against TA-Lib on
2222's real bars, and the issue's bad-input rules across the market-data RPCs."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import grpc
import numpy as np
import pytest
from redis import Redis
from talib import abstract

from financehub.v1 import (
    charts_pb2,
    charts_pb2_grpc,
    market_pb2,
    market_pb2_grpc,
    quotes_pb2,
    quotes_pb2_grpc,
    securities_pb2,
)
from server.domain.indicators import IndicatorKind, IndicatorSpec, PriceSeries, compute_indicator
from tests.support.demo_market import (
    DEMO_LAST_DAY,
    REAL_LAST_DAY,
    DemoMarket,
    close_enough,
    demo_server,  # noqa: F401  (a fixture, used by name)
    pb_date,
    query,
    to_date,
)
from tests.support.identity import rpc_error, status_details, violated_fields

C = charts_pb2
S = securities_pb2
SYNTHETIC_ONLY = "2010"  # SABIC: no real file, so only demo bars
INTRADAY_DAYS = (date(2025, 12, 9), date(2025, 12, 10))  # the demo's last two trading days
NO_INTRADAY_DAY = date(2025, 12, 8)


@pytest.fixture(scope="module")
def charts(demo_server: DemoMarket) -> charts_pb2_grpc.ChartServiceStub:  # noqa: F811
    return charts_pb2_grpc.ChartServiceStub(demo_server.channel)


@pytest.fixture(scope="module")
def real_charts(channel: grpc.Channel) -> charts_pb2_grpc.ChartServiceStub:
    """ChartService of the session's real-data server (2222's history is all real)."""
    return charts_pb2_grpc.ChartServiceStub(channel)


def bars_request(symbol: str, interval: int = C.INTERVAL_DAY, start: date | None = None,
                 end: date | None = None, **fields: Any) -> C.GetBarsRequest:
    request = C.GetBarsRequest(symbol=symbol, interval=interval, **fields)
    if start:
        request.start_date.CopyFrom(pb_date(start))
    if end:
        request.end_date.CopyFrom(pb_date(end))
    return request


def ohlcv(bar: Any) -> tuple[float, float, float, float, int]:
    return bar.open, bar.high, bar.low, bar.close, bar.volume


def invalid(error: grpc.RpcError) -> list[str]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error  # type: ignore[attr-defined]
    return violated_fields(error)


# --- intraday bars ------------------------------------------------------------------------------


def stored_minutes(url: str, symbol: str) -> list[dict[str, Any]]:
    return query(url, """
        SELECT bar_time, open, high, low, close, volume, origin FROM intraday_bars
        WHERE symbol = %s ORDER BY bar_time""", (symbol,))


def session_open_utc(day: date) -> datetime:
    return datetime.combine(day, time(7, 0), tzinfo=UTC)  # 10:00 in Riyadh (UTC+3)


def by_hand(minutes: list[dict[str, Any]], width: int) -> list[dict[str, Any]]:
    """Minute rows merged into `width`-minute bars aligned on the 10:00 Riyadh open."""
    buckets: dict[datetime, list[dict[str, Any]]] = {}
    for row in minutes:
        opened = session_open_utc(row["bar_time"].astimezone(UTC).date())
        offset = int((row["bar_time"] - opened).total_seconds()) // 60
        buckets.setdefault(opened + timedelta(minutes=offset - offset % width), []).append(row)
    return [{"start": start, "open": rows[0]["open"], "high": max(r["high"] for r in rows),
             "low": min(r["low"] for r in rows), "close": rows[-1]["close"],
             "volume": sum(r["volume"] for r in rows)} for start, rows in buckets.items()]


def served(bars: Any) -> list[dict[str, Any]]:
    return [{"start": b.start_time.ToDatetime(tzinfo=UTC), "open": b.open, "high": b.high,
             "low": b.low, "close": b.close, "volume": b.volume} for b in bars]


@pytest.mark.parametrize("symbol", [SYNTHETIC_ONLY, "9510", "2222"])
def test_minute_bars_are_the_stored_session_minutes(charts, demo_server, symbol) -> None:  # noqa: F811
    stored = stored_minutes(demo_server.url, symbol)
    assert {row["bar_time"].astimezone(UTC).date() for row in stored} == set(INTRADAY_DAYS)
    response = charts.GetBars(bars_request(symbol, C.INTERVAL_MINUTE, *INTRADAY_DAYS))
    assert response.data_origin == S.DATA_ORIGIN_SYNTHETIC
    assert response.interval == C.INTERVAL_MINUTE
    assert len(response.bars) == 2 * 300
    for day in INTRADAY_DAYS:
        bars = [b for b in response.bars if to_date(b.start_date) == day]
        assert [b.start_time.ToDatetime(tzinfo=UTC) for b in bars] == [
            session_open_utc(day) + timedelta(minutes=m) for m in range(300)]  # 07:00..11:59
        assert all(to_date(b.end_date) == day and b.trading_days == 1 and b.synthetic
                   for b in bars)
    assert served(response.bars) == by_hand(stored, 1)
    # Without dates: the latest year of minutes, which is the same two days.
    assert served(charts.GetBars(bars_request(symbol, C.INTERVAL_MINUTE)).bars) == \
        served(response.bars)


@pytest.mark.parametrize(("interval", "width"), [
    (C.INTERVAL_FIVE_MINUTES, 5), (C.INTERVAL_FIFTEEN_MINUTES, 15), (C.INTERVAL_HOUR, 60)])
@pytest.mark.parametrize("symbol", [SYNTHETIC_ONLY, "9510"])
def test_longer_intraday_bars_aggregate_the_minutes(charts, demo_server, symbol, interval,  # noqa: F811
                                                    width) -> None:
    stored = stored_minutes(demo_server.url, symbol)
    response = charts.GetBars(bars_request(symbol, interval, *INTRADAY_DAYS))
    assert len(response.bars) == 2 * 300 // width
    assert served(response.bars) == by_hand(stored, width)
    for bar in response.bars:
        start = bar.start_time.ToDatetime(tzinfo=UTC)
        minutes_after_open = (start - session_open_utc(start.date())).total_seconds() / 60
        assert minutes_after_open % width == 0 and 0 <= minutes_after_open < 300
        assert bar.synthetic and bar.trading_days == 1


@pytest.mark.parametrize("symbol", [SYNTHETIC_ONLY, "9510", "2222", "1120"])
def test_a_days_minutes_add_up_to_its_daily_bar(charts, symbol) -> None:
    minutes = charts.GetBars(bars_request(symbol, C.INTERVAL_MINUTE, *INTRADAY_DAYS)).bars
    daily = charts.GetBars(bars_request(symbol, C.INTERVAL_DAY, *INTRADAY_DAYS)).bars
    assert [to_date(b.start_date) for b in daily] == list(INTRADAY_DAYS)
    for bar in daily:
        day = [m for m in minutes if to_date(m.start_date) == to_date(bar.start_date)]
        assert ohlcv(bar) == (day[0].open, max(m.high for m in day), min(m.low for m in day),
                              day[-1].close, sum(m.volume for m in day))
    # And the last day's hour bars, merged, are that day's bar too.
    hours = charts.GetBars(bars_request(symbol, C.INTERVAL_HOUR, INTRADAY_DAYS[1],
                                        INTRADAY_DAYS[1])).bars
    assert len(hours) == 5
    assert (hours[0].open, max(h.high for h in hours), min(h.low for h in hours),
            hours[-1].close, sum(h.volume for h in hours)) == ohlcv(daily[-1])


def test_every_stored_intraday_day_matches_its_daily_bar(demo_server) -> None:  # noqa: F811
    """The whole demo market, straight from the tables."""
    mismatched = query(demo_server.url, """
        WITH days AS (
            SELECT symbol, (bar_time AT TIME ZONE 'Asia/Riyadh')::date AS day,
                   (array_agg(open ORDER BY bar_time))[1] AS open, max(high) AS high,
                   min(low) AS low, (array_agg(close ORDER BY bar_time DESC))[1] AS close,
                   sum(volume) AS volume, count(*) AS minutes
            FROM intraday_bars GROUP BY 1, 2)
        SELECT d.symbol, d.day, d.minutes FROM days d
        LEFT JOIN daily_bars b ON b.symbol = d.symbol AND b.trade_date = d.day
        WHERE d.minutes <> 300
           OR (b.open, b.high, b.low, b.close, b.volume)
              IS DISTINCT FROM (d.open, d.high, d.low, d.close, d.volume)""")
    assert mismatched == []
    days = query(demo_server.url, """
        SELECT count(DISTINCT symbol) AS symbols,
               array_agg(DISTINCT (bar_time AT TIME ZONE 'Asia/Riyadh')::date) AS days
        FROM intraday_bars""")[0]
    assert days["symbols"] == 403 and sorted(days["days"]) == list(INTRADAY_DAYS)


@pytest.mark.parametrize("interval", [C.INTERVAL_MINUTE, C.INTERVAL_HOUR])
def test_a_day_without_minute_bars_has_no_intraday_bars(charts, demo_server, interval) -> None:  # noqa: F811
    assert query(demo_server.url, "SELECT 1 FROM daily_bars WHERE symbol = %s AND trade_date = %s",
                 (SYNTHETIC_ONLY, NO_INTRADAY_DAY)), "the day has a daily bar"
    response = charts.GetBars(bars_request(SYNTHETIC_ONLY, interval, NO_INTRADAY_DAY,
                                           NO_INTRADAY_DAY))
    assert list(response.bars) == []


# --- adjustments and the real-to-synthetic boundary ---------------------------------------------


def stored_daily(url: str, symbol: str, start: date | None = None,
                 end: date | None = None) -> list[dict[str, Any]]:
    return query(url, """
        SELECT trade_date, open, high, low, close, volume, adj_close, origin FROM daily_bars
        WHERE symbol = %(symbol)s AND (%(start)s::date IS NULL OR trade_date >= %(start)s)
          AND (%(end)s::date IS NULL OR trade_date <= %(end)s)
        ORDER BY trade_date""", {"symbol": symbol, "start": start, "end": end})


def test_all_adjustment_scales_each_real_bar_by_its_adjusted_close(charts, demo_server) -> None:  # noqa: F811
    rows = stored_daily(demo_server.url, "2222")
    response = charts.GetBars(bars_request("2222", period=C.PERIOD_MAX,
                                           adjustment=C.ADJUSTMENT_ALL))
    assert response.adjustment == C.ADJUSTMENT_ALL and response.adjustment_note
    assert [to_date(b.start_date) for b in response.bars] == [r["trade_date"] for r in rows]
    scaled = 0
    for bar, row in zip(response.bars, rows, strict=True):
        factor = row["adj_close"] / row["close"] if row["adj_close"] else 1.0
        scaled += factor != 1.0
        for name in ("open", "high", "low", "close"):
            assert close_enough(getattr(bar, name), row[name] * factor, 1e-12), (
                row["trade_date"], name)
        assert bar.volume == row["volume"]
        assert bar.synthetic == (row["origin"] == "SYNTHETIC")
    assert scaled > 1000  # 2222's dividends reach back over most of its history
    assert response.bars[-1].close == rows[-1]["close"]  # synthetic bars: factor 1


def test_split_adjustment_is_the_stored_bars(charts, demo_server) -> None:  # noqa: F811
    rows = stored_daily(demo_server.url, "2222")
    for adjustment in (C.ADJUSTMENT_SPLIT, C.ADJUSTMENT_UNSPECIFIED):
        response = charts.GetBars(bars_request("2222", period=C.PERIOD_MAX,
                                               adjustment=adjustment))
        assert response.adjustment == C.ADJUSTMENT_SPLIT
        assert [ohlcv(b) for b in response.bars] == [
            (r["open"], r["high"], r["low"], r["close"], r["volume"]) for r in rows]


@pytest.mark.parametrize("server_name", ["demo", "real"])
def test_raw_prices_of_2222_are_unavailable(charts, real_charts, server_name) -> None:
    stub = charts if server_name == "demo" else real_charts
    error = rpc_error(stub.GetBars, bars_request("2222", adjustment=C.ADJUSTMENT_RAW))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION  # type: ignore[attr-defined]
    assert status_details(error)["ErrorInfo"].reason == "RAW_PRICES_UNAVAILABLE"


def test_raw_prices_of_a_synthetic_only_symbol_equal_split(charts, demo_server) -> None:  # noqa: F811
    raw = charts.GetBars(bars_request(SYNTHETIC_ONLY, period=C.PERIOD_MAX,
                                      adjustment=C.ADJUSTMENT_RAW))
    split = charts.GetBars(bars_request(SYNTHETIC_ONLY, period=C.PERIOD_MAX,
                                        adjustment=C.ADJUSTMENT_SPLIT))
    assert raw.adjustment == C.ADJUSTMENT_RAW
    assert list(raw.bars) == list(split.bars)
    rows = stored_daily(demo_server.url, SYNTHETIC_ONLY)
    assert [ohlcv(b) for b in raw.bars] == [
        (r["open"], r["high"], r["low"], r["close"], r["volume"]) for r in rows]
    assert len(rows) > 60 and all(b.synthetic for b in raw.bars)
    assert raw.data_origin == S.DATA_ORIGIN_SYNTHETIC


def test_bars_across_the_real_to_synthetic_boundary_say_so(charts, demo_server) -> None:  # noqa: F811
    start = date(2025, 11, 20)
    rows = stored_daily(demo_server.url, "2222", start, DEMO_LAST_DAY)
    response = charts.GetBars(bars_request("2222", C.INTERVAL_DAY, start, DEMO_LAST_DAY))
    days = [to_date(b.start_date) for b in response.bars]
    assert days == [r["trade_date"] for r in rows]
    flags = [b.synthetic for b in response.bars]
    real_days = sum(1 for d in days if d <= REAL_LAST_DAY)
    assert 0 < real_days < len(days)
    assert flags == [False] * real_days + [True] * (len(days) - real_days)
    assert response.data_origin == S.DATA_ORIGIN_MIXED
    assert "Yahoo Finance" in response.provider and "demo" in response.provider
    # The week of 30 Nov - 4 Dec holds real and synthetic days: the week is marked synthetic.
    weeks = charts.GetBars(bars_request("2222", C.INTERVAL_WEEK, start, DEMO_LAST_DAY)).bars
    boundary = next(w for w in weeks if to_date(w.start_date) == date(2025, 11, 30))
    assert to_date(boundary.end_date) == date(2025, 12, 4) and boundary.synthetic
    assert not weeks[0].synthetic and weeks[-1].synthetic


# --- indicators against TA-Lib on 2222's real year ----------------------------------------------

TOLERANCE = 1e-9
STOCH_SMA = {"slowk_matype": 0, "slowd_matype": 0}
K = IndicatorKind

# (request, domain spec, TA-Lib function and parameters; None: VWAP, computed by hand)
INDICATORS: list[tuple[C.IndicatorRequest, IndicatorSpec, str | None, dict[str, Any]]] = [
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_SMA, period=20), IndicatorSpec(K.SMA, period=20),
     "SMA", {"timeperiod": 20}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_EMA, period=12), IndicatorSpec(K.EMA, period=12),
     "EMA", {"timeperiod": 12}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_WMA, period=10), IndicatorSpec(K.WMA, period=10),
     "WMA", {"timeperiod": 10}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_RSI), IndicatorSpec(K.RSI), "RSI",
     {"timeperiod": 14}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_MACD, fast_period=12, slow_period=26,
                        signal_period=9),
     IndicatorSpec(K.MACD, fast_period=12, slow_period=26, signal_period=9), "MACD",
     {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_BBANDS, period=20, std_dev_up=2.0,
                        std_dev_down=1.5),
     IndicatorSpec(K.BBANDS, period=20, std_dev_up=2.0, std_dev_down=1.5), "BBANDS",
     {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 1.5, "matype": 0}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_ATR, period=14), IndicatorSpec(K.ATR, period=14),
     "ATR", {"timeperiod": 14}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_STOCH, k_period=14, k_slowing=3, d_period=3),
     IndicatorSpec(K.STOCH, k_period=14, k_slowing=3, d_period=3), "STOCH",
     {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3, **STOCH_SMA}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_OBV), IndicatorSpec(K.OBV), "OBV", {}),
    (C.IndicatorRequest(type=C.INDICATOR_TYPE_VWAP), IndicatorSpec(K.VWAP), None, {}),
]
LINES = {"MACD": ("macd", "signal", "histogram"), "BBANDS": ("upper", "middle", "lower"),
         "STOCH": ("k", "d")}


def vwap_by_hand(columns: dict[str, np.ndarray]) -> np.ndarray:
    typical = (columns["high"] + columns["low"] + columns["close"]) / 3
    return np.cumsum(typical * columns["volume"]) / np.cumsum(columns["volume"])


@pytest.fixture(scope="module")
def year_of_2222(real_charts, backends) -> tuple[C.GetBarsResponse, C.GetIndicatorsResponse]:
    # The real-data server's Redis database outlives the run: start from an empty cache.
    with Redis.from_url(backends.redis_url) as redis:
        redis.flushdb()
    bars = real_charts.GetBars(C.GetBarsRequest(symbol="2222", period=C.PERIOD_1Y))
    indicators = real_charts.GetIndicators(C.GetIndicatorsRequest(
        symbol="2222", period=C.PERIOD_1Y, indicators=[item[0] for item in INDICATORS]))
    return bars, indicators


def test_indicator_response_carries_the_same_bars_as_get_bars(year_of_2222) -> None:
    bars, indicators = year_of_2222
    assert bars.data_origin == S.DATA_ORIGIN_REAL
    assert 240 <= len(bars.bars) <= 260
    assert to_date(bars.end_date) == REAL_LAST_DAY
    assert list(indicators.bars) == list(bars.bars)
    assert (indicators.symbol, indicators.start_date, indicators.end_date) == (
        "2222", bars.start_date, bars.end_date)
    assert [s.indicator for s in indicators.indicators] == [item[0] for item in INDICATORS]


@pytest.mark.parametrize(("index", "name"), [
    (i, C.IndicatorType.Name(item[0].type)) for i, item in enumerate(INDICATORS)])
def test_indicator_values_equal_the_domain_and_talib(year_of_2222, index, name) -> None:
    bars, indicators = year_of_2222
    _, spec, function, parameters = INDICATORS[index]
    series = indicators.indicators[index]
    columns = {field: np.array([getattr(b, field) for b in bars.bars], dtype=np.float64)
               for field in ("open", "high", "low", "close", "volume")}
    domain = compute_indicator(PriceSeries(**{k: v.tolist() for k, v in columns.items()}), spec)
    if function is None:
        references, lookback = [vwap_by_hand(columns)], 0
    else:
        talib_function = abstract.Function(function, **parameters)
        output = talib_function(columns)
        references = output if isinstance(output, list) else [output]
        lookback = talib_function.lookback
    names = LINES.get(function or "", ("value",))
    assert [line.name for line in series.lines] == list(names)
    for line, reference in zip(series.lines, references, strict=True):
        assert line.first_index == lookback, line.name
        assert len(line.first_index * [None] + list(line.values)) == len(bars.bars)
        assert [None] * line.first_index + list(line.values) == domain.lines[line.name]
        assert np.isnan(reference[:lookback]).all() and not np.isnan(reference[lookback:]).any()
        values = np.array(line.values)
        deviation = np.abs(values - reference[lookback:])
        allowed = TOLERANCE * np.maximum(1.0, np.abs(reference[lookback:]))
        assert (deviation <= allowed).all(), (line.name, float(deviation.max()))


def test_a_period_equal_to_the_bars_gives_one_value(real_charts, year_of_2222) -> None:
    bars, _ = year_of_2222
    response = real_charts.GetIndicators(C.GetIndicatorsRequest(
        symbol="2222", period=C.PERIOD_1Y,
        indicators=[C.IndicatorRequest(type=C.INDICATOR_TYPE_SMA, period=len(bars.bars))]))
    line = response.indicators[0].lines[0]
    assert line.first_index == len(bars.bars) - 1 and len(line.values) == 1
    assert close_enough(line.values[0], sum(b.close for b in bars.bars) / len(bars.bars))


def indicators_request(*items: C.IndicatorRequest, **fields: Any) -> C.GetIndicatorsRequest:
    return C.GetIndicatorsRequest(symbol=fields.pop("symbol", "2222"), period=C.PERIOD_1Y,
                                  indicators=list(items), **fields)


SMA = C.INDICATOR_TYPE_SMA


@pytest.mark.parametrize(("request_", "fields"), [
    pytest.param(indicators_request(C.IndicatorRequest(type=SMA, period=0)),
                 ["indicators[0].period"], id="period 0"),
    pytest.param(indicators_request(C.IndicatorRequest(type=SMA, period=-3)),
                 ["indicators[0].period"], id="negative period"),
    pytest.param(indicators_request(C.IndicatorRequest(type=C.INDICATOR_TYPE_RSI),
                                    C.IndicatorRequest(type=SMA, period=400)),
                 ["indicators[1].period"], id="period above the bars"),
    pytest.param(indicators_request(*[C.IndicatorRequest(type=SMA, period=p)
                                      for p in range(2, 13)]),
                 ["indicators"], id="11 indicators"),
    pytest.param(indicators_request(), ["indicators"], id="no indicator"),
    pytest.param(indicators_request(C.IndicatorRequest(type=99)),
                 ["indicators[0].type"], id="unknown type"),
    pytest.param(indicators_request(C.IndicatorRequest(type=C.INDICATOR_TYPE_UNSPECIFIED)),
                 ["indicators[0].type"], id="unspecified type"),
    pytest.param(indicators_request(C.IndicatorRequest(type=SMA, fast_period=5)),
                 ["indicators[0].fast_period"], id="fast_period on SMA"),
    pytest.param(indicators_request(C.IndicatorRequest(type=C.INDICATOR_TYPE_OBV, period=5)),
                 ["indicators[0].period"], id="period on OBV"),
    pytest.param(indicators_request(C.IndicatorRequest(type=C.INDICATOR_TYPE_MACD,
                                                       fast_period=26, slow_period=12)),
                 ["indicators[0].fast_period"], id="MACD fast above slow"),
])
def test_bad_indicator_requests_are_invalid_argument(real_charts, request_, fields) -> None:
    assert invalid(rpc_error(real_charts.GetIndicators, request_)) == fields


# --- bad input across the market-data RPCs (the list) -----------------------------------


@pytest.fixture(scope="module")
def stubs(demo_server: DemoMarket) -> dict[str, Any]:  # noqa: F811
    return {"charts": charts_pb2_grpc.ChartServiceStub(demo_server.channel),
            "market": market_pb2_grpc.MarketServiceStub(demo_server.channel),
            "quotes": quotes_pb2_grpc.QuoteServiceStub(demo_server.channel)}


SYMBOL_CALLS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "GetBars": lambda s, symbol: s["charts"].GetBars(C.GetBarsRequest(symbol=symbol)),
    "GetIndicators": lambda s, symbol: s["charts"].GetIndicators(C.GetIndicatorsRequest(
        symbol=symbol, indicators=[C.IndicatorRequest(type=SMA)])),
    "GetTicker": lambda s, symbol: s["market"].GetTicker(
        market_pb2.GetTickerRequest(symbol=symbol)),
    "GetQuote": lambda s, symbol: s["quotes"].GetQuote(quotes_pb2.GetQuoteRequest(symbol=symbol)),
}


@pytest.mark.parametrize("rpc", list(SYMBOL_CALLS))
def test_an_unknown_symbol_is_not_found(stubs, rpc) -> None:
    error = rpc_error(SYMBOL_CALLS[rpc], stubs, "9998")
    assert error.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    info = status_details(error)["ErrorInfo"]
    assert info.domain == "financehub.sa" and info.reason.endswith("_NOT_FOUND")
    SYMBOL_CALLS[rpc](stubs, "2222.SR")  # the same call with a known symbol answers


@pytest.mark.parametrize("symbol", ["22", "ARAMCO", "2222.XX", "2222; DROP TABLE securities",
                                    ""])
@pytest.mark.parametrize("rpc", list(SYMBOL_CALLS))
def test_a_malformed_symbol_is_invalid_argument(stubs, rpc, symbol) -> None:
    assert invalid(rpc_error(SYMBOL_CALLS[rpc], stubs, symbol)) == ["symbol"]


def test_batch_quotes_of_an_unknown_symbol_is_not_found(stubs) -> None:
    error = rpc_error(stubs["quotes"].BatchGetQuotes,
                      quotes_pb2.BatchGetQuotesRequest(symbols=["2222", "9998"]))
    assert error.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]


@pytest.mark.parametrize(("rpc", "make"), [
    ("GetBars", lambda **kw: C.GetBarsRequest(symbol="2222", **kw)),
    ("GetBars", lambda **kw: C.GetBarsRequest(symbol="2222", interval=C.INTERVAL_MINUTE, **kw)),
    ("GetIndicators", lambda **kw: C.GetIndicatorsRequest(
        symbol="2222", indicators=[C.IndicatorRequest(type=SMA)], **kw)),
])
def test_an_inverted_date_range_is_invalid_argument(stubs, rpc, make) -> None:
    request = make(start_date=pb_date(date(2025, 12, 1)), end_date=pb_date(date(2025, 11, 1)))
    assert invalid(rpc_error(getattr(stubs["charts"], rpc), request)) == ["start_date"]


@pytest.mark.parametrize(("rpc", "request_"), [
    ("ListTickers", market_pb2.ListTickersRequest(page_size=-1)),
    ("ScreenSecurities", market_pb2.ScreenSecuritiesRequest(page_size=-5)),
])
def test_a_negative_page_size_is_invalid_argument(stubs, rpc, request_) -> None:
    assert invalid(rpc_error(getattr(stubs["market"], rpc), request_)) == ["page_size"]


def test_at_most_100_symbols_per_batch(stubs, demo_server) -> None:  # noqa: F811
    symbols = [r["symbol"] for r in query(
        demo_server.url, "SELECT DISTINCT symbol FROM daily_bars ORDER BY symbol LIMIT 101")]
    assert len(symbols) == 101
    answered = stubs["quotes"].BatchGetQuotes(
        quotes_pb2.BatchGetQuotesRequest(symbols=symbols[:100]))
    assert [q.symbol for q in answered.quotes] == symbols[:100]
    error = rpc_error(stubs["quotes"].BatchGetQuotes,
                      quotes_pb2.BatchGetQuotesRequest(symbols=symbols))
    assert invalid(error) == ["symbols"]
    empty = rpc_error(stubs["quotes"].BatchGetQuotes, quotes_pb2.BatchGetQuotesRequest())
    assert invalid(empty) == ["symbols"]
    bad = rpc_error(stubs["quotes"].BatchGetQuotes,
                    quotes_pb2.BatchGetQuotesRequest(symbols=["2222", "XX", "1120"]))
    assert invalid(bad) == ["symbols[1]"]


def test_a_stream_of_more_than_100_symbols_is_invalid_argument(stubs) -> None:
    stream = stubs["quotes"].StreamQuotes(
        quotes_pb2.StreamQuotesRequest(symbols=[f"{1000 + i}" for i in range(101)]), timeout=10)
    assert "symbols" in invalid(rpc_error(next, stream))
