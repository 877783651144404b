"""Hypothesis strategies for any request of the contract, built from its descriptor alone.

    every_rpc()                      every method the server exposes, as `Rpc`s
    requests_for(method)             SearchStrategy[Message] of that method's request
    scalar_values(field)             SearchStrategy of one scalar or enum field's values
    messages(descriptor)             the same for any message descriptor
    string_field_paths(descriptor)   every path to a string field, e.g. ("strategy", "rules",
                                     "entry", "conditions", "left", "indicator", "line")
    set_at_path(message, path, v)    put `v` there (repeated fields get a one-item list)
    with_value_at(message, path, v)  the same on a copy

Values mix adversarial ones (huge and odd Unicode strings, SQL fragments, integer extremes,
NaN and infinities, unknown enum numbers, out-of-range timestamps, dates and decimals,
oversized repeated fields) with valid-looking ones picked by field name (real symbols,
index codes, dates of the seeded market, well-formed decimals), so that fuzzing also gets
past validation into the storage and domain code. Strings are always valid UTF-8 (protobuf
refuses anything else before it is sent); every message stays well under the server's
4 MiB limit.
"""

import re
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import (
    Descriptor,
    FieldDescriptor,
    MethodDescriptor,
    ServiceDescriptor,
)
from google.protobuf.message import Message
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from server.contract import SERVICE_DESCRIPTORS, full_method_name
from tests.support.identity import message_class

FieldPath = tuple[str, ...]

MAX_DEPTH = 8
"""How deep nested messages go: the contract's deepest string sits seven fields down
(RunBacktestRequest.strategy.rules.entry.conditions.left.indicator.line); no request type
is recursive, so this only guards against one that would be."""

# --- the RPCs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rpc:
    service: ServiceDescriptor
    method: MethodDescriptor

    @property
    def path(self) -> str:
        """The full method name, "/financehub.v1.MarketService/GetTicker"."""
        return full_method_name(self.service, self.method.name)

    @property
    def name(self) -> str:
        """"MarketService.GetTicker"."""
        return f"{self.service.name}.{self.method.name}"

    @property
    def request_class(self) -> type[Message]:
        return message_class(self.method.input_type)

    @property
    def response_class(self) -> type[Message]:
        return message_class(self.method.output_type)

    @property
    def client_streaming(self) -> bool:
        return bool(self.method.client_streaming)

    @property
    def server_streaming(self) -> bool:
        return bool(self.method.server_streaming)


def every_rpc(services: Sequence[ServiceDescriptor] = SERVICE_DESCRIPTORS) -> tuple[Rpc, ...]:
    """Every method of every service the server registers, in contract order."""
    return tuple(Rpc(service, method) for service in services for method in service.methods)


# --- adversarial values ------------------------------------------------------------------------

SQL_FRAGMENTS: tuple[str, ...] = (
    "' OR 1=1 --",
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "\"; DROP TABLE users; --",
    "1; SELECT pg_sleep(5)",
    "' UNION SELECT NULL, version() --",
    "2222' AND 1=CAST((SELECT current_user) AS int) --",
    "%",
    "%%",
    "_",
    "%_%",
    "\\",
    "\\'",
    "\\\\%",
    "'",
    "''",
    "\"",
    "`",
    ";",
    "--",
    "/*",
    "*/",
    "$1",
    "$$",
    "E'\\x41'",
    "%s",
    "%(name)s",
    "{}",
    "{0}",
    "NULL",
    "null",
    "*",
)

ODD_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "\t\n\r",
    "\x00",
    "2222\x00",
    "\x00' OR 1=1 --",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\u200f2222\u200e",  # right-to-left and left-to-right marks
    "\u202e1120\u202c",  # right-to-left override
    "\u200b\u200c\u200d\ufeff",  # zero-width characters and a BOM
    "e\u0301\u0301\u0301\u0301\u0301",  # stacked combining accents
    "Z\u0335\u0321\u0322\u0327\u0328\u031b\u0300\u0301\u0302",
    "\U0001f4c8\U0001f4b8\U0001f680",  # emoji
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",  # a joined emoji family
    "\U0001f1f8\U0001f1e6",  # a flag
    "أرامكو السعودية",
    "٢٢٢٢",  # Arabic-Indic digits
    "۲۲۲۲",  # Extended Arabic-Indic digits
    "２２２２",  # fullwidth digits
    "ﷺ",
    "\U00010000\U0010fffd",  # the astral planes
    "\ufffd",
    "\uffff",
    "𝕿𝖆𝖉𝖆𝖜𝖚𝖑",
    "İı",  # case-mapping surprises
    "ß",
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "-1",
    "0",
    "NaN",
    "1e309",
    "9" * 40,
)

