"""Tadawul tick sizes and daily price limits, in exact decimal arithmetic.

The tick table is the one in force from 29 June 2025; prices of orders placed
before that date followed an older table, which is not modelled here.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import Enum

from server.domain.securities import Market

# (lowest price of the band, tick size), highest band first. The exchange publishes
# the bands by their first and last grid price (25.00–49.98, 50.00–99.95, …), which
# leaves prices between two bands' grids unassigned (49.99 is on neither grid). Every
# price is classified by lower bound instead — [25, 50) is the 0.02 band — so
# 49.99 belongs to the 0.02 band and is off its grid. Each band's lowest price is a
# multiple of its own tick and of the tick below, so one grid anchored at zero per
# band gives exactly the published grid prices.
_TICK_BANDS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("500"), Decimal("0.50")),
    (Decimal("250"), Decimal("0.20")),
    (Decimal("100"), Decimal("0.10")),
    (Decimal("50"), Decimal("0.05")),
    (Decimal("25"), Decimal("0.02")),
    (Decimal("0"), Decimal("0.01")),
)

# Daily limits as a fraction of the reference price (the previous close).
_LIMIT_FRACTIONS: dict[Market, Decimal] = {
    Market.MAIN: Decimal("0.10"),
    Market.NOMU: Decimal("0.30"),
}


class RoundingDirection(Enum):
    DOWN = "DOWN"
    UP = "UP"
    NEAREST = "NEAREST"  # a price exactly halfway between two grid prices goes up


@dataclass(frozen=True)
class PriceLimits:
    """The lowest and highest price a security may trade at today, both on the tick grid."""

    lower: Decimal
    upper: Decimal


def price_from_float(value: float) -> Decimal:
    """The decimal a stored float price stands for: its shortest repr, which is the value the
    source file gave (bars and quotes are floats in the tables and on the quote wire)."""
    return Decimal(repr(value))


def tick_size_for(price: Decimal) -> Decimal:
    if not price.is_finite() or price <= 0:
        raise ValueError(f"price must be a positive finite number, got {price}")
    for lowest_price, tick in _TICK_BANDS:
        if price >= lowest_price:
            return tick
    raise AssertionError("unreachable: the lowest band starts at zero")


def is_on_tick_grid(price: Decimal) -> bool:
    return price % tick_size_for(price) == 0


def round_to_tick(price: Decimal, direction: RoundingDirection) -> Decimal:
    """The grid price next to `price` in `direction`; a price on the grid is returned as is.

    Rounding on the band of `price` itself is correct across band edges: every band
    ends at a multiple of its own tick (50.00 for the 0.02 band), which is the next
    band's first grid price, so 49.99 rounds up to 50.00. Results carry two decimals.
    """
    tick = tick_size_for(price)
    ticks = price / tick
    # Whole tick counts times the tick keep the tick's two decimals (500.00, not 5E+2).
    down = tick * int(ticks.to_integral_value(rounding=ROUND_FLOOR))
    up = tick * int(ticks.to_integral_value(rounding=ROUND_CEILING))
    if direction is RoundingDirection.UP:
        return up
    if direction is RoundingDirection.DOWN:
        if down == 0:
            raise ValueError(f"no tradeable price at or below {price}")
        return down
    # Zero is not a price, so below the first tick the nearest tradeable price is one tick.
    return up if down == 0 or up - price <= price - down else down


def price_limits(reference_price: Decimal, market: Market) -> PriceLimits:
    """Today's limits: the reference ± 10% (main market) or ± 30% (Nomu).

    The exact bounds are rarely on the grid, so the upper one is rounded down and the
    lower one up: both limits are then prices an order can actually carry, and neither
    lies outside the percentage band.
    """
    if not reference_price.is_finite() or reference_price <= 0:
        raise ValueError(f"reference price must be a positive finite number, "
                         f"got {reference_price}")
    band = reference_price * _LIMIT_FRACTIONS[market]
    return PriceLimits(
        lower=round_to_tick(reference_price - band, RoundingDirection.UP),
        upper=round_to_tick(reference_price + band, RoundingDirection.DOWN),
    )


def within_limits(price: Decimal, limits: PriceLimits) -> bool:
    return limits.lower <= price <= limits.upper
