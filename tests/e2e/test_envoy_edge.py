"""Envoy at the edge: newline-delimited JSON streams, gRPC-Web streams, route timeouts that
spare streams, the health route, access logs with the request id the server logs too,
TLS termination and the local rate limit, each against the real Envoy binary."""

import json
import logging
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from financehub.v1 import quotes_pb2
from server.logging_setup import RequestIdFilter
from tests.e2e.conftest import RunningEnvoy, running_envoy
from tests.e2e.test_grpc_web import DATA_FRAME, frame, parse_frames
from tests.support.services import RunningServer, free_port
from tests.support.tls import self_signed

pytestmark = pytest.mark.e2e

ROUTE_TIMEOUT_S = 1


@pytest.fixture(scope="module")
def short_timeout_envoy(server: RunningServer,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEnvoy]:
    with running_envoy(server.app.port, tmp_path_factory.mktemp("envoy-timeout"),
                       {"FINANCEHUB_ENVOY_ROUTE_TIMEOUT_SECONDS": str(ROUTE_TIMEOUT_S)}) as envoy:
        yield envoy


def _lines(envoy: RunningEnvoy, path: str, count: int, *, timeout: float = 15) -> list[str]:
    """The first `count` lines of a streamed answer, read as they come."""
    call = urllib.request.Request(envoy.base_url + path)
    with urllib.request.urlopen(call, timeout=timeout) as response:  # noqa: S310
        assert response.status == 200
        assert response.headers["content-type"].startswith("application/json")
        return [response.readline().decode().strip() for _ in range(count)]


def test_server_streams_arrive_as_newline_delimited_json(envoy: RunningEnvoy) -> None:
    lines = _lines(envoy, "/v1/quotes:stream?symbols=2222&symbols=1120", 2)
    messages = [json.loads(line) for line in lines]
    snapshots = {m["quote"]["symbol"] for m in messages if "quote" in m}
    assert snapshots == {"2222", "1120"}


def test_streams_outlive_the_unary_route_timeout(short_timeout_envoy: RunningEnvoy) -> None:
    started = time.monotonic()
    # The snapshot, then the heartbeat the server sends after ~5 s of quiet: the stream was
    # not cut at the 1 s that bounds unary calls.
    snapshot, heartbeat = _lines(short_timeout_envoy, "/v1/quotes:stream?symbols=2222", 2)
    assert "quote" in json.loads(snapshot)
    assert "heartbeat" in json.loads(heartbeat)
    assert time.monotonic() - started > ROUTE_TIMEOUT_S * 2
    # Unary calls still pass under the timeout, and the route that carries them has it.
    assert short_timeout_envoy.request("/v1/tickers/2222").status == 200
    with urllib.request.urlopen(short_timeout_envoy.admin_url + "/config_dump") as dump:  # noqa: S310
        routes = json.dumps(json.load(dump))
    assert f'"timeout": "{ROUTE_TIMEOUT_S}s"' in routes
    assert '"path": "/financehub.v1.QuoteService/StreamQuotes"' in routes


def test_grpc_web_server_stream(envoy: RunningEnvoy) -> None:
    request = quotes_pb2.StreamQuotesRequest(symbols=["2222"]).SerializeToString()
    call = urllib.request.Request(
        envoy.base_url + "/financehub.v1.QuoteService/StreamQuotes", data=frame(request),
        method="POST", headers={"content-type": "application/grpc-web+proto",
                                "x-grpc-web": "1", "accept": "application/grpc-web+proto"})
    with urllib.request.urlopen(call, timeout=15) as response:  # noqa: S310
        assert response.status == 200
        header = response.read(5)
        flag, length = header[0], int.from_bytes(header[1:], "big")
        (flag, payload), = parse_frames(header + response.read(length))
    assert flag == DATA_FRAME
    first = quotes_pb2.StreamQuotesResponse.FromString(payload)
    assert first.quote.symbol == "2222"


def test_health_route_follows_the_servers_health(envoy: RunningEnvoy, tmp_path: Path) -> None:
    deadline = time.monotonic() + 10
    while (answer := envoy.request("/healthz")).status != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert answer.status == 200
    # No gRPC server behind it: Envoy's health checks fail and the route says so.
    with running_envoy(free_port(), tmp_path) as orphan:
        time.sleep(0.5)
        assert orphan.request("/healthz").status == 503


def test_access_log_and_server_log_share_the_callers_request_id(
        envoy: RunningEnvoy, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    request_id = f"trace-{time.monotonic_ns()}"
    with caplog.at_level(logging.INFO, logger="financehub.access"):
        answer = envoy.request("/v1/tickers/2222", headers={"x-request-id": request_id})
        assert answer.status == 200
        assert answer.header("x-request-id") == request_id
        deadline = time.monotonic() + 5  # the server logs the call as it ends
        while not any(getattr(record, "request_id", None) == request_id
                      for record in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert any(getattr(record, "request_id", None) == request_id
               and record.getMessage() == "rpc" for record in caplog.records)
    access_log = Path(envoy.config_path.parent / "access.log")
    deadline = time.monotonic() + 10  # Envoy flushes its access log every second or so
    entries: list[dict[str, str]] = []
    while not entries and time.monotonic() < deadline:
        entries = [json.loads(line) for line in access_log.read_text().splitlines()
                   if request_id in line]
        time.sleep(0.2)
    assert entries, "the call is not in Envoy's access log"
    assert entries[0]["path"] == "/v1/tickers/2222"
    assert str(entries[0]["status"]) == "200"
    assert str(entries[0]["grpc_status"]) in {"0", "OK"}


def test_tls_termination(server: RunningServer, tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path)
    with running_envoy(server.app.port, tmp_path, {
            "FINANCEHUB_ENVOY_TLS_CERT_FILE": str(cert_file),
            "FINANCEHUB_ENVOY_TLS_KEY_FILE": str(key_file)}) as secure:
        assert secure.base_url.startswith("https://")
        answer = secure.request("/v1/tickers/2222")
        assert answer.status == 200 and answer.json()["ticker"]["symbol"] == "2222"
        plain = secure.base_url.replace("https://", "http://")
        with pytest.raises(OSError):
            urllib.request.urlopen(plain + "/v1/tickers/2222", timeout=5)  # noqa: S310


def test_local_rate_limit_refuses_beyond_the_bucket(server: RunningServer,
                                                    tmp_path: Path) -> None:
    with running_envoy(server.app.port, tmp_path, {
            "FINANCEHUB_ENVOY_RATE_LIMIT_BURST": "3",
            "FINANCEHUB_ENVOY_RATE_LIMIT_PER_SECOND": "1"}) as limited:
        answers = [limited.request("/v1/market/status") for _ in range(8)]
    statuses = [a.status for a in answers]
    assert statuses[:3] == [200, 200, 200]
    refused = [a for a in answers if a.status == 429]
    assert len(refused) >= 4
    assert all(a.header("x-local-rate-limit") == "true" for a in refused)