_HUGE_UNITS: tuple[str, ...] = ("A", "'", "%", "\x00", "٢", "\U0001f4c8", "e\u0301", "' OR 1=1 --")
_HUGE_BYTES = (1_000, 10_000, 100_000)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT32_MAX, UINT64_MAX = 2**32 - 1, 2**64 - 1

# google.protobuf.Timestamp's valid range is 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59Z.
TIMESTAMP_MIN_SECONDS = -62_135_596_800
TIMESTAMP_MAX_SECONDS = 253_402_300_799


def huge_strings() -> SearchStrategy[str]:
    """Strings of about 1 KB, 10 KB and 100 KB (UTF-8), of one repeated odd unit."""
    return st.builds(lambda unit, size: unit * max(1, size // len(unit.encode())),
                     st.sampled_from(_HUGE_UNITS), st.sampled_from(_HUGE_BYTES))


def odd_text() -> SearchStrategy[str]:
    """Short random text from the whole of Unicode (no surrogates: they are not UTF-8)."""
    return st.text(st.characters(codec="utf-8"), max_size=40)


def adversarial_strings() -> SearchStrategy[str]:
    """SQL fragments, odd and huge Unicode, random text, and mixtures of them."""
    fixed = st.sampled_from(SQL_FRAGMENTS + ODD_STRINGS)
    return st.one_of(
        fixed,
        huge_strings(),
        odd_text(),
        st.builds(lambda a, b: a + b, fixed, fixed),
    )


def _integer_values(low: int, high: int) -> SearchStrategy[int]:
    edges = sorted({low, low + 1, -1, 0, 1, 2, 7, 50, 1000, 1001, 10_000, high - 1, high})
    return st.one_of(
        st.sampled_from([value for value in edges if low <= value <= high]),
        st.integers(min_value=max(low, -1000), max_value=min(high, 1000)),
        st.integers(min_value=low, max_value=high),
    )


def doubles() -> SearchStrategy[float]:
    return st.one_of(
        st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 100.0, 1e308, -1e308, 5e-324,
                         float("nan"), float("inf"), float("-inf")]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-1000, max_value=1000),
    )


def floats32() -> SearchStrategy[float]:
    return st.one_of(
        st.sampled_from([0.0, -0.0, 1.0, -1.0, 3.4e38, -3.4e38, float("nan"), float("inf"),
                         float("-inf")]),
        st.floats(width=32),
    )


# --- valid-looking values, by field name -------------------------------------------------------

SYMBOLS: tuple[str, ...] = ("2222", "1120", "2222.SR", "1120.sr", "2010", "7010", "1010",
                            "TASI", "9999", "0000")
INDEX_CODES: tuple[str, ...] = ("TASI", "MT30", "NOMUC", "NomuC", "tasi")


def _uuid_strings() -> SearchStrategy[str]:
    return st.one_of(st.uuids().map(str), st.sampled_from(
        ["00000000-0000-0000-0000-000000000000", "1", "-1", "not-a-uuid"]))


def _emails() -> SearchStrategy[str]:
    local = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
    return st.one_of(
        st.builds(lambda name: f"fuzz-{name}@example.com", local),
        st.sampled_from(["a@b", "@example.com", "x@", "no-at-sign", "fuzz@example.com ",
                         "FUZZ@EXAMPLE.COM", "fuzz+tag@example.com", "ف@مثال.السعودية"]),
    )


def _decimal_strings() -> SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["0", "1", "10", "100", "0.01", "0.5", "24.10", "100000", "1000000",
                         "-1", "-0", "0.001", "1e3", "1E-3", "1e400", "-1e400", "1e-400",
                         "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "", " ", " 1 ",
                         "1,5", "1.2.3", "0x10", "١٢٣", "+5", "9" * 400, "0." + "0" * 400 + "1",
                         "abc", "1_000"]),
        st.decimals(allow_nan=False, allow_infinity=False, places=2,
                    min_value=-10**9, max_value=10**9).map(str),
    )


