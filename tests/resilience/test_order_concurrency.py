"""Concurrency: many clients placing and cancelling orders at once, with duplicated
`client_order_id`s, while matching passes run; then the books are audited.

Real parts only: the in-process gRPC server of the session (its paper broker, Postgres and
Redis), one gRPC channel per client thread, and the tables read directly with SQL.

The storm (`test_a_storm_of_duplicate_orders_and_racing_cancels_keeps_the_books`), on six
fresh accounts, by eight client threads that start every round together at a barrier:

1. placing, 42 rounds. In each round all eight threads send the same `client_order_id`
   of one account at the same moment: with the same body (5 ids per account: resting
   buys and sells that the matcher can fill, a market buy that fills at once, resting
   buys and sells far beyond any price the test uses), or with two bodies split by thread
   parity (2 ids per account). In the same round each thread also places an order of its
   own (its own id, or no id at all: the server makes one) on another account.
2. cancelling, 36 rounds, while a conductor thread keeps moving the quotes (down, up,
   back) and running matching passes: all eight threads cancel the same order at once,
   by order_id or by client_order_id (GetOrder then CancelOrder: the contract cancels by
   order_id only), some of them orders the matcher may fill first; each thread also
   cancels orders of its own, cancels twice in a row, places market orders and places
   then cancels at once.

What must hold afterwards (the promises of trading.proto and the broker's rules):

- idempotency: per (account, client_order_id) exactly one stored order; every OK answer
  for an id carries that order's id and the body sent; a body other than the stored one
  is ALREADY_EXISTS (CLIENT_ORDER_ID_IN_USE, naming the stored order); no stored order
  that nobody asked for, none lost (the count per account is exact);
- cancels: at most one OK cancel per order, and exactly one for an order that ends
  CANCELED; an OK answer shows CANCELED; a refusal is ORDER_NOT_CANCELABLE naming the
  order's final (terminal) status; an order filled was never cancelled;
- the ledger, per account (exact Decimal arithmetic, costs worked out here):
  cash = Σ ledger = starting cash + Σ fill nets, where a buy's net is −(qty × price +
  commission + VAT) and a sell's is qty × price − commission − VAT, commission =
  qty × price × 0.155 % and VAT = 15 % of it, each to the halala (half up); exactly one
  ledger entry per fill; reserved cash = Σ reservations of the open buys, each the cost of
  its quantity at its limit; positions = Σ buy fills − Σ sell fills per symbol, their
  reserved shares = Σ open sells; Σ cost basis − realised P&L = starting cash − cash;
  no negative cash, buying power, position or claim;
- fills: one per FILLED order (the whole quantity), none for any other; at a price the
  rules allow at one of the quotes the test set (a limit at its limit or better);
- the RPCs agree with the tables (GetAccount, ListPositions, ListOrders, ListFills).
"""

import asyncio
import itertools
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
import psycopg
import pytest
from google.type import decimal_pb2

from financehub.v1 import trading_pb2, trading_pb2_grpc
from server.domain.access import Role
from server.storage.backends import Backends
from tests.resilience.conftest import Recorder
from tests.support.hand_money import halala, limits_of, to_grid
from tests.support.identity import bearer, create_account, fetch_all, login, status_details
from tests.support.services import EventLoopThread, RunningServer, start_test_server

Metadata = tuple[tuple[str, str], ...]

# The documented defaults (Settings), restated rather than imported.
STARTING_CASH = Decimal("100000.00")
COMMISSION_RATE = Decimal("0.00155")
VAT_RATE = Decimal("0.15")
SLIPPAGE_RATE = Decimal("0.0005")

# Wednesday 3 December 2025, 11:00 Riyadh: continuous trading, the trading day after the
# last daily bar (2 December: 2222 closed at 24.40, 1120 at 96.00, the reference prices).
IN_SESSION = datetime(2025, 12, 3, 8, 0, tzinfo=UTC)

BUY, SELL = trading_pb2.ORDER_SIDE_BUY, trading_pb2.ORDER_SIDE_SELL
MARKET, LIMIT = trading_pb2.ORDER_TYPE_MARKET, trading_pb2.ORDER_TYPE_LIMIT
DAY, GTC = trading_pb2.TIME_IN_FORCE_DAY, trading_pb2.TIME_IN_FORCE_GTC
OPEN_STATUSES = frozenset({"ACCEPTED", "NEW", "PARTIALLY_FILLED"})

USERS = 6
THREADS = 8
OK = grpc.StatusCode.OK


@dataclass(frozen=True)
class Quotes:
    low: Decimal  # at or below every resting buy the matcher may fill
    mid: Decimal  # the reference price: no resting order is marketable there
    high: Decimal  # at or above every resting sell the matcher may fill
    buy_limit: Decimal  # resting buys: fill at `low`, not at `mid`
    sell_limit: Decimal  # resting sells: fill at `high`, not at `mid`
    far_buy: Decimal  # below `low`: never fills in this test
    far_sell: Decimal  # above `high`: never fills in this test

    @property
    def all(self) -> tuple[Decimal, Decimal, Decimal]:
        return (self.low, self.mid, self.high)


# All on the tick grid and within the day's ±10 % limits (2222: 21.96-26.84 with ticks of
# 0.01 below 25 and 0.02 above; 1120: 86.40-105.60, ticks of 0.05 below 100, 0.10 above).
QUOTES = {
    "2222": Quotes(low=Decimal("23.70"), mid=Decimal("24.40"), high=Decimal("25.10"),
                   buy_limit=Decimal("24.00"), sell_limit=Decimal("24.80"),
                   far_buy=Decimal("22.00"), far_sell=Decimal("26.80")),
    "1120": Quotes(low=Decimal("94.00"), mid=Decimal("96.00"), high=Decimal("98.00"),
                   buy_limit=Decimal("95.00"), sell_limit=Decimal("97.00"),
                   far_buy=Decimal("87.00"), far_sell=Decimal("105.00")),
}
REFERENCE = {symbol: quotes.mid for symbol, quotes in QUOTES.items()}


