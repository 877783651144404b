"""Parse and validate a corporate-actions file.

Tab-separated, one header line naming the columns symbol, action_type (Arabic),
announcement_date, ex_date, record_date, payment_date, amount, currency and
description, in any order. The source is a database export in PostgreSQL's COPY
text format: a field that is exactly `\\N` is NULL, and backslash escapes stand for
characters (`\\r\\n` inside a description is a line break, not four characters).

The whole file is checked before anything is written: the first bad row stops the
import with its line number (the header is line 1). A row repeated verbatim is one
action recorded twice (the shipped file has 10 such repeats); it is merged and
counted. Two rows with the same identity (`CorporateAction.key`) but different
values are refused: there is no telling which one is right.

Deliberately not checked: that the ex-date follows the announcement (24 rows of
the shipped file have it the other way round) and that the symbol is listed
(delisted companies and changed trading codes keep their history).
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from server.domain.corporate_actions import (
    ACTION_TYPES_AR,
    ActionKey,
    CorporateAction,
    CorporateActionType,
    action_type_for,
)
from server.domain.symbols import parse_symbol
from server.ingest.reference import SEED_DIR
from server.ingest.yahoo_csv import ImportFileError

CORPORATE_ACTIONS_FILE = SEED_DIR / "corporate_actions.tsv"
CORPORATE_ACTIONS_SOURCE = "original FinanceHub project export, announced 1993-02-17 to 2025-12-23"

COLUMNS = ("symbol", "action_type", "announcement_date", "ex_date", "record_date",
           "payment_date", "amount", "currency", "description")
NULL = "\\N"

# COPY text escapes: \b \f \n \r \t \v, octal \ooo, hex \xhh, else the character itself.
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)")
_CONTROL = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_CURRENCY = re.compile(r"^[A-Z]{3}$", re.ASCII)


@dataclass(frozen=True)
class ParsedCorporateActions:
    actions: list[CorporateAction]
    rows_read: int
    repeats_merged: int
    # Arabic types missing from ACTION_TYPES_AR (stored as OTHER), with their row counts.
    unlisted_types: dict[str, int]

    def by_type(self) -> dict[CorporateActionType, int]:
        counts = Counter(action.action_type for action in self.actions)
        return {kind: counts[kind] for kind in CorporateActionType}


def _unescape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape[0] == "x" and len(escape) > 1:
        return chr(int(escape[1:], 16))
    if escape[0] in "01234567":
        return chr(int(escape, 8))
    return _CONTROL.get(escape, escape)


def _field(row: dict[str, str], column: str) -> str | None:
    raw = row[column]
    return None if raw == NULL else _ESCAPE.sub(_unescape, raw)


def _required(row: dict[str, str], column: str, line: int) -> str:
    value = (_field(row, column) or "").strip()
    if not value:
        raise ImportFileError(line, f"{column} is required")
    return value


def _day(value: str, column: str, line: int) -> date:
    try:
        if not _ISO_DAY.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ImportFileError(line, f"{column} {value!r} is not a YYYY-MM-DD date") from None


def _optional_day(row: dict[str, str], column: str, line: int) -> date | None:
    value = _field(row, column)
    return None if value is None else _day(value, column, line)


def _amount(value: str | None, line: int) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ImportFileError(line, f"amount {value!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise ImportFileError(line, f"amount {value!r} must be a non-negative number")
    return amount


def _currency(value: str | None, line: int) -> str | None:
    if value is None:
        return None
    if not _CURRENCY.match(value):
        raise ImportFileError(line, f"currency {value!r} is not a 3-letter ISO code")
    return value


def _action(row: dict[str, str], line: int) -> CorporateAction:
    raw_symbol = _required(row, "symbol", line)
    symbol = parse_symbol(raw_symbol)
    if symbol is None:
        raise ImportFileError(line, f"symbol {raw_symbol!r} is not a Tadawul symbol")
    action_type_ar = _required(row, "action_type", line)
    return CorporateAction(
        symbol=symbol,
        action_type=action_type_for(action_type_ar),
        action_type_ar=action_type_ar,
        announcement_date=_day(_required(row, "announcement_date", line), "announcement_date",
                               line),
        ex_date=_optional_day(row, "ex_date", line),
        record_date=_optional_day(row, "record_date", line),
        payment_date=_optional_day(row, "payment_date", line),
        amount=_amount(_field(row, "amount"), line),
        currency=_currency(_field(row, "currency"), line),
        description=_field(row, "description"),
    )


def parse_corporate_actions(text: str) -> ParsedCorporateActions:
    lines = text.split("\n")
    header = lines[0].rstrip("\r").split("\t")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        found = ", ".join(h for h in header if h) or "empty header"
        raise ImportFileError(1, f"missing column(s) {', '.join(missing)}; expected a "
                                 f"tab-separated corporate-actions file (found: {found})")
    actions: dict[ActionKey, tuple[int, CorporateAction]] = {}
    unlisted: Counter[str] = Counter()
    rows = repeats = 0
    for line, content in enumerate(lines[1:], start=2):
        content = content.rstrip("\r")
        if not content:
            continue
        rows += 1
        fields = content.split("\t")
        if len(fields) != len(header):
            raise ImportFileError(line, f"expected {len(header)} tab-separated fields, "
                                        f"found {len(fields)}")
        action = _action(dict(zip(header, fields, strict=True)), line)
        if action.action_type_ar not in ACTION_TYPES_AR:
            unlisted[action.action_type_ar] += 1
        first = actions.get(action.key)
        if first is None:
            actions[action.key] = (line, action)
        elif first[1] == action:
            repeats += 1
        else:
            raise ImportFileError(
                line, f"repeats the action on line {first[0]} ({action.symbol}, "
                      f"{action.action_type_ar}, announced {action.announcement_date}) "
                      "with different values")
    if rows == 0:
        raise ImportFileError(None, "the file has a header but no rows")
    return ParsedCorporateActions(actions=[action for _, action in actions.values()],
                                  rows_read=rows, repeats_merged=repeats,
                                  unlisted_types=dict(unlisted))
