"""ChartService.GetBars over a real gRPC channel, checked against bars computed by hand
from the real 2222 file."""

from datetime import date

import grpc
import pytest
from google.type import date_pb2

from financehub.v1 import charts_pb2, charts_pb2_grpc, securities_pb2
from server.ingest.reference import DAILY_PRICE_FILES
from tests.support.identity import status_details
from tests.support.real_bars import by_hand, calendar_month, daily_rows, tadawul_week


@pytest.fixture
def charts(channel: grpc.Channel) -> charts_pb2_grpc.ChartServiceStub:
    return charts_pb2_grpc.ChartServiceStub(channel)


def to_date(message: date_pb2.Date) -> date:
    return date(message.year, message.month, message.day)


def pb_date(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def as_dicts(bars) -> list[dict[str, object]]:  # noqa: ANN001
    return [
        {"start": to_date(b.start_date), "end": to_date(b.end_date), "open": b.open,
         "close": b.close, "high": b.high, "low": b.low, "volume": b.volume,
         "trading_days": b.trading_days}
        for b in bars
    ]


REAL_2222 = daily_rows(DAILY_PRICE_FILES["2222"])


@pytest.mark.parametrize(("interval", "key"), [
    (charts_pb2.INTERVAL_WEEK, tadawul_week),
    (charts_pb2.INTERVAL_MONTH, calendar_month),
    (charts_pb2.INTERVAL_DAY, lambda day: day),
])
def test_all_history_matches_bars_computed_by_hand(charts, interval, key) -> None:
    response = charts.GetBars(charts_pb2.GetBarsRequest(
        symbol="2222.SR", period=charts_pb2.PERIOD_MAX, interval=interval))
    assert response.symbol == "2222"
    assert response.data_origin == securities_pb2.DATA_ORIGIN_REAL
    assert response.provider == "Yahoo Finance"
    assert as_dicts(response.bars) == by_hand(REAL_2222, key)


def test_weeks_run_sunday_to_thursday(charts) -> None:
    response = charts.GetBars(charts_pb2.GetBarsRequest(
        symbol="2222", period=charts_pb2.PERIOD_MAX, interval=charts_pb2.INTERVAL_WEEK))
    full_weeks = [b for b in response.bars if b.trading_days == 5]
    assert len(full_weeks) > 200
    for bar in full_weeks:
        assert to_date(bar.start_date).isoweekday() == 7  # Sunday
        assert to_date(bar.end_date).isoweekday() == 4  # Thursday


@pytest.mark.parametrize(("period", "start"), [
    (charts_pb2.PERIOD_1M, date(2025, 11, 2)),
    (charts_pb2.PERIOD_3M, date(2025, 9, 2)),
    (charts_pb2.PERIOD_6M, date(2025, 6, 2)),
    (charts_pb2.PERIOD_1Y, date(2024, 12, 2)),
    (charts_pb2.PERIOD_5Y, date(2020, 12, 2)),
])
def test_period_filters_by_date_back_from_the_latest_bar(charts, period, start) -> None:
    response = charts.GetBars(charts_pb2.GetBarsRequest(symbol="2222", period=period))
    latest = REAL_2222[-1]["day"]
    assert to_date(response.end_date) == latest == date(2025, 12, 2)
    assert to_date(response.start_date) == start
    expected = [r for r in REAL_2222 if start <= r["day"] <= latest]  # type: ignore[operator]
    assert [to_date(b.start_date) for b in response.bars] == [r["day"] for r in expected]


def test_no_range_means_one_year(charts) -> None:
    default = charts.GetBars(charts_pb2.GetBarsRequest(symbol="2222"))
    one_year = charts.GetBars(charts_pb2.GetBarsRequest(symbol="2222",
                                                        period=charts_pb2.PERIOD_1Y))
    assert list(default.bars) == list(one_year.bars)
    assert default.interval == charts_pb2.INTERVAL_DAY


def test_explicit_date_range_is_inclusive(charts) -> None:
    response = charts.GetBars(charts_pb2.GetBarsRequest(
        symbol="2222", start_date=pb_date(date(2025, 3, 2)), end_date=pb_date(date(2025, 3, 6))))
    days = [to_date(b.start_date) for b in response.bars]
    assert days == [r["day"] for r in REAL_2222
                    if date(2025, 3, 2) <= r["day"] <= date(2025, 3, 6)]  # type: ignore[operator]
    assert days[0] == date(2025, 3, 2) and days[-1] == date(2025, 3, 6)


def test_period_with_an_end_date_counts_back_from_it(charts) -> None:
    response = charts.GetBars(charts_pb2.GetBarsRequest(
        symbol="2222", period=charts_pb2.PERIOD_1M, end_date=pb_date(date(2024, 3, 31))))
    assert to_date(response.start_date) == date(2024, 2, 29)
    assert all(date(2024, 2, 29) <= to_date(b.start_date) <= date(2024, 3, 31)
               for b in response.bars)
    assert response.bars


def test_symbol_without_history_answers_empty(charts) -> None:
    response = charts.GetBars(charts_pb2.GetBarsRequest(symbol="1010"))
    assert response.symbol == "1010"
    assert list(response.bars) == []


def _violations(error: grpc.RpcError) -> dict[str, str]:
    bad_request = status_details(error)["BadRequest"]
    return {v.field: v.description for v in bad_request.field_violations}


@pytest.mark.parametrize(("request_fields", "field"), [
    ({"symbol": "22"}, "symbol"),
    ({"symbol": ""}, "symbol"),
    ({"symbol": "2222", "start_date": date_pb2.Date(year=2025, month=2, day=30)}, "start_date"),
    ({"symbol": "2222", "end_date": date_pb2.Date(year=2025)}, "end_date"),
    ({"symbol": "2222", "start_date": pb_date(date(2025, 3, 1)),
      "end_date": pb_date(date(2025, 1, 1))}, "start_date"),
    ({"symbol": "2222", "period": charts_pb2.PERIOD_1Y,
      "start_date": pb_date(date(2025, 1, 1))}, "start_date"),
    ({"symbol": "2222", "interval": 42}, "interval"),
    ({"symbol": "2222", "period": 42}, "period"),
])
def test_bad_requests_are_invalid_argument_with_field_violations(charts, request_fields,
                                                                 field) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        charts.GetBars(charts_pb2.GetBarsRequest(**request_fields))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in _violations(caught.value)
    assert status_details(caught.value)["ErrorInfo"].domain == "financehub.sa"


def test_inverted_range_is_refused_even_for_an_unknown_symbol(charts) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        charts.GetBars(charts_pb2.GetBarsRequest(
            symbol="9998", start_date=pb_date(date(2025, 3, 1)),
            end_date=pb_date(date(2025, 1, 1))))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_symbol_is_not_found(charts) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        charts.GetBars(charts_pb2.GetBarsRequest(symbol="9998"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert status_details(caught.value)["ErrorInfo"].reason == "TICKER_NOT_FOUND"
