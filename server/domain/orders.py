"""Paper-trading orders under Tadawul rules: validation, sessions, fill prices and costs.

Pure: no I/O, no gRPC, no protobuf. The service converts messages to these types and
these errors to statuses; the account side (cash, positions) is in `trading_account`.

Enums carry the contract's numbers (trading.proto), so the service converts with
`OrderSide(number)`. The contract's UNSPECIFIED (0) is not a member: an order always
has a side and a type, and an unset time in force means DAY. `OrderRequest` keeps the
numbers as they arrived, so that an unset or unknown one is reported by
`validate_order` together with the request's other mistakes.

Sessions. Orders work only during continuous trading (10:00-15:00 Riyadh). Outside it
DAY and GTC orders are ACCEPTED and wait for the next open; IOC and FOK orders need an
immediate execution, which cannot happen then, so they are refused (MARKET_CLOSED).
An order's trading day is the day it works on: today during continuous trading,
otherwise the day of the next open (so a DAY order placed in the pre-open of a trading
day works that same day). A DAY order expires at its trading day's close (15:00).

Fill prices. A market order fills at the last trade price moved against the trader by
the slippage rate, rounded to the tick grid against the trader (a buy up, a sell down)
and kept within the day's price limits. A limit order fills once the last price reaches
it (buy: last <= limit; sell: last >= limit), at the better of the two for the trader,
without slippage: the limit is the worst price the trader agreed to, and a price that
has come through the limit is the market's. The simulator has no order book depth, so a
fill is always for the whole quantity (lot size 1): IOC and FOK both fill completely at
once or expire, and PARTIALLY_FILLED never occurs.

Costs. Commission = gross value × commission rate, then VAT = commission × VAT rate,
each rounded half up to the halala (0.01 SAR), because each is a ledger amount. The
default commission, 0.155% of the traded value, is the usual all-in rate of Saudi
brokers (the exchange's and the CMA's fees included) and the most the exchange allows;
VAT is 15% of the commission. No minimum commission is charged.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import TypeVar

from server.domain.calendar import RIYADH
from server.domain.errors import FailedPreconditionError, FieldViolation, InvalidArgumentError
from server.domain.securities import Market
from server.domain.ticks import (
    PriceLimits,
    RoundingDirection,
    is_on_tick_grid,
    price_limits,
    round_to_tick,
    within_limits,
)
from server.domain.trading_calendar import CLOSE_TIME, MarketSession, MarketStatus

HALALA = Decimal("0.01")


class OrderSide(Enum):
    BUY = 1
    SELL = 2  # of shares held: no short selling


class OrderType(Enum):
    MARKET = 1
    LIMIT = 2


class TimeInForce(Enum):
    DAY = 1
    GTC = 2
    IOC = 3
    FOK = 4


class OrderStatus(Enum):
    ACCEPTED = 1
    NEW = 2
    PARTIALLY_FILLED = 3
    FILLED = 4
    CANCELED = 5
    EXPIRED = 6
    REJECTED = 7


OPEN_STATUSES = frozenset({OrderStatus.ACCEPTED, OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED})
IMMEDIATE_TIME_IN_FORCE = frozenset({TimeInForce.IOC, TimeInForce.FOK})

# Machine reasons (ErrorInfo.reason, Order.status_reason).
INVALID_ORDER = "INVALID_ORDER"  # several fields wrong for different reasons
INVALID_SIDE = "INVALID_SIDE"
INVALID_ORDER_TYPE = "INVALID_ORDER_TYPE"
INVALID_TIME_IN_FORCE = "INVALID_TIME_IN_FORCE"
INVALID_QUANTITY = "INVALID_QUANTITY"
LIMIT_PRICE_REQUIRED = "LIMIT_PRICE_REQUIRED"
LIMIT_PRICE_NOT_ALLOWED = "LIMIT_PRICE_NOT_ALLOWED"
INVALID_PRICE = "INVALID_PRICE"
PRICE_OFF_TICK_GRID = "PRICE_OFF_TICK_GRID"
PRICE_OUTSIDE_LIMITS = "PRICE_OUTSIDE_LIMITS"
MARKET_CLOSED = "MARKET_CLOSED"
ORDER_NOT_CANCELABLE = "ORDER_NOT_CANCELABLE"
DAY_ORDER_EXPIRED = "DAY_ORDER_EXPIRED"
NOT_IMMEDIATELY_FILLABLE = "NOT_IMMEDIATELY_FILLABLE"


@dataclass(frozen=True)
class OrderRequest:
    """An order as the client sent it; enum fields hold the contract's numbers."""

    symbol: str
    side: int
    type: int
    time_in_force: int  # 0 (unset) means DAY
    quantity: int
    limit_price: Decimal | None


@dataclass(frozen=True)
class OrderSpec:
    """A validated order: what `validate_order` returns and the other rules take."""

    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce
    quantity: int
    limit_price: Decimal | None  # set exactly for limit orders


