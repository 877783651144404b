"""Tadawul symbols: 4-digit codes. Yahoo Finance's `2222.SR` is accepted as an alias.

Arabic-Indic digits (٢٢٢٢, and the Persian forms ۲۲۲۲) are what many of our users
type; they are read as the same code and answered in ASCII digits.
"""

import re

from server.domain.errors import FieldViolation, InvalidArgumentError

_SYMBOL = re.compile(r"^([0-9]{4})(?:\.SR)?$", re.IGNORECASE)
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def parse_symbol(raw: str) -> str | None:
    """The canonical 4-digit code for `raw`, or None when it is not a Tadawul symbol."""
    match = _SYMBOL.match(raw.strip().translate(_ARABIC_DIGITS))
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
