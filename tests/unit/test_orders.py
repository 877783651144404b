"""server.domain.orders and server.domain.trading_account: paper-trading rules.

Expected values are worked out by hand from the tick table (ticks.py), the ±10% / ±30%
limits, the session times (10:00-15:00 Riyadh, UTC+3) and the cost formulas; the
arithmetic is written next to each.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from server.domain.calendar import RIYADH
from server.domain.errors import FailedPreconditionError, InvalidArgumentError
from server.domain.orders import (
    Admission,
    Costs,
    OrderRequest,
    OrderSide,
    OrderSpec,
    OrderStatus,
    OrderType,
    TimeInForce,
    admission,
    check_cancelable,
    close_of,
    fill_costs,
    fill_price,
    is_marketable,
    required_cash,
    unfilled_outcome,
    validate_order,
)
from server.domain.securities import Market
from server.domain.trading_account import (
    Holding,
    PositionUpdate,
    account_values,
    apply_fill,
    check_buying_power,
    check_shares_available,
    value_position,
)
from server.domain.trading_calendar import market_status_at

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL
MARKET, LIMIT = OrderType.MARKET, OrderType.LIMIT
DAY, GTC, IOC, FOK = TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK


def limit_request(price: str, *, side: int = 1, quantity: int = 10,
                  time_in_force: int = 1) -> OrderRequest:
    return OrderRequest(symbol="2222", side=side, type=2, time_in_force=time_in_force,
                        quantity=quantity, limit_price=D(price))


def spec(side: OrderSide = BUY, order_type: OrderType = MARKET,
         time_in_force: TimeInForce = DAY, quantity: int = 10,
         limit_price: str | None = None) -> OrderSpec:
    return OrderSpec(symbol="2222", side=side, type=order_type, time_in_force=time_in_force,
                     quantity=quantity, limit_price=None if limit_price is None else D(limit_price))


def validation_error(request: OrderRequest, reference: str = "32.00",
                     market: Market = Market.MAIN) -> InvalidArgumentError:
    with pytest.raises(InvalidArgumentError) as caught:
        validate_order(request, reference_price=D(reference), market=market)
    return caught.value


def riyadh(year: int, month: int, day: int, hour: int, minute: int = 0,
           second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=RIYADH)


# --- validation: fields ----------------------------------------------------------------


def test_a_valid_market_order_becomes_a_spec_and_unset_time_in_force_means_day():
    request = OrderRequest(symbol="2222", side=2, type=1, time_in_force=0, quantity=5,
                           limit_price=None)
    assert validate_order(request, reference_price=D("32.00"), market=Market.MAIN) == \
        spec(side=SELL, quantity=5)


@pytest.mark.parametrize("quantity", [0, -1, -100])
def test_quantity_below_one_is_invalid(quantity):
    error = validation_error(limit_request("32.00", quantity=quantity))
    assert [(v.field, v.description) for v in error.violations] == \
        [("quantity", "must be at least 1 share")]
    assert error.reason == "INVALID_QUANTITY"
    assert error.metadata == {"quantity": "INVALID_QUANTITY"}


def test_limit_order_without_a_price_and_market_order_with_one_are_invalid():
    missing = validation_error(OrderRequest("2222", 1, 2, 1, 10, None))
    assert [v.field for v in missing.violations] == ["limit_price"]
    assert missing.reason == "LIMIT_PRICE_REQUIRED"
    extra = validation_error(OrderRequest("2222", 1, 1, 1, 10, D("32.00")))
    assert [v.field for v in extra.violations] == ["limit_price"]
    assert extra.reason == "LIMIT_PRICE_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("side", "order_type", "time_in_force", "field", "reason"),
    [
        (0, 1, 1, "side", "INVALID_SIDE"),
        (3, 1, 1, "side", "INVALID_SIDE"),
        (1, 0, 1, "type", "INVALID_ORDER_TYPE"),
        (1, 9, 1, "type", "INVALID_ORDER_TYPE"),
        (1, 1, 5, "time_in_force", "INVALID_TIME_IN_FORCE"),
        (1, 1, -1, "time_in_force", "INVALID_TIME_IN_FORCE"),
    ],
)
def test_unset_or_unknown_enum_values_are_invalid(side, order_type, time_in_force, field,
                                                  reason):
    error = validation_error(OrderRequest("2222", side, order_type, time_in_force, 10, None))
    assert [v.field for v in error.violations] == [field]
    assert error.reason == reason


def test_every_bad_field_is_listed_with_its_own_reason():
    error = validation_error(OrderRequest("2222", side=0, type=2, time_in_force=7,
                                          quantity=0, limit_price=D("32.01")))
    assert [v.field for v in error.violations] == ["side", "time_in_force", "quantity",
                                                   "limit_price"]
    assert error.reason == "INVALID_ORDER"
    assert error.metadata == {"side": "INVALID_SIDE", "time_in_force": "INVALID_TIME_IN_FORCE",
                              "quantity": "INVALID_QUANTITY",
                              "limit_price": "PRICE_OFF_TICK_GRID"}


@pytest.mark.parametrize("price", ["0", "0.00", "-1.00", "NaN", "Infinity"])
def test_limit_price_must_be_a_positive_amount(price):
    error = validation_error(limit_request(price))
    assert error.reason == "INVALID_PRICE"


# --- validation: tick grid at every band edge -------------------------------------------

# Each band edge E (25, 50, 100, 250, 500) with the reference price at E, so that ±10%
# puts every price below in the limits: the last grid price of the band below, the
# first price past it that is on neither grid, E itself, a price just above E that is
# on the lower band's grid but not E's, and the first grid price above E.
ON_GRID_AT_EDGES = [
    ("25.00", "24.99"), ("25.00", "25.00"), ("25.00", "25.02"),
    ("50.00", "49.98"), ("50.00", "50.00"), ("50.00", "50.05"),
    ("100.00", "99.95"), ("100.00", "100.00"), ("100.00", "100.10"),
    ("250.00", "249.90"), ("250.00", "250.00"), ("250.00", "250.20"),
    ("500.00", "499.80"), ("500.00", "500.00"), ("500.00", "500.50"),
]
OFF_GRID_AT_EDGES = [
    ("25.00", "25.01", "25.00", "25.02"),  # 0.02 band from 25
    ("50.00", "49.99", "49.98", "50.00"),  # 0.02 band: 49.99 is on neither grid
    ("50.00", "50.02", "50.00", "50.05"),  # on the 0.02 grid, not the 0.05 one
    ("100.00", "99.99", "99.95", "100.00"),
    ("100.00", "100.05", "100.00", "100.10"),  # on the 0.05 grid, not the 0.10 one
    ("250.00", "249.95", "249.90", "250.00"),
    ("250.00", "250.10", "250.00", "250.20"),
    ("500.00", "499.90", "499.80", "500.00"),
    ("500.00", "500.20", "500.00", "500.50"),
    ("500.00", "500.005", "500.00", "500.50"),  # a fraction of a halala
]


@pytest.mark.parametrize(("reference", "price"), ON_GRID_AT_EDGES)
def test_grid_prices_either_side_of_each_band_edge_are_valid(reference, price):
    order = validate_order(limit_request(price), reference_price=D(reference),
                           market=Market.MAIN)
    assert order.limit_price == D(price)


@pytest.mark.parametrize(("reference", "price", "below", "above"), OFF_GRID_AT_EDGES)
def test_prices_off_the_grid_of_their_band_are_invalid(reference, price, below, above):
    error = validation_error(limit_request(price), reference=reference)
    assert error.reason == "PRICE_OFF_TICK_GRID"
    (violation,) = error.violations
    assert violation.field == "limit_price"
    assert violation.description == \
        f"must be on the tick grid; the nearest prices are {below} and {above}"


# --- validation: daily price limits ----------------------------------------------------

LIMIT_EDGES = [
    # reference, market, lower limit, one tick below it, upper limit, one tick above it
    # 32.00 ± 3.20 = 28.80 / 35.20, both on the 0.02 grid.
    ("32.00", Market.MAIN, "28.80", "28.78", "35.20", "35.22"),
    # 33.33 ± 3.333: 29.997 rounds up to 30.00 (0.02 band), 36.663 down to 36.66.
    ("33.33", Market.MAIN, "30.00", "29.98", "36.66", "36.68"),
    # 46.00 ± 4.60 = 41.40 / 50.60: the upper limit is in the 0.05 band.
    ("46.00", Market.MAIN, "41.40", "41.38", "50.60", "50.65"),
    # 95.00 ± 9.50 = 85.50 (0.05 band) / 104.50 (0.10 band).
    ("95.00", Market.MAIN, "85.50", "85.45", "104.50", "104.60"),
    # 260.00 ± 26.00 = 234.00 (0.10 band) / 286.00 (0.20 band).
    ("260.00", Market.MAIN, "234.00", "233.90", "286.00", "286.20"),
    # 480.00 ± 48.00 = 432.00 (0.20 band) / 528.00 (0.50 band).
    ("480.00", Market.MAIN, "432.00", "431.80", "528.00", "528.50"),
    # Nomu, ±30%: 40.00 ± 12.00 = 28.00 / 52.00.
    ("40.00", Market.NOMU, "28.00", "27.98", "52.00", "52.05"),
    # 20.00 ± 6.00 = 14.00 / 26.00 (0.02 band above 25).
    ("20.00", Market.NOMU, "14.00", "13.99", "26.00", "26.02"),
]


@pytest.mark.parametrize(("reference", "market", "lower", "below", "upper", "above"),
                         LIMIT_EDGES)
def test_limit_prices_at_the_limits_pass_and_one_tick_beyond_fail(reference, market, lower,
                                                                 below, upper, above):
    for price in (lower, upper):
        order = validate_order(limit_request(price), reference_price=D(reference),
                               market=market)
        assert order.limit_price == D(price)
    for price in (below, above):
        error = validation_error(limit_request(price), reference=reference, market=market)
        assert error.reason == "PRICE_OUTSIDE_LIMITS"
        (violation,) = error.violations
        assert violation.field == "limit_price"
        assert violation.description == \
            f"must be within today's price limits {lower} to {upper}"


def test_a_price_both_off_the_grid_and_outside_the_limits_is_reported_as_outside():
    # 50.62 is off the 0.05 grid and above 46.00's upper limit, 50.60.
    assert validation_error(limit_request("50.62"), reference="46.00").reason == \
        "PRICE_OUTSIDE_LIMITS"


# --- sessions ----------------------------------------------------------------------------

# Sunday 5 October 2025 and Thursday 9 October 2025 are trading days; Friday 10 October
# is a weekend; Tuesday 23 September 2025 is National Day; Thursday 5 June 2025 is in
# the Eid al-Adha closure, after which the market reopened on Wednesday 11 June.
DURING = [riyadh(2025, 10, 5, 10, 0), riyadh(2025, 10, 5, 12, 30),
          riyadh(2025, 10, 5, 14, 59, 59)]
OUTSIDE = [
    # (instant, the Riyadh date of the next open)
    (riyadh(2025, 10, 5, 8, 0), date(2025, 10, 5)),  # before the pre-open
    (riyadh(2025, 10, 5, 9, 45), date(2025, 10, 5)),  # pre-open
    (riyadh(2025, 10, 5, 15, 0), date(2025, 10, 6)),  # closing auction
    (riyadh(2025, 10, 5, 15, 15), date(2025, 10, 6)),  # trade at last
    (riyadh(2025, 10, 5, 18, 0), date(2025, 10, 6)),  # after the close
    (riyadh(2025, 10, 9, 16, 0), date(2025, 10, 12)),  # Thursday evening: Sunday
    (riyadh(2025, 10, 10, 11, 0), date(2025, 10, 12)),  # Friday
    (riyadh(2025, 9, 23, 11, 0), date(2025, 9, 24)),  # National Day
    (riyadh(2025, 6, 5, 11, 0), date(2025, 6, 11)),  # Eid al-Adha
]


@pytest.mark.parametrize("instant", DURING)
@pytest.mark.parametrize("time_in_force", [DAY, GTC, IOC, FOK])
def test_during_continuous_trading_every_order_works_today(instant, time_in_force):
    result = admission(spec(time_in_force=time_in_force), market_status_at(instant))
    # A DAY order expires at 15:00 Riyadh, 12:00 UTC.
    expires = datetime(2025, 10, 5, 12, 0, tzinfo=UTC) if time_in_force is DAY else None
    assert result == Admission(OrderStatus.NEW, date(2025, 10, 5), expires)


@pytest.mark.parametrize(("instant", "opens_on"), OUTSIDE)
@pytest.mark.parametrize("time_in_force", [DAY, GTC])
def test_outside_continuous_trading_day_and_gtc_orders_wait_for_the_open(instant, opens_on,
                                                                         time_in_force):
    result = admission(spec(order_type=LIMIT, limit_price="32.00",
                            time_in_force=time_in_force), market_status_at(instant))
    assert result.status is OrderStatus.ACCEPTED
    assert result.trading_day == opens_on
    if time_in_force is DAY:
        assert result.expires_at == datetime(opens_on.year, opens_on.month, opens_on.day,
                                             12, 0, tzinfo=UTC)
    else:
        assert result.expires_at is None


@pytest.mark.parametrize(("instant", "opens_on"), OUTSIDE)
@pytest.mark.parametrize("time_in_force", [IOC, FOK])
def test_outside_continuous_trading_ioc_and_fok_orders_are_refused(instant, opens_on,
                                                                   time_in_force):
    with pytest.raises(FailedPreconditionError) as caught:
        admission(spec(time_in_force=time_in_force), market_status_at(instant))
    error = caught.value
    assert error.reason == "MARKET_CLOSED"
    assert error.message.startswith(f"{time_in_force.name} orders need continuous trading")
    assert f"it next opens at {opens_on:%Y-%m-%d} 10:00 Riyadh time" in error.message
    assert error.metadata["next_open"] == \
        datetime(opens_on.year, opens_on.month, opens_on.day, 7, 0, tzinfo=UTC).isoformat()


def test_the_refusal_names_the_session():
    with pytest.raises(FailedPreconditionError) as caught:
        admission(spec(time_in_force=IOC), market_status_at(riyadh(2025, 6, 5, 11, 0)))
    assert "the market is closed for a holiday" in caught.value.message
    assert caught.value.metadata["session"] == "HOLIDAY"


def test_a_day_order_expires_at_the_close_of_its_trading_day():
    assert close_of(date(2025, 10, 5)) == datetime(2025, 10, 5, 12, 0, tzinfo=UTC)
    assert close_of(date(2025, 10, 5)) == riyadh(2025, 10, 5, 15, 0)


@pytest.mark.parametrize("status", [OrderStatus.ACCEPTED, OrderStatus.NEW,
                                    OrderStatus.PARTIALLY_FILLED])
def test_open_orders_can_be_cancelled(status):
    check_cancelable(status)


@pytest.mark.parametrize("status", [OrderStatus.FILLED, OrderStatus.CANCELED,
                                    OrderStatus.EXPIRED, OrderStatus.REJECTED])
def test_closed_orders_cannot_be_cancelled(status):
    with pytest.raises(FailedPreconditionError) as caught:
        check_cancelable(status)
    assert caught.value.reason == "ORDER_NOT_CANCELABLE"
    assert caught.value.metadata == {"status": status.name}


# --- fill prices -------------------------------------------------------------------------

SLIP = D("0.0005")


@pytest.mark.parametrize(
    ("side", "last", "slippage", "expected"),
    [
        # 32.00 × 1.0005 = 32.016 → up to the 0.02 grid: 32.02.
        (BUY, "32.00", SLIP, "32.02"),
        # 32.00 × 0.9995 = 31.984 → down: 31.98.
        (SELL, "32.00", SLIP, "31.98"),
        (BUY, "32.00", D(0), "32.00"),
        (SELL, "32.00", D(0), "32.00"),
        # 49.98 × 1.0005 = 50.00499 → the 0.05 band, up: 50.05.
        (BUY, "49.98", SLIP, "50.05"),
        # 50.00 × 0.9995 = 49.975 → the 0.02 band, down: 49.96.
        (SELL, "50.00", SLIP, "49.96"),
        # 30.00 × 1.0005 = 30.015 → 30.02; × 0.9995 = 29.985 → 29.98.
        (BUY, "30.00", SLIP, "30.02"),
        (SELL, "30.00", SLIP, "29.98"),
    ],
)
def test_market_orders_fill_at_the_slipped_price_rounded_against_the_trader(side, last,
                                                                            slippage,
                                                                            expected):
    price = fill_price(spec(side=side), D(last), slippage_rate=slippage, market=Market.MAIN,
                       reference_price=D("32.00") if D(last) < 40 else D("50.00"))
    assert price == D(expected)


def test_market_fills_stay_within_the_day_limits():
    # Reference 32.00: limits 28.80 and 35.20. 35.20 × 1.01 = 35.552, 28.80 × 0.99 = 28.512.
    kwargs = {"slippage_rate": D("0.01"), "market": Market.MAIN, "reference_price": D("32.00")}
    assert fill_price(spec(side=BUY), D("35.20"), **kwargs) == D("35.20")
    assert fill_price(spec(side=SELL), D("28.80"), **kwargs) == D("28.80")


@pytest.mark.parametrize(
    ("side", "limit", "last", "marketable", "expected"),
    [
        (BUY, "32.10", "32.00", True, "32.00"),  # below the limit: the market's price
        (BUY, "32.10", "32.10", True, "32.10"),
        (BUY, "32.10", "32.12", False, None),
        (SELL, "31.90", "32.00", True, "32.00"),  # above the limit: the market's price
        (SELL, "31.90", "31.90", True, "31.90"),
        (SELL, "31.90", "31.88", False, None),
    ],
)
def test_limit_orders_fill_at_the_better_of_limit_and_market_without_slippage(
        side, limit, last, marketable, expected):
    order = spec(side=side, order_type=LIMIT, limit_price=limit)
    assert is_marketable(order, D(last)) is marketable
    price = fill_price(order, D(last), slippage_rate=SLIP, market=Market.MAIN,
                       reference_price=D("32.00"))
    assert price == (None if expected is None else D(expected))


def test_market_orders_are_always_marketable():
    assert is_marketable(spec(side=BUY), D("35.20"))
    assert is_marketable(spec(side=SELL), D("28.80"))


@pytest.mark.parametrize(("time_in_force", "outcome"),
                         [(DAY, OrderStatus.NEW), (GTC, OrderStatus.NEW),
                          (IOC, OrderStatus.EXPIRED), (FOK, OrderStatus.EXPIRED)])
def test_only_day_and_gtc_orders_keep_working_when_they_cannot_fill_at_once(time_in_force,
                                                                            outcome):
    order = spec(order_type=LIMIT, limit_price="30.00", time_in_force=time_in_force)
    assert unfilled_outcome(order) is outcome


# --- costs -------------------------------------------------------------------------------


def test_default_costs_are_the_documented_rates():
    assert Costs() == Costs(commission_rate=D("0.00155"), vat_rate=D("0.15"),
                            slippage_rate=D("0.0005"))


@pytest.mark.parametrize("field", ["commission_rate", "vat_rate", "slippage_rate"])
@pytest.mark.parametrize("value", ["-0.001", "1", "NaN", "Infinity"])
def test_cost_rates_must_be_fractions(field, value):
    with pytest.raises(ValueError, match=field):
        Costs(**{field: D(value)})


def test_buy_costs():
    # 100 × 32.02 = 3202.00; × 0.00155 = 4.9631 → 4.96; × 0.15 = 0.744 → 0.74.
    amounts = fill_costs(BUY, 100, D("32.02"), Costs())
    assert (amounts.gross, amounts.commission, amounts.vat, amounts.net) == \
        (D("3202.00"), D("4.96"), D("0.74"), D("-3207.70"))


def test_sell_costs():
    # 60 × 34.00 = 2040.00; × 0.00155 = 3.162 → 3.16; × 0.15 = 0.474 → 0.47.
    amounts = fill_costs(SELL, 60, D("34.00"), Costs())
    assert (amounts.gross, amounts.commission, amounts.vat, amounts.net) == \
        (D("2040.00"), D("3.16"), D("0.47"), D("2036.37"))


def test_costs_round_half_up_to_the_halala():
    # 10 × 30.00 = 300.00; × 0.00155 = 0.465 exactly → 0.47 (half-even would give 0.46);
    # 0.47 × 0.15 = 0.0705 → 0.07.
    amounts = fill_costs(BUY, 10, D("30.00"), Costs())
    assert (amounts.commission, amounts.vat, amounts.net) == (D("0.47"), D("0.07"),
                                                             D("-300.54"))
    # A commission of 0.30 (193.55 × 0.00155 = 0.3000025) has VAT 0.045 exactly → 0.05.
    assert fill_costs(BUY, 1, D("193.55"), Costs()).vat == D("0.05")


def test_zero_rates_cost_nothing():
    amounts = fill_costs(BUY, 3, D("10.00"), Costs(D(0), D(0), D(0)))
    assert (amounts.commission, amounts.vat, amounts.net) == (D("0.00"), D("0.00"),
                                                             D("-30.00"))


def test_required_cash_covers_the_fill_with_commission_and_vat():
    order = spec(order_type=LIMIT, limit_price="32.10", quantity=100)
    # 3210.00 + 4.9755 → 4.98 + 0.747 → 0.75 = 3215.73.
    assert required_cash(order, D("32.10"), Costs()) == D("3215.73")
    # Filling below the limit costs less than was reserved.
    assert -fill_costs(BUY, 100, D("32.00"), Costs()).net < D("3215.73")


# --- account -----------------------------------------------------------------------------


def test_a_buy_sell_sequence_updates_the_position_and_realises_pnl():
    costs = Costs()
    cash = D("100000.00")
    realized = D("0.00")
    holding: Holding | None = None
    for side, quantity, price in [(BUY, 100, "32.02"), (BUY, 50, "33.00")]:
        amounts = fill_costs(side, quantity, D(price), costs)
        cash += amounts.net
        update = apply_fill(holding, "2222", amounts)
        holding = update.holding
        assert update.realized_pnl == 0
    # 3207.70 + (1650.00 + 2.5575 → 2.56 + 0.384 → 0.38 = 1652.94) = 4860.64.
    assert holding == Holding("2222", 150, D("4860.64"))
    assert holding.average_cost == D("32.4043")  # 4860.64 / 150 = 32.404266…

    # 4860.64 × 60 / 150 = 1944.256 → 1944.26; net proceeds 2036.37 (test_sell_costs).
    amounts = fill_costs(SELL, 60, D("34.00"), costs)
    cash += amounts.net
    update = apply_fill(holding, "2222", amounts)
    assert update == PositionUpdate(Holding("2222", 90, D("2916.38")), D("92.11"))
    realized += update.realized_pnl

    # Selling the rest takes all the remaining basis: 2790.00 − (4.3245 → 4.32)
    # − (0.648 → 0.65) = 2785.03, less 2916.38 = −131.35.
    amounts = fill_costs(SELL, 90, D("31.00"), costs)
    cash += amounts.net
    update = apply_fill(update.holding, "2222", amounts)
    assert update.holding is None
    assert update.realized_pnl == D("-131.35")
    realized += update.realized_pnl

    # Flat again: the cash moved by exactly the realised P&L.
    assert cash == D("99960.76") == D("100000.00") + realized


def test_selling_more_than_held_at_fill_time_is_refused():
    with pytest.raises(FailedPreconditionError) as caught:
        apply_fill(Holding("2222", 5, D("160.00")), "2222",
                   fill_costs(SELL, 6, D("32.00"), Costs()))
    assert caught.value.reason == "INSUFFICIENT_SHARES"
    with pytest.raises(FailedPreconditionError):
        apply_fill(None, "2222", fill_costs(SELL, 1, D("32.00"), Costs()))


def test_position_valuation():
    # 150 × 33.50 = 5025.00; − 4860.64 = 164.36; / 4860.64 × 100 = 3.3814… → 3.38.
    valuation = value_position(Holding("2222", 150, D("4860.64")), D("33.50"))
    assert (valuation.market_value, valuation.unrealized_pnl,
            valuation.unrealized_pnl_percent) == (D("5025.00"), D("164.36"), D("3.38"))


def test_account_values():
    # Cash after the two buys above: 100000.00 − 3207.70 − 1652.94 = 95139.36.
    holdings = [Holding("2222", 150, D("4860.64")), Holding("1120", 10, D("900.00"))]
    prices = {"2222": D("33.50"), "1120": D("88.00"), "7010": D("40.00")}
    values = account_values(D("95139.36"), D("1000.00"), holdings, prices)
    # Positions: 5025.00 + 880.00 = 5905.00; unrealised 164.36 − 20.00 = 144.36.
    assert values.cash == D("95139.36")
    assert values.buying_power == D("94139.36")
    assert values.positions_value == D("5905.00")
    assert values.equity == D("101044.36")
    assert values.unrealized_pnl == D("144.36")


def test_a_holding_whose_symbol_has_no_price_is_valued_at_what_it_cost():
    # 1120's prices were withdrawn: its 10 shares count at their 900.00 cost, no P&L.
    holdings = [Holding("2222", 150, D("4860.64")), Holding("1120", 10, D("900.00"))]
    values = account_values(D("95139.36"), D("1000.00"), holdings, {"2222": D("33.50")})
    assert values.positions_value == D("5925.00")
    assert values.unrealized_pnl == D("164.36")
    unpriced = value_position(Holding("1120", 3, D("100.00")), None)
    assert (unpriced.market_price, unpriced.market_value, unpriced.unrealized_pnl,
            unpriced.unrealized_pnl_percent) == (D("33.3333"), D("100.00"), D("0.00"),
                                                 D("0.00"))


def test_an_empty_account_is_all_cash():
    values = account_values(D("100000.00"), D("0.00"), [], {})
    assert (values.buying_power, values.positions_value, values.equity,
            values.unrealized_pnl) == (D("100000.00"), D("0.00"), D("100000.00"), D("0.00"))


def test_buying_beyond_buying_power_is_insufficient_cash():
    check_buying_power(D("3215.73"), D("3215.73"))
    with pytest.raises(FailedPreconditionError) as caught:
        check_buying_power(D("3215.74"), D("3215.73"))
    assert caught.value.reason == "INSUFFICIENT_CASH"
    assert caught.value.metadata == {"required": "3215.74", "buying_power": "3215.73"}


def test_no_short_selling_counting_shares_in_open_sell_orders():
    check_shares_available(60, held=100, reserved_by_open_sells=40)
    with pytest.raises(FailedPreconditionError) as caught:
        check_shares_available(61, held=100, reserved_by_open_sells=40)
    assert caught.value.reason == "INSUFFICIENT_SHARES"
    assert caught.value.metadata == {"quantity": "61", "available": "60"}
    with pytest.raises(FailedPreconditionError):
        check_shares_available(1, held=0, reserved_by_open_sells=0)
