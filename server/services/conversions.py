"""Translations between protobuf messages and domain values, shared by servicers."""

from datetime import date

from google.type import date_pb2

from financehub.v1 import charts_pb2, securities_pb2
from server.domain.bars import BarInterval, LookbackPeriod
from server.domain.errors import ViolationCollector
from server.domain.securities import Market, Security, SecurityType

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

ORIGIN_TO_PROTO = {
    "REAL": securities_pb2.DATA_ORIGIN_REAL,
    "SYNTHETIC": securities_pb2.DATA_ORIGIN_SYNTHETIC,
}


def ticker_message(security: Security) -> securities_pb2.Ticker:
    return securities_pb2.Ticker(
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
    )


def date_message(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def date_from_message(message: date_pb2.Date, field: str,
                      problems: ViolationCollector) -> date | None:
    """A full calendar date, or None when the message is all zeros (unset).

    Partial dates (a year only, say) are rejected: a trading day is a day.
    """
    if (message.year, message.month, message.day) == (0, 0, 0):
        return None
    try:
        return date(message.year, message.month, message.day)
    except ValueError:
        problems.add(field, f"{message.year:04d}-{message.month:02d}-{message.day:02d} "
                            "is not a valid calendar date (year, month and day are all required)")
        return None


def enum_value_or_violation(value: int, known: dict[int, object], field: str,
                            problems: ViolationCollector) -> bool:
    """False (and a violation) for an enum number the contract does not define."""
    if value not in known:
        problems.add(field, f"{value} is not a known value")
        return False
    return True
