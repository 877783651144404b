"""TradingService: paper trading through the PaperBroker (server/broker/paper_broker.py)."""

import re
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

import grpc

from financehub.v1 import trading_pb2, trading_pb2_grpc
from server.broker.paper_broker import (
    AccountView,
    EventSink,
    MarketPrice,
    OrderEvent,
    PaperBroker,
)
from server.domain.errors import (
    AbortedError,
    FieldViolation,
    InvalidArgumentError,
    ViolationCollector,
)
from server.domain.orders import OrderRequest
from server.domain.symbols import require_symbol
from server.domain.trading_account import Holding, value_position
from server.realtime.order_updates import OrderUpdateFeed
from server.request_context import current_user_id
from server.services.conversions import (
    date_message,
    decimal_from,
    decimal_message,
    enum_value_or_violation,
    optional_timestamp,
    require_uuid,
    timestamp_message,
)
from server.services.pagination import (
    decode_page_token,
    encode_page_token,
    id_cursor,
    page_size_from,
)
from server.storage.trading import FillRecord, OrderRecord, PositionRecord

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MAX_PAGE_SIZE = 500
MAX_STARTING_CASH = Decimal("1000000000")
# Positions are valued to the halala; percentages to two places (the domain's).
HALALA = Decimal("0.01")


def _enum(proto_enum: Any, prefix: str, name: str) -> int:
    return int(proto_enum.Value(f"{prefix}_{name}"))


def order_message(order: OrderRecord) -> trading_pb2.Order:
    message = trading_pb2.Order(
        order_id=order.id, client_order_id=order.client_order_id, symbol=order.symbol,
        side=_enum(trading_pb2.OrderSide, "ORDER_SIDE", order.side),
        type=_enum(trading_pb2.OrderType, "ORDER_TYPE", order.type),
        time_in_force=_enum(trading_pb2.TimeInForce, "TIME_IN_FORCE", order.time_in_force),
        quantity=order.quantity, filled_quantity=order.filled_quantity,
        status=_enum(trading_pb2.OrderStatus, "ORDER_STATUS", order.status),
        status_reason=order.status_reason, created_at=timestamp_message(order.created_at),
        updated_at=timestamp_message(order.updated_at),
        trading_day=date_message(order.trading_day))
    if order.limit_price is not None:
        message.limit_price.CopyFrom(decimal_message(order.limit_price.normalize()))
    if order.average_fill_price is not None:
        message.average_fill_price.CopyFrom(
            decimal_message(order.average_fill_price.normalize()))
    for name in ("filled_at", "canceled_at", "expired_at"):
        moment: datetime | None = getattr(order, name)
        if moment is not None:
            getattr(message, name).CopyFrom(timestamp_message(moment))
    return message


def fill_message(fill: FillRecord) -> trading_pb2.Fill:
    return trading_pb2.Fill(
        fill_id=fill.id, order_id=fill.order_id, symbol=fill.symbol,
        side=_enum(trading_pb2.OrderSide, "ORDER_SIDE", fill.side), quantity=fill.quantity,
        price=decimal_message(fill.price.normalize()),
        gross_amount=decimal_message(fill.gross.quantize(HALALA)),
        commission=decimal_message(fill.commission), vat=decimal_message(fill.vat),
        net_amount=decimal_message(fill.net.quantize(HALALA)),
        filled_at=timestamp_message(fill.filled_at))


def account_message(view: AccountView) -> trading_pb2.Account:
    account, values = view.account, view.values
    message = trading_pb2.Account(
        account_id=account.id, currency="SAR", cash=decimal_message(values.cash),
        buying_power=decimal_message(values.buying_power),
        positions_value=decimal_message(values.positions_value.quantize(HALALA)),
        equity=decimal_message(values.equity.quantize(HALALA)),
        realized_pnl=decimal_message(account.realized_pnl),
        unrealized_pnl=decimal_message(values.unrealized_pnl.quantize(HALALA)),
        starting_cash=decimal_message(account.starting_cash),
        created_at=timestamp_message(account.created_at))
    if account.reset_at is not None:
        message.reset_at.CopyFrom(timestamp_message(account.reset_at))
    return message


