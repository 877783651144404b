"""A paper-trading account's arithmetic: positions, P&L, buying power, and the checks
that forbid short selling and spending beyond cash. Pure: no I/O.

Cash is the ledger sum, kept by the storage layer. A position's cost basis is what its
shares cost, buy commission and VAT included, so its unrealised P&L is what selling at
the market price would gain before the sell's own costs. Selling part of a position
takes the sold fraction of the cost basis (to the halala, half up; selling the rest
takes all that is left, so nothing is lost to rounding), and the realised P&L is the
sale's net proceeds less that share of the basis.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from server.domain.errors import FailedPreconditionError
from server.domain.orders import HALALA, FillAmounts, OrderSide

INSUFFICIENT_CASH = "INSUFFICIENT_CASH"
INSUFFICIENT_SHARES = "INSUFFICIENT_SHARES"

# Per-share and percentage figures are quotients, shown to these places.
AVERAGE_COST_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Holding:
    """Shares of one symbol held, and what they cost (commission and VAT included)."""

    symbol: str
    quantity: int  # at least 1: a closed position is no holding
    cost_basis: Decimal

    @property
    def average_cost(self) -> Decimal:
        return (self.cost_basis / self.quantity).quantize(AVERAGE_COST_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class PositionUpdate:
    holding: Holding | None  # None once every share is sold
    realized_pnl: Decimal  # zero for buys


@dataclass(frozen=True)
class PositionValuation:
    market_price: Decimal
    market_value: Decimal
    unrealized_pnl: Decimal
    unrealized_pnl_percent: Decimal  # of the cost basis


@dataclass(frozen=True)
class AccountValues:
    cash: Decimal
    buying_power: Decimal
    positions_value: Decimal
    equity: Decimal
    unrealized_pnl: Decimal


def check_buying_power(required: Decimal, buying_power: Decimal) -> None:
    if required > buying_power:
        raise FailedPreconditionError(
            f"the order needs {required} SAR (commission and VAT included) and the buying "
            f"power is {buying_power} SAR",
            reason=INSUFFICIENT_CASH,
            metadata={"required": str(required), "buying_power": str(buying_power)})


def check_shares_available(quantity: int, held: int, reserved_by_open_sells: int) -> None:
    """No short selling: a sell may use only shares no open sell order has claimed."""
    available = held - reserved_by_open_sells
    if quantity > available:
        raise FailedPreconditionError(
            f"selling {quantity} shares needs that many held; {held} are held and "
            f"{reserved_by_open_sells} of them are already in open sell orders",
            reason=INSUFFICIENT_SHARES,
            metadata={"quantity": str(quantity), "available": str(available)})


def apply_fill(holding: Holding | None, symbol: str, fill: FillAmounts) -> PositionUpdate:
    """The position after `fill`; `holding` is None when no shares of `symbol` are held."""
    held = holding.quantity if holding is not None else 0
    basis = holding.cost_basis if holding is not None else Decimal("0.00")
    if fill.side is OrderSide.BUY:
        # A buy's net is minus what it cost, commission and VAT included.
        return PositionUpdate(Holding(symbol, held + fill.quantity, basis - fill.net),
                              realized_pnl=Decimal("0.00"))
    check_shares_available(fill.quantity, held, reserved_by_open_sells=0)
    remaining = held - fill.quantity
    sold_basis = basis if remaining == 0 else \
        (basis * fill.quantity / held).quantize(HALALA, ROUND_HALF_UP)
    return PositionUpdate(
        Holding(symbol, remaining, basis - sold_basis) if remaining else None,
        realized_pnl=fill.net - sold_basis)


def value_position(holding: Holding, market_price: Decimal | None) -> PositionValuation:
    """The holding at `market_price`; at what it cost when there is none (the symbol's
    prices were withdrawn), so the account stays readable and claims no unrealised P&L."""
    if market_price is None:
        return PositionValuation(
            market_price=holding.average_cost, market_value=holding.cost_basis,
            unrealized_pnl=Decimal("0.00"),
            unrealized_pnl_percent=Decimal(0).quantize(PERCENT_PLACES))
    market_value = holding.quantity * market_price
    pnl = market_value - holding.cost_basis
    return PositionValuation(
        market_price=market_price, market_value=market_value, unrealized_pnl=pnl,
        unrealized_pnl_percent=(pnl / holding.cost_basis * 100).quantize(PERCENT_PLACES,
                                                                         ROUND_HALF_UP))


def account_values(cash: Decimal, reserved_for_buys: Decimal, holdings: Iterable[Holding],
                   latest_prices: Mapping[str, Decimal]) -> AccountValues:
    """The account at the latest prices (a holding without one at what it cost)."""
    valuations = [value_position(holding, latest_prices.get(holding.symbol))
                  for holding in holdings]
    positions_value = sum((v.market_value for v in valuations), Decimal("0.00"))
    return AccountValues(
        cash=cash,
        buying_power=cash - reserved_for_buys,
        positions_value=positions_value,
        equity=cash + positions_value,
        unrealized_pnl=sum((v.unrealized_pnl for v in valuations), Decimal("0.00")))