_HINTS: tuple[tuple[re.Pattern[str], Callable[[], SearchStrategy[str]]], ...] = (
    (re.compile(r"symbol"), lambda: st.sampled_from(SYMBOLS)),
    (re.compile(r"^code$"), lambda: st.sampled_from(INDEX_CODES)),
    (re.compile(r"email|recipient"), _emails),
    (re.compile(r"(^|_)ids?$"), _uuid_strings),
    (re.compile(r"password"), lambda: st.sampled_from(["Pw-correct-horse-battery-9",
                                                       "short", "a" * 200])),
    (re.compile(r"currency"), lambda: st.sampled_from(["SAR", "USD", "sar", "XXX"])),
    (re.compile(r"^value$"), _decimal_strings),  # google.type.Decimal.value
    (re.compile(r"^line$"), lambda: st.sampled_from(["", "value", "upper", "lower", "middle",
                                                      "macd", "signal", "histogram", "k", "d"])),
    (re.compile(r"sector"), lambda: st.sampled_from(["Energy", "Banks", "Materials"])),
    (re.compile(r"action"), lambda: st.sampled_from(["LOGIN", "login", "SET_USER_ROLE"])),
    (re.compile(r"text|message|name|manager"), lambda: st.sampled_from(
        ["Aramco profit rose", "What is the price of 2222?", "أرباح أرامكو ارتفعت",
         "Compare 2222 and 1120", "fuzz key"])),
)


def valid_looking_strings(field_name: str) -> SearchStrategy[str]:
    """Strings a real client might send in a field of this name."""
    for pattern, make in _HINTS:
        if pattern.search(field_name):
            return make()
    return st.sampled_from(["", "2222", "x"])


def string_values(field_name: str = "") -> SearchStrategy[str]:
    """Half valid-looking (for this field's name), half adversarial."""
    return st.one_of(valid_looking_strings(field_name), adversarial_strings())


def byte_values() -> SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=64),
        st.sampled_from([b"", b"\x00", b"\xff" * 16, b"' OR 1=1 --"]),
        st.sampled_from(_HUGE_BYTES).map(lambda size: b"\xfe" * size),
    )


# --- well-known and google.type messages -------------------------------------------------------


def _timestamp_fields() -> SearchStrategy[dict[str, int]]:
    valid_seconds = st.integers(min_value=1_577_836_800, max_value=1_798_761_600)  # 2020..2027
    edge_seconds = st.sampled_from([0, -1, TIMESTAMP_MIN_SECONDS, TIMESTAMP_MIN_SECONDS - 1,
                                    TIMESTAMP_MAX_SECONDS, TIMESTAMP_MAX_SECONDS + 1,
                                    INT64_MIN, INT64_MAX, 2**53, -(2**53)])
    nanos = st.one_of(st.just(0), st.integers(min_value=0, max_value=999_999_999),
                      st.sampled_from([-1, 1_000_000_000, INT32_MIN, INT32_MAX]))
    return st.fixed_dictionaries({"seconds": st.one_of(valid_seconds, edge_seconds),
                                  "nanos": nanos})


def _duration_fields() -> SearchStrategy[dict[str, int]]:
    seconds = st.one_of(st.integers(min_value=-86_400, max_value=86_400),
                        st.sampled_from([315_576_000_000, 315_576_000_001, -315_576_000_001,
                                         INT64_MIN, INT64_MAX]))
    nanos = st.one_of(st.just(0), st.sampled_from([-1, 1_000_000_000, INT32_MIN, INT32_MAX]))
    return st.fixed_dictionaries({"seconds": seconds, "nanos": nanos})


def _date_fields() -> SearchStrategy[dict[str, int]]:
    valid = st.dates().filter(lambda d: 2015 <= d.year <= 2027).map(
        lambda d: {"year": d.year, "month": d.month, "day": d.day})
    odd = st.fixed_dictionaries({
        "year": st.sampled_from([0, 1, 1970, 2024, 2025, 9999, 10_000, -1, INT32_MIN, INT32_MAX]),
        "month": st.sampled_from([0, 1, 2, 12, 13, -1, INT32_MAX]),
        "day": st.sampled_from([0, 1, 28, 29, 30, 31, 32, -1, INT32_MIN]),
    })
    extreme = st.sampled_from([(1, 1, 1), (1, 6, 1), (9999, 12, 31), (9999, 2, 1), (2024, 2, 29),
                               (2025, 2, 29), (1970, 1, 1)]).map(
        lambda ymd: {"year": ymd[0], "month": ymd[1], "day": ymd[2]})
    return st.one_of(valid, odd, extreme)


