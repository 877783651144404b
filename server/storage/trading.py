"""Paper-trading tables: accounts, their ledger, orders, fills and positions.

Writes take the caller's connection: the broker runs each change (an order placed, a
fill, a cancel, a reset) in one transaction that starts by locking the account row, so
concurrent calls on one account queue and never overspend or oversell.
"""

import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from server.storage.database import Database


@dataclass(frozen=True)
class AccountRecord:
    id: str
    user_id: str
    epoch: int
    starting_cash: Decimal
    cash: Decimal
    reserved_cash: Decimal
    realized_pnl: Decimal
    created_at: datetime
    reset_at: datetime | None


@dataclass
class OrderRecord:
    id: str
    account_id: str
    epoch: int
    client_order_id: str
    request_fingerprint: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    quantity: int
    limit_price: Decimal | None
    status: str
    trading_day: date
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    filled_quantity: int = 0
    average_fill_price: Decimal | None = None
    status_reason: str = ""
    reserved_cash: Decimal = Decimal("0.00")
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None


@dataclass(frozen=True)
class FillRecord:
    id: str
    order_id: str
    account_id: str
    epoch: int
    symbol: str
    side: str
    quantity: int
    price: Decimal
    gross: Decimal
    commission: Decimal
    vat: Decimal
    net: Decimal
    filled_at: datetime


@dataclass(frozen=True)
class PositionRecord:
    symbol: str
    quantity: int
    reserved_quantity: int
    cost_basis: Decimal


# The records' fields are the tables' columns: queries list them from the dataclasses.
_ACCOUNT_NAMES = tuple(f.name for f in fields(AccountRecord))
_ORDER_NAMES = tuple(f.name for f in fields(OrderRecord))
_FILL_NAMES = tuple(f.name for f in fields(FillRecord))
_ACCOUNT_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, _ACCOUNT_NAMES))
_ORDER_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, _ORDER_NAMES))
_FILL_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, _FILL_NAMES))


def _insert(table: str, names: tuple[str, ...]) -> sql.Composed:
    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)))


def _account(row: dict[str, Any]) -> AccountRecord:
    return AccountRecord(**{**row, "id": str(row["id"]), "user_id": str(row["user_id"])})


def _order(row: dict[str, Any]) -> OrderRecord:
    return OrderRecord(**{**row, "id": str(row["id"]), "account_id": str(row["account_id"])})


def _fill(row: dict[str, Any]) -> FillRecord:
    return FillRecord(**{**row, "id": str(row["id"]), "order_id": str(row["order_id"]),
                         "account_id": str(row["account_id"])})


