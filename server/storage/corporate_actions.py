"""The `corporate_actions` table: announced actions per symbol."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from server.domain.corporate_actions import CorporateAction, CorporateActionType
from server.storage.bars import UpsertCounts
from server.storage.database import Database


@dataclass(frozen=True)
class CorporateActionUpsert:
    counts: UpsertCounts
    # Symbols with an action inserted or updated: the cache entries to drop.
    changed_symbols: frozenset[str]


@dataclass(frozen=True)
class UnknownSymbols:
    """Actions whose symbol is not in the securities table."""

    symbols: int
    actions: int


@dataclass(frozen=True)
class StoredCorporateAction:
    id: int
    action: CorporateAction


class CorporateActionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def upsert(self, conn: AsyncConnection[Any], actions: list[CorporateAction], *,
                     source: str) -> CorporateActionUpsert:
        """Insert or update `actions` inside the caller's transaction.

        Actions are matched on their natural key; a matched row is updated only
        when a value outside the key changed (a revised classification, a date or
        amount the source filled in later), so re-importing a file is a no-op.
        `source` then names where the row's current values came from.
        """
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                """
                CREATE TEMP TABLE incoming_corporate_actions (
                    symbol text, action_type text, action_type_ar text,
                    announcement_date date, ex_date date, record_date date,
                    payment_date date, amount numeric, currency text, description text
                ) ON COMMIT DROP
                """)
            async with cursor.copy(
                "COPY incoming_corporate_actions (symbol, action_type, action_type_ar,"
                " announcement_date, ex_date, record_date, payment_date, amount, currency,"
                " description) FROM STDIN"
            ) as copy:
                for a in actions:
                    await copy.write_row(
                        (a.symbol, a.action_type.value, a.action_type_ar, a.announcement_date,
                         a.ex_date, a.record_date, a.payment_date, a.amount, a.currency,
                         a.description))
            await cursor.execute(
                """
                WITH upserted AS (
                    INSERT INTO corporate_actions AS c
                        (symbol, action_type, action_type_ar, announcement_date, ex_date,
                         record_date, payment_date, amount, currency, description, source)
                    SELECT symbol, action_type, action_type_ar, announcement_date, ex_date,
                           record_date, payment_date, amount, currency, description,
                           %(source)s
                    FROM incoming_corporate_actions
                    ON CONFLICT ON CONSTRAINT corporate_actions_natural_key DO UPDATE SET
                        action_type = EXCLUDED.action_type,
                        record_date = EXCLUDED.record_date,
                        payment_date = EXCLUDED.payment_date, amount = EXCLUDED.amount,
                        currency = EXCLUDED.currency, source = EXCLUDED.source,
                        imported_at = now()
                    -- Not the source: the same facts under another label are no change.
                    WHERE (c.action_type, c.record_date, c.payment_date, c.amount, c.currency)
                          IS DISTINCT FROM
                          (EXCLUDED.action_type, EXCLUDED.record_date, EXCLUDED.payment_date,
                           EXCLUDED.amount, EXCLUDED.currency)
                    RETURNING c.symbol, (xmax = 0) AS inserted
                )
                SELECT symbol, count(*) FILTER (WHERE inserted) AS inserted,
                       count(*) FILTER (WHERE NOT inserted) AS updated
                FROM upserted GROUP BY symbol
                """,
                {"source": source})
            rows = await cursor.fetchall()
        inserted = sum(int(row["inserted"]) for row in rows)
        updated = sum(int(row["updated"]) for row in rows)
        return CorporateActionUpsert(
            counts=UpsertCounts(inserted=inserted, updated=updated,
                                unchanged=len(actions) - inserted - updated),
            changed_symbols=frozenset(row["symbol"] for row in rows))

    async def unknown_symbols(self, conn: AsyncConnection[Any]) -> UnknownSymbols:
        """Counted on the caller's (write) connection: a replica may not have the import yet."""
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                """
                SELECT count(DISTINCT c.symbol) AS symbols, count(*) AS actions
                FROM corporate_actions c
                WHERE NOT EXISTS (SELECT 1 FROM securities s WHERE s.symbol = c.symbol)
                """)
            row = await cursor.fetchone()
        return UnknownSymbols(symbols=int(row["symbols"]), actions=int(row["actions"])) \
            if row else UnknownSymbols(symbols=0, actions=0)

    async def page(self, *, symbol: str | None, types: list[str],
                   start: date | None, end: date | None,
                   before: tuple[date, int] | None, limit: int) -> list[StoredCorporateAction]:
        """Newest announcement first (then newest id), after the keyset position `before`."""
        rows = await self._db.fetch_all(
            """
            SELECT id, symbol, action_type, action_type_ar, announcement_date, ex_date,
                   record_date, payment_date, amount, currency, description
            FROM corporate_actions
            WHERE (%(symbol)s::text IS NULL OR symbol = %(symbol)s)
              AND (cardinality(%(types)s::text[]) = 0 OR action_type = ANY(%(types)s))
              AND (%(start)s::date IS NULL OR announcement_date >= %(start)s)
              AND (%(end)s::date IS NULL OR announcement_date <= %(end)s)
              AND (%(before_date)s::date IS NULL
                   OR (announcement_date, id) < (%(before_date)s, %(before_id)s))
            ORDER BY announcement_date DESC, id DESC LIMIT %(limit)s
            """,
            {"symbol": symbol, "types": types, "start": start, "end": end,
             "before_date": before[0] if before else None,
             "before_id": before[1] if before else None, "limit": limit})
        return [StoredCorporateAction(row["id"], CorporateAction(
            symbol=row["symbol"], action_type=CorporateActionType(row["action_type"]),
            action_type_ar=row["action_type_ar"], announcement_date=row["announcement_date"],
            ex_date=row["ex_date"], record_date=row["record_date"],
            payment_date=row["payment_date"], amount=row["amount"], currency=row["currency"],
            description=row["description"])) for row in rows]