def position_message(position: PositionRecord,
                     price: MarketPrice | None) -> trading_pb2.Position:
    holding = Holding(position.symbol, position.quantity, position.cost_basis)
    valued = value_position(holding, price.last if price is not None else None)
    return trading_pb2.Position(
        symbol=position.symbol, quantity=position.quantity,
        average_cost=decimal_message(holding.average_cost),
        cost_basis=decimal_message(position.cost_basis),
        market_price=decimal_message(valued.market_price.normalize()),
        market_value=decimal_message(valued.market_value.quantize(HALALA)),
        unrealized_pnl=decimal_message(valued.unrealized_pnl.quantize(HALALA)),
        unrealized_pnl_percent=decimal_message(valued.unrealized_pnl_percent))


class TradingServicer(trading_pb2_grpc.TradingServiceServicer):
    def __init__(self, broker: PaperBroker, feed: OrderUpdateFeed, *,
                 heartbeat_interval_s: float) -> None:
        self._broker = broker
        self._feed = feed
        self._heartbeat_interval_s = heartbeat_interval_s

    async def GetAccount(self, request: trading_pb2.GetAccountRequest,
                         context: Context) -> trading_pb2.GetAccountResponse:
        return trading_pb2.GetAccountResponse(
            account=account_message(await self._broker.account(current_user_id())))

    async def ResetAccount(self, request: trading_pb2.ResetAccountRequest,
                           context: Context) -> trading_pb2.ResetAccountResponse:
        problems = ViolationCollector()
        starting_cash = None
        if request.starting_cash.value:
            starting_cash = decimal_from(request.starting_cash, "starting_cash", problems,
                                         Decimal(0))
            if not problems.violations and not (
                    Decimal(0) < starting_cash <= MAX_STARTING_CASH
                    and starting_cash == starting_cash.quantize(HALALA)):
                problems.add("starting_cash", f"must be above 0 and at most "
                                              f"{MAX_STARTING_CASH} SAR, in whole halalas")
        problems.raise_if_any()
        view = await self._broker.reset(current_user_id(), starting_cash)
        return trading_pb2.ResetAccountResponse(account=account_message(view))

    async def PlaceOrder(self, request: trading_pb2.PlaceOrderRequest,
                         context: Context) -> trading_pb2.PlaceOrderResponse:
        problems = ViolationCollector()
        if request.client_order_id and not CLIENT_ORDER_ID.match(request.client_order_id):
            problems.add("client_order_id", "up to 64 characters of A-Z a-z 0-9 . _ : -")
        limit_price = (decimal_from(request.limit_price, "limit_price", problems, Decimal(0))
                       if request.limit_price.value else None)
        problems.raise_if_any()
        placed = await self._broker.place(current_user_id(), OrderRequest(
            symbol=require_symbol(request.symbol), side=request.side, type=request.type,
            time_in_force=request.time_in_force, quantity=request.quantity,
            limit_price=limit_price), request.client_order_id or None)
        return trading_pb2.PlaceOrderResponse(order=order_message(placed.order))

    async def CancelOrder(self, request: trading_pb2.CancelOrderRequest,
                          context: Context) -> trading_pb2.CancelOrderResponse:
        order = await self._broker.cancel(current_user_id(),
                                          require_uuid(request.order_id, "order_id"))
        return trading_pb2.CancelOrderResponse(order=order_message(order))

    async def GetOrder(self, request: trading_pb2.GetOrderRequest,
                       context: Context) -> trading_pb2.GetOrderResponse:
        if bool(request.order_id) == bool(request.client_order_id):
            raise InvalidArgumentError([FieldViolation(
                "order_id", "give exactly one of order_id and client_order_id")])
        order = await self._broker.order(
            current_user_id(),
            order_id=require_uuid(request.order_id, "order_id") if request.order_id else None,
            client_order_id=request.client_order_id or None)
        return trading_pb2.GetOrderResponse(order=order_message(order))

    async def ListOrders(self, request: trading_pb2.ListOrdersRequest,
                         context: Context) -> trading_pb2.ListOrdersResponse:
        problems = ViolationCollector()
        size = page_size_from(request.page_size, maximum=MAX_PAGE_SIZE)
        statuses = []
        for index, status in enumerate(request.statuses):
            if enum_value_or_violation(status, dict.fromkeys(
                    trading_pb2.OrderStatus.values()), f"statuses[{index}]", problems) \
                    and status != trading_pb2.ORDER_STATUS_UNSPECIFIED:
                statuses.append(trading_pb2.OrderStatus.Name(status).removeprefix(
                    "ORDER_STATUS_"))
        start = optional_timestamp(request.start_time, "start_time", problems)
        end = optional_timestamp(request.end_time, "end_time", problems)
        problems.raise_if_any()
        symbol = require_symbol(request.symbol) if request.symbol else None
        filters = (",".join(sorted(statuses)), symbol or "", str(start), str(end))
        before = id_cursor(decode_page_token(request.page_token, filters))
        orders = await self._broker.orders(current_user_id(), statuses=statuses, symbol=symbol,
                                           start=start, end=end, before=before, limit=size + 1)
        response = trading_pb2.ListOrdersResponse(
            orders=[order_message(order) for _, order in orders[:size]])
        if len(orders) > size:
            response.next_page_token = encode_page_token(str(orders[size - 1][0]), filters)
        return response

    async def ListPositions(self, request: trading_pb2.ListPositionsRequest,
                            context: Context) -> trading_pb2.ListPositionsResponse:
        positions, prices = await self._broker.positions(current_user_id())
        return trading_pb2.ListPositionsResponse(positions=[
            position_message(position, prices.get(position.symbol)) for position in positions])

    async def ListFills(self, request: trading_pb2.ListFillsRequest,
                        context: Context) -> trading_pb2.ListFillsResponse:
        size = page_size_from(request.page_size, maximum=MAX_PAGE_SIZE)
        symbol = require_symbol(request.symbol) if request.symbol else None
        order_id = require_uuid(request.order_id, "order_id") if request.order_id else None
        filters = (symbol or "", order_id or "")
        before = id_cursor(decode_page_token(request.page_token, filters))
        fills = await self._broker.fills(current_user_id(), symbol=symbol, order_id=order_id,
                                         before=before, limit=size + 1)
        response = trading_pb2.ListFillsResponse(
            fills=[fill_message(fill) for _, fill in fills[:size]])
        if len(fills) > size:
            response.next_page_token = encode_page_token(str(fills[size - 1][0]), filters)
        return response

    async def StreamOrderUpdates(self, request: trading_pb2.StreamOrderUpdatesRequest,
                                 context: Context
                                 ) -> AsyncIterator[trading_pb2.StreamOrderUpdatesResponse]:
        stream = self._feed.subscribe(current_user_id())
        try:
            while True:
                update = await stream.next_update(self._heartbeat_interval_s)
                if stream.broken:
                    raise AbortedError(
                        "order updates were lost (this stream fell behind, or the feed was "
                        "interrupted); reconcile with ListOrders and open a new stream",
                        reason="ORDER_UPDATES_LOST")
                if update is None:
                    heartbeat = trading_pb2.StreamOrderUpdatesResponse()
                    heartbeat.heartbeat.GetCurrentTime()
                    yield heartbeat
                else:
                    yield trading_pb2.StreamOrderUpdatesResponse(
                        order_update=trading_pb2.OrderUpdate.FromString(update))
        finally:
            self._feed.unsubscribe(stream)


_EVENTS = {"ACCEPTED": trading_pb2.ORDER_EVENT_ACCEPTED, "NEW": trading_pb2.ORDER_EVENT_NEW,
           "FILL": trading_pb2.ORDER_EVENT_FILL, "CANCELED": trading_pb2.ORDER_EVENT_CANCELED,
           "EXPIRED": trading_pb2.ORDER_EVENT_EXPIRED,
           "REJECTED": trading_pb2.ORDER_EVENT_REJECTED}


def update_message(event: OrderEvent) -> trading_pb2.OrderUpdate:
    message = trading_pb2.OrderUpdate(event=_EVENTS[event.kind], order=order_message(event.order))
    if event.fill is not None:
        message.fill.CopyFrom(fill_message(event.fill))
    return message


def order_update_publisher(feed: OrderUpdateFeed) -> EventSink:
    """What the broker calls after each committed change: the updates go on the feed."""
    async def publish(user_id: str, events: list[OrderEvent]) -> None:
        await feed.publish(user_id, [update_message(e).SerializeToString() for e in events])

    return publish
