"""Request messages from keyword fields, with Python values where the contract has
value types.

    client.trading.PlaceOrder(symbol="2222", side="BUY", type="LIMIT", quantity=10,
                              limit_price=Decimal("27.50"), time_in_force="DAY")

* enum fields take the enum value, its full name (`ORDER_SIDE_BUY`) or the name
  without the enum's prefix, in any case (`"buy"`);
* `google.type.Decimal` takes `decimal.Decimal`, int or str; `google.type.Date` a
  `datetime.date`; `Timestamp` an aware `datetime`; `Duration` a `timedelta`;
* message fields take a message or a dict of its fields (converted the same way);
  repeated fields any iterable, map fields a dict.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from financehub_client import values

M = TypeVar("M", bound=Message)

# Python values accepted for the contract's value types (a float for money is refused
# with an explanation by to_decimal).
_WELL_KNOWN: dict[str, tuple[tuple[type, ...], Callable[[Any], Message]]] = {
    "google.type.Decimal": ((decimal.Decimal, int, str, float), values.to_decimal),
    "google.type.Date": ((datetime.date,), values.to_date),
    "google.protobuf.Timestamp": ((datetime.datetime,), values.to_timestamp),
    "google.protobuf.Duration": ((datetime.timedelta,), values.to_duration),
}


def build_request(cls: type[M], fields: Mapping[str, Any]) -> M:
    """`cls(**fields)` with the conversions above; unknown fields raise TypeError."""
    message: M = cls(**_convert_fields(cls.DESCRIPTOR, fields))
    return message


def _convert_fields(descriptor: Descriptor, fields: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for name, value in fields.items():
        field = descriptor.fields_by_name.get(name)
        if field is None:
            known = ", ".join(sorted(descriptor.fields_by_name))
            raise TypeError(f"{descriptor.full_name} has no field {name!r} (fields: {known})")
        converted[name] = _convert_field(field, value)
    return converted


def _is_map(field: FieldDescriptor) -> bool:
    message = field.message_type
    return message is not None and message.GetOptions().map_entry


def _convert_field(field: FieldDescriptor, value: Any) -> Any:
    if value is None:
        return None
    if _is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        return {key: _convert_single(value_field, item) for key, item in value.items()}
    if _is_repeated(field) and not isinstance(value, str | bytes | Message | Mapping):
        return [_convert_single(field, item) for item in value]
    return _convert_single(field, value)


def _is_repeated(field: FieldDescriptor) -> bool:
    repeated = getattr(field, "is_repeated", None)
    if isinstance(repeated, bool):
        return repeated
    return bool(field.label == FieldDescriptor.LABEL_REPEATED)


def _convert_single(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM and isinstance(value, str):
        return _enum_number(field.enum_type, value)
    if field.type == FieldDescriptor.TYPE_MESSAGE and not isinstance(value, Message):
        message_type = field.message_type
        if isinstance(value, Mapping):
            return _convert_fields(message_type, value)
        known = _WELL_KNOWN.get(message_type.full_name)
        if known is not None and isinstance(value, known[0]):
            return known[1](value)
    return value


def _enum_number(enum: EnumDescriptor, name: str) -> int:
    """`ORDER_SIDE_BUY`, `BUY` or `buy` -> the number of OrderSide.ORDER_SIDE_BUY."""
    wanted = name.upper()
    if wanted in enum.values_by_name:
        return int(enum.values_by_name[wanted].number)
    prefix = _enum_prefix(enum)
    if prefix + wanted in enum.values_by_name:
        return int(enum.values_by_name[prefix + wanted].number)
    known = ", ".join(value.name.removeprefix(prefix) for value in enum.values)
    raise ValueError(f"{name!r} is not a {enum.name} (one of: {known})")


def _enum_prefix(enum: EnumDescriptor) -> str:
    for value in enum.values:
        if value.number == 0 and value.name.endswith("UNSPECIFIED"):
            return str(value.name)[: -len("UNSPECIFIED")]
    return ""


# --- per-RPC request preparation ------------------------------------------------------------


def _with_client_order_id(request: Message) -> Message:
    """PlaceOrder without a client_order_id gets one, so that retrying it is safe: the
    server answers a repeat with the first order instead of placing another."""
    if getattr(request, "client_order_id", "x"):
        return request
    prepared = type(request)()
    prepared.CopyFrom(request)
    prepared.client_order_id = f"sdk-{uuid.uuid4().hex}"
    return prepared


PREPARERS: dict[str, Callable[[Message], Message]] = {
    "financehub.v1.TradingService.PlaceOrder": _with_client_order_id,
}


def prepare(method_full_name: str, request: Message) -> Message:
    preparer = PREPARERS.get(method_full_name)
    return preparer(request) if preparer is not None else request
