"""TradingService over gRPC against the real 2222 and 1120 history: accounts, market and
limit orders under Tadawul's tick grid, price limits and sessions, exact money (checked
against sums worked out here from first principles), the ledger invariant, idempotency,
concurrency, reset, listing and the update stream.

The broker's clock is replaced per test (continuous trading is 10:00-15:00 Riyadh,
Sunday to Thursday) and the live price is set with `broker.set_quote`; the reference
price for the daily limits is the last daily close (2025-12-02).
"""

import itertools
import queue
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import grpc
import pytest
from google.type import decimal_pb2

from financehub.v1 import quotes_pb2, trading_pb2, trading_pb2_grpc
from server.domain.access import Role
from server.storage.backends import Backends
from server.storage.quotes import QuoteBook
from tests.support.hand_money import halala, limits_of, tick_of, to_grid
from tests.support.identity import (
    Account,
    bearer,
    create_account,
    error_info,
    fetch_all,
    login,
    violated_fields,
)
from tests.support.services import RunningServer

Metadata = tuple[tuple[str, str], ...]

# The documented defaults (Settings), restated here rather than imported.
STARTING_CASH = Decimal("100000")
COMMISSION_RATE = Decimal("0.00155")
VAT_RATE = Decimal("0.15")
SLIPPAGE_RATE = Decimal("0.0005")

# Wednesday 3 December 2025, the trading day after the last daily bar (2 December).
IN_SESSION = datetime(2025, 12, 3, 8, 0, tzinfo=UTC)  # 11:00 Riyadh
PRE_OPEN = datetime(2025, 12, 3, 6, 30, tzinfo=UTC)  # 09:30 Riyadh
AFTER_CLOSE = datetime(2025, 12, 3, 18, 0, tzinfo=UTC)  # 21:00 Riyadh
NEXT_DAY_SESSION = datetime(2025, 12, 4, 7, 30, tzinfo=UTC)  # Thursday 10:30 Riyadh
FRIDAY = datetime(2025, 12, 5, 10, 0, tzinfo=UTC)  # weekend
SATURDAY = datetime(2025, 12, 6, 10, 0, tzinfo=UTC)
SUNDAY_SESSION = datetime(2025, 12, 7, 7, 30, tzinfo=UTC)  # Sunday 10:30 Riyadh
SUNDAY_AFTER_CLOSE = datetime(2025, 12, 7, 12, 0, 1, tzinfo=UTC)  # 15:00:01 Riyadh

BUY, SELL = trading_pb2.ORDER_SIDE_BUY, trading_pb2.ORDER_SIDE_SELL
MARKET, LIMIT = trading_pb2.ORDER_TYPE_MARKET, trading_pb2.ORDER_TYPE_LIMIT
DAY, GTC = trading_pb2.TIME_IN_FORCE_DAY, trading_pb2.TIME_IN_FORCE_GTC
IOC, FOK = trading_pb2.TIME_IN_FORCE_IOC, trading_pb2.TIME_IN_FORCE_FOK
ACCEPTED, NEW = trading_pb2.ORDER_STATUS_ACCEPTED, trading_pb2.ORDER_STATUS_NEW
FILLED, CANCELED = trading_pb2.ORDER_STATUS_FILLED, trading_pb2.ORDER_STATUS_CANCELED
EXPIRED = trading_pb2.ORDER_STATUS_EXPIRED


# --- money, worked out by hand -----------------------------------------------------------------


def market_fill_price(last: Decimal, side: int, reference: Decimal) -> Decimal:
    lower, upper = limits_of(reference)
    slipped = last * (1 + SLIPPAGE_RATE) if side == BUY else last * (1 - SLIPPAGE_RATE)
    return to_grid(min(max(slipped, lower), upper), up=side == BUY)


@dataclass(frozen=True)
class Money:
    price: Decimal
    quantity: int
    gross: Decimal
    commission: Decimal
    vat: Decimal
    net: Decimal  # the cash movement


def costs(side: int, quantity: int, price: Decimal) -> Money:
    gross = quantity * price
    commission = halala(gross * COMMISSION_RATE)
    vat = halala(commission * VAT_RATE)
    net = -(gross + commission + vat) if side == BUY else gross - commission - vat
    return Money(price, quantity, gross, commission, vat, net)


def dec(value: decimal_pb2.Decimal) -> Decimal:
    assert isinstance(value.value, str) and value.value, f"not a decimal string: {value!r}"
    assert "e" not in value.value.lower(), f"exponent notation on the wire: {value.value}"
    return Decimal(value.value)


def wire(amount: Decimal | str) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=str(amount))


# --- fixtures and calls ------------------------------------------------------------------------


@dataclass(frozen=True)
class Trader:
    account: Account
    metadata: Metadata

    @property
    def user_id(self) -> str:
        return self.account.user_id


def new_trader(server: RunningServer, channel: grpc.Channel) -> Trader:
    account = create_account(server, Role.USER)
    return Trader(account, bearer(login(channel, account).tokens.access_token))


@pytest.fixture
def trader(server: RunningServer, channel: grpc.Channel) -> Trader:
    return new_trader(server, channel)


@pytest.fixture
def database_url(seeded: Backends) -> str:
    return seeded.database_url


@pytest.fixture
def set_clock(server: RunningServer, monkeypatch: pytest.MonkeyPatch
              ) -> Callable[[datetime], None]:
    """Puts the broker's clock at a moment (restored after the test); starts in session.

    The clock then runs on by a millisecond per reading, as a real one would, so that
    orders placed one after the other are not simultaneous."""
    def move(moment: datetime) -> None:
        readings = itertools.count()

        def clock() -> datetime:
            return moment + timedelta(milliseconds=next(readings))

        monkeypatch.setattr(server.app.broker, "clock", clock)
    move(IN_SESSION)
    return move


def set_quote(server: RunningServer, symbol: str, price: Decimal | str) -> None:
    server.loop.run(server.app.broker.set_quote(symbol, Decimal(price)))


def match(server: RunningServer) -> None:
    server.loop.run(server.app.broker.match_open_orders())


def stub(channel: grpc.Channel) -> trading_pb2_grpc.TradingServiceStub:
    return trading_pb2_grpc.TradingServiceStub(channel)


def get_account(channel: grpc.Channel, trader: Trader) -> trading_pb2.Account:
    return stub(channel).GetAccount(trading_pb2.GetAccountRequest(), metadata=trader.metadata,
                                    timeout=10).account


def place(channel: grpc.Channel, trader: Trader, symbol: str = "2222", side: int = BUY,
          type_: int = MARKET, quantity: int = 100, limit_price: Decimal | str | None = None,
          time_in_force: int = DAY, client_order_id: str = "") -> trading_pb2.Order:
    return stub(channel).PlaceOrder(
        order_request(symbol, side, type_, quantity, limit_price, time_in_force,
                      client_order_id), metadata=trader.metadata, timeout=30).order


def order_request(symbol: str = "2222", side: int = BUY, type_: int = MARKET,
                  quantity: int = 100, limit_price: Decimal | str | None = None,
                  time_in_force: int = DAY, client_order_id: str = ""
                  ) -> trading_pb2.PlaceOrderRequest:
    request = trading_pb2.PlaceOrderRequest(
        client_order_id=client_order_id, symbol=symbol, side=side, type=type_,
        time_in_force=time_in_force, quantity=quantity)
    if limit_price is not None:
        request.limit_price.CopyFrom(wire(limit_price))
    return request


def get_order(channel: grpc.Channel, trader: Trader, order_id: str = "",
              client_order_id: str = "") -> trading_pb2.Order:
    return stub(channel).GetOrder(
        trading_pb2.GetOrderRequest(order_id=order_id, client_order_id=client_order_id),
        metadata=trader.metadata, timeout=10).order