# --- money, worked out here --------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    gross: Decimal
    commission: Decimal
    vat: Decimal
    net: Decimal  # the cash movement: negative for a buy


def costs(side: str, quantity: int, price: Decimal) -> Money:
    gross = quantity * price
    commission = halala(gross * COMMISSION_RATE)
    vat = halala(commission * VAT_RATE)
    net = -(gross + commission + vat) if side == "BUY" else gross - commission - vat
    return Money(gross, commission, vat, net)


# --- what a client asks for --------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    symbol: str
    side: int
    type: int
    quantity: int
    limit: Decimal | None = None
    time_in_force: int = GTC

    def request(self, client_order_id: str) -> trading_pb2.PlaceOrderRequest:
        request = trading_pb2.PlaceOrderRequest(
            client_order_id=client_order_id, symbol=self.symbol, side=self.side,
            type=self.type, time_in_force=self.time_in_force, quantity=self.quantity)
        if self.limit is not None:
            request.limit_price.CopyFrom(decimal_pb2.Decimal(value=str(self.limit)))
        return request

    def matches_row(self, row: dict[str, Any]) -> bool:
        return (row["symbol"], row["side"], row["type"], row["time_in_force"],
                row["quantity"], row["limit_price"]) == (
            self.symbol, trading_pb2.OrderSide.Name(self.side).removeprefix("ORDER_SIDE_"),
            trading_pb2.OrderType.Name(self.type).removeprefix("ORDER_TYPE_"),
            trading_pb2.TimeInForce.Name(self.time_in_force).removeprefix("TIME_IN_FORCE_"),
            self.quantity, self.limit)

    def matches_message(self, order: trading_pb2.Order) -> bool:
        limit = Decimal(order.limit_price.value) if order.HasField("limit_price") else None
        return (order.symbol, order.side, order.type, order.time_in_force, order.quantity,
                limit) == (self.symbol, self.side, self.type, self.time_in_force,
                           self.quantity, self.limit)

    @property
    def never_fills(self) -> bool:
        quotes = QUOTES[self.symbol]
        return self.limit in (quotes.far_buy, quotes.far_sell)


def limit_buy(symbol: str, quantity: int, price: Decimal) -> Body:
    return Body(symbol, BUY, LIMIT, quantity, price)


def limit_sell(symbol: str, quantity: int, price: Decimal) -> Body:
    return Body(symbol, SELL, LIMIT, quantity, price)


def market(symbol: str, side: int, quantity: int) -> Body:
    return Body(symbol, side, MARKET, quantity, time_in_force=DAY)


Q2, Q1 = QUOTES["2222"], QUOTES["1120"]

# Held by every account before the storm, so that its sells never lack shares.
SETUP_ORDERS = (("setup-2222", market("2222", BUY, 1000)),
                ("setup-1120", market("1120", BUY, 200)))

# Sent by all eight threads at once, with the same body.
SHARED = {
    "s-buy": limit_buy("2222", 10, Q2.buy_limit),  # rests; the matcher may fill it
    "s-market": market("1120", BUY, 5),  # fills at once
    "s-sell": limit_sell("2222", 10, Q2.sell_limit),  # rests; the matcher may fill it
    "s-far-buy": limit_buy("1120", 3, Q1.far_buy),  # rests for ever
    "s-far-sell": limit_sell("1120", 2, Q1.far_sell),  # rests for ever
}


# Sent by all eight threads at once, with two bodies: even threads one, odd threads the other.
def contested(client_id: str, thread: int) -> Body:
    if client_id == "c-near":
        return limit_buy("2222", 3 + thread % 2, Q2.buy_limit)
    return limit_buy("2222", 1, Q2.far_buy if thread % 2 else Q2.buy_limit)  # "c-far"


CONTESTED = ("c-near", "c-far")

# Each thread's own orders, one of each kind per account.
OWN = {
    "o-buy": limit_buy("2222", 2, Q2.buy_limit),
    "o-market-sell": market("2222", SELL, 1),
    "o-far-buy": limit_buy("2222", 1, Q2.far_buy),
    "o-sell": limit_sell("1120", 1, Q1.sell_limit),
    "o-no-id": limit_buy("1120", 1, Q1.buy_limit),  # sent without a client_order_id
    "o-market-buy": market("2222", BUY, 1),
    "o-far-sell": limit_sell("2222", 1, Q2.far_sell),
}
# Placed in the cancelling phase, racing with the quotes the conductor moves.
LATE_MARKET = market("2222", BUY, 1)
LATE_REST = limit_buy("2222", 1, Q2.buy_limit)  # placed, then cancelled at once


def shared_id(user: int, name: str) -> str:
    return f"u{user}-{name}"


def own_id(user: int, thread: int, name: str) -> str:
    return f"u{user}-t{thread}-{name}"


# --- calls and what came of them ---------------------------------------------------------------


@dataclass
class Answer:
    """One call's outcome: the order it answered with, or its refusal."""

    order: trading_pb2.Order | None
    code: grpc.StatusCode
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Placed:
    user: int
    client_id: str  # empty when the server made one
    body: Body
    answer: Answer
    late: bool  # placed while the conductor moved the quotes


@dataclass
class Cancelled:
    user: int
    order_id: str
    via: str  # "order_id" or "client_order_id"
    answer: Answer


def answer_of(call: Callable[[], Any]) -> Answer:
    try:
        return Answer(call().order, OK)
    except grpc.RpcError as error:
        code = error.code()
        info = status_details(error).get("ErrorInfo")
        if info is None:  # not the server's answer (a deadline, a broken connection)
            return Answer(None, code, f"no ErrorInfo: {error.details()}")
        return Answer(None, code, info.reason, dict(info.metadata))


