"""server.domain.ticks: the tick table from 29 June 2025 and daily price limits.

Every expected value below was worked out by hand from the published table and rule.
"""

from decimal import Decimal

import pytest

from server.domain.securities import Market
from server.domain.ticks import (
    PriceLimits,
    RoundingDirection,
    is_on_tick_grid,
    price_limits,
    round_to_tick,
    tick_size_for,
    within_limits,
)

DOWN, UP, NEAREST = RoundingDirection.DOWN, RoundingDirection.UP, RoundingDirection.NEAREST


# --- tick_size_for -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "tick"),
    [
        ("0.01", "0.01"),
        ("24.99", "0.01"),
        ("25.00", "0.02"),
        ("49.98", "0.02"),
        ("49.99", "0.02"),  # between the grids: classified by the band's lower bound
        ("50.00", "0.05"),
        ("99.95", "0.05"),
        ("99.99", "0.05"),
        ("100.00", "0.10"),
        ("249.90", "0.10"),
        ("249.99", "0.10"),
        ("250.00", "0.20"),
        ("499.80", "0.20"),
        ("499.99", "0.20"),
        ("500.00", "0.50"),
        ("12500", "0.50"),
    ],
)
def test_tick_size_on_both_sides_of_every_band_edge(price, tick):
    assert tick_size_for(Decimal(price)) == Decimal(tick)


@pytest.mark.parametrize("price", ["0", "0.00", "-0.01", "-30", "NaN", "Infinity", "-Infinity"])
def test_tick_size_refuses_prices_that_are_not_positive_and_finite(price):
    with pytest.raises(ValueError):
        tick_size_for(Decimal(price))


# --- is_on_tick_grid ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "on_grid"),
    [
        ("0.01", True),
        ("10.005", False),
        ("24.99", True),
        ("25.01", False),
        ("25.02", True),
        ("49.98", True),
        ("49.99", False),
        ("50.03", False),
        ("50.05", True),
        ("99.95", True),
        ("100.05", False),
        ("100.10", True),
        ("250.10", False),
        ("250.20", True),
        ("499.80", True),
        ("500.25", False),
        ("500.50", True),
        ("500", True),  # the exponent of the Decimal does not matter
    ],
)
def test_is_on_tick_grid(price, on_grid):
    assert is_on_tick_grid(Decimal(price)) is on_grid


def test_is_on_tick_grid_refuses_a_non_positive_price():
    with pytest.raises(ValueError):
        is_on_tick_grid(Decimal("0"))


# --- round_to_tick -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "direction", "expected"),
    [
        # Down stays in the band of the price.
        ("24.995", DOWN, "24.99"),
        ("25.03", DOWN, "25.02"),
        ("49.99", DOWN, "49.98"),
        ("50.04", DOWN, "50.00"),
        ("99.99", DOWN, "99.95"),
        ("100.09", DOWN, "100.00"),
        ("249.99", DOWN, "249.90"),
        ("250.19", DOWN, "250.00"),
        ("499.99", DOWN, "499.80"),
        ("500.49", DOWN, "500.00"),
        ("25.02", DOWN, "25.02"),
        # Up crosses into the next band onto its grid.
        ("24.995", UP, "25.00"),
        ("49.985", UP, "50.00"),
        ("49.99", UP, "50.00"),
        ("99.96", UP, "100.00"),
        ("249.91", UP, "250.00"),
        ("499.81", UP, "500.00"),
        ("25.01", UP, "25.02"),
        ("50.01", UP, "50.05"),
        ("100.01", UP, "100.10"),
        ("250.01", UP, "250.20"),
        ("500.01", UP, "500.50"),
        ("0.001", UP, "0.01"),
        ("30.08", UP, "30.08"),
        # Nearest: halfway goes up, including across a band edge.
        ("24.994", NEAREST, "24.99"),
        ("24.996", NEAREST, "25.00"),
        ("25.005", NEAREST, "25.00"),
        ("25.01", NEAREST, "25.02"),
        ("49.985", NEAREST, "49.98"),
        ("49.99", NEAREST, "50.00"),
        ("50.02", NEAREST, "50.00"),
        ("50.025", NEAREST, "50.05"),
        ("50.03", NEAREST, "50.05"),
        ("100.04", NEAREST, "100.00"),
        ("100.05", NEAREST, "100.10"),
        ("250.09", NEAREST, "250.00"),
        ("500.24", NEAREST, "500.00"),
        ("500.25", NEAREST, "500.50"),
        ("0.004", NEAREST, "0.01"),  # zero is not a price
        ("75.00", NEAREST, "75.00"),
    ],
)
def test_round_to_tick(price, direction, expected):
    assert round_to_tick(Decimal(price), direction) == Decimal(expected)


