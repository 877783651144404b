"""The paper broker: orders against the live quotes, under the rules of server/domain/orders.

Every change to an account (an order placed, filled, cancelled or expired, a reset) is
one transaction that first locks the account row; reads of cash, reservations and
positions happen under that lock, so concurrent orders on one account queue instead of
overspending or overselling, and a refused order writes nothing.

Prices: the live quote book (the market simulator's quotes) where it has the symbol,
else the last daily close. Limits are computed around the reference price (the
previous close). The matcher (`match_open_orders`) runs every few hundred milliseconds
in one process at a time (an advisory lock): it opens ACCEPTED orders when their day's
session starts, fills marketable ones and expires DAY orders after their close.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection

from financehub.v1 import quotes_pb2
from server.domain.errors import AlreadyExistsError, NotFoundError
from server.domain.orders import (
    OPEN_STATUSES,
    Costs,
    OrderRequest,
    OrderSide,
    OrderSpec,
    OrderStatus,
    OrderType,
    TimeInForce,
    admission,
    check_cancelable,
    fill_costs,
    fill_price,
    is_marketable,
    required_cash,
    validate_order,
)
from server.domain.securities import Market
from server.domain.ticks import price_from_float, price_limits
from server.domain.trading_account import (
    AccountValues,
    Holding,
    account_values,
    apply_fill,
    check_buying_power,
    check_shares_available,
)
from server.domain.trading_calendar import MarketSession, market_status_at
from server.services.conversions import date_message
from server.storage.database import Database
from server.storage.quotes import QuoteBook
from server.storage.trading import (
    AccountRecord,
    FillRecord,
    OrderRecord,
    PositionRecord,
    TradingRepository,
    request_fingerprint,
)

log = logging.getLogger(__name__)

# pg_advisory lock key of the matcher: the first 8 bytes of sha256("financehub:matcher").
MATCHER_LOCK_KEY = 0x2D4B1E6F0A93C5D7


@dataclass(frozen=True)
class MarketPrice:
    last: Decimal
    reference: Decimal  # the previous close: the day's limits are around it
    market: Market


@dataclass(frozen=True)
class AccountView:
    account: AccountRecord
    values: AccountValues


@dataclass(frozen=True)
class PlacedOrder:
    order: OrderRecord
    fill: FillRecord | None


@dataclass(frozen=True)
class OrderEvent:
    """What happened to an order: ACCEPTED, NEW, FILL, CANCELED, EXPIRED or REJECTED,
    with the order as it was right after (and the fill, for FILL)."""

    kind: str
    order: OrderRecord
    fill: FillRecord | None = None


# Told of each committed change, per owner (user id), in order.
EventSink = Callable[[str, list[OrderEvent]], Awaitable[None]]


def _event(kind: str, order: OrderRecord, fill: FillRecord | None = None) -> OrderEvent:
    return OrderEvent(kind, replace(order), fill)  # a copy: the record changes on


class PaperBroker:
    def __init__(self, database: Database, trading: TradingRepository, quotes: QuoteBook, *,
                 costs: Costs, starting_cash: Decimal, on_events: EventSink | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._db = database
        self._trading = trading
        self._quotes = quotes
        self._costs = costs
        self._starting_cash = starting_cash
        self._on_events = on_events
        # Replaceable (tests put the market in or out of session with it).
        self.clock = clock

    # --- prices ------------------------------------------------------------------------

    async def prices(self, symbols: Sequence[str]) -> dict[str, MarketPrice]:
        """Current prices of the `symbols` that have any (unknown symbols are left out)."""
        wanted = list(dict.fromkeys(symbols))
        closes = await self._quotes.end_of_day(wanted)
        live = await self._quotes.live(wanted)
        today = date_message(market_status_at(self.clock()).trading_day)
        prices = {}
        for symbol, eod in closes.items():
            quote = live.get(symbol)
            # A quote of another day carries that day's reference price: not used.
            if quote is not None and quote.previous_close and quote.trading_day == today:
                prices[symbol] = MarketPrice(price_from_float(quote.price),
                                             price_from_float(quote.previous_close), eod.market)
            else:
                close = price_from_float(eod.close)
                prices[symbol] = MarketPrice(close, close, eod.market)
        return prices

    async def set_quote(self, symbol: str, price: Decimal) -> None:
        """Make `price` the live price of `symbol` (what the simulator does on every beat;
        demos and tests move a price with it)."""
        closes = await self._quotes.end_of_day([symbol])
        if symbol not in closes:
            raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
        now = self.clock()
        quote = quotes_pb2.Quote(symbol=symbol, price=float(price),
                                 previous_close=closes[symbol].close,
                                 trading_day=date_message(market_status_at(now).trading_day))
        quote.update_time.FromDatetime(now)
        await self._quotes.store([quote])

    async def _price_of(self, symbol: str) -> MarketPrice:
        price = (await self.prices([symbol])).get(symbol)
        if price is None:
            raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
        return price

    # --- accounts ----------------------------------------------------------------------

    async def account(self, user_id: str) -> AccountView:
        account = await self._account_record(user_id)
        positions = await self._trading.positions(account.id)
        prices = await self.prices([p.symbol for p in positions])
        holdings = [Holding(p.symbol, p.quantity, p.cost_basis) for p in positions]
        latest = {symbol: price.last for symbol, price in prices.items()}
        return AccountView(account, account_values(account.cash, account.reserved_cash,
                                                   holdings, latest))

    async def reset(self, user_id: str, starting_cash: Decimal | None) -> AccountView:
        async with self._db.transaction() as conn:
            account = await self._lock_account(conn, user_id)
            await self._trading.reset(conn, account,
                                      starting_cash=starting_cash or self._starting_cash,
                                      now=self.clock())
        return await self.account(user_id)

    async def positions(self, user_id: str) -> tuple[list[PositionRecord],
                                                     dict[str, MarketPrice]]:
        account = await self._account_record(user_id)
        positions = await self._trading.positions(account.id)
        return positions, await self.prices([p.symbol for p in positions])

    async def _account_record(self, user_id: str) -> AccountRecord:
        account = await self._trading.account(user_id)
        if account is None:
            async with self._db.transaction() as conn:
                account = await self._lock_account(conn, user_id)
        return account

    async def _lock_account(self, conn: AsyncConnection[Any], user_id: str) -> AccountRecord:
        return await self._trading.lock_account(conn, user_id, new_id=str(uuid.uuid4()),
                                                starting_cash=self._starting_cash)

    # --- orders ------------------------------------------------------------------------

    async def place(self, user_id: str, request: OrderRequest,
                    client_order_id: str | None) -> PlacedOrder:
        """Validate, admit and (when it can) execute an order; idempotent per
        client_order_id."""
        price = await self._price_of(request.symbol)
        fingerprint = request_fingerprint({
            "symbol": request.symbol, "side": str(request.side), "type": str(request.type),
            "time_in_force": str(request.time_in_force or TimeInForce.DAY.value),
            "quantity": str(request.quantity),
            # As a number: "23.5" and "23.50" are the same price.
            "limit_price": "" if request.limit_price is None
            else format(request.limit_price.normalize(), "f")})
        now = self.clock()
        async with self._db.transaction() as conn:
            account = await self._lock_account(conn, user_id)
            # A retry is answered before any check: its order was valid when placed, and
            # today's limits may no longer allow it.
            if client_order_id:
                earlier = await self._trading.order_by_client_id(conn, account.id,
                                                                 client_order_id)
                if earlier is not None:
                    if earlier.request_fingerprint != fingerprint:
                        raise AlreadyExistsError(
                            f"client_order_id {client_order_id!r} was used for another order",
                            reason="CLIENT_ORDER_ID_IN_USE",
                            metadata={"order_id": earlier.id})
                    return PlacedOrder(earlier, None)
            spec = validate_order(request, reference_price=price.reference,
                                  market=price.market)
            admitted = admission(spec, market_status_at(now))
            order = OrderRecord(
                id=str(uuid.uuid4()), account_id=account.id, epoch=account.epoch,
                client_order_id=client_order_id or str(uuid.uuid4()),
                request_fingerprint=fingerprint, symbol=spec.symbol, side=spec.side.name,
                type=spec.type.name, time_in_force=spec.time_in_force.name,
                quantity=spec.quantity, limit_price=spec.limit_price,
                status=admitted.status.name, trading_day=admitted.trading_day,
                expires_at=admitted.expires_at, created_at=now, updated_at=now)
            execute_at = (fill_price(spec, price.last, slippage_rate=self._costs.slippage_rate,
                                     market=price.market, reference_price=price.reference)
                          if admitted.status is OrderStatus.NEW else None)
            # Cash and shares are checked at what the order can cost: a market buy at the
            # price it fills at now (or the upper limit while it waits), a limit buy at
            # its limit.
            await self._reserve(conn, account, order, spec, price, execute_at)
            await self._trading.insert_order(conn, order)
            events = [_event(order.status, order)]
            fill = None
            if execute_at is not None:
                fill = await self._execute(conn, account, order, spec, execute_at, now)
                events.append(_event("FILL", order, fill))
            elif spec.time_in_force in (TimeInForce.IOC, TimeInForce.FOK) \
                    and admitted.status is OrderStatus.NEW:
                await self._close(conn, order, OrderStatus.EXPIRED, now,
                                  reason="NOT_IMMEDIATELY_FILLABLE")
                events.append(_event(order.status, order))
        await self._emit(user_id, events)
        return PlacedOrder(order, fill)

    async def _emit(self, user_id: str, events: list[OrderEvent]) -> None:
        if self._on_events is not None and events:
            await self._on_events(user_id, events)

    async def _reserve(self, conn: AsyncConnection[Any], account: AccountRecord,
                       order: OrderRecord, spec: OrderSpec, price: MarketPrice,
                       execute_at: Decimal | None) -> None:
        if spec.side is OrderSide.BUY:
            worst = spec.limit_price if spec.limit_price is not None else (
                execute_at if execute_at is not None else _upper_limit(price))
            needed = required_cash(spec, worst, self._costs)
            check_buying_power(needed, account.cash - account.reserved_cash)
            order.reserved_cash = needed
            await self._trading.reserve_cash(conn, account.id, needed)
            return
        position = await self._trading.position_locked(conn, account.id, spec.symbol)
        held = position.quantity if position else 0
        reserved = position.reserved_quantity if position else 0
        check_shares_available(spec.quantity, held, reserved)
        assert position is not None  # check_shares_available refused a sell of nothing
        await self._trading.save_position(conn, account.id, spec.symbol, replace(
            position, reserved_quantity=reserved + spec.quantity))

    async def _execute(self, conn: AsyncConnection[Any], account: AccountRecord,
                       order: OrderRecord, spec: OrderSpec, price: Decimal,
                       now: datetime) -> FillRecord:
        """Fill the whole order at `price`: fill row, ledger entry, position, order."""
        amounts = fill_costs(spec.side, spec.quantity, price, self._costs)
        position = await self._trading.position_locked(conn, account.id, spec.symbol)
        holding = Holding(spec.symbol, position.quantity, position.cost_basis) \
            if position else None
        update = apply_fill(holding, spec.symbol, amounts)
        fill = FillRecord(id=str(uuid.uuid4()), order_id=order.id, account_id=account.id,
                          epoch=order.epoch, symbol=spec.symbol, side=spec.side.name,
                          quantity=spec.quantity, price=price, gross=amounts.gross,
                          commission=amounts.commission, vat=amounts.vat, net=amounts.net,
                          filled_at=now)
        await self._trading.insert_fill(conn, fill)
        await self._trading.move_cash(conn, account.id, kind="FILL", amount=amounts.net,
                                      fill_id=fill.id, reserved_delta=-order.reserved_cash,
                                      realized_delta=update.realized_pnl)
        reserved_shares = (position.reserved_quantity if position else 0) - (
            spec.quantity if spec.side is OrderSide.SELL else 0)
        await self._trading.save_position(conn, account.id, spec.symbol, None if
                                          update.holding is None else PositionRecord(
                                              spec.symbol, update.holding.quantity,
                                              reserved_shares, update.holding.cost_basis))
        order.status, order.filled_quantity, order.average_fill_price = (
            OrderStatus.FILLED.name, spec.quantity, price)
        order.reserved_cash, order.filled_at, order.updated_at = Decimal(0), now, now
        await self._trading.save_order(conn, order)
        return fill

    async def _close(self, conn: AsyncConnection[Any], order: OrderRecord,
                     status: OrderStatus, now: datetime, *, reason: str) -> None:
        """Cancel or expire an open order, releasing what it held back."""
        if order.side == OrderSide.BUY.name:
            await self._trading.reserve_cash(conn, order.account_id, -order.reserved_cash)
        else:
            position = await self._trading.position_locked(conn, order.account_id,
                                                           order.symbol)
            if position is not None:
                await self._trading.save_position(conn, order.account_id, order.symbol, replace(
                    position, reserved_quantity=position.reserved_quantity - order.quantity))
        order.status, order.status_reason, order.reserved_cash = status.name, reason, Decimal(0)
        order.updated_at = now
        if status is OrderStatus.CANCELED:
            order.canceled_at = now
        elif status is OrderStatus.EXPIRED:
            order.expired_at = now
        await self._trading.save_order(conn, order)

    async def cancel(self, user_id: str, order_id: str) -> OrderRecord:
        account = await self._account_record(user_id)
        async with self._db.transaction() as conn:
            await self._trading.account_by_id_locked(conn, account.id)
            order = await self._trading.order_locked(conn, order_id)
            if order is None or order.account_id != account.id:
                raise NotFoundError("order", order_id, reason="ORDER_NOT_FOUND")
            check_cancelable(OrderStatus[order.status])
            await self._close(conn, order, OrderStatus.CANCELED, self.clock(),
                              reason="CANCELED_BY_USER")
        await self._emit(user_id, [_event(order.status, order)])
        return order

    async def order(self, user_id: str, *, order_id: str | None = None,
                    client_order_id: str | None = None) -> OrderRecord:
        account = await self._account_record(user_id)
        found = await self._trading.find_order(account_id=account.id, order_id=order_id,
                                               client_order_id=client_order_id)
        if found is None:
            raise NotFoundError("order", order_id or client_order_id or "",
                                reason="ORDER_NOT_FOUND")
        return found

    async def orders(self, user_id: str, **filters: Any) -> list[tuple[int, OrderRecord]]:
        account = await self._account_record(user_id)
        return await self._trading.orders_page(account_id=account.id, epoch=account.epoch,
                                               **filters)

    async def fills(self, user_id: str, **filters: Any) -> list[tuple[int, FillRecord]]:
        account = await self._account_record(user_id)
        return await self._trading.fills_page(account_id=account.id, epoch=account.epoch,
                                              **filters)

    # --- matching ----------------------------------------------------------------------

    async def match_open_orders(self) -> int:
        """One pass over the open orders; answers how many changed.

        Only orders something can happen to are locked and looked at one by one: those
        past their expiry, and during the session those due to open or marketable at the
        current prices (read once per symbol). Outside the session a pass costs one query.
        """
        now = self.clock()
        status = market_status_at(now)
        in_session = status.session is MarketSession.CONTINUOUS
        candidates = await self._trading.open_orders(
            expiring_by=now, active_on=status.trading_day if in_session else None)
        if not candidates:
            return 0
        prices = await self.prices([order.symbol for order in candidates])
        due = [order for order in candidates
               if (order.expires_at is not None and now >= order.expires_at)
               or order.status == OrderStatus.ACCEPTED.name
               or (order.symbol in prices and is_marketable(_spec(order),
                                                             prices[order.symbol].last))]
        if not due:
            return 0
        events: dict[str, list[OrderEvent]] = {}
        async with self._db.transaction() as conn:
            cursor = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)",
                                        (MATCHER_LOCK_KEY,))
            locked = await cursor.fetchone()
            if not locked or not locked[0]:
                return 0  # another process is matching
            for candidate in due:
                happened = await self._match(conn, candidate.account_id, candidate.id, now,
                                             status.session, status.trading_day, prices)
                if happened is not None:
                    events.setdefault(happened[0], []).extend(happened[1])
        for user_id, user_events in events.items():
            await self._emit(user_id, user_events)
        return sum(len(user_events) for user_events in events.values())

    async def _match(self, conn: AsyncConnection[Any], account_id: str, order_id: str,
                     now: datetime, session: MarketSession, today: date,
                     prices: dict[str, MarketPrice]) -> tuple[str, list[OrderEvent]] | None:
        """Advance one open order; answers its owner and what happened, if anything.

        The account is locked before the order, as every other change to an account does
        (placing, cancelling, resetting): locking the order first deadlocked with a cancel
        of it queued on the account. Prices are the pass's own (`prices`): reading them
        here would take a second pooled connection, and a call to Redis, while this
        transaction holds accounts that other calls, each holding a connection, wait for.
        """
        # An order never changes accounts: the candidate's account_id is the order's.
        account = await self._trading.account_by_id_locked(conn, account_id)
        order = await self._trading.order_locked(conn, order_id)
        if order is None or OrderStatus[order.status] not in OPEN_STATUSES:
            return None
        if order.expires_at is not None and now >= order.expires_at:
            await self._close(conn, order, OrderStatus.EXPIRED, now, reason="DAY_ORDER_EXPIRED")
            return account.user_id, [_event(order.status, order)]
        if session is not MarketSession.CONTINUOUS or order.trading_day > today:
            return None
        spec = _spec(order)
        price = prices.get(order.symbol)
        execute_at = None if price is None else fill_price(
            spec, price.last, slippage_rate=self._costs.slippage_rate, market=price.market,
            reference_price=price.reference)
        events = []
        if order.status == OrderStatus.ACCEPTED.name:
            order.status, order.updated_at = OrderStatus.NEW.name, now
            await self._trading.save_order(conn, order)
            events.append(_event(order.status, order))
        if execute_at is None:
            return (account.user_id, events) if events else None
        if spec.side is OrderSide.BUY:
            cost = -fill_costs(spec.side, spec.quantity, execute_at, self._costs).net
            available = account.cash - account.reserved_cash + order.reserved_cash
            if cost > available:  # a market order queued overnight that the cash no longer covers
                await self._close(conn, order, OrderStatus.REJECTED, now,
                                  reason="INSUFFICIENT_CASH")
                return account.user_id, [*events, _event(order.status, order)]
        fill = await self._execute(conn, account, order, spec, execute_at, now)
        return account.user_id, [*events, _event("FILL", order, fill)]


def _spec(order: OrderRecord) -> OrderSpec:
    return OrderSpec(symbol=order.symbol, side=OrderSide[order.side],
                     type=OrderType[order.type], time_in_force=TimeInForce[order.time_in_force],
                     quantity=order.quantity, limit_price=order.limit_price)


def _upper_limit(price: MarketPrice) -> Decimal:
    return price_limits(price.reference, price.market).upper
