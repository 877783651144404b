"""Translations between protobuf messages and domain values, shared by servicers."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from google.protobuf import timestamp_pb2
from google.type import date_pb2, decimal_pb2

from financehub.v1 import auth_pb2, charts_pb2, identity_pb2, securities_pb2
from server.domain.access import DEFAULT_TIER, RateLimitTier, Role
from server.domain.bars import BarInterval, LookbackPeriod
from server.domain.errors import FieldViolation, InvalidArgumentError, ViolationCollector
from server.domain.industry_groups import IndustryGroup
from server.domain.securities import Market, Security, SecurityType
from server.storage.api_keys import ApiKeyRecord
from server.storage.users import UserRecord

MARKET_TO_PROTO = {
    Market.MAIN: securities_pb2.MARKET_MAIN,
    Market.NOMU: securities_pb2.MARKET_NOMU,
}
MARKET_FROM_PROTO = {value: key for key, value in MARKET_TO_PROTO.items()}

SECURITY_TYPE_TO_PROTO = {
    SecurityType.EQUITY: securities_pb2.SECURITY_TYPE_EQUITY,
    SecurityType.REIT: securities_pb2.SECURITY_TYPE_REIT,
    SecurityType.ETF: securities_pb2.SECURITY_TYPE_ETF,
}

INTERVAL_FROM_PROTO = {
    charts_pb2.INTERVAL_UNSPECIFIED: BarInterval.DAY,
    charts_pb2.INTERVAL_DAY: BarInterval.DAY,
    charts_pb2.INTERVAL_WEEK: BarInterval.WEEK,
    charts_pb2.INTERVAL_MONTH: BarInterval.MONTH,
}
INTERVAL_TO_PROTO = {
    BarInterval.DAY: charts_pb2.INTERVAL_DAY,
    BarInterval.WEEK: charts_pb2.INTERVAL_WEEK,
    BarInterval.MONTH: charts_pb2.INTERVAL_MONTH,
}

PERIOD_FROM_PROTO: dict[int, LookbackPeriod | None] = {
    charts_pb2.PERIOD_UNSPECIFIED: None,
    charts_pb2.PERIOD_1M: LookbackPeriod.ONE_MONTH,
    charts_pb2.PERIOD_3M: LookbackPeriod.THREE_MONTHS,
    charts_pb2.PERIOD_6M: LookbackPeriod.SIX_MONTHS,
    charts_pb2.PERIOD_1Y: LookbackPeriod.ONE_YEAR,
    charts_pb2.PERIOD_5Y: LookbackPeriod.FIVE_YEARS,
    charts_pb2.PERIOD_MAX: LookbackPeriod.MAX,
}

ORIGIN_TO_PROTO: dict[str, int] = {
    "REAL": securities_pb2.DATA_ORIGIN_REAL,
    "SYNTHETIC": securities_pb2.DATA_ORIGIN_SYNTHETIC,
    "MIXED": securities_pb2.DATA_ORIGIN_MIXED,
}

# Same names on both sides: INDUSTRY_GROUP_BANKS <-> IndustryGroup.BANKS.
INDUSTRY_GROUP_TO_PROTO: dict[IndustryGroup, int] = {
    group: securities_pb2.IndustryGroup.Value(f"INDUSTRY_GROUP_{group.name}")
    for group in IndustryGroup
}
INDUSTRY_GROUP_FROM_PROTO = {value: key for key, value in INDUSTRY_GROUP_TO_PROTO.items()}


def industry_group_message(group: IndustryGroup | None) -> int:
    return INDUSTRY_GROUP_TO_PROTO[group] if group else securities_pb2.INDUSTRY_GROUP_UNSPECIFIED


def origin_message(origin: str | None) -> int:
    # The generated modules are untyped to mypy; enum values are ints.
    number: int = ORIGIN_TO_PROTO.get(origin or "", securities_pb2.DATA_ORIGIN_UNSPECIFIED)
    return number


def ticker_message(security: Security) -> securities_pb2.Ticker:
    ticker = securities_pb2.Ticker(
        symbol=security.symbol,
        name_en=security.name_en,
        name_ar=security.name_ar,
        market=MARKET_TO_PROTO[security.market],
        security_type=SECURITY_TYPE_TO_PROTO[security.security_type],
        sector=security.sector,
        industry=security.industry,
        sector_ar=security.sector_ar,
        currency=security.currency,
        has_price_history=security.has_price_history,
        industry_group=industry_group_message(security.industry_group),
        isin=security.isin or "",
        price_origin=origin_message(security.price_origin),
    )
    if security.listing_date is not None:
        ticker.listing_date.CopyFrom(date_message(security.listing_date))
    return ticker


def date_message(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


# The years a request date may name. Every date of the API is a market day, a report
# date or the bound of a range over market data; the bounds keep the date arithmetic done
# on them (default windows, lookback periods, the day after) far from Python's year 1 and
# 9999, where it would overflow.
MIN_REQUEST_YEAR = 1900
MAX_REQUEST_YEAR = 2199


def date_from_message(message: date_pb2.Date, field: str,
                      problems: ViolationCollector) -> date | None:
    """A full calendar date, or None when the message is all zeros (unset).

    Partial dates (a year only, say) are rejected: a trading day is a day.
    """
    if (message.year, message.month, message.day) == (0, 0, 0):
        return None
    try:
        day = date(message.year, message.month, message.day)
    except ValueError:
        problems.add(field, f"{message.year:04d}-{message.month:02d}-{message.day:02d} "
                            "is not a valid calendar date (year, month and day are all required)")
        return None
    if not MIN_REQUEST_YEAR <= day.year <= MAX_REQUEST_YEAR:
        problems.add(field, f"{day.isoformat()} is out of range: the year must be "
                            f"{MIN_REQUEST_YEAR} to {MAX_REQUEST_YEAR}")
        return None
    return day


# Decimal inputs: enough digits for any sensible amount or rate, few enough that exact
# arithmetic on them stays cheap.
MAX_DECIMAL_DIGITS = 20


def decimal_from(message: decimal_pb2.Decimal, field: str, problems: ViolationCollector,
                 default: Decimal) -> Decimal:
    """A finite Decimal from a google.type.Decimal; `default` when unset (empty)."""
    if not message.value:
        return default
    try:
        value = Decimal(message.value)
    except InvalidOperation:
        problems.add(field, f"{message.value!r} is not a decimal number")
        return default
    if not value.is_finite() or len(value.as_tuple().digits) > MAX_DECIMAL_DIGITS:
        problems.add(field, f"must be a finite decimal of at most {MAX_DECIMAL_DIGITS} digits")
        return default
    return value

def decimal_message(value: Decimal) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=format(value, "f"))



def enum_value_or_violation(value: int, known: dict[int, object], field: str,
                            problems: ViolationCollector) -> bool:
    """False (and a violation) for an enum number the contract does not define."""
    if value not in known:
        problems.add(field, f"{value} is not a known value")
        return False
    return True


ROLE_TO_PROTO = {
    Role.GUEST: identity_pb2.ROLE_GUEST,
    Role.USER: identity_pb2.ROLE_USER,
    Role.PREMIUM: identity_pb2.ROLE_PREMIUM,
    Role.PARTNER: identity_pb2.ROLE_PARTNER,
    Role.ADMIN: identity_pb2.ROLE_ADMIN,
}
ROLE_FROM_PROTO = {value: key for key, value in ROLE_TO_PROTO.items()}

TIER_TO_PROTO = {
    RateLimitTier.GUEST: identity_pb2.RATE_LIMIT_TIER_GUEST,
    RateLimitTier.STANDARD: identity_pb2.RATE_LIMIT_TIER_STANDARD,
    RateLimitTier.PREMIUM: identity_pb2.RATE_LIMIT_TIER_PREMIUM,
    RateLimitTier.PARTNER: identity_pb2.RATE_LIMIT_TIER_PARTNER,
    RateLimitTier.UNLIMITED: identity_pb2.RATE_LIMIT_TIER_UNLIMITED,
}


def timestamp_message(moment: datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(moment)
    return message


def optional_timestamp(message: timestamp_pb2.Timestamp, field: str,
                       problems: ViolationCollector) -> datetime | None:
    """An aware UTC datetime, or None when unset; out-of-range values are violations."""
    if message.seconds == 0 and message.nanos == 0:
        return None
    try:
        moment: datetime = message.ToDatetime(tzinfo=UTC)  # protobuf is untyped
        return moment
    except (ValueError, OverflowError):
        problems.add(field, "is not a valid timestamp")
        return None


def require_uuid(raw: str, field: str) -> str:
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        raise InvalidArgumentError([FieldViolation(field, "must be a UUID")]) from None


def user_message(user: UserRecord) -> identity_pb2.User:
    message = identity_pb2.User(
        id=user.id, email=user.email, role=ROLE_TO_PROTO[user.role], is_active=user.is_active,
        is_verified=user.is_verified,
        rate_limit_tier=TIER_TO_PROTO[user.rate_limit_tier or DEFAULT_TIER[user.role]],
    )
    message.create_time.CopyFrom(timestamp_message(user.created_at))
    if user.last_login is not None:
        message.last_login_time.CopyFrom(timestamp_message(user.last_login))
    return message


def api_key_message(key: ApiKeyRecord) -> auth_pb2.ApiKey:
    message = auth_pb2.ApiKey(id=key.id, name=key.name, prefix=key.prefix)
    message.create_time.CopyFrom(timestamp_message(key.created_at))
    for field, moment in (("expire_time", key.expires_at), ("last_use_time", key.last_used_at),
                          ("revoke_time", key.revoked_at)):
        if moment is not None:
            getattr(message, field).CopyFrom(timestamp_message(moment))
    return message
