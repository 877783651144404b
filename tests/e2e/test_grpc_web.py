"""gRPC-Web through the real Envoy, spoken by hand with the standard library (as a browser
client library would), plus plain gRPC passed through Envoy's HTTP/2 listener."""

import base64
import struct
from dataclasses import dataclass

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from financehub.v1 import charts_pb2, market_pb2, market_pb2_grpc, securities_pb2
from tests.e2e.conftest import HttpAnswer, RunningEnvoy

pytestmark = pytest.mark.e2e

GET_TICKER = "/financehub.v1.MarketService/GetTicker"
GET_BARS = "/financehub.v1.ChartService/GetBars"
DATA_FRAME = 0x00
TRAILER_FRAME = 0x80


@dataclass
class GrpcWebAnswer:
    http: HttpAnswer
    messages: list[bytes]
    trailers: dict[str, str]

    def status(self) -> int:
        """grpc-status from the trailer frame, or from the headers (trailers-only answer)."""
        raw = self.trailers.get("grpc-status", self.http.header("grpc-status"))
        assert raw is not None, f"no grpc-status in {self.trailers} / {dict(self.http.headers)}"
        return int(raw)

    def metadata(self, key: str) -> str | None:
        return self.trailers.get(key, self.http.header(key))


def frame(payload: bytes, flag: int = DATA_FRAME) -> bytes:
    return struct.pack(">BI", flag, len(payload)) + payload


def parse_frames(body: bytes) -> list[tuple[int, bytes]]:
    frames = []
    offset = 0
    while offset < len(body):
        assert len(body) - offset >= 5, f"truncated frame header at {offset}: {body!r}"
        flag, length = struct.unpack_from(">BI", body, offset)
        offset += 5
        payload = body[offset:offset + length]
        assert len(payload) == length, f"truncated frame at {offset}: {body!r}"
        frames.append((flag, payload))
        offset += length
    return frames


def parse_trailers(payload: bytes) -> dict[str, str]:
    trailers = {}
    for line in payload.decode("ascii").split("\r\n"):
        if line:
            key, _, value = line.partition(":")
            trailers[key.strip().lower()] = value.strip()
    return trailers


def b64decode_segments(text: bytes) -> bytes:
    """grpc-web-text may concatenate separately padded base64 segments: decode by quads."""
    text = b"".join(text.split())
    assert len(text) % 4 == 0, f"not padded base64: {text!r}"
    return b"".join(base64.b64decode(text[i:i + 4]) for i in range(0, len(text), 4))


