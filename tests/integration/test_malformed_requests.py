"""Request bytes that do not parse as the method's message (a string that is not UTF-8,
truncated bytes) are refused as INVALID_ARGUMENT with a reason, over native gRPC too,
never UNKNOWN with the parser's exception in the message."""

import grpc
import pytest

from tests.support.identity import error_reason, violated_fields

GET_TICKER = "/financehub.v1.MarketService/GetTicker"
STREAM_QUOTES = "/financehub.v1.QuoteService/StreamQuotes"


@pytest.mark.parametrize("payload", [
    b"\x0a\x02\xc0\xaf",  # symbol = two bytes that are not UTF-8
    b"\x0a\x05ab",  # symbol says five bytes, two follow
], ids=["bad-utf8", "truncated"])
def test_unparsable_requests_are_invalid_argument(channel: grpc.Channel, payload: bytes) -> None:
    unary = channel.unary_unary(GET_TICKER, request_serializer=None,
                                response_deserializer=None)
    with pytest.raises(grpc.RpcError) as raised:
        unary(payload, timeout=10)
    error = raised.value
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert error_reason(error) == "MALFORMED_REQUEST"
    assert violated_fields(error) == ["request"]
    assert "DecodeError" not in (error.details() or "")  # type: ignore[attr-defined]

    stream = channel.unary_stream(STREAM_QUOTES, request_serializer=None,
                                  response_deserializer=None)
    with pytest.raises(grpc.RpcError) as raised:
        next(iter(stream(payload, timeout=10)))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert error_reason(raised.value) == "MALFORMED_REQUEST"
