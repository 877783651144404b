"""Tadawul's money rules worked out by hand, independently of server/domain, so that the
trading tests check the server's arithmetic against a second implementation."""

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

HALALA = Decimal("0.01")


def halala(amount: Decimal) -> Decimal:
    return amount.quantize(HALALA, rounding=ROUND_HALF_UP)


def tick_of(price: Decimal) -> Decimal:
    """Tadawul's tick table (from 29 June 2025), bands by their lowest price."""
    for lowest, tick in ((500, "0.50"), (250, "0.20"), (100, "0.10"), (50, "0.05"),
                         (25, "0.02"), (0, "0.01")):
        if price >= lowest:
            return Decimal(tick)
    raise AssertionError(price)


def to_grid(price: Decimal, *, up: bool) -> Decimal:
    tick = tick_of(price)
    return tick * (price / tick).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)


def limits_of(reference: Decimal) -> tuple[Decimal, Decimal]:
    """Main Market limits: the reference ± 10%, the lower bound rounded up onto the grid
    and the upper one down."""
    return (to_grid(reference * Decimal("0.9"), up=True),
            to_grid(reference * Decimal("1.1"), up=False))
