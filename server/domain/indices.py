"""Market indices (TASI, MT30, …): daily levels and returns."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class IndexDailyBar:
    index_code: str
    day: date
    open: float
    high: float
    low: float
    close: float
    volume: int | None
    value_traded: Decimal | None
    trades: int | None
    daily_return: float | None


def close_to_close_returns(closes: list[float]) -> list[float | None]:
    """Simple daily returns of closes given oldest first; None for the first day."""
    returns: list[float | None] = [None]
    pairs = zip(closes, closes[1:], strict=False)
    returns.extend(today / yesterday - 1 for yesterday, today in pairs)
    return returns
