"""Conversions between Python values and the contract's value types.

Money and quantities in trading are `google.type.Decimal` (a decimal string), trading
days `google.type.Date`, instants `google.protobuf.Timestamp`.
"""

from __future__ import annotations

import datetime
import decimal

from google.protobuf import duration_pb2, timestamp_pb2
from google.type import date_pb2, decimal_pb2


def to_decimal(value: decimal.Decimal | int | str) -> decimal_pb2.Decimal:
    """`Decimal("27.50")` -> `google.type.Decimal(value="27.50")`. Floats are refused:
    they are not exact (pass `Decimal(str(x))` if you mean it)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("money is exact: pass a decimal.Decimal, an int or a string")
    if isinstance(value, str):
        value = decimal.Decimal(value)
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        raise ValueError(f"not a finite decimal: {value}")
    return decimal_pb2.Decimal(value=str(value))


def from_decimal(message: decimal_pb2.Decimal) -> decimal.Decimal:
    """`google.type.Decimal` -> `decimal.Decimal` (an unset one is 0)."""
    return decimal.Decimal(message.value or "0")


def to_date(value: datetime.date) -> date_pb2.Date:
    if isinstance(value, datetime.datetime):
        raise TypeError("a trading day is a datetime.date, not a datetime")
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def from_date(message: date_pb2.Date) -> datetime.date:
    return datetime.date(message.year, message.month, message.day)


def to_timestamp(value: datetime.datetime) -> timestamp_pb2.Timestamp:
    """An aware datetime -> Timestamp (naive datetimes are refused: say which zone)."""
    if value.tzinfo is None:
        raise ValueError("pass an aware datetime (e.g. datetime.now(timezone.utc))")
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_timestamp(message: timestamp_pb2.Timestamp) -> datetime.datetime:
    """Timestamp -> aware datetime in UTC."""
    instant: datetime.datetime = message.ToDatetime(tzinfo=datetime.UTC)
    return instant


def to_duration(value: datetime.timedelta) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromTimedelta(value)
    return duration
