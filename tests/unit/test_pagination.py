"""server.services.pagination: page size and opaque page tokens."""

import base64
import json

import pytest

from server.domain.errors import InvalidArgumentError
from server.services.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PageCursor,
    decode_page_token,
    encode_page_token,
    page_size_from,
)

FILTERS = ("MAIN", "Energy")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(0, 50), (1, 1), (50, 50), (999, 999), (1000, 1000), (1001, 1000), (10**9, 1000)],
)
def test_page_size_from(requested, expected):
    assert page_size_from(requested) == expected


def test_page_size_constants_match_the_design():
    assert (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) == (50, 1000)


@pytest.mark.parametrize("requested", [-1, -1000])
def test_negative_page_size_is_invalid(requested):
    with pytest.raises(InvalidArgumentError) as caught:
        page_size_from(requested)
    assert [v.field for v in caught.value.violations] == ["page_size"]


def test_empty_token_means_first_page():
    assert decode_page_token("", FILTERS) is None


@pytest.mark.parametrize("after", ["2222", "0001", "", "٢٢٢٢ with spaces/and=signs", "x" * 300])
def test_round_trip(after):
    token = encode_page_token(after, FILTERS)
    assert decode_page_token(token, FILTERS) == PageCursor(after=after)


def test_token_is_url_safe_and_unpadded():
    token = encode_page_token("2222", FILTERS)
    assert "=" not in token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_token_payload_holds_the_cursor():
    token = encode_page_token("2222", FILTERS)
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert payload["a"] == "2222"
    assert isinstance(payload["f"], str)


@pytest.mark.parametrize(
    "other_filters",
    [("NOMU", "Energy"), ("MAIN", ""), ("MAIN",), ("MAIN", "Energy", ""), ()],
)
def test_token_for_other_filters_is_refused(other_filters):
    token = encode_page_token("2222", FILTERS)
    with pytest.raises(InvalidArgumentError) as caught:
        decode_page_token(token, other_filters)
    [violation] = caught.value.violations
    assert violation.field == "page_token"
    assert "different filters" in violation.description


def test_tampered_cursor_with_right_fingerprint_is_honoured_but_wrong_fingerprint_is_not():
    token = encode_page_token("2222", FILTERS)
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    payload["a"] = "4000"
    assert decode_page_token(_b64(json.dumps(payload).encode()), FILTERS) == PageCursor("4000")
    payload["f"] = "0" * 16
    with pytest.raises(InvalidArgumentError):
        decode_page_token(_b64(json.dumps(payload).encode()), FILTERS)


GARBAGE = [
    "!!!",
    "a",
    "====",
    "é",
    "not a token",
    _b64(b"hello, not json"),
    _b64(b"[1, 2, 3]"),
    _b64(b'["a", "f"]'),
    _b64(b"null"),
    _b64(b'"2222"'),
    _b64(b"42"),
    _b64(b"NaN"),
    _b64(b'{"f": "abc"}'),
    _b64(b'{"a": 2222, "f": "abc"}'),
    _b64(b'{"a": null}'),
    _b64(b"\xff\xfe\x00garbage"),
    _b64(b"9" * 5000),
]


@pytest.mark.parametrize("token", GARBAGE)
def test_garbage_tokens_are_invalid_argument(token):
    with pytest.raises(InvalidArgumentError) as caught:
        decode_page_token(token, FILTERS)
    assert [v.field for v in caught.value.violations] == ["page_token"]


def test_deeply_nested_json_token_is_invalid_argument():
    token = _b64(b"[" * 2_000)  # ~2.7 kB: small enough for a request field
    with pytest.raises(InvalidArgumentError):
        decode_page_token(token, FILTERS)
