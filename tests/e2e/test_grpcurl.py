"""The real grpcurl binary against the server, through server reflection only."""

import json
import subprocess

import pytest

from financehub.v1 import market_pb2
from tests.e2e.conftest import GRPCURL_BIN
from tests.support.services import RunningServer

pytestmark = pytest.mark.e2e


def grpcurl(*args: str) -> subprocess.CompletedProcess[str]:
    assert GRPCURL_BIN.exists(), f"no grpcurl binary at {GRPCURL_BIN}"
    return subprocess.run(
        [str(GRPCURL_BIN), "-plaintext", "-max-time", "10", *args],
        capture_output=True, text=True, timeout=30, check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"grpcurl failed ({result.returncode}): {result.stderr}"
    return result.stdout


def test_list_shows_every_service(server: RunningServer):
    services = set(ok(grpcurl(server.address, "list")).split())
    assert {
        "financehub.v1.MarketService",
        "financehub.v1.ChartService",
        "grpc.health.v1.Health",
    } <= services


def test_list_service_methods(server: RunningServer):
    methods = set(ok(grpcurl(server.address, "list", "financehub.v1.MarketService")).split())
    service = market_pb2.DESCRIPTOR.services_by_name["MarketService"]
    assert methods == {f"financehub.v1.MarketService.{m.name}" for m in service.methods}
    assert "financehub.v1.MarketService.GetTicker" in methods


def test_describe_market_service(server: RunningServer):
    description = ok(grpcurl(server.address, "describe", "financehub.v1.MarketService"))
    assert "financehub.v1.MarketService is a service" in description
    assert "rpc GetTicker ( .financehub.v1.GetTickerRequest ) returns " \
           "( .financehub.v1.GetTickerResponse )" in description
    assert "rpc ListTickers" in description


def test_describe_message_through_reflection(server: RunningServer):
    description = ok(grpcurl(server.address, "describe", "financehub.v1.Ticker"))
    assert "string name_en = 2;" in description
    assert ".financehub.v1.Market market = 4;" in description


def test_get_ticker_with_alias(server: RunningServer):
    output = ok(grpcurl("-d", '{"symbol":"2222.SR"}', server.address,
                        "financehub.v1.MarketService/GetTicker"))
    ticker = json.loads(output)["ticker"]
    assert ticker["symbol"] == "2222"
    assert ticker["nameEn"] == "Saudi Arabian Oil Company"
    assert ticker["market"] == "MARKET_MAIN"
    assert ticker["hasPriceHistory"] is True


def test_get_bars_with_enum_names(server: RunningServer):
    output = ok(grpcurl(
        "-d", '{"symbol":"2222","period":"PERIOD_1M","interval":"INTERVAL_DAY"}',
        server.address, "financehub.v1.ChartService/GetBars"))
    answer = json.loads(output)
    assert answer["symbol"] == "2222"
    assert answer["dataOrigin"] == "DATA_ORIGIN_REAL"
    assert 15 <= len(answer["bars"]) <= 23
    assert all(int(bar["volume"]) > 0 for bar in answer["bars"])


def test_unknown_symbol_is_not_found(server: RunningServer):
    result = grpcurl("-d", '{"symbol":"9998"}', server.address,
                     "financehub.v1.MarketService/GetTicker")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "NotFound" in output
    assert "9998" in output


def test_invalid_symbol_is_invalid_argument(server: RunningServer):
    result = grpcurl("-d", '{"symbol":"99x"}', server.address,
                     "financehub.v1.MarketService/GetTicker")
    assert result.returncode != 0
    assert "InvalidArgument" in result.stdout + result.stderr


@pytest.mark.parametrize("service", ["", "financehub.v1.MarketService",
                                     "financehub.v1.ChartService"])
def test_health_check_serving(server: RunningServer, service: str):
    output = ok(grpcurl("-d", json.dumps({"service": service}), server.address,
                        "grpc.health.v1.Health/Check"))
    assert json.loads(output) == {"status": "SERVING"}


def test_health_check_unknown_service(server: RunningServer):
    result = grpcurl("-d", '{"service":"financehub.v1.NoSuchService"}', server.address,
                     "grpc.health.v1.Health/Check")
    assert result.returncode != 0
    assert "NotFound" in result.stdout + result.stderr