def _money_fields() -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "currency_code": st.one_of(st.sampled_from(["SAR", "USD", "", "sar"]),
                                   adversarial_strings()),
        "units": _integer_values(INT64_MIN, INT64_MAX),
        "nanos": st.sampled_from([0, 500_000_000, -500_000_000, 999_999_999, 1_000_000_000,
                                  INT32_MIN]),
    })


_SPECIAL_MESSAGES: dict[str, Callable[[], SearchStrategy[dict[str, Any]]]] = {
    "google.protobuf.Timestamp": _timestamp_fields,
    "google.protobuf.Duration": _duration_fields,
    "google.type.Date": _date_fields,
    "google.type.Money": _money_fields,
    "google.type.Decimal": lambda: st.fixed_dictionaries({"value": _decimal_strings()}),
}

# --- any message, from its descriptor ----------------------------------------------------------

OVERSIZED_COUNTS = (256, 1_000, 5_000)
"""Lengths of the oversized repeated fields (of small items, so a request stays < 1 MiB)."""


def scalar_values(field: FieldDescriptor) -> SearchStrategy[Any]:
    """Values of a scalar or enum field (enums as numbers, known and unknown)."""
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return string_values(field.name)
    if kind == FieldDescriptor.TYPE_BYTES:
        return byte_values()
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return doubles()
    if kind == FieldDescriptor.TYPE_FLOAT:
        return floats32()
    if kind == FieldDescriptor.TYPE_ENUM:
        known = [value.number for value in field.enum_type.values]
        unknown = [max(known) + 1, 999, -1, INT32_MIN, INT32_MAX]
        return st.one_of(st.sampled_from(known), st.sampled_from(unknown))
    if kind in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32,
                FieldDescriptor.TYPE_SFIXED32):
        return _integer_values(INT32_MIN, INT32_MAX)
    if kind in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64,
                FieldDescriptor.TYPE_SFIXED64):
        return _integer_values(INT64_MIN, INT64_MAX)
    if kind in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return _integer_values(0, UINT32_MAX)
    if kind in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return _integer_values(0, UINT64_MAX)
    raise TypeError(f"no strategy for field {field.full_name} of type {kind}")


def _small_scalar(field: FieldDescriptor) -> SearchStrategy[Any]:
    """An item of an oversized repeated field: short, so that thousands fit in a request."""
    if field.type == FieldDescriptor.TYPE_STRING:
        return st.one_of(valid_looking_strings(field.name),
                         st.sampled_from(SQL_FRAGMENTS + ODD_STRINGS[:20]))
    if field.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=8)
    return scalar_values(field)


def _is_map(field: FieldDescriptor) -> bool:
    entry = field.message_type
    return entry is not None and entry.GetOptions().map_entry


def _repeated(field: FieldDescriptor, item: SearchStrategy[Any],
              small_item: SearchStrategy[Any]) -> SearchStrategy[list[Any]]:
    """A few items, or hundreds to thousands of them (one repeated, or a short cycle)."""
    few = st.lists(item, max_size=5)
    many = st.builds(lambda cycle, count: [cycle[i % len(cycle)] for i in range(count)],
                     st.lists(small_item, min_size=1, max_size=3),
                     st.sampled_from(OVERSIZED_COUNTS))
    return st.one_of(few, many)


def _field_value(field: FieldDescriptor, depth: int) -> SearchStrategy[Any]:
    if _is_map(field):
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        value = (_message_fields(value_field.message_type, depth + 1)
                 if value_field.message_type is not None else scalar_values(value_field))
        return st.dictionaries(_small_scalar(key_field), value, max_size=5)
    if field.message_type is not None:
        item: SearchStrategy[Any] = _message_fields(field.message_type, depth + 1)
        small_item = item
    else:
        item, small_item = scalar_values(field), _small_scalar(field)
    if field.is_repeated:
        return _repeated(field, item, small_item)
    return item