def b64decode_unpadded(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def grpc_web_call(envoy: RunningEnvoy, method: str, request: bytes, *,
                  text: bool = False, origin: str | None = None) -> GrpcWebAnswer:
    body = frame(request)
    content_type = "application/grpc-web-text" if text else "application/grpc-web+proto"
    headers = {"content-type": content_type, "x-grpc-web": "1", "x-user-agent": "e2e-test",
               "accept": content_type}
    if origin:
        headers["origin"] = origin
    answer = envoy.request(method, method="POST", headers=headers,
                           body=base64.b64encode(body) if text else body)
    assert answer.status == 200, (answer.status, answer.body)
    payload = b64decode_segments(answer.body) if text else answer.body
    messages: list[bytes] = []
    trailers: dict[str, str] = {}
    for flag, content in parse_frames(payload):
        if flag == DATA_FRAME:
            assert not trailers, "a data frame after the trailers"
            messages.append(content)
        elif flag == TRAILER_FRAME:
            trailers.update(parse_trailers(content))
        else:
            pytest.fail(f"unexpected frame flag {flag:#x}")
    return GrpcWebAnswer(answer, messages, trailers)


def bad_request_of(answer: GrpcWebAnswer) -> tuple[status_pb2.Status, error_details_pb2.BadRequest]:
    encoded = answer.metadata("grpc-status-details-bin")
    assert encoded, f"no grpc-status-details-bin in {answer.trailers}"
    status = status_pb2.Status.FromString(b64decode_unpadded(encoded))
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            return status, bad_request
    pytest.fail(f"no BadRequest among {[d.type_url for d in status.details]}")


def check_aramco(messages: list[bytes]) -> None:
    assert len(messages) == 1
    ticker = market_pb2.GetTickerResponse.FromString(messages[0]).ticker
    assert ticker.symbol == "2222"
    assert ticker.name_en == "Saudi Arabian Oil Company"
    assert ticker.market == securities_pb2.MARKET_MAIN
    assert ticker.currency == "SAR"


def test_grpc_web_binary_get_ticker(envoy: RunningEnvoy):
    answer = grpc_web_call(
        envoy, GET_TICKER, market_pb2.GetTickerRequest(symbol="2222").SerializeToString())
    assert answer.http.header("content-type") == "application/grpc-web+proto"
    assert answer.status() == 0
    assert answer.trailers.get("grpc-status") == "0", "grpc-status must travel in a trailer frame"
    check_aramco(answer.messages)


def test_grpc_web_text_get_ticker(envoy: RunningEnvoy):
    answer = grpc_web_call(
        envoy, GET_TICKER, market_pb2.GetTickerRequest(symbol="2222.SR").SerializeToString(),
        text=True)
    assert (answer.http.header("content-type") or "").startswith("application/grpc-web-text")
    assert answer.status() == 0
    check_aramco(answer.messages)


def test_grpc_web_get_bars(envoy: RunningEnvoy, channel: grpc.Channel):
    request = charts_pb2.GetBarsRequest(symbol="1120", period=charts_pb2.PERIOD_3M,
                                        interval=charts_pb2.INTERVAL_MONTH)
    answer = grpc_web_call(envoy, GET_BARS, request.SerializeToString())
    assert answer.status() == 0
    assert len(answer.messages) == 1
    via_web = charts_pb2.GetBarsResponse.FromString(answer.messages[0])
    native = channel.unary_unary(
        GET_BARS, request_serializer=charts_pb2.GetBarsRequest.SerializeToString,
        response_deserializer=charts_pb2.GetBarsResponse.FromString,
    )(request, timeout=10)
    assert via_web == native
    assert via_web.symbol == "1120"
    assert via_web.interval == charts_pb2.INTERVAL_MONTH
    assert via_web.data_origin == securities_pb2.DATA_ORIGIN_REAL
    # Three months back from the last day on record touch three or four calendar months.
    assert 3 <= len(via_web.bars) <= 4, via_web.bars
    assert all(1 <= bar.trading_days <= 23 for bar in via_web.bars)
    assert 50 <= sum(bar.trading_days for bar in via_web.bars) <= 70


@pytest.mark.parametrize("text", [False, True], ids=["binary", "text"])
def test_grpc_web_invalid_symbol_carries_rich_status(envoy: RunningEnvoy, text: bool):
    answer = grpc_web_call(
        envoy, GET_TICKER, market_pb2.GetTickerRequest(symbol="99x").SerializeToString(),
        text=text)
    assert answer.messages == []
    assert answer.status() == code_pb2.INVALID_ARGUMENT
    assert "99x" in (answer.metadata("grpc-message") or "")
    status, bad_request = bad_request_of(answer)
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert bad_request.field_violations[0].field == "symbol"
    assert "99x" in bad_request.field_violations[0].description


def test_grpc_web_cors_exposes_status_headers(envoy: RunningEnvoy):
    answer = grpc_web_call(
        envoy, GET_TICKER, market_pb2.GetTickerRequest(symbol="2222").SerializeToString(),
        origin="http://localhost:8080")
    assert answer.http.header("access-control-allow-origin") == "http://localhost:8080"
    exposed = answer.http.header("access-control-expose-headers") or ""
    assert "grpc-status-details-bin" in exposed


def test_grpc_web_health_check(envoy: RunningEnvoy):
    answer = grpc_web_call(envoy, "/grpc.health.v1.Health/Check",
                           health_pb2.HealthCheckRequest(service="").SerializeToString())
    assert answer.status() == 0
    assert len(answer.messages) == 1
    reply = health_pb2.HealthCheckResponse.FromString(answer.messages[0])
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_native_grpc_through_envoy(envoy: RunningEnvoy):
    target = envoy.base_url.removeprefix("http://")
    with grpc.insecure_channel(target) as through_envoy:
        health = health_pb2_grpc.HealthStub(through_envoy).Check(
            health_pb2.HealthCheckRequest(service="financehub.v1.MarketService"), timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        market = market_pb2_grpc.MarketServiceStub(through_envoy)
        response, call = market.GetTicker.with_call(
            market_pb2.GetTickerRequest(symbol="2222"), timeout=10)
        assert response.ticker.name_en == "Saudi Arabian Oil Company"
        assert dict(call.initial_metadata()).get("x-request-id")
        with pytest.raises(grpc.RpcError) as caught:
            market.GetTicker(market_pb2.GetTickerRequest(symbol="9998"), timeout=10)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