@pytest.mark.parametrize(
    ("price", "direction", "text"),
    [
        ("499.99", UP, "500.00"),
        ("500", DOWN, "500.00"),
        ("1E+3", DOWN, "1000.00"),
        ("25.1", NEAREST, "25.10"),
    ],
)
def test_rounded_prices_carry_two_decimals(price, direction, text):
    assert str(round_to_tick(Decimal(price), direction)) == text


def test_rounding_down_below_the_first_tick_has_no_price():
    with pytest.raises(ValueError):
        round_to_tick(Decimal("0.005"), DOWN)


# --- price_limits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "market", "lower", "upper"),
    [
        # ±3.20 lands on the 0.02 grid exactly.
        ("32.00", Market.MAIN, "28.80", "35.20"),
        # ±2.735: 30.085 down to 30.08 (0.02 grid); 24.615 up to 24.62 (0.01 grid).
        ("27.35", Market.MAIN, "24.62", "30.08"),
        ("100.00", Market.MAIN, "90.00", "110.00"),
        # ±4.75: 52.25 is on the 0.05 grid; 42.75 up to 42.76 on the 0.02 grid.
        ("47.50", Market.MAIN, "42.76", "52.25"),
        ("23.00", Market.MAIN, "20.70", "25.30"),
        ("460.00", Market.MAIN, "414.00", "506.00"),
        # ±45.56: 501.16 down to 501.00 (0.50 grid); 410.04 up to 410.20 (0.20 grid).
        ("455.60", Market.MAIN, "410.20", "501.00"),
        # Nomu, ±30%.
        ("32.00", Market.NOMU, "22.40", "41.60"),
        # ±8.205: 35.555 down to 35.54; 19.145 up to 19.15.
        ("27.35", Market.NOMU, "19.15", "35.54"),
        ("80.00", Market.NOMU, "56.00", "104.00"),
        # ±124.71: 540.41 down to 540.00; 290.99 up to 291.00.
        ("415.70", Market.NOMU, "291.00", "540.00"),
    ],
)
def test_price_limits_by_hand(reference, market, lower, upper):
    assert price_limits(Decimal(reference), market) == PriceLimits(
        lower=Decimal(lower), upper=Decimal(upper)
    )


def _grid_prices_from(start: str, count: int) -> list[Decimal]:
    prices = [Decimal(start)]
    while len(prices) < count:
        prices.append(round_to_tick(prices[-1] + Decimal("0.001"), UP))
    return prices


@pytest.mark.parametrize(("market", "fraction"), [(Market.MAIN, "0.10"), (Market.NOMU, "0.30")])
def test_limits_are_the_tightest_grid_prices_inside_the_band(market, fraction):
    # Grid prices on both sides of every band edge, as reference prices.
    references = [
        *_grid_prices_from("0.50", 40),
        *_grid_prices_from("19.00", 400),
        *_grid_prices_from("40.00", 300),
        *_grid_prices_from("85.00", 300),
        *_grid_prices_from("215.00", 300),
        *_grid_prices_from("430.00", 300),
    ]
    for reference in references:
        band = reference * Decimal(fraction)
        limits = price_limits(reference, market)
        assert is_on_tick_grid(limits.lower) and is_on_tick_grid(limits.upper)
        assert reference - band <= limits.lower <= reference <= limits.upper <= reference + band
        # One grid price further out would leave the band.
        assert round_to_tick(limits.upper + Decimal("0.001"), UP) > reference + band
        assert round_to_tick(limits.lower - Decimal("0.001"), DOWN) < reference - band


@pytest.mark.parametrize("reference", ["0", "-5.00", "NaN"])
def test_price_limits_refuse_a_reference_that_is_not_a_price(reference):
    with pytest.raises(ValueError):
        price_limits(Decimal(reference), Market.MAIN)


@pytest.mark.parametrize(
    ("price", "inside"),
    [
        ("28.79", False),
        ("28.80", True),
        ("32.00", True),
        ("35.20", True),
        ("35.22", False),
    ],
)
def test_within_limits_includes_both_limits(price, inside):
    limits = PriceLimits(lower=Decimal("28.80"), upper=Decimal("35.20"))
    assert within_limits(Decimal(price), limits) is inside
