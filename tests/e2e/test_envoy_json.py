"""The JSON gateway: real Envoy transcoding HTTP/JSON to the real gRPC server."""

import datetime
import urllib.parse
from typing import Any

import grpc
import pytest
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from financehub.v1 import charts_pb2, charts_pb2_grpc, market_pb2, market_pb2_grpc, securities_pb2
from tests.e2e.conftest import HttpAnswer, RunningEnvoy

pytestmark = pytest.mark.e2e

ALLOWED_ORIGIN = "http://localhost:8080"
FOREIGN_ORIGIN = "http://evil.example"


def as_json(message: Message) -> dict[str, object]:
    """The proto3 JSON form Envoy prints: lowerCamelCase, enum names, int64 as strings,
    and fields at their default value included."""
    return MessageToDict(message, always_print_fields_with_no_presence=True)


def details_by_type(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    details = body.get("details")
    assert isinstance(details, list) and details, f"no details in {body}"
    found: dict[str, dict[str, Any]] = {}
    for detail in details:
        assert isinstance(detail, dict)
        type_url = detail["@type"]
        assert isinstance(type_url, str)
        found[type_url.rsplit(".", 1)[-1]] = detail
    return found


@pytest.fixture(scope="module")
def market(channel: grpc.Channel) -> market_pb2_grpc.MarketServiceStub:
    return market_pb2_grpc.MarketServiceStub(channel)


@pytest.fixture(scope="module")
def charts(channel: grpc.Channel) -> charts_pb2_grpc.ChartServiceStub:
    return charts_pb2_grpc.ChartServiceStub(channel)


def test_get_ticker_json_matches_native_grpc(envoy: RunningEnvoy, market):
    answer = envoy.request("/v1/tickers/2222")
    assert answer.status == 200, answer.body
    assert answer.header("content-type") == "application/json"
    body = answer.json()

    native = market.GetTicker(market_pb2.GetTickerRequest(symbol="2222"))
    assert body == as_json(native)
    ticker = body["ticker"]
    assert isinstance(ticker, dict)
    assert ticker["symbol"] == "2222"
    assert ticker["nameEn"] == "Saudi Arabian Oil Company"
    assert ticker["nameAr"] == "أرامكو السعودية"
    assert ticker["market"] == "MARKET_MAIN"
    assert ticker["currency"] == "SAR"
    assert ticker["hasPriceHistory"] is True


def test_symbol_alias_in_path_answers_canonical_symbol(envoy: RunningEnvoy):
    answer = envoy.request("/v1/tickers/2222.SR")
    assert answer.status == 200, answer.body
    assert answer.json()["ticker"]["symbol"] == "2222"


def test_weekly_bars_json_match_native_grpc(envoy: RunningEnvoy, charts):
    answer = envoy.request("/v1/tickers/2222/bars?period=PERIOD_1Y&interval=INTERVAL_WEEK")
    assert answer.status == 200, answer.body
    body = answer.json()

    native = charts.GetBars(charts_pb2.GetBarsRequest(
        symbol="2222", period=charts_pb2.PERIOD_1Y, interval=charts_pb2.INTERVAL_WEEK,
    ))
    assert body == as_json(native)

    assert body["symbol"] == "2222"
    assert body["interval"] == "INTERVAL_WEEK"
    assert body["dataOrigin"] == "DATA_ORIGIN_REAL"
    bars = body["bars"]
    assert isinstance(bars, list)
    # A year of weekly bars: about 52 (holiday weeks may be missing, none is split).
    assert 45 <= len(bars) <= 54, len(bars)
    previous_end: datetime.date | None = None
    for bar in bars:
        start = datetime.date(**bar["startDate"])
        end = datetime.date(**bar["endDate"])
        assert start <= end
        # Both ends inside one Tadawul week (Sunday..Thursday).
        week_sunday = start - datetime.timedelta(days=(start.weekday() + 1) % 7)
        assert (end - week_sunday).days <= 4, bar
        assert end.weekday() not in (4, 5), f"bar ends on a weekend: {bar}"
        assert 1 <= bar["tradingDays"] <= 5
        assert isinstance(bar["volume"], str) and int(bar["volume"]) > 0  # int64 as string
        assert bar["low"] <= min(bar["open"], bar["close"]) <= max(bar["open"], bar["close"]) \
            <= bar["high"]
        if previous_end is not None:
            assert start > previous_end, "bars must be oldest first, without overlap"
        previous_end = end


def test_list_tickers_paginates_through_json(envoy: RunningEnvoy, market):
    query = {"pageSize": "2", "market": "MARKET_NOMU"}
    first = envoy.request("/v1/tickers?" + urllib.parse.urlencode(query))
    assert first.status == 200, first.body
    first_body = first.json()
    assert first_body == as_json(market.ListTickers(market_pb2.ListTickersRequest(
        page_size=2, market=securities_pb2.MARKET_NOMU)))
    first_symbols = [t["symbol"] for t in first_body["tickers"]]
    assert len(first_symbols) == 2
    assert all(t["market"] == "MARKET_NOMU" for t in first_body["tickers"])
    token = first_body["nextPageToken"]
    assert isinstance(token, str) and token
    total = first_body["totalSize"]
    assert isinstance(total, int) and total > 2

    second = envoy.request("/v1/tickers?" + urllib.parse.urlencode({**query, "pageToken": token}))
    assert second.status == 200, second.body
    second_body = second.json()
    second_symbols = [t["symbol"] for t in second_body["tickers"]]
    assert len(second_symbols) == 2
    assert all(t["market"] == "MARKET_NOMU" for t in second_body["tickers"])
    assert not set(first_symbols) & set(second_symbols)
    assert sorted(first_symbols + second_symbols) == first_symbols + second_symbols
    assert second_body["totalSize"] == total
    assert second_body["nextPageToken"] not in ("", token)


def test_invalid_symbol_is_http_400_with_bad_request(envoy: RunningEnvoy):
    answer = envoy.request("/v1/tickers/99x")
    assert answer.status == 400, answer.body
    assert answer.header("content-type") == "application/json"
    body = answer.json()
    assert body["code"] == 3
    assert "99x" in str(body["message"])
    details = details_by_type(body)
    violations = details["BadRequest"]["fieldViolations"]
    assert isinstance(violations, list)
    assert violations[0]["field"] == "symbol"
    assert details["ErrorInfo"]["domain"] == "financehub.sa"


def test_unknown_ticker_is_http_404_with_error_info(envoy: RunningEnvoy):
    answer = envoy.request("/v1/tickers/9998")
    assert answer.status == 404, answer.body
    body = answer.json()
    assert body["code"] == 5
    details = details_by_type(body)
    assert details["ErrorInfo"]["reason"] == "TICKER_NOT_FOUND"
    assert details["ErrorInfo"]["domain"] == "financehub.sa"
    assert details["ResourceInfo"]["resourceName"] == "9998"


def test_request_id_header_matches_error_info(envoy: RunningEnvoy):
    answer: HttpAnswer = envoy.request("/v1/tickers/9998")
    assert answer.status == 404
    header = answer.header("x-request-id")
    assert header, f"no x-request-id in {dict(answer.headers)}"
    metadata = details_by_type(answer.json())["ErrorInfo"]["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["request_id"] == header


def test_every_call_gets_its_own_request_id(envoy: RunningEnvoy):
    ids = {envoy.request("/v1/tickers/2222").header("x-request-id") for _ in range(3)}
    assert None not in ids
    assert len(ids) == 3


def test_unknown_query_parameter_is_refused(envoy: RunningEnvoy):
    answer = envoy.request("/v1/tickers/2222?colour=red")
    assert answer.status == 400, answer.body
    assert b"colour" in answer.body


def test_bad_enum_value_in_query_is_refused(envoy: RunningEnvoy):
    answer = envoy.request("/v1/tickers?market=MARKET_MOON")
    assert answer.status == 400, answer.body


def test_cors_preflight_from_allowed_origin(envoy: RunningEnvoy):
    answer = envoy.request("/v1/tickers/2222", method="OPTIONS", headers={
        "Origin": ALLOWED_ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-grpc-web, content-type",
    })
    assert answer.status in (200, 204), answer.body
    assert answer.header("access-control-allow-origin") == ALLOWED_ORIGIN
    methods = answer.header("access-control-allow-methods") or ""
    assert "GET" in methods and "POST" in methods
    allowed_headers = (answer.header("access-control-allow-headers") or "").lower()
    assert "x-grpc-web" in allowed_headers and "content-type" in allowed_headers


def test_cors_actual_response_exposes_grpc_headers(envoy: RunningEnvoy):
    answer = envoy.request("/v1/tickers/2222", headers={"Origin": ALLOWED_ORIGIN})
    assert answer.status == 200
    assert answer.header("access-control-allow-origin") == ALLOWED_ORIGIN
    exposed = {h.strip() for h in (answer.header("access-control-expose-headers") or "").split(",")}
    assert {"grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id"} <= exposed


def test_cors_refuses_foreign_origin(envoy: RunningEnvoy):
    preflight = envoy.request("/v1/tickers/2222", method="OPTIONS", headers={
        "Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "GET",
    })
    assert preflight.header("access-control-allow-origin") is None, dict(preflight.headers)
    actual = envoy.request("/v1/tickers/2222", headers={"Origin": FOREIGN_ORIGIN})
    assert actual.header("access-control-allow-origin") is None, dict(actual.headers)


def test_foreign_preflight_is_answered_by_envoy_not_the_grpc_server(envoy: RunningEnvoy):
    preflight = envoy.request("/v1/tickers/2222", method="OPTIONS", headers={
        "Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "GET",
    })
    assert preflight.header("grpc-status") is None, dict(preflight.headers)
    assert not (preflight.header("content-type") or "").startswith("application/grpc")


def test_unknown_path_is_not_found(envoy: RunningEnvoy):
    answer = envoy.request("/v1/no-such-resource")
    assert answer.status == 404, (answer.status, answer.body)