class Client:
    """One client thread: its own channel, the accounts' tokens, what it saw."""

    def __init__(self, address: str, thread: int, metadata: list[Metadata]) -> None:
        self.thread = thread
        self._channel = grpc.insecure_channel(address)
        self._stub = trading_pb2_grpc.TradingServiceStub(self._channel)
        self._metadata = metadata
        self.placed: list[Placed] = []
        self.cancelled: list[Cancelled] = []
        # This thread's OK answers, by (user, client id).
        self.mine: dict[tuple[int, str], str] = {}

    def close(self) -> None:
        self._channel.close()

    def place(self, user: int, client_id: str, body: Body, *, late: bool) -> Answer:
        answer = answer_of(lambda: self._stub.PlaceOrder(
            body.request(client_id), metadata=self._metadata[user], timeout=60))
        self.placed.append(Placed(user, client_id, body, answer, late))
        if answer.order is not None:
            self.mine[user, client_id or answer.order.client_order_id] = answer.order.order_id
        return answer

    def order_id_of(self, user: int, client_id: str) -> str:
        """The order this thread's placement of `client_id` was answered with."""
        if (user, client_id) not in self.mine:
            answers = [p.answer for p in self.placed if (p.user, p.client_id) == (user,
                                                                                  client_id)]
            raise AssertionError(f"{client_id} was not placed on account {user}: {answers}")
        return self.mine[user, client_id]

    def cancel(self, user: int, order_id: str) -> Answer:
        answer = answer_of(lambda: self._stub.CancelOrder(
            trading_pb2.CancelOrderRequest(order_id=order_id), metadata=self._metadata[user],
            timeout=60))
        self.cancelled.append(Cancelled(user, order_id, "order_id", answer))
        return answer

    def cancel_by_client_id(self, user: int, client_id: str) -> Answer:
        order = self._stub.GetOrder(trading_pb2.GetOrderRequest(client_order_id=client_id),
                                    metadata=self._metadata[user], timeout=60).order
        assert order.client_order_id == client_id
        answer = answer_of(lambda: self._stub.CancelOrder(
            trading_pb2.CancelOrderRequest(order_id=order.order_id),
            metadata=self._metadata[user], timeout=60))
        self.cancelled.append(Cancelled(user, order.order_id, "client_order_id", answer))
        return answer


# --- the storm ---------------------------------------------------------------------------------


# What a thread does in one round: (client, round's user) -> None.
Step = Callable[[Client, int], None]


def placing_rounds() -> list[tuple[int, Step]]:
    """42 rounds: per account, the 5 shared ids and the 2 contested ones, each sent by all
    threads at once; and in every round each thread places an order of its own on the
    account `user + thread` (so over the 7 rounds of an account, every thread places each
    of its 7 kinds once on every account)."""
    rounds: list[tuple[int, Step]] = []
    names = [*SHARED, *CONTESTED]
    own_kinds = list(OWN)
    for user in range(USERS):
        for index, name in enumerate(names):
            def step(client: Client, user: int, name: str = name,
                     kind: str = own_kinds[index]) -> None:
                body = SHARED[name] if name in SHARED else contested(name, client.thread)
                client.place(user, shared_id(user, name), body, late=False)
                other = (user + client.thread) % USERS
                client.place(other, "" if kind == "o-no-id" else own_id(other, client.thread,
                                                                         kind),
                             OWN[kind], late=False)
            rounds.append((user, step))
    return rounds


def cancelling_rounds() -> list[tuple[int, Step]]:
    """36 rounds: per account, six targets every thread cancels at once, and in each round
    one act of each thread's own on the account `user + thread`."""
    def far_buy_by_id(client: Client, user: int) -> None:
        client.cancel(user, client.order_id_of(user, shared_id(user, "s-far-buy")))

    def far_sell_by_client_id(client: Client, user: int) -> None:
        client.cancel_by_client_id(user, shared_id(user, "s-far-sell"))

    def buy_by_id(client: Client, user: int) -> None:  # races with the matcher
        client.cancel(user, client.order_id_of(user, shared_id(user, "s-buy")))

    def sell_by_client_id(client: Client, user: int) -> None:  # races with the matcher
        client.cancel_by_client_id(user, shared_id(user, "s-sell"))

    def contested_near_by_client_id(client: Client, user: int) -> None:
        client.cancel_by_client_id(user, shared_id(user, "c-near"))

    def contested_far_by_id(client: Client, user: int) -> None:
        # The refused threads know the order too: ALREADY_EXISTS names it.
        key = (user, shared_id(user, "c-far"))
        order_id = client.mine.get(key) or next(
            p.answer.metadata["order_id"] for p in client.placed
            if (p.user, p.client_id) == key)
        client.cancel(user, order_id)

    def own_buy(client: Client, user: int) -> None:
        client.cancel(user, client.order_id_of(user, own_id(user, client.thread, "o-buy")))

    def own_sell_by_client_id(client: Client, user: int) -> None:
        client.cancel_by_client_id(user, own_id(user, client.thread, "o-sell"))

    def own_far_buy(client: Client, user: int) -> None:
        if client.thread % 2 == 0:  # odd threads leave theirs open
            client.cancel(user, client.order_id_of(user, own_id(user, client.thread, "o-far-buy")))

    def late_market(client: Client, user: int) -> None:
        client.place(user, own_id(user, client.thread, "late-market"), LATE_MARKET, late=True)

    def place_then_cancel(client: Client, user: int) -> None:
        answer = client.place(user, own_id(user, client.thread, "late-rest"), LATE_REST,
                              late=True)
        assert answer.order is not None, answer
        client.cancel(user, answer.order.order_id)

    def own_far_sell_twice(client: Client, user: int) -> None:
        if client.thread % 2 == 0:  # odd threads leave theirs open
            client_id = own_id(user, client.thread, "o-far-sell")
            client.cancel_by_client_id(user, client_id)
            client.cancel_by_client_id(user, client_id)

    together = (far_buy_by_id, far_sell_by_client_id, buy_by_id, sell_by_client_id,
                contested_near_by_client_id, contested_far_by_id)
    own = (own_buy, own_sell_by_client_id, own_far_buy, late_market, place_then_cancel,
           own_far_sell_twice)
    rounds: list[tuple[int, Step]] = []
    for user in range(USERS):
        for target, act in zip(together, own, strict=True):
            def step(client: Client, user: int, target: Step = target,
                     act: Step = act) -> None:
                target(client, user)
                act(client, (user + client.thread) % USERS)
            rounds.append((user, step))
    return rounds