def cancel(channel: grpc.Channel, trader: Trader, order_id: str) -> trading_pb2.Order:
    return stub(channel).CancelOrder(trading_pb2.CancelOrderRequest(order_id=order_id),
                                     metadata=trader.metadata, timeout=10).order


def list_orders(channel: grpc.Channel, trader: Trader, **fields: Any
                ) -> trading_pb2.ListOrdersResponse:
    return stub(channel).ListOrders(trading_pb2.ListOrdersRequest(**fields),
                                    metadata=trader.metadata, timeout=10)


def all_orders(channel: grpc.Channel, trader: Trader, **fields: Any) -> list[trading_pb2.Order]:
    orders: list[trading_pb2.Order] = []
    token = ""
    while True:
        page = list_orders(channel, trader, page_size=500, page_token=token, **fields)
        orders += page.orders
        token = page.next_page_token
        if not token:
            return orders


def positions(channel: grpc.Channel, trader: Trader) -> dict[str, trading_pb2.Position]:
    listed = stub(channel).ListPositions(trading_pb2.ListPositionsRequest(),
                                         metadata=trader.metadata, timeout=10).positions
    return {position.symbol: position for position in listed}


def fills(channel: grpc.Channel, trader: Trader, **fields: Any) -> list[trading_pb2.Fill]:
    return list(stub(channel).ListFills(trading_pb2.ListFillsRequest(page_size=500, **fields),
                                        metadata=trader.metadata, timeout=10).fills)


