import datetime

from financehub.options.v1 import options_pb2 as _options_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.type import decimal_pb2 as _decimal_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_SIDE_UNSPECIFIED: _ClassVar[OrderSide]
    ORDER_SIDE_BUY: _ClassVar[OrderSide]
    ORDER_SIDE_SELL: _ClassVar[OrderSide]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_IN_FORCE_UNSPECIFIED: _ClassVar[TimeInForce]
    TIME_IN_FORCE_DAY: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GTC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_IOC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_FOK: _ClassVar[TimeInForce]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_ACCEPTED: _ClassVar[OrderStatus]
    ORDER_STATUS_NEW: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELED: _ClassVar[OrderStatus]
    ORDER_STATUS_EXPIRED: _ClassVar[OrderStatus]
    ORDER_STATUS_REJECTED: _ClassVar[OrderStatus]

class OrderEvent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_EVENT_UNSPECIFIED: _ClassVar[OrderEvent]
    ORDER_EVENT_ACCEPTED: _ClassVar[OrderEvent]
    ORDER_EVENT_NEW: _ClassVar[OrderEvent]
    ORDER_EVENT_PARTIAL_FILL: _ClassVar[OrderEvent]
    ORDER_EVENT_FILL: _ClassVar[OrderEvent]
    ORDER_EVENT_CANCELED: _ClassVar[OrderEvent]
    ORDER_EVENT_EXPIRED: _ClassVar[OrderEvent]
    ORDER_EVENT_REJECTED: _ClassVar[OrderEvent]
ORDER_SIDE_UNSPECIFIED: OrderSide
ORDER_SIDE_BUY: OrderSide
ORDER_SIDE_SELL: OrderSide
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_MARKET: OrderType
ORDER_TYPE_LIMIT: OrderType
TIME_IN_FORCE_UNSPECIFIED: TimeInForce
TIME_IN_FORCE_DAY: TimeInForce
TIME_IN_FORCE_GTC: TimeInForce
TIME_IN_FORCE_IOC: TimeInForce
TIME_IN_FORCE_FOK: TimeInForce
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_ACCEPTED: OrderStatus
ORDER_STATUS_NEW: OrderStatus
ORDER_STATUS_PARTIALLY_FILLED: OrderStatus
ORDER_STATUS_FILLED: OrderStatus
ORDER_STATUS_CANCELED: OrderStatus
ORDER_STATUS_EXPIRED: OrderStatus
ORDER_STATUS_REJECTED: OrderStatus
ORDER_EVENT_UNSPECIFIED: OrderEvent
ORDER_EVENT_ACCEPTED: OrderEvent
ORDER_EVENT_NEW: OrderEvent
ORDER_EVENT_PARTIAL_FILL: OrderEvent
ORDER_EVENT_FILL: OrderEvent
ORDER_EVENT_CANCELED: OrderEvent
ORDER_EVENT_EXPIRED: OrderEvent
ORDER_EVENT_REJECTED: OrderEvent

