"""Tadawul symbols: 4-digit codes. Yahoo Finance's `2222.SR` is accepted as an alias."""

import re

from server.domain.errors import FieldViolation, InvalidArgumentError

_SYMBOL = re.compile(r"^(\d{4})(?:\.SR)?$", re.IGNORECASE)


def parse_symbol(raw: str) -> str | None:
    """The canonical 4-digit code for `raw`, or None when it is not a Tadawul symbol."""
    match = _SYMBOL.match(raw.strip())
    return match.group(1) if match else None


def require_symbol(raw: str, field: str = "symbol") -> str:
    """Like `parse_symbol`, but raises InvalidArgumentError naming `field`."""
    if not raw.strip():
        raise InvalidArgumentError([FieldViolation(field, "is required")])
    symbol = parse_symbol(raw)
    if symbol is None:
        raise InvalidArgumentError(
            [FieldViolation(field, f"{raw[:32]!r} is not a Tadawul symbol: expected 4 digits "
                                   "such as '2222', optionally with the suffix '.SR'")]
        )
    return symbol