@dataclass(frozen=True)
class Costs:
    """Trading cost rates, as fractions: commission of the traded value, VAT of the
    commission, slippage of the last price (market orders only)."""

    commission_rate: Decimal = Decimal("0.00155")
    vat_rate: Decimal = Decimal("0.15")
    slippage_rate: Decimal = Decimal("0.0005")

    def __post_init__(self) -> None:
        for name in ("commission_rate", "vat_rate", "slippage_rate"):
            value: Decimal = getattr(self, name)
            # A rate of 1 or more would cost at least the whole traded value: a typo.
            if not value.is_finite() or not 0 <= value < 1:
                raise ValueError(f"{name} must be at least 0 and less than 1, got {value}")


# --- validation ----------------------------------------------------------------------


_E = TypeVar("_E", bound=Enum)


def _enum_member(enum_type: type[_E], number: int) -> _E | None:
    try:
        return enum_type(number)
    except ValueError:
        return None


def _limit_price_problem(price: Decimal, limits: PriceLimits) -> tuple[str, str] | None:
    """(reason, description) of what is wrong with a limit price, or None."""
    if not price.is_finite() or price <= 0:
        return INVALID_PRICE, "must be a positive amount"
    # Outside the limits comes first: moving such a price onto the grid would not help.
    if not within_limits(price, limits):
        return (PRICE_OUTSIDE_LIMITS,
                f"must be within today's price limits {limits.lower} to {limits.upper}")
    if not is_on_tick_grid(price):
        below = round_to_tick(price, RoundingDirection.DOWN)
        above = round_to_tick(price, RoundingDirection.UP)
        return (PRICE_OFF_TICK_GRID,
                f"must be on the tick grid; the nearest prices are {below} and {above}")
    return None


def validate_order(request: OrderRequest, *, reference_price: Decimal,
                   market: Market) -> OrderSpec:
    """The order, checked against the contract and today's price limits.

    Raises InvalidArgumentError listing every bad field (named as in the proto). Its
    reason is the violations' common reason, or INVALID_ORDER when they differ; its
    metadata maps each bad field to its own reason.
    """
    problems: list[tuple[FieldViolation, str]] = []

    def add(field: str, description: str, reason: str) -> None:
        problems.append((FieldViolation(field, description), reason))

    side = _enum_member(OrderSide, request.side)
    if side is None:
        add("side", "must be BUY or SELL", INVALID_SIDE)
    order_type = _enum_member(OrderType, request.type)
    if order_type is None:
        add("type", "must be MARKET or LIMIT", INVALID_ORDER_TYPE)
    time_in_force = (TimeInForce.DAY if request.time_in_force == 0
                     else _enum_member(TimeInForce, request.time_in_force))
    if time_in_force is None:
        add("time_in_force", "must be DAY, GTC, IOC or FOK", INVALID_TIME_IN_FORCE)
    if request.quantity < 1:
        add("quantity", "must be at least 1 share", INVALID_QUANTITY)
    if order_type is OrderType.LIMIT and request.limit_price is None:
        add("limit_price", "is required for a limit order", LIMIT_PRICE_REQUIRED)
    elif order_type is OrderType.MARKET and request.limit_price is not None:
        add("limit_price", "must be unset for a market order", LIMIT_PRICE_NOT_ALLOWED)
    elif order_type is OrderType.LIMIT and request.limit_price is not None:
        problem = _limit_price_problem(request.limit_price,
                                       price_limits(reference_price, market))
        if problem is not None:
            add("limit_price", problem[1], problem[0])

    if problems:
        reasons = {reason for _, reason in problems}
        error = InvalidArgumentError([violation for violation, _ in problems],
                                     reason=reasons.pop() if len(reasons) == 1
                                     else INVALID_ORDER)
        error.metadata.update({violation.field: reason for violation, reason in problems})
        raise error
    # No problems means none of these is None; the assert tells the type checker.
    assert side is not None and order_type is not None and time_in_force is not None
    return OrderSpec(symbol=request.symbol, side=side, type=order_type,
                     time_in_force=time_in_force, quantity=request.quantity,
                     limit_price=request.limit_price)


# --- sessions ------------------------------------------------------------------------


# How the refusal of an IOC or FOK order describes the market outside continuous trading.
_SESSION_WORDS: dict[MarketSession, str] = {
    MarketSession.PRE_OPEN: "in its pre-open auction",
    MarketSession.CLOSING_AUCTION: "in its closing auction",
    MarketSession.TRADE_AT_LAST: "in its trade-at-last session",
    MarketSession.CLOSED: "closed",
    MarketSession.HOLIDAY: "closed for a holiday",
}