def refused(call: Callable[[], Any], code: grpc.StatusCode, reason: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    error = caught.value
    assert error.code() is code, f"{error.code()} {error.details()}"
    assert error_info(error).reason == reason, error.details()
    return error


def reference_price(database_url: str, symbol: str) -> Decimal:
    """The previous close: the symbol's last daily close."""
    rows = fetch_all(database_url, "SELECT close FROM daily_bars WHERE symbol = %s "
                                   "ORDER BY trade_date DESC LIMIT 1", (symbol,))
    return Decimal(str(rows[0]["close"]))


# --- the tables, read directly -----------------------------------------------------------------


def account_row(database_url: str, trader: Trader) -> dict[str, Any]:
    rows = fetch_all(database_url, "SELECT * FROM trading_accounts WHERE user_id = %s",
                     (trader.user_id,))
    assert len(rows) == 1, rows
    return rows[0]


def order_count(database_url: str, trader: Trader) -> int:
    rows = fetch_all(database_url,
                     "SELECT count(*) AS n FROM orders o JOIN trading_accounts a "
                     "ON a.id = o.account_id WHERE a.user_id = %s", (trader.user_id,))
    return int(rows[0]["n"])


def assert_ledger_invariant(database_url: str) -> None:
    """For every account, cash is the sum of its ledger; no account owes money."""
    rows = fetch_all(database_url, """
        SELECT a.id, a.cash,
               COALESCE((SELECT sum(l.amount) FROM ledger_entries l
                         WHERE l.account_id = a.id), 0) AS ledger
        FROM trading_accounts a""")
    assert rows, "no trading accounts at all"
    broken = [row for row in rows if Decimal(row["cash"]) != Decimal(row["ledger"])]
    assert not broken, broken
    assert all(Decimal(row["cash"]) >= 0 for row in rows)
    # Each fill moved cash exactly once, by its net amount.
    unbooked = fetch_all(database_url, """
        SELECT f.id, f.net, count(l.id) AS entries, sum(l.amount) AS booked
        FROM fills f LEFT JOIN ledger_entries l ON l.fill_id = f.id
        GROUP BY f.id, f.net HAVING count(l.id) <> 1 OR sum(l.amount) <> f.net""")
    assert not unbooked, unbooked
    # What the account holds back is what its open orders hold back; closed orders hold
    # nothing back, and open sells claim exactly their unfilled shares.
    reservations = fetch_all(database_url, """
        SELECT a.id, a.reserved_cash,
               COALESCE((SELECT sum(o.reserved_cash) FROM orders o WHERE o.account_id = a.id
                         AND o.status IN ('ACCEPTED', 'NEW', 'PARTIALLY_FILLED')), 0) AS open
        FROM trading_accounts a""")
    wrong = [row for row in reservations if Decimal(row["reserved_cash"]) != Decimal(row["open"])]
    assert not wrong, wrong
    assert not fetch_all(database_url, """
        SELECT id, status, reserved_cash FROM orders
        WHERE status NOT IN ('ACCEPTED', 'NEW', 'PARTIALLY_FILLED') AND reserved_cash <> 0""")
    claimed = fetch_all(database_url, """
        SELECT p.account_id, p.symbol, p.reserved_quantity,
               COALESCE((SELECT sum(o.quantity - o.filled_quantity) FROM orders o
                         WHERE o.account_id = p.account_id AND o.symbol = p.symbol
                         AND o.side = 'SELL'
                         AND o.status IN ('ACCEPTED', 'NEW', 'PARTIALLY_FILLED')), 0) AS open
        FROM positions p""")
    wrong = [row for row in claimed if row["reserved_quantity"] != row["open"]]
    assert not wrong, wrong


# --- 1. the account ----------------------------------------------------------------------------


def test_the_first_get_account_opens_one_with_the_starting_cash(
        channel: grpc.Channel, trader: Trader, database_url: str) -> None:
    account = get_account(channel, trader)

    assert account.account_id and account.currency == "SAR"
    for field in ("cash", "buying_power", "equity", "starting_cash"):
        assert dec(getattr(account, field)) == STARTING_CASH, field
    for field in ("positions_value", "realized_pnl", "unrealized_pnl"):
        assert dec(getattr(account, field)) == 0, field
    assert account.HasField("created_at")
    assert get_account(channel, trader).account_id == account.account_id
    assert Decimal(account_row(database_url, trader)["cash"]) == STARTING_CASH
    assert_ledger_invariant(database_url)
    assert not all_orders(channel, trader) and not positions(channel, trader)
    assert not fills(channel, trader)


def test_concurrent_first_calls_open_one_account_with_one_deposit(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")

    def first_call(n: int) -> str:
        if n % 2:
            return get_account(channel, trader).account_id
        return place(channel, trader, type_=LIMIT, quantity=1, limit_price="23.00",
                     time_in_force=GTC).order_id

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(first_call, range(20)))
    assert len({account_id for n, account_id in enumerate(results) if n % 2}) == 1
    row = account_row(database_url, trader)
    deposits = fetch_all(database_url, "SELECT amount FROM ledger_entries WHERE account_id = %s",
                         (row["id"],))
    assert [Decimal(d["amount"]) for d in deposits] == [STARTING_CASH]
    account = get_account(channel, trader)
    assert dec(account.cash) == STARTING_CASH
    assert dec(account.buying_power) == STARTING_CASH + 10 * costs(BUY, 1, Decimal("23.00")).net
    assert order_count(database_url, trader) == 10
    assert_ledger_invariant(database_url)


def test_guests_are_unauthenticated(channel: grpc.Channel) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: stub(channel).GetAccount(trading_pb2.GetAccountRequest(), timeout=10),
        lambda: stub(channel).PlaceOrder(order_request(), timeout=10),
        lambda: stub(channel).ListOrders(trading_pb2.ListOrdersRequest(), timeout=10),
        lambda: stub(channel).ResetAccount(trading_pb2.ResetAccountRequest(), timeout=10),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as caught:
            call()
        assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


# --- 2, 3. market orders, money and the no-short, no-credit rules ------------------------------


def test_a_market_buy_then_sell_moves_exactly_the_hand_computed_money(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    reference = reference_price(database_url, "2222")
    set_quote(server, "2222", "24.40")
    buy = costs(BUY, 100, market_fill_price(Decimal("24.40"), BUY, reference))
    assert buy.price == Decimal("24.42")  # 24.4122 rounded up to the 0.01 grid

    order = place(channel, trader, quantity=100, client_order_id="first-buy")

    assert order.status == FILLED and order.filled_quantity == 100
    assert order.client_order_id == "first-buy" and order.symbol == "2222"
    assert order.side == BUY and order.type == MARKET and order.time_in_force == DAY
    assert dec(order.average_fill_price) == buy.price
    assert not order.HasField("limit_price")
    assert order.HasField("filled_at") and order.HasField("created_at")
    assert (order.trading_day.year, order.trading_day.month, order.trading_day.day) == (
        2025, 12, 3)
    account = get_account(channel, trader)
    cash = STARTING_CASH + buy.net
    assert dec(account.cash) == cash == Decimal("97553.64")
    assert dec(account.buying_power) == cash
    assert dec(account.positions_value) == 100 * Decimal("24.40")
    assert dec(account.equity) == cash + 100 * Decimal("24.40")
    assert dec(account.unrealized_pnl) == 100 * Decimal("24.40") + buy.net

    held = positions(channel, trader)
    assert list(held) == ["2222"]
    basis = -buy.net
    assert held["2222"].quantity == 100
    assert dec(held["2222"].cost_basis) == basis
    assert dec(held["2222"].average_cost) == (basis / 100).quantize(Decimal("0.0001"))
    assert dec(held["2222"].market_price) == Decimal("24.40")
    assert dec(held["2222"].market_value) == Decimal("2440.00")
    assert dec(held["2222"].unrealized_pnl) == Decimal("2440.00") - basis
    assert dec(held["2222"].unrealized_pnl_percent) == halala(
        (Decimal("2440.00") - basis) / basis * 100)

    [fill] = fills(channel, trader)
    assert fill.order_id == order.order_id and fill.symbol == "2222" and fill.side == BUY
    assert fill.quantity == 100 and fill.fill_id
    assert (dec(fill.price), dec(fill.gross_amount), dec(fill.commission), dec(fill.vat),
            dec(fill.net_amount)) == (buy.price, buy.gross, buy.commission, buy.vat, buy.net)
    assert (buy.commission, buy.vat) == (Decimal("3.79"), Decimal("0.57"))
    assert_ledger_invariant(database_url)

    # Sell 40 of the 100 after the price rose to 25.00 (the 0.02 band).
    set_quote(server, "2222", "25.00")
    sell = costs(SELL, 40, market_fill_price(Decimal("25.00"), SELL, reference))
    assert sell.price == Decimal("24.98")  # 24.9875 rounded down to the 0.01 grid
    sold = place(channel, trader, side=SELL, quantity=40)
    assert sold.status == FILLED and dec(sold.average_fill_price) == sell.price

    sold_basis = halala(basis * 40 / 100)
    realized = sell.net - sold_basis
    assert realized == Decimal("18.88")
    account = get_account(channel, trader)
    cash += sell.net
    assert dec(account.cash) == cash
    assert dec(account.realized_pnl) == realized
    held = positions(channel, trader)
    assert held["2222"].quantity == 60
    assert dec(held["2222"].cost_basis) == basis - sold_basis
    assert dec(held["2222"].market_price) == Decimal("25.00")
    assert dec(account.positions_value) == 60 * Decimal("25.00")
    assert dec(account.equity) == cash + 60 * Decimal("25.00")
    newest = fills(channel, trader)
    assert [f.order_id for f in newest] == [sold.order_id, order.order_id]
    assert dec(newest[0].net_amount) == sell.net
    assert [f.order_id for f in fills(channel, trader, order_id=order.order_id)] == [
        order.order_id]
    assert_ledger_invariant(database_url)

    # Refusals write nothing: no order, no cash movement.
    before = order_count(database_url, trader)
    refused(lambda: place(channel, trader, side=SELL, quantity=61),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_SHARES")
    refused(lambda: place(channel, trader, symbol="1120", side=SELL, quantity=1),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_SHARES")
    refused(lambda: place(channel, trader, side=SELL, type_=LIMIT, quantity=61,
                          limit_price="25.00", time_in_force=GTC),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_SHARES")
    refused(lambda: place(channel, trader, quantity=10_000),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_CASH")
    # Just beyond the cash at the limit price, commission and VAT included.
    limit = Decimal("24.00")
    too_many = int(cash // limit)
    while -costs(BUY, too_many, limit).net <= cash:
        too_many += 1
    refused(lambda: place(channel, trader, type_=LIMIT, quantity=too_many, limit_price=limit,
                          time_in_force=GTC),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_CASH")
    assert order_count(database_url, trader) == before == 2
    assert dec(get_account(channel, trader).cash) == cash
    assert positions(channel, trader)["2222"].quantity == 60
    assert_ledger_invariant(database_url)

    # Selling the rest takes all that is left of the basis.
    rest = costs(SELL, 60, market_fill_price(Decimal("25.00"), SELL, reference))
    place(channel, trader, side=SELL, quantity=60)
    assert "2222" not in positions(channel, trader)
    account = get_account(channel, trader)
    assert dec(account.cash) == cash + rest.net
    assert dec(account.realized_pnl) == realized + rest.net - (basis - sold_basis)
    assert dec(account.positions_value) == 0 and dec(account.unrealized_pnl) == 0
    assert_ledger_invariant(database_url)


def test_a_buy_of_exactly_the_cash_fills_and_one_share_more_is_refused(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "1120", "96.00")
    price = market_fill_price(Decimal("96.00"), BUY, reference_price(database_url, "1120"))
    assert price == Decimal("96.05")  # 96.048 up to the 0.05 grid
    affordable = 0
    while -costs(BUY, affordable + 1, price).net <= STARTING_CASH:
        affordable += 1
    refused(lambda: place(channel, trader, symbol="1120", quantity=affordable + 1),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_CASH")
    order = place(channel, trader, symbol="1120", quantity=affordable)
    assert order.status == FILLED
    assert dec(get_account(channel, trader).cash) == STARTING_CASH + costs(
        BUY, affordable, price).net
    assert order_count(database_url, trader) == 1
    assert_ledger_invariant(database_url)


def test_market_orders_at_the_price_limits_fill_at_the_limit_not_beyond(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    lower, upper = limits_of(reference_price(database_url, "2222"))
    set_quote(server, "2222", upper)  # 26.84 × 1.0005 = 26.853…, beyond the limit
    bought = place(channel, trader, quantity=10)
    assert dec(bought.average_fill_price) == upper
    set_quote(server, "2222", lower)  # 21.96 × 0.9995 = 21.949…, beyond the limit
    sold = place(channel, trader, side=SELL, quantity=10)
    assert dec(sold.average_fill_price) == lower
    account = get_account(channel, trader)
    buy, sell = costs(BUY, 10, upper), costs(SELL, 10, lower)
    assert dec(account.cash) == STARTING_CASH + buy.net + sell.net
    assert dec(account.realized_pnl) == sell.net + buy.net
    assert_ledger_invariant(database_url)


# --- 4. limit orders ---------------------------------------------------------------------------


def test_a_resting_limit_buy_reserves_cash_fills_through_its_limit_and_cancels(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    order = place(channel, trader, type_=LIMIT, quantity=100, limit_price="24.00",
                  time_in_force=GTC)
    assert order.status == NEW and order.filled_quantity == 0
    assert dec(order.limit_price) == Decimal("24.00")
    assert not order.HasField("average_fill_price")
    reserved = -costs(BUY, 100, Decimal("24.00")).net
    assert reserved == Decimal("2404.28")  # 2400 + 3.72 + 0.56
    account = get_account(channel, trader)
    assert dec(account.cash) == STARTING_CASH
    assert dec(account.buying_power) == STARTING_CASH - reserved
    assert dec(account.equity) == STARTING_CASH
    assert Decimal(account_row(database_url, trader)["reserved_cash"]) == reserved

    match(server)  # 24.40 has not reached 24.00
    assert get_order(channel, trader, order.order_id).status == NEW

    set_quote(server, "2222", "23.90")
    match(server)
    filled = get_order(channel, trader, order.order_id)
    bought = costs(BUY, 100, Decimal("23.90"))  # min(limit, last), no slippage
    assert filled.status == FILLED and filled.filled_quantity == 100
    assert dec(filled.average_fill_price) == Decimal("23.90")
    account = get_account(channel, trader)
    assert dec(account.cash) == STARTING_CASH + bought.net
    assert dec(account.buying_power) == dec(account.cash)
    [fill] = fills(channel, trader)
    assert (dec(fill.price), dec(fill.commission), dec(fill.vat), dec(fill.net_amount)) == (
        Decimal("23.90"), bought.commission, bought.vat, bought.net)
    assert positions(channel, trader)["2222"].quantity == 100
    assert_ledger_invariant(database_url)

    # A second resting buy, cancelled: its reservation is released.
    resting = place(channel, trader, type_=LIMIT, quantity=50, limit_price="23.00")
    assert resting.status == NEW
    assert dec(get_account(channel, trader).buying_power) == (
        dec(account.cash) + costs(BUY, 50, Decimal("23.00")).net)
    canceled = cancel(channel, trader, resting.order_id)
    assert canceled.status == CANCELED and canceled.HasField("canceled_at")
    assert get_order(channel, trader, resting.order_id).status == CANCELED
    after = get_account(channel, trader)
    assert dec(after.buying_power) == dec(after.cash) == dec(account.cash)
    assert Decimal(account_row(database_url, trader)["reserved_cash"]) == 0

    # Cash held back by a resting buy cannot be spent again.
    holding = place(channel, trader, type_=LIMIT, quantity=3000, limit_price="23.00",
                    time_in_force=GTC)
    assert holding.status == NEW
    left = dec(get_account(channel, trader).buying_power)
    assert left == dec(after.cash) + costs(BUY, 3000, Decimal("23.00")).net
    market_price = market_fill_price(Decimal("23.90"), BUY,
                                     reference_price(database_url, "2222"))
    too_many = 1
    while -costs(BUY, too_many, market_price).net <= left:
        too_many += 1
    assert -costs(BUY, too_many, market_price).net < dec(after.cash)  # the cash would do
    refused(lambda: place(channel, trader, quantity=too_many),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_CASH")
    assert place(channel, trader, quantity=too_many - 1).status == FILLED
    cancel(channel, trader, holding.order_id)

    for done in (order.order_id, resting.order_id):
        refused(partial(cancel, channel, trader, done),
                grpc.StatusCode.FAILED_PRECONDITION, "ORDER_NOT_CANCELABLE")
    refused(lambda: cancel(channel, trader, str(uuid.uuid4())),
            grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    assert_ledger_invariant(database_url)


def test_a_limit_sell_rests_holds_its_shares_and_fills_at_the_better_price(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    place(channel, trader, quantity=10)
    sell = place(channel, trader, side=SELL, type_=LIMIT, quantity=10, limit_price="25.00",
                 time_in_force=GTC)
    assert sell.status == NEW
    # The shares are claimed by the open sell: no second sell of them.
    refused(lambda: place(channel, trader, side=SELL, quantity=1),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_SHARES")
    cash = dec(get_account(channel, trader).cash)

    set_quote(server, "2222", "25.50")
    match(server)
    done = get_order(channel, trader, sell.order_id)
    assert done.status == FILLED and dec(done.average_fill_price) == Decimal("25.50")
    assert dec(get_account(channel, trader).cash) == cash + costs(
        SELL, 10, Decimal("25.50")).net
    assert "2222" not in positions(channel, trader)
    assert_ledger_invariant(database_url)

    # A cancelled sell gives its shares back.
    place(channel, trader, quantity=5)
    held_back = place(channel, trader, side=SELL, type_=LIMIT, quantity=5, limit_price="26.00",
                      time_in_force=GTC)
    refused(lambda: place(channel, trader, side=SELL, quantity=5),
            grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_SHARES")
    cancel(channel, trader, held_back.order_id)
    assert place(channel, trader, side=SELL, quantity=5).status == FILLED
    assert "2222" not in positions(channel, trader)
    assert_ledger_invariant(database_url)


def test_ioc_and_fok_fill_at_once_or_expire(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    for time_in_force in (IOC, FOK):
        missed = place(channel, trader, type_=LIMIT, quantity=10, limit_price="24.00",
                       time_in_force=time_in_force)
        assert missed.status == EXPIRED and missed.filled_quantity == 0
        hit = place(channel, trader, type_=LIMIT, quantity=10, limit_price="24.50",
                    time_in_force=time_in_force)
        assert hit.status == FILLED and dec(hit.average_fill_price) == Decimal("24.40")
    account = get_account(channel, trader)
    assert dec(account.buying_power) == dec(account.cash) == STARTING_CASH + 2 * costs(
        BUY, 10, Decimal("24.40")).net
    assert positions(channel, trader)["2222"].quantity == 20
    assert_ledger_invariant(database_url)


# --- 5. validation at the edges ----------------------------------------------------------------


def test_limit_prices_at_the_edges_of_the_limits_and_the_tick_grid(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    reference = reference_price(database_url, "2222")
    lower, upper = limits_of(reference)
    assert (reference, lower, upper) == (Decimal("24.4"), Decimal("21.96"), Decimal("26.84"))
    set_quote(server, "2222", "24.40")

    at_upper = place(channel, trader, type_=LIMIT, quantity=1, limit_price=upper)
    assert at_upper.status == FILLED  # marketable: fills at the last price, the better one
    assert dec(at_upper.average_fill_price) == Decimal("24.40")
    at_lower = place(channel, trader, type_=LIMIT, quantity=1, limit_price=lower)
    assert at_lower.status == NEW
    before = order_count(database_url, trader)

    def bad_price(price: str, reason: str) -> None:
        error = refused(lambda: place(channel, trader, type_=LIMIT, quantity=1,
                                      limit_price=price),
                        grpc.StatusCode.INVALID_ARGUMENT, reason)
        assert violated_fields(error) == ["limit_price"], price

    bad_price(str(upper + tick_of(upper)), "PRICE_OUTSIDE_LIMITS")  # 26.86
    bad_price(str(lower - tick_of(lower)), "PRICE_OUTSIDE_LIMITS")  # 21.95
    bad_price("25.01", "PRICE_OFF_TICK_GRID")  # the 0.02 band
    bad_price("24.995", "PRICE_OFF_TICK_GRID")
    bad_price("0", "INVALID_PRICE")
    bad_price("-24.40", "INVALID_PRICE")
    # On the grid: 24.99 (0.01 band) and 25.00, 25.02 (0.02 band).
    for price in ("24.99", "25.00", "25.02"):
        assert place(channel, trader, type_=LIMIT, quantity=1, limit_price=price,
                     time_in_force=GTC).status == FILLED
    before += 3

    # 1120 (reference 96.00): the 0.05 and 0.10 bands meet at 100.
    reference_1120 = reference_price(database_url, "1120")
    lower_1120, upper_1120 = limits_of(reference_1120)
    assert (lower_1120, upper_1120) == (Decimal("86.40"), Decimal("105.60"))
    set_quote(server, "1120", "96.00")
    for price in ("86.40", "99.95", "100.10"):
        assert place(channel, trader, symbol="1120", type_=LIMIT, quantity=1,
                     limit_price=price).status in (NEW, FILLED)
    before += 3
    for price, reason in (("96.02", "PRICE_OFF_TICK_GRID"), ("99.97", "PRICE_OFF_TICK_GRID"),
                          ("100.05", "PRICE_OFF_TICK_GRID"), ("105.70", "PRICE_OUTSIDE_LIMITS"),
                          ("86.35", "PRICE_OUTSIDE_LIMITS")):
        error = refused(partial(place, channel, trader, symbol="1120", type_=LIMIT,
                                quantity=1, limit_price=price),
                        grpc.StatusCode.INVALID_ARGUMENT, reason)
        assert violated_fields(error) == ["limit_price"]
    assert order_count(database_url, trader) == before
    assert_ledger_invariant(database_url)


@pytest.mark.parametrize(("fields", "reason", "violated"), [
    ({"quantity": 0}, "INVALID_QUANTITY", ["quantity"]),
    ({"quantity": -5}, "INVALID_QUANTITY", ["quantity"]),
    ({"limit_price": "24.40"}, "LIMIT_PRICE_NOT_ALLOWED", ["limit_price"]),
    ({"type_": LIMIT}, "LIMIT_PRICE_REQUIRED", ["limit_price"]),
    ({"side": trading_pb2.ORDER_SIDE_UNSPECIFIED}, "INVALID_SIDE", ["side"]),
    ({"type_": trading_pb2.ORDER_TYPE_UNSPECIFIED}, "INVALID_ORDER_TYPE", ["type"]),
    ({"time_in_force": 9}, "INVALID_TIME_IN_FORCE", ["time_in_force"]),
    ({"quantity": 0, "limit_price": "24.40"}, "INVALID_ORDER", ["limit_price", "quantity"]),
], ids=["zero-quantity", "negative-quantity", "market-with-limit-price",
        "limit-without-price", "no-side", "no-type", "unknown-time-in-force", "two-mistakes"])
def test_bad_orders_are_invalid_arguments_naming_their_fields_and_write_nothing(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None], fields: dict[str, Any], reason: str,
        violated: list[str]) -> None:
    set_quote(server, "2222", "24.40")
    error = refused(lambda: place(channel, trader, **fields), grpc.StatusCode.INVALID_ARGUMENT,
                    reason)
    assert sorted(violated_fields(error)) == violated
    get_account(channel, trader)
    assert order_count(database_url, trader) == 0
    assert dec(get_account(channel, trader).cash) == STARTING_CASH


def test_an_unknown_symbol_is_not_found(channel: grpc.Channel, trader: Trader,
                                        database_url: str,
                                        set_clock: Callable[[datetime], None]) -> None:
    for side in (BUY, SELL):
        refused(partial(place, channel, trader, symbol="9999", side=side, quantity=1),
                grpc.StatusCode.NOT_FOUND, "TICKER_NOT_FOUND")
    refused(lambda: place(channel, trader, symbol="9999", type_=LIMIT, quantity=1,
                          limit_price="10.00"),
            grpc.StatusCode.NOT_FOUND, "TICKER_NOT_FOUND")
    get_account(channel, trader)
    assert order_count(database_url, trader) == 0


# --- 6. sessions -------------------------------------------------------------------------------


def day_of(order: trading_pb2.Order) -> date:
    return date(order.trading_day.year, order.trading_day.month, order.trading_day.day)


def test_outside_continuous_trading_day_and_gtc_wait_and_ioc_fok_are_refused(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_clock(AFTER_CLOSE)
    set_quote(server, "2222", "24.40")
    waiting = place(channel, trader, quantity=100)
    assert waiting.status == ACCEPTED and waiting.filled_quantity == 0
    assert day_of(waiting) == date(2025, 12, 4)
    gtc = place(channel, trader, type_=LIMIT, quantity=10, limit_price="24.00",
                time_in_force=GTC)
    assert gtc.status == ACCEPTED and day_of(gtc) == date(2025, 12, 4)
    for time_in_force in (IOC, FOK):
        refused(partial(place, channel, trader, quantity=1, time_in_force=time_in_force),
                grpc.StatusCode.FAILED_PRECONDITION, "MARKET_CLOSED")
        refused(partial(place, channel, trader, type_=LIMIT, quantity=1,
                        limit_price="24.40", time_in_force=time_in_force),
                grpc.StatusCode.FAILED_PRECONDITION, "MARKET_CLOSED")
    assert order_count(database_url, trader) == 2
    assert dec(get_account(channel, trader).cash) == STARTING_CASH
    match(server)  # still closed: nothing happens
    assert get_order(channel, trader, waiting.order_id).status == ACCEPTED
    assert not fills(channel, trader)

    set_clock(NEXT_DAY_SESSION)
    set_quote(server, "2222", "24.40")
    match(server)
    filled = get_order(channel, trader, waiting.order_id)
    price = market_fill_price(Decimal("24.40"), BUY, reference_price(database_url, "2222"))
    assert filled.status == FILLED and dec(filled.average_fill_price) == price
    assert get_order(channel, trader, gtc.order_id).status == NEW
    account = get_account(channel, trader)
    assert dec(account.cash) == STARTING_CASH + costs(BUY, 100, price).net
    assert dec(account.buying_power) == dec(account.cash) + costs(BUY, 10, Decimal("24.00")).net
    assert_ledger_invariant(database_url)


def test_after_the_close_a_day_order_waits_for_the_next_trading_day_and_does_not_expire(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    # The closing auction (15:00-15:10 Riyadh) and Thursday evening (next open: Sunday).
    for moment, trading_day in ((datetime(2025, 12, 3, 12, 5, tzinfo=UTC), date(2025, 12, 4)),
                                (datetime(2025, 12, 4, 13, 0, tzinfo=UTC), date(2025, 12, 7))):
        set_clock(moment)
        order = place(channel, trader, type_=LIMIT, quantity=1, limit_price="23.00")
        assert order.status == ACCEPTED and day_of(order) == trading_day, moment
        set_clock(moment + timedelta(minutes=30))
        match(server)
        assert get_order(channel, trader, order.order_id).status == ACCEPTED, moment


def test_in_the_pre_open_an_order_works_the_same_day(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_clock(PRE_OPEN)
    set_quote(server, "2222", "24.40")
    order = place(channel, trader, type_=LIMIT, quantity=1, limit_price="24.00")
    assert order.status == ACCEPTED and day_of(order) == date(2025, 12, 3)
    refused(lambda: place(channel, trader, quantity=1, time_in_force=IOC),
            grpc.StatusCode.FAILED_PRECONDITION, "MARKET_CLOSED")


def test_day_orders_expire_at_their_close_and_gtc_orders_keep_working(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    day = place(channel, trader, type_=LIMIT, quantity=100, limit_price="23.00")
    gtc = place(channel, trader, type_=LIMIT, quantity=10, limit_price="23.00",
                time_in_force=GTC)
    assert (day.status, gtc.status) == (NEW, NEW)
    assert day_of(day) == day_of(gtc) == date(2025, 12, 3)

    set_clock(datetime(2025, 12, 3, 11, 59, tzinfo=UTC))  # 14:59 Riyadh
    match(server)
    assert get_order(channel, trader, day.order_id).status == NEW

    set_clock(datetime(2025, 12, 3, 12, 0, 1, tzinfo=UTC))  # 15:00:01 Riyadh
    match(server)
    expired = get_order(channel, trader, day.order_id)
    assert expired.status == EXPIRED and expired.status_reason == "DAY_ORDER_EXPIRED"
    assert expired.HasField("expired_at")
    assert get_order(channel, trader, gtc.order_id).status == NEW
    account = get_account(channel, trader)
    assert dec(account.cash) == STARTING_CASH
    assert dec(account.buying_power) == STARTING_CASH + costs(BUY, 10, Decimal("23.00")).net
    refused(lambda: cancel(channel, trader, day.order_id),
            grpc.StatusCode.FAILED_PRECONDITION, "ORDER_NOT_CANCELABLE")
    assert_ledger_invariant(database_url)


def test_a_day_order_placed_on_the_weekend_works_and_expires_on_sunday(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_clock(FRIDAY)
    set_quote(server, "2222", "24.40")
    order = place(channel, trader, type_=LIMIT, quantity=5, limit_price="23.00")
    assert order.status == ACCEPTED and day_of(order) == date(2025, 12, 7)

    set_clock(SATURDAY)
    match(server)
    assert get_order(channel, trader, order.order_id).status == ACCEPTED

    set_clock(SUNDAY_SESSION)
    set_quote(server, "2222", "24.40")
    match(server)
    assert get_order(channel, trader, order.order_id).status == NEW

    set_clock(SUNDAY_AFTER_CLOSE)
    match(server)
    assert get_order(channel, trader, order.order_id).status == EXPIRED
    assert dec(get_account(channel, trader).buying_power) == STARTING_CASH


def test_an_accepted_order_can_be_cancelled_before_the_open(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_clock(AFTER_CLOSE)
    set_quote(server, "2222", "24.40")
    order = place(channel, trader, quantity=10)
    assert cancel(channel, trader, order.order_id).status == CANCELED
    set_clock(NEXT_DAY_SESSION)
    match(server)
    assert get_order(channel, trader, order.order_id).status == CANCELED
    assert not fills(channel, trader)
    account = get_account(channel, trader)
    assert dec(account.cash) == dec(account.buying_power) == STARTING_CASH


# --- 7. idempotency ----------------------------------------------------------------------------


def test_a_client_order_id_places_once_and_refuses_another_body(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    first = place(channel, trader, quantity=100, client_order_id="idem-1")
    again = place(channel, trader, quantity=100, client_order_id="idem-1")
    assert again.order_id == first.order_id and again.status == FILLED
    assert order_count(database_url, trader) == 1
    assert len(fills(channel, trader)) == 1
    price = market_fill_price(Decimal("24.40"), BUY, reference_price(database_url, "2222"))
    assert dec(get_account(channel, trader).cash) == STARTING_CASH + costs(BUY, 100, price).net

    for other in ({"quantity": 101}, {"side": SELL}, {"symbol": "1120"},
                  {"type_": LIMIT, "limit_price": "24.40"}, {"time_in_force": GTC}):
        refused(partial(place, channel, trader, **{
            "quantity": 100, "client_order_id": "idem-1", **other}),
            grpc.StatusCode.ALREADY_EXISTS, "CLIENT_ORDER_ID_IN_USE")
    assert order_count(database_url, trader) == 1

    by_client_id = get_order(channel, trader, client_order_id="idem-1")
    assert by_client_id.order_id == first.order_id
    assert get_order(channel, trader, order_id=first.order_id).client_order_id == "idem-1"
    refused(lambda: get_order(channel, trader, client_order_id="never-used"),
            grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")

    # A resting order repeated after it filled is still the same order.
    limit = place(channel, trader, type_=LIMIT, quantity=10, limit_price="24.00",
                  time_in_force=GTC, client_order_id="idem-2")
    set_quote(server, "2222", "23.98")
    match(server)
    repeat = place(channel, trader, type_=LIMIT, quantity=10, limit_price="24.00",
                   time_in_force=GTC, client_order_id="idem-2")
    assert repeat.order_id == limit.order_id and repeat.status == FILLED
    assert order_count(database_url, trader) == 2 and len(fills(channel, trader)) == 2

    # The same order written differently is still the same order: an unset time in
    # force is DAY, and 24.4 is 24.40.
    unset = place(channel, trader, type_=LIMIT, quantity=3, limit_price="23.50",
                  time_in_force=trading_pb2.TIME_IN_FORCE_UNSPECIFIED, client_order_id="idem-3")
    assert unset.time_in_force == DAY
    assert place(channel, trader, type_=LIMIT, quantity=3, limit_price="23.50",
                 time_in_force=DAY, client_order_id="idem-3").order_id == unset.order_id
    short = place(channel, trader, type_=LIMIT, quantity=3, limit_price="23.5",
                  client_order_id="idem-4")
    assert place(channel, trader, type_=LIMIT, quantity=3, limit_price="23.50",
                 client_order_id="idem-4").order_id == short.order_id
    assert order_count(database_url, trader) == 4

    # Generated ids are distinct; another account may use the same id.
    generated = {place(channel, trader, quantity=1).client_order_id for _ in range(2)}
    assert len(generated) == 2 and "" not in generated
    stranger = new_trader(server, channel)
    theirs = place(channel, stranger, quantity=5, client_order_id="idem-1")
    assert theirs.order_id != first.order_id and theirs.quantity == 5
    assert_ledger_invariant(database_url)


def test_a_malformed_client_order_id_is_refused(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    for bad in ("x" * 65, "has space", "semi;colon", "ünï"):
        with pytest.raises(grpc.RpcError) as caught:
            place(channel, trader, quantity=1, client_order_id=bad)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT, bad
        assert violated_fields(caught.value) == ["client_order_id"]
    assert place(channel, trader, quantity=1,
                 client_order_id="A-z_0.9:" + "x" * 56).status == FILLED
    assert order_count(database_url, trader) == 1


# --- 8. concurrency ----------------------------------------------------------------------------


def test_a_hundred_concurrent_orders_cannot_overspend_or_duplicate(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    price = market_fill_price(Decimal("24.40"), BUY, reference_price(database_url, "2222"))
    each = -costs(BUY, 100, price).net
    affordable = int(STARTING_CASH // each)
    assert affordable == 40 and 60 * each > STARTING_CASH

    # 50 distinct buys interleaved with 50 calls that repeat 10 client_order_ids.
    client_ids = [client_id for n in range(50)
                  for client_id in (f"distinct-{n}", f"repeated-{n % 10}")]
    requests = [(client_id, order_request(quantity=100, client_order_id=client_id))
                for client_id in client_ids]

    def call(request: trading_pb2.PlaceOrderRequest) -> trading_pb2.Order | grpc.RpcError:
        try:
            return stub(channel).PlaceOrder(request, metadata=trader.metadata,
                                            timeout=60).order
        except grpc.RpcError as error:
            return error

    get_account(channel, trader)
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(call, [request for _, request in requests]))

    placed: dict[str, set[str]] = {}
    refusals: Counter[str] = Counter()
    for (client_id, _), outcome in zip(requests, outcomes, strict=True):
        if isinstance(outcome, grpc.RpcError):
            assert outcome.code() is grpc.StatusCode.FAILED_PRECONDITION, (
                outcome.code(), outcome.details())
            refusals[error_info(outcome).reason] += 1
        else:
            assert outcome.client_order_id == client_id
            assert outcome.status == FILLED, outcome
            placed.setdefault(client_id, set()).add(outcome.order_id)
    assert set(refusals) <= {"INSUFFICIENT_CASH"}, refusals
    assert all(len(ids) == 1 for ids in placed.values()), placed
    assert len(placed) == affordable, f"{len(placed)} orders filled; {affordable} fit the cash"

    rows = fetch_all(database_url, """
        SELECT o.client_order_id, o.id FROM orders o JOIN trading_accounts a
        ON a.id = o.account_id WHERE a.user_id = %s""", (trader.user_id,))
    by_client: Counter[str] = Counter(row["client_order_id"] for row in rows)
    assert all(n == 1 for n in by_client.values()), by_client
    assert set(by_client) == set(placed)
    assert {str(row["id"]) for row in rows} == {next(iter(ids)) for ids in placed.values()}

    account = get_account(channel, trader)
    assert dec(account.cash) == STARTING_CASH - affordable * each >= 0
    assert dec(account.buying_power) == dec(account.cash)
    assert positions(channel, trader)["2222"].quantity == 100 * affordable
    assert len(fills(channel, trader)) == affordable
    assert_ledger_invariant(database_url)


def test_one_client_order_id_sent_concurrently_with_two_bodies_places_one_order(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    get_account(channel, trader)
    quantities = [1 + n % 2 for n in range(40)]

    def call(quantity: int) -> trading_pb2.Order | grpc.RpcError:
        try:
            return stub(channel).PlaceOrder(order_request(quantity=quantity,
                                                          client_order_id="contested"),
                                            metadata=trader.metadata, timeout=60).order
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(call, quantities))
    orders = [o for o in outcomes if not isinstance(o, grpc.RpcError)]
    assert orders and len({o.order_id for o in orders}) == 1
    winner = orders[0].quantity
    for quantity, outcome in zip(quantities, outcomes, strict=True):
        if quantity == winner:
            assert not isinstance(outcome, grpc.RpcError), outcome
        else:
            assert isinstance(outcome, grpc.RpcError)
            assert outcome.code() is grpc.StatusCode.ALREADY_EXISTS, outcome.details()
            assert error_info(outcome).reason == "CLIENT_ORDER_ID_IN_USE"
    assert order_count(database_url, trader) == 1 and len(fills(channel, trader)) == 1
    assert positions(channel, trader)["2222"].quantity == winner
    assert_ledger_invariant(database_url)


def test_concurrent_sells_cannot_oversell(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    place(channel, trader, quantity=10)
    cash = dec(get_account(channel, trader).cash)

    def sell(n: int) -> trading_pb2.Order | grpc.RpcError:
        try:
            return stub(channel).PlaceOrder(order_request(side=SELL, quantity=1),
                                            metadata=trader.metadata, timeout=60).order
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(sell, range(40)))
    sold = [o for o in outcomes if not isinstance(o, grpc.RpcError)]
    refusals = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    assert len(sold) == 10 and all(o.status == FILLED for o in sold)
    assert {error_info(e).reason for e in refusals} == {"INSUFFICIENT_SHARES"}
    assert "2222" not in positions(channel, trader)
    price = market_fill_price(Decimal("24.40"), SELL, reference_price(database_url, "2222"))
    assert dec(get_account(channel, trader).cash) == cash + 10 * costs(SELL, 1, price).net
    assert_ledger_invariant(database_url)


# --- 9. reset ----------------------------------------------------------------------------------


def test_reset_cancels_open_orders_clears_the_view_and_restores_the_cash(
        server: RunningServer, channel: grpc.Channel, trader: Trader, database_url: str,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    place(channel, trader, quantity=100, client_order_id="before-reset")
    set_quote(server, "2222", "25.00")
    place(channel, trader, side=SELL, quantity=30)
    resting = place(channel, trader, type_=LIMIT, quantity=10, limit_price="23.00",
                    time_in_force=GTC)
    assert dec(get_account(channel, trader).realized_pnl) != 0

    reset = stub(channel).ResetAccount(trading_pb2.ResetAccountRequest(),
                                       metadata=trader.metadata, timeout=10).account
    for field in ("cash", "buying_power", "equity", "starting_cash"):
        assert dec(getattr(reset, field)) == STARTING_CASH, field
    for field in ("positions_value", "realized_pnl", "unrealized_pnl"):
        assert dec(getattr(reset, field)) == 0, field
    assert reset.HasField("reset_at")
    assert not positions(channel, trader)
    assert not all_orders(channel, trader) and not fills(channel, trader)
    assert_ledger_invariant(database_url)
    status = fetch_all(database_url, "SELECT status FROM orders WHERE id::text = %s",
                       (resting.order_id,))[0]["status"]
    assert str(status).upper() in {"CANCELED", "CANCELLED", str(CANCELED)}, status
    assert Decimal(account_row(database_url, trader)["reserved_cash"]) == 0

    # The resting order no longer fills even when the price comes through it.
    set_quote(server, "2222", "22.00")
    match(server)
    assert not fills(channel, trader) and not positions(channel, trader)
    assert dec(get_account(channel, trader).cash) == STARTING_CASH

    # client_order_id stays unique forever.
    refused(lambda: place(channel, trader, quantity=7, client_order_id="before-reset"),
            grpc.StatusCode.ALREADY_EXISTS, "CLIENT_ORDER_ID_IN_USE")

    smaller = stub(channel).ResetAccount(
        trading_pb2.ResetAccountRequest(starting_cash=wire("50000.00")),
        metadata=trader.metadata, timeout=10).account
    assert dec(smaller.cash) == dec(smaller.starting_cash) == Decimal("50000")
    assert dec(get_account(channel, trader).buying_power) == Decimal("50000")
    assert_ledger_invariant(database_url)

    for bad in ("-1", "lots"):
        with pytest.raises(grpc.RpcError) as caught:
            stub(channel).ResetAccount(trading_pb2.ResetAccountRequest(starting_cash=wire(bad)),
                                       metadata=trader.metadata, timeout=10)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT, bad
        assert violated_fields(caught.value) == ["starting_cash"]
    assert dec(get_account(channel, trader).cash) == Decimal("50000")


# --- 10. listing and ownership -----------------------------------------------------------------


def test_list_orders_pages_newest_first_and_filters(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    set_quote(server, "1120", "96.00")
    placed = [
        place(channel, trader, quantity=1),  # FILLED
        place(channel, trader, type_=LIMIT, quantity=1, limit_price="23.00"),  # NEW
        place(channel, trader, symbol="1120", quantity=1),  # FILLED
        place(channel, trader, symbol="1120", type_=LIMIT, quantity=1, limit_price="90.00"),
        place(channel, trader, type_=LIMIT, quantity=1, limit_price="22.00"),  # NEW
    ]
    cancel(channel, trader, placed[3].order_id)
    newest_first = [order.order_id for order in reversed(placed)]

    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = list_orders(channel, trader, page_size=2, page_token=token)
        assert len(page.orders) <= 2
        seen += [order.order_id for order in page.orders]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert seen == newest_first and pages == 3

    assert [o.order_id for o in all_orders(channel, trader, statuses=[NEW])] == [
        placed[4].order_id, placed[1].order_id]
    assert [o.order_id for o in all_orders(channel, trader, statuses=[FILLED, CANCELED])] == [
        placed[3].order_id, placed[2].order_id, placed[0].order_id]
    assert [o.order_id for o in all_orders(channel, trader, symbol="1120")] == [
        placed[3].order_id, placed[2].order_id]
    assert [o.order_id for o in all_orders(channel, trader, symbol="1120",
                                           statuses=[FILLED])] == [placed[2].order_id]
    assert not all_orders(channel, trader, symbol="4321")

    # Times: [start_time, end_time).
    start = placed[2].created_at
    assert [o.order_id for o in all_orders(channel, trader, start_time=start)] == \
        newest_first[:3]
    assert [o.order_id for o in all_orders(channel, trader, end_time=start)] == \
        newest_first[3:]

    with pytest.raises(grpc.RpcError) as bad_size:
        list_orders(channel, trader, page_size=-1)
    assert bad_size.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as bad_token:
        list_orders(channel, trader, page_size=2, page_token="not-a-token")
    assert bad_token.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_list_fills_pages_newest_first_and_filters(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    set_quote(server, "1120", "96.00")
    placed = [place(channel, trader, symbol=symbol, quantity=1)
              for symbol in ("2222", "1120", "2222", "2222", "1120")]
    newest_first = [order.order_id for order in reversed(placed)]
    seen: list[str] = []
    token = ""
    while True:
        page = stub(channel).ListFills(trading_pb2.ListFillsRequest(page_size=2,
                                                                    page_token=token),
                                       metadata=trader.metadata, timeout=10)
        assert len(page.fills) <= 2
        seen += [fill.order_id for fill in page.fills]
        token = page.next_page_token
        if not token:
            break
    assert seen == newest_first
    assert [f.order_id for f in fills(channel, trader, symbol="1120")] == [
        placed[4].order_id, placed[1].order_id]
    assert [f.order_id for f in fills(channel, trader, order_id=placed[2].order_id)] == [
        placed[2].order_id]


def test_another_users_orders_are_not_found(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    mine = place(channel, trader, type_=LIMIT, quantity=1, limit_price="23.00",
                 client_order_id="mine-1")
    stranger = new_trader(server, channel)
    refused(lambda: get_order(channel, stranger, mine.order_id),
            grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    refused(lambda: get_order(channel, stranger, client_order_id="mine-1"),
            grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    refused(lambda: cancel(channel, stranger, mine.order_id),
            grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    assert not all_orders(channel, stranger) and not fills(channel, stranger)
    assert get_order(channel, trader, mine.order_id).status == NEW
    with pytest.raises(grpc.RpcError) as neither:
        get_order(channel, trader)
    assert neither.value.code() is grpc.StatusCode.INVALID_ARGUMENT


# --- 11. the update stream ---------------------------------------------------------------------


class StreamReader:
    """Reads StreamOrderUpdates on a thread of its own into a queue."""

    def __init__(self, channel: grpc.Channel, metadata: Metadata) -> None:
        self.messages: queue.Queue[trading_pb2.StreamOrderUpdatesResponse | Exception] = (
            queue.Queue())
        self._call = stub(channel).StreamOrderUpdates(
            trading_pb2.StreamOrderUpdatesRequest(), metadata=metadata, timeout=60)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for message in self._call:
                self.messages.put(message)
        except Exception as error:  # noqa: BLE001 - handed to the test
            self.messages.put(error)

    def updates_until(self, done: Callable[[list[trading_pb2.OrderUpdate]], bool],
                      timeout: float = 15) -> list[trading_pb2.OrderUpdate]:
        updates: list[trading_pb2.OrderUpdate] = []
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        while not done(updates):
            left = (deadline - datetime.now(UTC)).total_seconds()
            assert left > 0, f"timed out; got {updates}"
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if isinstance(message, Exception):
                if isinstance(message, grpc.RpcError) and \
                        message.code() is grpc.StatusCode.CANCELLED:
                    continue
                raise message
            if message.WhichOneof("update") == "order_update":
                updates.append(message.order_update)
        return updates

    def close(self) -> None:
        self._call.cancel()
        self._thread.join(timeout=5)


@pytest.fixture
def other_channel(server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as opened:
        grpc.channel_ready_future(opened).result(timeout=10)
        yield opened


def test_order_updates_stream_as_they_happen(
        server: RunningServer, channel: grpc.Channel, other_channel: grpc.Channel,
        trader: Trader, set_clock: Callable[[datetime], None]) -> None:
    set_quote(server, "2222", "24.40")
    get_account(channel, trader)
    stranger = new_trader(server, channel)
    reader = StreamReader(other_channel, trader.metadata)
    try:
        # Give the subscription a moment (or its first heartbeat) before anything happens.
        try:
            first = reader.messages.get(timeout=1.5)
            if isinstance(first, Exception):
                raise first
        except queue.Empty:
            pass
        place(channel, stranger, quantity=1)  # someone else's: never on this stream
        order = place(channel, trader, type_=LIMIT, quantity=10, limit_price="24.00",
                      time_in_force=GTC)
        set_quote(server, "2222", "23.90")
        match(server)

        def has_fill(updates: list[trading_pb2.OrderUpdate]) -> bool:
            return any(u.event == trading_pb2.ORDER_EVENT_FILL for u in updates)

        updates = reader.updates_until(has_fill)
        assert {u.order.order_id for u in updates} == {order.order_id}
        events = [u.event for u in updates]
        assert events[0] in (trading_pb2.ORDER_EVENT_NEW, trading_pb2.ORDER_EVENT_ACCEPTED)
        assert events[-1] == trading_pb2.ORDER_EVENT_FILL
        fill_update = updates[-1]
        assert fill_update.order.status == FILLED
        assert fill_update.fill.order_id == order.order_id
        assert dec(fill_update.fill.price) == Decimal("23.90")
        assert dec(fill_update.fill.net_amount) == costs(BUY, 10, Decimal("23.90")).net

        resting = place(channel, trader, type_=LIMIT, quantity=1, limit_price="22.00")
        cancel(channel, trader, resting.order_id)
        more = reader.updates_until(lambda got: any(
            u.event == trading_pb2.ORDER_EVENT_CANCELED for u in got))
        assert more[-1].order.order_id == resting.order_id
        assert more[-1].order.status == CANCELED
    finally:
        reader.close()


# --- quotes from another day, and retries after the limits moved ---------------------------


def store_quote(server: RunningServer, symbol: str, price: str, previous_close: str,
                trading_day: date) -> None:
    """A live quote as the simulator leaves it, for any day and reference price."""
    quote = quotes_pb2.Quote(symbol=symbol, price=float(price),
                             previous_close=float(previous_close))
    quote.trading_day.year, quote.trading_day.month, quote.trading_day.day = (
        trading_day.year, trading_day.month, trading_day.day)
    server.loop.run(QuoteBook(server.app.redis, server.app.database).store([quote]))


def test_a_quote_left_from_another_day_is_not_used(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_clock(IN_SESSION)
    # Yesterday's quote, made against another reference price: its limits are not today's.
    store_quote(server, "2222", "30.00", previous_close="29.00", trading_day=date(2025, 12, 2))
    order = place(channel, trader, quantity=1)
    # Filled against the last close (no live quote today), not 30.00.
    assert Decimal(order.average_fill_price.value) < Decimal("30.00")


def test_a_retry_is_answered_even_after_the_days_limits_moved(
        server: RunningServer, channel: grpc.Channel, trader: Trader,
        set_clock: Callable[[datetime], None]) -> None:
    set_clock(IN_SESSION)
    set_quote(server, "2222", "24.40")
    first = place(channel, trader, type_=LIMIT, quantity=1, limit_price="22.00",
                  client_order_id="retry-after-move")
    # Today's reference drops: 22.00 is now above the upper limit (19.00 × 1.1 = 20.90).
    store_quote(server, "2222", "19.00", previous_close="19.00",
                trading_day=date(2025, 12, 3))
    with pytest.raises(grpc.RpcError) as fresh:
        place(channel, trader, type_=LIMIT, quantity=1, limit_price="22.00")
    assert error_info(fresh.value).reason == "PRICE_OUTSIDE_LIMITS"
    again = place(channel, trader, type_=LIMIT, quantity=1, limit_price="22.00",
                  client_order_id="retry-after-move")
    assert again.order_id == first.order_id