class Account(_message.Message):
    __slots__ = ("account_id", "currency", "cash", "buying_power", "positions_value", "equity", "realized_pnl", "unrealized_pnl", "starting_cash", "created_at", "reset_at")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    BUYING_POWER_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_VALUE_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    STARTING_CASH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESET_AT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    currency: str
    cash: _decimal_pb2.Decimal
    buying_power: _decimal_pb2.Decimal
    positions_value: _decimal_pb2.Decimal
    equity: _decimal_pb2.Decimal
    realized_pnl: _decimal_pb2.Decimal
    unrealized_pnl: _decimal_pb2.Decimal
    starting_cash: _decimal_pb2.Decimal
    created_at: _timestamp_pb2.Timestamp
    reset_at: _timestamp_pb2.Timestamp
    def __init__(self, account_id: _Optional[str] = ..., currency: _Optional[str] = ..., cash: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., buying_power: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., positions_value: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., equity: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., realized_pnl: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., unrealized_pnl: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., starting_cash: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reset_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "client_order_id", "symbol", "side", "type", "time_in_force", "quantity", "filled_quantity", "limit_price", "average_fill_price", "status", "status_reason", "created_at", "updated_at", "filled_at", "canceled_at", "expired_at", "trading_day")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FILLED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_FILL_PRICE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    FILLED_AT_FIELD_NUMBER: _ClassVar[int]
    CANCELED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_AT_FIELD_NUMBER: _ClassVar[int]
    TRADING_DAY_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce
    quantity: int
    filled_quantity: int
    limit_price: _decimal_pb2.Decimal
    average_fill_price: _decimal_pb2.Decimal
    status: OrderStatus
    status_reason: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    filled_at: _timestamp_pb2.Timestamp
    canceled_at: _timestamp_pb2.Timestamp
    expired_at: _timestamp_pb2.Timestamp
    trading_day: _date_pb2.Date
    def __init__(self, order_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[OrderSide, str]] = ..., type: _Optional[_Union[OrderType, str]] = ..., time_in_force: _Optional[_Union[TimeInForce, str]] = ..., quantity: _Optional[int] = ..., filled_quantity: _Optional[int] = ..., limit_price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., average_fill_price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., status_reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., filled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., canceled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expired_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trading_day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("symbol", "quantity", "average_cost", "cost_basis", "market_price", "market_value", "unrealized_pnl", "unrealized_pnl_percent")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_COST_FIELD_NUMBER: _ClassVar[int]
    COST_BASIS_FIELD_NUMBER: _ClassVar[int]
    MARKET_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_PERCENT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quantity: int
    average_cost: _decimal_pb2.Decimal
    cost_basis: _decimal_pb2.Decimal
    market_price: _decimal_pb2.Decimal
    market_value: _decimal_pb2.Decimal
    unrealized_pnl: _decimal_pb2.Decimal
    unrealized_pnl_percent: _decimal_pb2.Decimal
    def __init__(self, symbol: _Optional[str] = ..., quantity: _Optional[int] = ..., average_cost: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., cost_basis: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., market_price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., market_value: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., unrealized_pnl: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., unrealized_pnl_percent: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class Fill(_message.Message):
    __slots__ = ("fill_id", "order_id", "symbol", "side", "quantity", "price", "gross_amount", "commission", "vat", "net_amount", "filled_at")
    FILL_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    GROSS_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    VAT_FIELD_NUMBER: _ClassVar[int]
    NET_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FILLED_AT_FIELD_NUMBER: _ClassVar[int]
    fill_id: str
    order_id: str
    symbol: str
    side: OrderSide
    quantity: int
    price: _decimal_pb2.Decimal
    gross_amount: _decimal_pb2.Decimal
    commission: _decimal_pb2.Decimal
    vat: _decimal_pb2.Decimal
    net_amount: _decimal_pb2.Decimal
    filled_at: _timestamp_pb2.Timestamp
    def __init__(self, fill_id: _Optional[str] = ..., order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[OrderSide, str]] = ..., quantity: _Optional[int] = ..., price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., gross_amount: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., commission: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., vat: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., net_amount: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., filled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class ResetAccountRequest(_message.Message):
    __slots__ = ("starting_cash",)
    STARTING_CASH_FIELD_NUMBER: _ClassVar[int]
    starting_cash: _decimal_pb2.Decimal
    def __init__(self, starting_cash: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class ResetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class PlaceOrderRequest(_message.Message):
    __slots__ = ("client_order_id", "symbol", "side", "type", "time_in_force", "quantity", "limit_price")
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    client_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce
    quantity: int
    limit_price: _decimal_pb2.Decimal
    def __init__(self, client_order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[OrderSide, str]] = ..., type: _Optional[_Union[OrderType, str]] = ..., time_in_force: _Optional[_Union[TimeInForce, str]] = ..., quantity: _Optional[int] = ..., limit_price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class PlaceOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id", "client_order_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    client_order_id: str
    def __init__(self, order_id: _Optional[str] = ..., client_order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "statuses", "symbol", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    statuses: _containers.RepeatedScalarFieldContainer[OrderStatus]
    symbol: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[OrderStatus, str]]] = ..., symbol: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPositionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPositionsResponse(_message.Message):
    __slots__ = ("positions",)
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    positions: _containers.RepeatedCompositeFieldContainer[Position]
    def __init__(self, positions: _Optional[_Iterable[_Union[Position, _Mapping]]] = ...) -> None: ...

class ListFillsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "symbol", "order_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    symbol: str
    order_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., symbol: _Optional[str] = ..., order_id: _Optional[str] = ...) -> None: ...

class ListFillsResponse(_message.Message):
    __slots__ = ("fills", "next_page_token")
    FILLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    fills: _containers.RepeatedCompositeFieldContainer[Fill]
    next_page_token: str
    def __init__(self, fills: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StreamOrderUpdatesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OrderUpdate(_message.Message):
    __slots__ = ("event", "order", "fill")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    FILL_FIELD_NUMBER: _ClassVar[int]
    event: OrderEvent
    order: Order
    fill: Fill
    def __init__(self, event: _Optional[_Union[OrderEvent, str]] = ..., order: _Optional[_Union[Order, _Mapping]] = ..., fill: _Optional[_Union[Fill, _Mapping]] = ...) -> None: ...

class StreamOrderUpdatesResponse(_message.Message):
    __slots__ = ("order_update", "heartbeat")
    ORDER_UPDATE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    order_update: OrderUpdate
    heartbeat: _timestamp_pb2.Timestamp
    def __init__(self, order_update: _Optional[_Union[OrderUpdate, _Mapping]] = ..., heartbeat: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