@dataclass(frozen=True)
class Admission:
    status: OrderStatus  # NEW (works now) or ACCEPTED (waits for the next open)
    trading_day: date  # Riyadh date the order works on
    expires_at: datetime | None  # UTC; DAY orders only: the close of trading_day


def close_of(trading_day: date) -> datetime:
    """The continuous session's close (15:00 Riyadh) on `trading_day`, in UTC."""
    return datetime.combine(trading_day, CLOSE_TIME, tzinfo=RIYADH).astimezone(UTC)


def admission(order: OrderSpec, status: MarketStatus) -> Admission:
    """How an order placed now enters the market; raises FailedPreconditionError
    (MARKET_CLOSED) for IOC and FOK orders outside continuous trading."""
    if status.session is MarketSession.CONTINUOUS:
        order_status, day = OrderStatus.NEW, status.trading_day
    elif order.time_in_force in IMMEDIATE_TIME_IN_FORCE:
        opens = status.next_open.astimezone(RIYADH)
        raise FailedPreconditionError(
            f"{order.time_in_force.name} orders need continuous trading, and the market "
            f"is {_SESSION_WORDS[status.session]}; it next opens at "
            f"{opens:%Y-%m-%d %H:%M} Riyadh time. Use a DAY or GTC order to wait for it.",
            reason=MARKET_CLOSED,
            metadata={"session": status.session.name, "next_open": status.next_open.isoformat()})
    else:
        order_status, day = OrderStatus.ACCEPTED, status.next_open.astimezone(RIYADH).date()
    expires_at = close_of(day) if order.time_in_force is TimeInForce.DAY else None
    return Admission(status=order_status, trading_day=day, expires_at=expires_at)


def check_cancelable(status: OrderStatus) -> None:
    if status not in OPEN_STATUSES:
        raise FailedPreconditionError(
            f"only open orders can be cancelled; this one is {status.name}",
            reason=ORDER_NOT_CANCELABLE, metadata={"status": status.name})


# --- execution -----------------------------------------------------------------------


def is_marketable(order: OrderSpec, last_price: Decimal) -> bool:
    """Whether the order can fill at `last_price`: always for market orders."""
    if order.limit_price is None:
        return True
    if order.side is OrderSide.BUY:
        return last_price <= order.limit_price
    return last_price >= order.limit_price


def fill_price(order: OrderSpec, last_price: Decimal, *, slippage_rate: Decimal,
               market: Market, reference_price: Decimal) -> Decimal | None:
    """The price the order fills at now, or None for a limit order the price has not
    reached. See the module docstring for the rules."""
    buy = order.side is OrderSide.BUY
    against_trader = RoundingDirection.UP if buy else RoundingDirection.DOWN
    if order.limit_price is None:
        limits = price_limits(reference_price, market)
        slipped = last_price * (1 + slippage_rate if buy else 1 - slippage_rate)
        # Clamped before rounding: the limits are on the grid, so rounding a price
        # between them toward the trader's side cannot leave them.
        clamped = min(max(slipped, limits.lower), limits.upper)
        return round_to_tick(clamped, against_trader)
    if not is_marketable(order, last_price):
        return None
    # Live prices are on the grid already; rounding keeps a fill on it for any feed.
    market_price = round_to_tick(last_price, against_trader)
    return min(order.limit_price, market_price) if buy else max(order.limit_price, market_price)


def unfilled_outcome(order: OrderSpec) -> OrderStatus:
    """What an order that cannot fill on arrival becomes: IOC and FOK expire (there is
    no depth to fill part of them), DAY and GTC keep working."""
    return OrderStatus.EXPIRED if order.time_in_force in IMMEDIATE_TIME_IN_FORCE \
        else OrderStatus.NEW


# --- costs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FillAmounts:
    side: OrderSide
    quantity: int
    price: Decimal
    gross: Decimal  # quantity × price
    commission: Decimal
    vat: Decimal
    net: Decimal  # the cash movement: negative for a buy


def _to_halala(amount: Decimal) -> Decimal:
    return amount.quantize(HALALA, rounding=ROUND_HALF_UP)


def fill_costs(side: OrderSide, quantity: int, price: Decimal, costs: Costs) -> FillAmounts:
    gross = quantity * price
    commission = _to_halala(gross * costs.commission_rate)
    vat = _to_halala(commission * costs.vat_rate)
    net = -(gross + commission + vat) if side is OrderSide.BUY else gross - commission - vat
    return FillAmounts(side=side, quantity=quantity, price=price, gross=gross,
                       commission=commission, vat=vat, net=net)


def required_cash(order: OrderSpec, price: Decimal, costs: Costs) -> Decimal:
    """The cash a buy order reserves: its cost at `price`, commission and VAT included.

    `price` is the limit price for a limit order (the worst it can fill at, and cost
    rises with price, so the reservation always covers the fill) and the `fill_price`
    for a market order.
    """
    return -fill_costs(OrderSide.BUY, order.quantity, price, costs).net