PLACING_ROUNDS = placing_rounds()
CANCELLING_ROUNDS = cancelling_rounds()
# Per account: the setup, the shared and contested ids, each thread's own orders and the
# two it places while cancelling.
ORDERS_PER_ACCOUNT = len(SETUP_ORDERS) + len(SHARED) + len(CONTESTED) + THREADS * (
    len(OWN) + 2)


class Conductor:
    """Moves the quotes down, up and back, running a matching pass after each move, until
    told to stop; then once more, so that no order the matcher can fill is left open."""

    def __init__(self, server: RunningServer) -> None:
        self._server = server
        self.stop = threading.Event()
        self.cycles = 0

    def _move_and_match(self, level: str) -> None:
        broker = self._server.app.broker
        for symbol, quotes in QUOTES.items():
            self._server.loop.run(broker.set_quote(symbol, getattr(quotes, level)))
        self._server.loop.run(broker.match_open_orders())

    def _cycle(self) -> None:
        for level in ("low", "high", "mid"):
            self._move_and_match(level)
        self.cycles += 1

    def run(self, start: threading.Barrier) -> None:
        start.wait(timeout=120)
        while not self.stop.is_set():
            self._cycle()
        self._cycle()


@dataclass
class Storm:
    placed: list[Placed]
    cancelled: list[Cancelled]


def run_storm(server: RunningServer, metadata: list[Metadata]) -> Storm:
    rounds = threading.Barrier(THREADS)
    cancelling = threading.Barrier(THREADS + 1)  # the threads and the conductor
    conductor = Conductor(server)
    clients = [Client(server.address, thread, metadata) for thread in range(THREADS)]

    def work(client: Client) -> None:
        try:
            for user, step in PLACING_ROUNDS:
                rounds.wait(timeout=120)
                step(client, user)
            cancelling.wait(timeout=120)
            for user, step in CANCELLING_ROUNDS:
                rounds.wait(timeout=120)
                step(client, user)
        except BaseException:
            rounds.abort()  # the others stop waiting for this thread
            cancelling.abort()
            raise

    with ThreadPoolExecutor(max_workers=THREADS + 1) as pool:
        matching = pool.submit(conductor.run, cancelling)
        working: list[Future[None]] = [pool.submit(work, client) for client in clients]
        try:
            wait(working, timeout=600)
        finally:
            conductor.stop.set()
        matching_error = matching.exception(timeout=600)
    for client in clients:
        client.close()
    # The first thread to fail broke the barriers for the others: raise its error, not theirs.
    errors = [error for error in (*(f.exception(timeout=0) for f in working), matching_error)
              if error is not None]
    if errors:
        raise next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)),
                   errors[0])
    assert conductor.cycles >= 1
    return Storm([p for c in clients for p in c.placed],
                 [c for client in clients for c in client.cancelled])


# --- the audit ---------------------------------------------------------------------------------


@dataclass
class Books:
    """One account, read from the tables."""

    account: dict[str, Any]
    orders: dict[str, dict[str, Any]]  # by order id
    fills: list[dict[str, Any]]
    ledger: list[dict[str, Any]]
    positions: dict[str, dict[str, Any]]  # by symbol


def read_books(database_url: str, user_id: str) -> Books:
    accounts = fetch_all(database_url, "SELECT * FROM trading_accounts WHERE user_id = %s",
                         (user_id,))
    assert len(accounts) == 1, accounts
    account = accounts[0]
    orders = fetch_all(database_url, "SELECT * FROM orders WHERE account_id = %s ORDER BY seq",
                       (account["id"],))
    fills = fetch_all(database_url, "SELECT * FROM fills WHERE account_id = %s ORDER BY seq",
                      (account["id"],))
    ledger = fetch_all(database_url,
                       "SELECT * FROM ledger_entries WHERE account_id = %s ORDER BY id",
                       (account["id"],))
    positions = fetch_all(database_url, "SELECT * FROM positions WHERE account_id = %s",
                          (account["id"],))
    return Books(account, {str(o["id"]): o for o in orders}, fills, ledger,
                 {p["symbol"]: p for p in positions})


def possible_prices(body: Body, late: bool) -> set[Decimal]:
    """The prices the rules allow `body` to fill at, at the quotes the test set: orders of
    the placing phase that fill on arrival see only the reference quote."""
    quotes = QUOTES[body.symbol]
    levels = quotes.all if late or body.type == LIMIT else (quotes.mid,)
    lower, upper = limits_of(REFERENCE[body.symbol])
    prices = set()
    for last in levels:
        if body.type == MARKET:
            slipped = last * (1 + SLIPPAGE_RATE if body.side == BUY else 1 - SLIPPAGE_RATE)
            prices.add(to_grid(min(max(slipped, lower), upper), up=body.side == BUY))
        elif body.limit is not None and body.side == BUY and last <= body.limit:
            prices.add(min(body.limit, last))
        elif body.limit is not None and body.side == SELL and last >= body.limit:
            prices.add(max(body.limit, last))
    return prices