def request_fingerprint(fields: dict[str, str]) -> str:
    """A canonical text of what a client asked for: equal bodies, equal fingerprints."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


class TradingRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    # --- accounts ----------------------------------------------------------------------

    async def lock_account(self, conn: AsyncConnection[Any], user_id: str, *,
                           new_id: str, starting_cash: Decimal) -> AccountRecord:
        """The user's account, locked for this transaction; opened (with its starting
        deposit on the ledger) on first use."""
        inserted = await conn.execute(
            "INSERT INTO trading_accounts (id, user_id, starting_cash, cash)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (user_id) DO NOTHING",
            (new_id, user_id, starting_cash, starting_cash))
        if inserted.rowcount:
            await conn.execute("INSERT INTO ledger_entries (account_id, kind, amount)"
                               " VALUES (%s, 'DEPOSIT', %s)", (new_id, starting_cash))
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(sql.SQL(
                "SELECT {} FROM trading_accounts WHERE user_id = %s FOR UPDATE").format(
                    _ACCOUNT_COLUMNS), (user_id,))
            row = await cursor.fetchone()
        assert row is not None, "the account was just inserted or already there"
        return _account(row)

    async def account_by_id_locked(self, conn: AsyncConnection[Any],
                                   account_id: str) -> AccountRecord:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(sql.SQL(
                "SELECT {} FROM trading_accounts WHERE id = %s FOR UPDATE").format(
                    _ACCOUNT_COLUMNS), (account_id,))
            row = await cursor.fetchone()
        assert row is not None, "orders only belong to existing accounts"
        return _account(row)

    async def move_cash(self, conn: AsyncConnection[Any], account_id: str, *, kind: str,
                        amount: Decimal, fill_id: str | None = None,
                        reserved_delta: Decimal = Decimal(0),
                        realized_delta: Decimal = Decimal(0)) -> None:
        """A ledger entry and the account's running balance, together (with what the
        same change does to the reservations and the realised P&L)."""
        if amount:
            await conn.execute("INSERT INTO ledger_entries (account_id, kind, amount, fill_id)"
                               " VALUES (%s, %s, %s, %s)", (account_id, kind, amount, fill_id))
        await conn.execute(
            "UPDATE trading_accounts SET cash = cash + %s, reserved_cash = reserved_cash + %s,"
            " realized_pnl = realized_pnl + %s WHERE id = %s",
            (amount, reserved_delta, realized_delta, account_id))

    async def reserve_cash(self, conn: AsyncConnection[Any], account_id: str,
                           delta: Decimal) -> None:
        """Hold back (or release, when negative) cash for open buy orders."""
        await conn.execute("UPDATE trading_accounts SET reserved_cash = reserved_cash + %s"
                           " WHERE id = %s", (delta, account_id))

    async def reset(self, conn: AsyncConnection[Any], account: AccountRecord, *,
                    starting_cash: Decimal, now: datetime) -> None:
        """Open orders cancelled, positions cleared, cash topped up or down to
        `starting_cash` through the ledger, a new epoch."""
        await conn.execute(
            "UPDATE orders SET status = 'CANCELED', status_reason = 'ACCOUNT_RESET',"
            " reserved_cash = 0, canceled_at = %s, updated_at = %s"
            " WHERE account_id = %s AND status IN ('ACCEPTED', 'NEW', 'PARTIALLY_FILLED')",
            (now, now, account.id))
        await conn.execute("DELETE FROM positions WHERE account_id = %s", (account.id,))
        await self.move_cash(conn, account.id, kind="RESET",
                             amount=starting_cash - account.cash,
                             reserved_delta=-account.reserved_cash,
                             realized_delta=-account.realized_pnl)
        await conn.execute(
            "UPDATE trading_accounts SET epoch = epoch + 1, starting_cash = %s, reset_at = %s"
            " WHERE id = %s", (starting_cash, now, account.id))

    # --- orders ------------------------------------------------------------------------

    async def order_by_client_id(self, conn: AsyncConnection[Any], account_id: str,
                                 client_order_id: str) -> OrderRecord | None:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(sql.SQL(
                "SELECT {} FROM orders WHERE account_id = %s AND client_order_id = %s").format(
                    _ORDER_COLUMNS), (account_id, client_order_id))
            row = await cursor.fetchone()
        return _order(row) if row else None

    async def order_locked(self, conn: AsyncConnection[Any], order_id: str) -> OrderRecord | None:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(sql.SQL(
                "SELECT {} FROM orders WHERE id = %s FOR UPDATE").format(_ORDER_COLUMNS),
                (order_id,))
            row = await cursor.fetchone()
        return _order(row) if row else None

    async def insert_order(self, conn: AsyncConnection[Any], order: OrderRecord) -> None:
        await conn.execute(_insert("orders", _ORDER_NAMES),
                           tuple(getattr(order, name) for name in _ORDER_NAMES))

    async def save_order(self, conn: AsyncConnection[Any], order: OrderRecord) -> None:
        await conn.execute(
            "UPDATE orders SET status = %s, status_reason = %s, filled_quantity = %s,"
            " average_fill_price = %s, reserved_cash = %s, trading_day = %s, updated_at = %s,"
            " filled_at = %s, canceled_at = %s, expired_at = %s WHERE id = %s",
            (order.status, order.status_reason, order.filled_quantity, order.average_fill_price,
             order.reserved_cash, order.trading_day, order.updated_at, order.filled_at,
             order.canceled_at, order.expired_at, order.id))

    async def find_order(self, *, account_id: str, order_id: str | None = None,
                         client_order_id: str | None = None) -> OrderRecord | None:
        rows = await self._db.fetch_all(
            sql.SQL("SELECT {} FROM orders WHERE account_id = %(account)s"
                    " AND (%(id)s::uuid IS NULL OR id = %(id)s)"
                    " AND (%(client)s::text IS NULL OR client_order_id = %(client)s)").format(
                _ORDER_COLUMNS),
            {"account": account_id, "id": order_id, "client": client_order_id})
        return _order(rows[0]) if rows else None

    async def orders_page(self, *, account_id: str, epoch: int, statuses: list[str],
                          symbol: str | None, start: datetime | None, end: datetime | None,
                          before: int | None, limit: int) -> list[tuple[int, OrderRecord]]:
        """The account's orders of `epoch`, newest first, with their positions (`seq`):
        pass the last one as `before` for the next page."""
        rows = await self._db.fetch_all(
            sql.SQL("""
            SELECT seq, {} FROM orders
            WHERE account_id = %(account)s AND epoch = %(epoch)s
              AND (cardinality(%(statuses)s::text[]) = 0 OR status = ANY(%(statuses)s))
              AND (%(symbol)s::text IS NULL OR symbol = %(symbol)s)
              AND (%(start)s::timestamptz IS NULL OR created_at >= %(start)s)
              AND (%(end)s::timestamptz IS NULL OR created_at < %(end)s)
              AND (%(before)s::bigint IS NULL OR seq < %(before)s)
            ORDER BY seq DESC LIMIT %(limit)s
            """).format(_ORDER_COLUMNS),
            {"account": account_id, "epoch": epoch, "statuses": statuses, "symbol": symbol,
             "start": start, "end": end, "before": before, "limit": limit})
        return [(row.pop("seq"), _order(row)) for row in rows]

    async def open_orders(self, *, expiring_by: datetime,
                          active_on: date | None) -> list[OrderRecord]:
        """The open orders a matching pass must look at, oldest first: those expiring by
        `expiring_by`, and (during a session) those working on `active_on` or before."""
        rows = await self._db.fetch_all(
            sql.SQL("""
            SELECT {} FROM orders
            WHERE status IN ('ACCEPTED', 'NEW', 'PARTIALLY_FILLED')
              AND (expires_at <= %(now)s
                   OR (%(day)s::date IS NOT NULL AND trading_day <= %(day)s))
            ORDER BY seq
            """).format(_ORDER_COLUMNS), {"now": expiring_by, "day": active_on})
        return [_order(row) for row in rows]

    # --- fills and positions -----------------------------------------------------------

    async def insert_fill(self, conn: AsyncConnection[Any], fill: FillRecord) -> None:
        await conn.execute(_insert("fills", _FILL_NAMES),
                           tuple(getattr(fill, name) for name in _FILL_NAMES))

    async def fills_page(self, *, account_id: str, epoch: int, symbol: str | None,
                         order_id: str | None, before: int | None,
                         limit: int) -> list[tuple[int, FillRecord]]:
        """As `orders_page`, for fills."""
        rows = await self._db.fetch_all(
            sql.SQL("""
            SELECT seq, {} FROM fills
            WHERE account_id = %(account)s AND epoch = %(epoch)s
              AND (%(symbol)s::text IS NULL OR symbol = %(symbol)s)
              AND (%(order)s::uuid IS NULL OR order_id = %(order)s)
              AND (%(before)s::bigint IS NULL OR seq < %(before)s)
            ORDER BY seq DESC LIMIT %(limit)s
            """).format(_FILL_COLUMNS),
            {"account": account_id, "epoch": epoch, "symbol": symbol, "order": order_id,
             "before": before, "limit": limit})
        return [(row.pop("seq"), _fill(row)) for row in rows]

    async def position_locked(self, conn: AsyncConnection[Any], account_id: str,
                              symbol: str) -> PositionRecord | None:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                "SELECT symbol, quantity, reserved_quantity, cost_basis FROM positions"
                " WHERE account_id = %s AND symbol = %s FOR UPDATE", (account_id, symbol))
            row = await cursor.fetchone()
        return PositionRecord(**row) if row else None

    async def save_position(self, conn: AsyncConnection[Any], account_id: str,
                            symbol: str, position: PositionRecord | None) -> None:
        if position is None:
            await conn.execute("DELETE FROM positions WHERE account_id = %s AND symbol = %s",
                               (account_id, symbol))
            return
        await conn.execute(
            "INSERT INTO positions (account_id, symbol, quantity, reserved_quantity, cost_basis)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (account_id, symbol) DO UPDATE SET"
            " quantity = EXCLUDED.quantity, reserved_quantity = EXCLUDED.reserved_quantity,"
            " cost_basis = EXCLUDED.cost_basis",
            (account_id, symbol, position.quantity, position.reserved_quantity,
             position.cost_basis))

    async def positions(self, account_id: str) -> list[PositionRecord]:
        rows = await self._db.fetch_all(
            "SELECT symbol, quantity, reserved_quantity, cost_basis FROM positions"
            " WHERE account_id = %s ORDER BY symbol", (account_id,))
        return [PositionRecord(**row) for row in rows]

    async def account(self, user_id: str) -> AccountRecord | None:
        row = await self._db.fetch_one(sql.SQL(
            "SELECT {} FROM trading_accounts WHERE user_id = %s").format(_ACCOUNT_COLUMNS),
            (user_id,))
        return _account(row) if row else None