def _message_fields(descriptor: Descriptor, depth: int) -> SearchStrategy[dict[str, Any]]:
    """A message as a dict of field name -> value (nested messages as dicts): each field
    may be absent, a oneof sets at most one of its members."""
    special = _SPECIAL_MESSAGES.get(descriptor.full_name)
    if special is not None:
        return special()
    if depth >= MAX_DEPTH:
        return st.just({})
    plain: dict[str, SearchStrategy[Any]] = {}
    oneofs: list[SearchStrategy[dict[str, Any]]] = []
    for oneof in descriptor.oneofs:
        if _is_synthetic(oneof):
            continue  # a proto3 `optional`: handled as a plain field
        members: list[SearchStrategy[dict[str, Any]]] = [st.just({})]
        members += [_field_value(member, depth).map(_as_field(member.name))
                    for member in oneof.fields]
        oneofs.append(st.one_of(members))
    for field in descriptor.fields:
        if field.containing_oneof is not None and not _is_synthetic(field.containing_oneof):
            continue
        plain[field.name] = _field_value(field, depth)
    base = st.fixed_dictionaries({}, optional=plain)
    if not oneofs:
        return base
    return st.builds(_merged, base, st.tuples(*oneofs))


def _as_field(name: str) -> Callable[[Any], dict[str, Any]]:
    return lambda value: {name: value}


def _is_synthetic(oneof: Any) -> bool:
    """Whether `oneof` is the one protoc makes for a proto3 `optional` field."""
    return len(oneof.fields) == 1 and oneof.name == f"_{oneof.fields[0].name}"


def _merged(base: dict[str, Any], chosen: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    merged = dict(base)
    for member in chosen:
        merged.update(member)
    return merged


def build_message(descriptor: Descriptor, fields: dict[str, Any]) -> Message:
    """The message of `descriptor` holding `fields` (as `_message_fields` draws them)."""
    message = message_class(descriptor)()
    _fill(message, fields)
    return message


def _fill(message: Message, fields: dict[str, Any]) -> None:
    descriptor = message.DESCRIPTOR
    for name, value in fields.items():
        field = descriptor.fields_by_name[name]
        target = getattr(message, name)
        if _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                if value_field.message_type is not None:
                    _fill(target[key], item)
                else:
                    target[key] = item
        elif field.is_repeated:
            if field.message_type is not None:
                for item in value:
                    _fill(target.add(), item)
            else:
                target.extend(value)
        elif field.message_type is not None:
            target.SetInParent()
            _fill(target, value)
        else:
            setattr(message, name, value)


def messages(descriptor: Descriptor) -> SearchStrategy[Message]:
    """Any message of `descriptor`, its fields drawn as the module describes."""
    return _message_fields(descriptor, 0).map(lambda fields: build_message(descriptor, fields))


def requests_for(method: MethodDescriptor) -> SearchStrategy[Message]:
    """Requests for `method`, built from its input descriptor."""
    return messages(method.input_type)


# --- string fields, by path --------------------------------------------------------------------


def string_field_paths(descriptor: Descriptor, *, max_depth: int = MAX_DEPTH) -> list[FieldPath]:
    """Every path from `descriptor` to a string field (singular or repeated; map keys and
    values excluded), through nested and repeated messages, depth-first in field order."""
    return list(_string_paths(descriptor, (), max_depth))


def _string_paths(descriptor: Descriptor, prefix: FieldPath, depth: int) -> Iterator[FieldPath]:
    if depth <= 0:
        return
    for field in descriptor.fields:
        if _is_map(field):
            continue
        path = (*prefix, field.name)
        if field.type == FieldDescriptor.TYPE_STRING:
            yield path
        elif field.message_type is not None:
            yield from _string_paths(field.message_type, path, depth - 1)


def set_at_path(message: Message, path: FieldPath, value: Any) -> None:
    """Set the field at `path` to `value`, creating the messages on the way (the first item
    of a repeated message field; a repeated scalar field becomes `[value]`)."""
    if not path:
        raise ValueError("empty field path")
    *parents, last = path
    target = message
    for name in parents:
        field = target.DESCRIPTOR.fields_by_name[name]
        child = getattr(target, name)
        if field.is_repeated:
            target = child[0] if len(child) else child.add()
        else:
            child.SetInParent()
            target = child
    field = target.DESCRIPTOR.fields_by_name[last]
    if field.is_repeated:
        repeated = getattr(target, last)
        del repeated[:]
        repeated.append(value)
    else:
        setattr(target, last, value)


def with_value_at(message: Message, path: FieldPath, value: Any) -> Message:
    """A copy of `message` with `value` at `path`."""
    copy = type(message)()
    copy.CopyFrom(message)
    set_at_path(copy, path, value)
    return copy
