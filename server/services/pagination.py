"""Page size and opaque page tokens for List RPCs (AIP-158).

A token records where the previous page stopped and a fingerprint of the
filters it was issued for: reusing it with other filters is an error rather
than a silently wrong page.
"""

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from server.domain.errors import FieldViolation, InvalidArgumentError

IdT = TypeVar("IdT")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# Tokens this module issues are well under this; anything longer is not one of ours.
MAX_PAGE_TOKEN_LENGTH = 512


def page_size_from(requested: int, *, default: int = DEFAULT_PAGE_SIZE,
                   maximum: int = MAX_PAGE_SIZE) -> int:
    """0 means the default; above the maximum is clamped silently; negative is an error."""
    if requested < 0:
        raise InvalidArgumentError([FieldViolation("page_size", "must not be negative")])
    if requested == 0:
        return default
    return min(requested, maximum)


def _fingerprint(filters: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(filters).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PageCursor:
    after: str


def encode_page_token(after: str, filters: tuple[str, ...]) -> str:
    payload = json.dumps({"a": after, "f": _fingerprint(filters)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_page_token(token: str, filters: tuple[str, ...]) -> PageCursor | None:
    if not token:
        return None
    invalid = InvalidArgumentError(
        [FieldViolation("page_token", "is not a token this list returned")]
    )
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise invalid
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise invalid from None
    if not isinstance(payload, dict) or not isinstance(payload.get("a"), str):
        raise invalid
    if payload.get("f") != _fingerprint(filters):
        raise InvalidArgumentError(
            [FieldViolation("page_token", "was issued for different filters; "
                                          "repeat the filters of the first call")]
        )
    return PageCursor(after=payload["a"])


def _time_and_id(cursor: PageCursor | None,
                 parse_id: Callable[[str], IdT]) -> tuple[datetime, IdT] | None:
    if cursor is None:
        return None
    moment, _, identifier = cursor.after.partition("|")
    try:
        return datetime.fromisoformat(moment), parse_id(identifier)
    except ValueError:
        raise InvalidArgumentError(
            [FieldViolation("page_token", "is not a token this list returned")]) from None


def time_and_id_cursor(cursor: PageCursor | None) -> tuple[datetime, str] | None:
    """Keyset position (created_at, uuid) from a cursor made by `encode_time_and_id`."""
    return _time_and_id(cursor, lambda raw: str(uuid.UUID(raw)))


def time_and_serial_cursor(cursor: PageCursor | None) -> tuple[datetime, int] | None:
    """Keyset position (time, bigserial id) from a cursor made by `encode_time_and_id`."""
    return _time_and_id(cursor, _serial)


def _serial(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= MAX_CURSOR_POSITION:
        raise ValueError(f"{value} is not a serial id")
    return value


def encode_time_and_id(moment: datetime, identifier: str | int) -> str:
    return f"{moment.isoformat()}|{identifier}"


# Positions and ids in tokens fit a Postgres bigint.
MAX_CURSOR_POSITION = 2**63 - 1


def id_cursor(cursor: PageCursor | None) -> int | None:
    """A non-negative integer position or id from a token made by `encode_page_token`."""
    if cursor is None:
        return None
    invalid = InvalidArgumentError(
        [FieldViolation("page_token", "is not a token this list returned")])
    if not cursor.after.isascii() or not cursor.after.isdigit():
        raise invalid
    position = int(cursor.after)
    if position > MAX_CURSOR_POSITION:
        raise invalid
    return position