def check_idempotency(storm: Storm, books: list[Books]) -> None:
    """One stored order per (account, client id), the one every OK answer names; the body
    decides between the same order and ALREADY_EXISTS; nothing unasked for, nothing lost."""
    asked: dict[tuple[int, str], list[Placed]] = defaultdict(list)
    generated: list[Placed] = []
    for placed in storm.placed:
        if placed.client_id:
            asked[placed.user, placed.client_id].append(placed)
        else:
            generated.append(placed)

    for user, account in enumerate(books):
        by_client_id = Counter(order["client_order_id"] for order in account.orders.values())
        assert all(n == 1 for n in by_client_id.values()), by_client_id
        assert len(account.orders) == ORDERS_PER_ACCOUNT, (user, len(account.orders))
        stored = {order["client_order_id"]: order for order in account.orders.values()}
        setup = {client_id for client_id, _ in SETUP_ORDERS}
        expected_ids = setup | {client_id for u, client_id in asked if u == user} | {
            p.answer.order.client_order_id for p in generated
            if p.user == user and p.answer.order is not None}
        assert set(stored) == expected_ids, set(stored) ^ expected_ids

        for (u, client_id), sent in asked.items():
            if u != user:
                continue
            order = stored[client_id]
            order_id = str(order["id"])
            for placed in sent:
                answer = placed.answer
                if placed.body.matches_row(order):
                    assert answer.code is OK, (client_id, answer)
                    assert answer.order is not None
                    assert answer.order.order_id == order_id, client_id
                    assert answer.order.client_order_id == client_id
                    assert placed.body.matches_message(answer.order), answer.order
                else:  # a contested id: the other body lost
                    assert answer.code is grpc.StatusCode.ALREADY_EXISTS, (client_id, answer)
                    assert answer.reason == "CLIENT_ORDER_ID_IN_USE"
                    assert answer.metadata["order_id"] == order_id

    # The bodies of a contested id: exactly one won; both were sent by four threads each.
    for (_, client_id), sent in asked.items():
        if client_id.endswith(CONTESTED):
            outcomes = Counter(p.answer.code for p in sent)
            assert outcomes == {OK: THREADS // 2,
                                grpc.StatusCode.ALREADY_EXISTS: THREADS // 2}, outcomes
        else:
            assert all(p.answer.code is OK for p in sent), (client_id, sent)
    # Every order without a client id is its own, with an id the server made.
    assert all(p.answer.code is OK for p in generated)
    assert len({p.answer.order.order_id for p in generated if p.answer.order}) \
        == len(generated) == USERS * THREADS


def check_cancels(storm: Storm, books: list[Books]) -> None:
    """At most one cancel per order succeeded, exactly one for each CANCELED order, and
    every refusal named the order's final state."""
    final = {order_id: order for account in books for order_id, order in
             account.orders.items()}
    ok: Counter[str] = Counter()
    for cancelled in storm.cancelled:
        order = final[cancelled.order_id]
        answer = cancelled.answer
        if answer.code is OK:
            ok[cancelled.order_id] += 1
            assert answer.order is not None
            assert answer.order.status == trading_pb2.ORDER_STATUS_CANCELED, answer.order
            assert answer.order.status_reason == "CANCELED_BY_USER"
            assert order["status"] == "CANCELED", order
        else:
            assert answer.code is grpc.StatusCode.FAILED_PRECONDITION, answer
            assert answer.reason == "ORDER_NOT_CANCELABLE", answer
            assert answer.metadata["status"] in ("CANCELED", "FILLED"), answer
            assert answer.metadata["status"] == order["status"], (answer, order)
    for order_id, order in final.items():
        if order["status"] == "CANCELED":
            assert ok[order_id] == 1, (order, ok[order_id])
            assert order["status_reason"] == "CANCELED_BY_USER"
        else:
            assert ok[order_id] == 0, order

    # The deterministic part: orders the matcher cannot fill were cancelled by exactly one
    # of the threads that tried, and a second cancel in a row was refused.
    tries: dict[str, list[Cancelled]] = defaultdict(list)
    for cancelled in storm.cancelled:
        tries[cancelled.order_id].append(cancelled)
    for order_id, attempts in tries.items():
        order = final[order_id]
        if order["limit_price"] in (QUOTES[order["symbol"]].far_buy,
                                    QUOTES[order["symbol"]].far_sell):
            assert order["status"] == "CANCELED", order
            outcomes = Counter(a.answer.code for a in attempts)
            assert outcomes[OK] == 1 and outcomes[grpc.StatusCode.FAILED_PRECONDITION] \
                == len(attempts) - 1, (order, outcomes)


def check_fills_and_ledger(storm: Storm, books: list[Books]) -> None:
    bodies: dict[str, tuple[Body, bool]] = {}
    for placed in storm.placed:
        if placed.answer.order is not None:
            bodies[placed.answer.order.order_id] = (placed.body, placed.late)

    for account in books:
        row = account.account
        cash, reserved = Decimal(row["cash"]), Decimal(row["reserved_cash"])
        assert row["starting_cash"] == STARTING_CASH and row["epoch"] == 0

        # Fills: one per FILLED order, of its whole quantity, at an allowed price and
        # costed exactly.
        fills_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for fill in account.fills:
            fills_of[str(fill["order_id"])].append(fill)
        for order_id, order in account.orders.items():
            assert order["status"] not in ("REJECTED", "EXPIRED", "PARTIALLY_FILLED"), order
            if order["status"] != "FILLED":
                assert order_id not in fills_of and order["filled_quantity"] == 0, order
                continue
            (fill,) = fills_of[order_id]
            assert (fill["symbol"], fill["side"], fill["quantity"]) == (
                order["symbol"], order["side"], order["quantity"]) and \
                order["filled_quantity"] == order["quantity"]
            assert fill["price"] == order["average_fill_price"], (fill, order)
            if order_id in bodies:  # the setup orders are checked by their cash below
                body, late = bodies[order_id]
                assert not body.never_fills, order
                assert fill["price"] in possible_prices(body, late), (fill, body, late)
            money = costs(order["side"], order["quantity"], Decimal(fill["price"]))
            assert (fill["gross"], fill["commission"], fill["vat"], fill["net"]) == (
                money.gross, money.commission, money.vat, money.net), (fill, money)

        # The ledger: the deposit, then exactly one entry per fill, of its net amount;
        # cash is their sum.
        deposit, *moves = account.ledger
        assert (deposit["kind"], deposit["amount"], deposit["fill_id"]) == (
            "DEPOSIT", STARTING_CASH, None)
        assert all(entry["kind"] == "FILL" for entry in moves), moves
        assert sorted((str(e["fill_id"]), e["amount"]) for e in moves) == sorted(
            (str(f["id"]), f["net"]) for f in account.fills)
        assert cash == sum((Decimal(e["amount"]) for e in account.ledger), Decimal(0)) \
            == STARTING_CASH + sum((Decimal(f["net"]) for f in account.fills), Decimal(0))

        # Reservations: exactly what the open buys hold back, each its cost at its limit;
        # closed orders hold nothing back.
        open_orders = [o for o in account.orders.values() if o["status"] in OPEN_STATUSES]
        for order in account.orders.values():
            if order["status"] in OPEN_STATUSES and order["side"] == "BUY":
                assert order["reserved_cash"] == -costs(
                    "BUY", order["quantity"], order["limit_price"]).net, order
            else:
                assert order["reserved_cash"] == 0, order
        assert reserved == sum((Decimal(o["reserved_cash"]) for o in open_orders), Decimal(0))

        # Positions: the fills' sum per symbol, claimed by the open sells.
        held: Counter[str] = Counter()
        for fill in account.fills:
            held[fill["symbol"]] += fill["quantity"] if fill["side"] == "BUY" \
                else -fill["quantity"]
        assert {symbol: p["quantity"] for symbol, p in account.positions.items()} == {
            symbol: n for symbol, n in held.items() if n}
        for symbol, position in account.positions.items():
            claimed = sum(o["quantity"] - o["filled_quantity"] for o in open_orders
                          if o["side"] == "SELL" and o["symbol"] == symbol)
            assert position["reserved_quantity"] == claimed, position
            assert 0 <= position["reserved_quantity"] <= position["quantity"]
            assert position["cost_basis"] > 0
        # Cost basis and realised P&L move together: basis − realised = what left the cash.
        basis = sum((Decimal(p["cost_basis"]) for p in account.positions.values()), Decimal(0))
        assert basis - Decimal(row["realized_pnl"]) == STARTING_CASH - cash
        assert cash >= 0 and cash - reserved >= 0


def check_only_unfillable_orders_open(books: list[Books]) -> None:
    """After the conductor's last cycle the matcher has filled every order it could: per
    account, only the far buy and the far sell of each odd thread are open."""
    for account in books:
        open_orders = [o for o in account.orders.values() if o["status"] in OPEN_STATUSES]
        assert sorted((o["side"], o["symbol"], o["limit_price"]) for o in open_orders) == \
            sorted([("BUY", "2222", Q2.far_buy), ("SELL", "2222", Q2.far_sell)]
                   * (THREADS // 2)), open_orders
        assert account.account["reserved_cash"] == THREADS // 2 * -costs(
            "BUY", 1, Q2.far_buy).net
        assert account.positions["2222"]["reserved_quantity"] == THREADS // 2


def check_rpcs_agree(channel: grpc.Channel, metadata: list[Metadata],
                     books: list[Books]) -> None:
    stub = trading_pb2_grpc.TradingServiceStub(channel)
    for account, user_metadata in zip(books, metadata, strict=True):
        row = account.account
        got = stub.GetAccount(trading_pb2.GetAccountRequest(), metadata=user_metadata,
                              timeout=30).account
        assert got.account_id == str(row["id"])
        assert (Decimal(got.cash.value), Decimal(got.buying_power.value),
                Decimal(got.realized_pnl.value), Decimal(got.starting_cash.value)) == (
            row["cash"], row["cash"] - row["reserved_cash"], row["realized_pnl"],
            row["starting_cash"])

        listed = stub.ListPositions(trading_pb2.ListPositionsRequest(),
                                    metadata=user_metadata, timeout=30).positions
        assert {p.symbol: (p.quantity, Decimal(p.cost_basis.value)) for p in listed} == {
            symbol: (p["quantity"], p["cost_basis"]) for symbol, p in account.positions.items()}

        orders: list[trading_pb2.Order] = []
        token = ""
        while True:
            page = stub.ListOrders(trading_pb2.ListOrdersRequest(page_size=500,
                                                                 page_token=token),
                                   metadata=user_metadata, timeout=30)
            orders += page.orders
            token = page.next_page_token
            if not token:
                break
        assert sorted((o.order_id, o.client_order_id,
                       trading_pb2.OrderStatus.Name(o.status).removeprefix("ORDER_STATUS_"),
                       o.filled_quantity) for o in orders) == sorted(
            (order_id, o["client_order_id"], o["status"], o["filled_quantity"])
            for order_id, o in account.orders.items())

        fills = stub.ListFills(trading_pb2.ListFillsRequest(page_size=500),
                               metadata=user_metadata, timeout=30).fills
        assert sorted((f.fill_id, f.order_id, Decimal(f.net_amount.value)) for f in fills) == \
            sorted((str(f["id"]), str(f["order_id"]), halala(Decimal(f["net"])))
                   for f in account.fills)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def in_session(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker's clock in continuous trading, running on a millisecond per reading."""
    readings = itertools.count()
    lock = threading.Lock()

    def clock() -> datetime:
        with lock:
            return IN_SESSION + timedelta(milliseconds=next(readings))

    monkeypatch.setattr(server.app.broker, "clock", clock)


@dataclass(frozen=True)
class Trader:
    user_id: str
    metadata: Metadata


@pytest.fixture
def traders(server: RunningServer, channel: grpc.Channel, in_session: None
            ) -> Iterator[list[Trader]]:
    """Six fresh accounts holding 1000 shares of 2222 and 200 of 1120 (bought at the
    reference quotes); reset afterwards, so that no order of theirs stays open for the
    matching passes of later tests."""
    broker = server.app.broker
    for symbol, quotes in QUOTES.items():
        server.loop.run(broker.set_quote(symbol, quotes.mid))
    stub = trading_pb2_grpc.TradingServiceStub(channel)
    made: list[Trader] = []
    for _ in range(USERS):
        account = create_account(server, Role.USER)
        made.append(Trader(account.user_id,
                           bearer(login(channel, account).tokens.access_token)))
        for client_id, body in SETUP_ORDERS:
            order = stub.PlaceOrder(body.request(client_id), metadata=made[-1].metadata,
                                    timeout=30).order
            assert order.status == trading_pb2.ORDER_STATUS_FILLED, order
    yield made
    for trader in made:
        stub.ResetAccount(trading_pb2.ResetAccountRequest(), metadata=trader.metadata,
                          timeout=30)


# --- the test ----------------------------------------------------------------------------------


def test_a_storm_of_duplicate_orders_and_racing_cancels_keeps_the_books(
        server: RunningServer, channel: grpc.Channel, seeded: Backends,
        traders: list[Trader], resilience: Recorder) -> None:
    placements = len(PLACING_ROUNDS) * THREADS * 2 + USERS * THREADS * 2
    duplicated = USERS * (len(SHARED) + len(CONTESTED)) * THREADS
    together_cancels = USERS * 6 * THREADS
    resilience(
        area="Concurrency", probe="Duplicate client_order_ids sent at the same moment",
        tried=f"{THREADS} client threads (a gRPC channel each) on {USERS} accounts, started "
              f"together at a barrier each round: every thread sends the same client_order_id "
              f"at once ({len(SHARED)} ids per account with one body, {len(CONTESTED)} with "
              f"two bodies split by thread), mixed with each thread's own orders and orders "
              f"without an id, {placements} PlaceOrder calls in all",
        cases=duplicated,
        held="exactly one stored order per (account, client_order_id); every OK answer for "
             "an id names that order and the body sent; the other body got ALREADY_EXISTS "
             "(CLIENT_ORDER_ID_IN_USE) naming it; the order count per account is exact: none "
             "lost, none unasked for")
    resilience(
        area="Concurrency", probe="Duplicate cancels racing the matching pass",
        tried=f"{THREADS} threads cancelling the same order at once ({together_cancels} "
              "cancels: by order_id, or by client_order_id through GetOrder), orders the "
              "matcher cannot fill and orders it may fill first, while another thread moves "
              "the quotes down, up and back and runs matching passes; threads also cancel "
              "twice in a row, and place then cancel at once",
        cases=together_cancels,
        held="at most one OK cancel per order, exactly one for each order that ends "
             "CANCELED (so exactly one of eight for orders that cannot fill); every refusal "
             "is ORDER_NOT_CANCELABLE naming the order's final state; no filled order was "
             "cancelled; no order is left open that the matcher could fill")
    resilience(
        area="Concurrency", probe="Ledger invariants after concurrent trading",
        tried=f"the {USERS} accounts after the storm above, read from the tables and "
              "through GetAccount, ListPositions, ListOrders and ListFills",
        cases=USERS,
        held="cash = Σ ledger = starting cash + Σ fill nets, costs to the halala worked "
             "out independently; one ledger entry per fill and one fill per filled order, "
             "at a price the rules allow; reserved cash = Σ open buys' cost at their limit; "
             "positions = Σ fills, claimed shares = Σ open sells; Σ cost basis − realised "
             "P&L = starting cash − cash; nothing negative; the RPCs agree exactly")

    metadata = [trader.metadata for trader in traders]
    storm = run_storm(server, metadata)

    books = [read_books(seeded.database_url, trader.user_id) for trader in traders]
    check_idempotency(storm, books)
    check_cancels(storm, books)
    check_fills_and_ledger(storm, books)
    check_only_unfillable_orders_open(books)
    check_rpcs_agree(channel, metadata, books)


# --- lock order: a cancel queued on a busy account and a matching pass -------------------------


def lock_waiters(database_url: str) -> int:
    """How many backends of the test database wait for a lock (behind the holder directly,
    or queued behind a waiter ahead of them)."""
    rows = fetch_all(database_url, "SELECT count(*) AS n FROM pg_stat_activity"
                                   " WHERE datname = current_database()"
                                   " AND wait_event_type = 'Lock'")
    return int(rows[0]["n"])


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 20) -> None:
    """Poll `condition` (an observation of the database, not a guess at timing)."""
    deadline = threading.Event()
    timer = threading.Timer(timeout_s, deadline.set)
    timer.start()
    try:
        while not condition():
            if deadline.wait(0.01):
                raise AssertionError(f"timed out waiting until {what}")
    finally:
        timer.cancel()


def test_a_cancel_queued_behind_a_busy_account_does_not_deadlock_the_matcher(
        server: RunningServer, channel: grpc.Channel, seeded: Backends,
        traders: list[Trader], resilience: Recorder) -> None:
    resilience(
        area="Concurrency", probe="A cancel and a matching pass meet on one busy account",
        tried="a resting buy made marketable; a transaction holds its account (as a "
              "concurrent order would); CancelOrder for the buy queues on the account, then "
              "a matching pass starts and queues too; the account is released",
        cases=1,
        held="no deadlock: both finish (the cancel OK and the order CANCELED with nothing "
             "filled, or the fill first and the cancel refused as ORDER_NOT_CANCELABLE), "
             "and the books stay exact")
    database_url = seeded.database_url
    trader = traders[0]
    stub = trading_pb2_grpc.TradingServiceStub(channel)
    resting = stub.PlaceOrder(limit_buy("2222", 10, Q2.buy_limit).request("lock-order"),
                              metadata=trader.metadata, timeout=30).order
    assert resting.status == trading_pb2.ORDER_STATUS_NEW
    server.loop.run(server.app.broker.set_quote("2222", Q2.low))  # now it can fill
    account_id = str(fetch_all(database_url, "SELECT account_id FROM orders WHERE id = %s",
                               (resting.order_id,))[0]["account_id"])

    with ThreadPoolExecutor(max_workers=1) as pool, psycopg.connect(database_url) as holder:
        holder.execute("SELECT 1 FROM trading_accounts WHERE id = %s FOR UPDATE",
                       (account_id,))
        cancelling = pool.submit(answer_of, lambda: stub.CancelOrder(
            trading_pb2.CancelOrderRequest(order_id=resting.order_id),
            metadata=trader.metadata, timeout=60))
        wait_until(lambda: lock_waiters(database_url) == 1, "the cancel waits")
        matching = asyncio.run_coroutine_threadsafe(
            server.app.broker.match_open_orders(), server.loop.loop)
        wait_until(lambda: lock_waiters(database_url) == 2, "the matching pass waits")
        holder.rollback()
        answer = cancelling.result(timeout=60)
        matching.result(timeout=60)  # raises when Postgres broke a deadlock by aborting it

    (order,) = fetch_all(database_url, "SELECT * FROM orders WHERE id = %s",
                         (resting.order_id,))
    fills = fetch_all(database_url, "SELECT * FROM fills WHERE order_id = %s",
                      (resting.order_id,))
    if answer.code is OK:
        assert order["status"] == "CANCELED" and not fills, (order, fills)
    else:
        assert (answer.code, answer.reason, answer.metadata.get("status")) == (
            grpc.StatusCode.FAILED_PRECONDITION, "ORDER_NOT_CANCELABLE", "FILLED"), answer
        assert order["status"] == "FILLED" and len(fills) == 1, (order, fills)
    check_fills_and_ledger(Storm([], []), [read_books(database_url, trader.user_id)])


@pytest.fixture
def small_pool_server(seeded: Backends, monkeypatch: pytest.MonkeyPatch
                      ) -> Iterator[RunningServer]:
    """A server of its own whose database pool holds two connections, in session."""
    loop = EventLoopThread()
    running = start_test_server(seeded, loop, FINANCEHUB_DB_POOL_MIN="1",
                                FINANCEHUB_DB_POOL_MAX="2")
    readings = itertools.count()
    monkeypatch.setattr(running.app.broker, "clock",
                        lambda: IN_SESSION + timedelta(milliseconds=next(readings)))
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


def test_a_matching_pass_holding_an_account_needs_no_second_connection(
        small_pool_server: RunningServer, seeded: Backends, resilience: Recorder) -> None:
    resilience(
        area="Concurrency", probe="A matching pass with every pooled connection taken",
        tried="a server with 2 pooled connections: a transaction holds an account with a "
              "marketable resting buy; a matching pass queues on it (1st connection), then "
              "CancelOrder for another order of the account (2nd connection); the account "
              "is released",
        cases=1,
        held="the pass fills the buy on the connection it has and the cancel succeeds at "
             "once (no wait for a connection held by a call that waits for the pass)")
    server = small_pool_server
    database_url = seeded.database_url
    broker = server.app.broker
    server.loop.run(broker.set_quote("2222", Q2.mid))
    with grpc.insecure_channel(server.address) as channel:
        account = create_account(server, Role.USER)
        metadata = bearer(login(channel, account).tokens.access_token)
        stub = trading_pb2_grpc.TradingServiceStub(channel)
        fillable, resting = (
            stub.PlaceOrder(body.request(client_id), metadata=metadata, timeout=30).order
            for client_id, body in (("pool-fills", limit_buy("2222", 10, Q2.buy_limit)),
                                    ("pool-rests", limit_buy("2222", 1, Q2.far_buy))))
        account_id = str(fetch_all(database_url, "SELECT account_id FROM orders WHERE id = %s",
                                   (fillable.order_id,))[0]["account_id"])
        server.loop.run(broker.set_quote("2222", Q2.low))

        with ThreadPoolExecutor(max_workers=1) as pool, \
                psycopg.connect(database_url) as holder:
            holder.execute("SELECT 1 FROM trading_accounts WHERE id = %s FOR UPDATE",
                           (account_id,))
            matching = asyncio.run_coroutine_threadsafe(broker.match_open_orders(),
                                                        server.loop.loop)
            wait_until(lambda: lock_waiters(database_url) == 1, "the matching pass waits")
            cancelling = pool.submit(answer_of, lambda: stub.CancelOrder(
                trading_pb2.CancelOrderRequest(order_id=resting.order_id), metadata=metadata,
                timeout=60))
            wait_until(lambda: lock_waiters(database_url) == 2, "the cancel waits")
            holder.rollback()
            answer = cancelling.result(timeout=60)
            matching.result(timeout=60)
        stub.ResetAccount(trading_pb2.ResetAccountRequest(), metadata=metadata, timeout=30)

    assert answer.code is OK, answer
    statuses = {str(row["id"]): row["status"] for row in fetch_all(
        database_url, "SELECT id, status FROM orders WHERE id IN (%s, %s)",
        (fillable.order_id, resting.order_id))}
    assert statuses == {fillable.order_id: "FILLED", resting.order_id: "CANCELED"}, statuses
