"""MarketService over a real gRPC channel, against the seeded Postgres."""

import csv

import grpc
import pytest

from financehub.v1 import market_pb2, market_pb2_grpc, securities_pb2
from server.ingest.reference import COMPANIES_FILE
from tests.support.identity import status_details


@pytest.fixture
def market(channel: grpc.Channel) -> market_pb2_grpc.MarketServiceStub:
    return market_pb2_grpc.MarketServiceStub(channel)


@pytest.mark.parametrize("symbol", ["2222", "2222.SR", "2222.sr", " 2222 "])
def test_get_ticker_accepts_aliases_and_answers_canonical_symbol(market, symbol):
    ticker = market.GetTicker(market_pb2.GetTickerRequest(symbol=symbol)).ticker
    assert ticker.symbol == "2222"
    assert ticker.name_en == "Saudi Arabian Oil Company"
    assert ticker.name_ar == "أرامكو السعودية"
    assert ticker.market == securities_pb2.MARKET_MAIN
    assert ticker.has_price_history


def test_unknown_ticker_is_not_found_with_error_info(market):
    with pytest.raises(grpc.RpcError) as caught:
        market.GetTicker(market_pb2.GetTickerRequest(symbol="9998"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    details = status_details(caught.value)
    assert details["ErrorInfo"].reason == "TICKER_NOT_FOUND"
    assert details["ErrorInfo"].domain == "financehub.sa"
    assert details["ResourceInfo"].resource_name == "9998"


COMPANIES = list(csv.DictReader(COMPANIES_FILE.open()))


def test_paging_walks_every_security_once_in_symbol_order(market) -> None:
    symbols: list[str] = []
    token = ""
    pages = 0
    while True:
        page = market.ListTickers(market_pb2.ListTickersRequest(page_size=100, page_token=token))
        pages += 1
        assert page.total_size == len(COMPANIES)
        symbols += [t.symbol for t in page.tickers]
        token = page.next_page_token
        if not token:
            break
    assert pages == -(-len(COMPANIES) // 100)
    assert symbols == sorted(row["symbol"] for row in COMPANIES)


def test_default_page_size_is_50_and_large_ones_are_clamped(market) -> None:
    assert len(market.ListTickers(market_pb2.ListTickersRequest()).tickers) == 50
    clamped = market.ListTickers(market_pb2.ListTickersRequest(page_size=5000))
    assert len(clamped.tickers) == len(COMPANIES)  # under the 1000 cap: everything, no token
    assert clamped.next_page_token == ""


def test_filters_by_market_and_sector(market) -> None:
    nomu = market.ListTickers(market_pb2.ListTickersRequest(
        market=securities_pb2.MARKET_NOMU, page_size=1000))
    expected_nomu = sorted(r["symbol"] for r in COMPANIES if 9500 <= int(r["symbol"]) < 9700)
    assert [t.symbol for t in nomu.tickers] == expected_nomu
    assert nomu.total_size == len(expected_nomu)

    energy = market.ListTickers(market_pb2.ListTickersRequest(sector="ENERGY", page_size=1000))
    expected_energy = sorted(r["symbol"] for r in COMPANIES if r["sector_en_yahoo"] == "Energy")
    assert [t.symbol for t in energy.tickers] == expected_energy
    assert "2222" in expected_energy


def test_a_page_token_only_works_with_its_own_filters(market) -> None:
    first = market.ListTickers(market_pb2.ListTickersRequest(
        page_size=5, market=securities_pb2.MARKET_NOMU))
    assert first.next_page_token
    with pytest.raises(grpc.RpcError) as caught:
        market.ListTickers(market_pb2.ListTickersRequest(page_size=5,
                                                         page_token=first.next_page_token))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = status_details(caught.value)["BadRequest"].field_violations
    assert [v.field for v in violations] == ["page_token"]


@pytest.mark.parametrize(("request_fields", "field"), [
    ({"page_size": -1}, "page_size"),
    ({"page_token": "not-a-token"}, "page_token"),
    ({"page_token": "e30"}, "page_token"),  # base64 of "{}"
    ({"market": 17}, "market"),
])
def test_bad_list_requests_are_invalid_argument(market, request_fields, field) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        market.ListTickers(market_pb2.ListTickersRequest(**request_fields))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = status_details(caught.value)["BadRequest"].field_violations
    assert field in [v.field for v in violations]


@pytest.mark.parametrize("symbol", ["", "22", "ARAMCO", "2222.XX", "2222; DROP TABLE securities"])
def test_malformed_symbols_are_invalid_argument(market, symbol) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        market.GetTicker(market_pb2.GetTickerRequest(symbol=symbol))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = status_details(caught.value)
    assert [v.field for v in details["BadRequest"].field_violations] == ["symbol"]
    assert details["ErrorInfo"].domain == "financehub.sa"
