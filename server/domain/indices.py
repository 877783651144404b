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


def capped_weights(values: dict[str, float], cap_percent: float | None = None,
                   places: int = 6) -> dict[str, Decimal]:
    """Weights in percent proportional to `values`, each at most `cap_percent` (what is cut
    from capped members is shared among the others in proportion), summing to 100.

    Rounded to `places` decimals; the rounding remainder goes to the heaviest member
    below the cap (a capped member must stay at the cap), so the weights add up to
    exactly 100.
    """
    positive = {key: value for key, value in values.items() if value > 0}
    if not positive:
        return {}
    if cap_percent is not None and cap_percent * len(positive) < 100:
        raise ValueError(f"{len(positive)} members cannot each stay under {cap_percent}%")
    weights: dict[str, float] = {}
    free = dict(positive)
    budget = 100.0
    while free:
        total = sum(free.values())
        share = {key: budget * value / total for key, value in free.items()}
        over = {key for key, weight in share.items()
                if cap_percent is not None and weight > cap_percent}
        if not over:
            weights.update(share)
            break
        cap = float(cap_percent or 0)
        for key in over:
            weights[key] = cap
            budget -= cap
            del free[key]
    quantum = Decimal(1).scaleb(-places)
    rounded = {key: Decimal(str(weight)).quantize(quantum) for key, weight in weights.items()}
    uncapped = [key for key in rounded
                if cap_percent is None or rounded[key] < Decimal(str(cap_percent))]
    heaviest = max(uncapped or list(rounded), key=lambda key: (rounded[key], key))
    rounded[heaviest] += Decimal(100) - sum(rounded.values())
    return rounded
