"""EXPLAIN the statements a repository really sends, with the parameters it binds.

`PlanRecorder` is a `Database` whose reads are answered with nothing after their plan is
taken: a repository method run against it leaves `plans`, one per statement, without the
test restating (and drifting from) the repository's SQL.
"""

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from server.storage.database import Database, Query, Row

BARS_TABLES = ("daily_bars", "intraday_bars")


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of a FORMAT JSON plan tree, init plans and subplans included."""
    found = [plan]
    for child in plan.get("Plans", []):
        found.extend(plan_nodes(child))
    return found


def is_bars_relation(name: str | None) -> bool:
    """A bars table or one of its partitions (intraday_bars_YYYY_MM)."""
    return name is not None and any(name == t or name.startswith(f"{t}_") for t in BARS_TABLES)


def sequential_scans_of_bars(nodes: list[dict[str, Any]]) -> list[str]:
    return [n["Relation Name"] for n in nodes
            if n["Node Type"] == "Seq Scan" and is_bars_relation(n.get("Relation Name"))]


def relations(nodes: list[dict[str, Any]]) -> set[str]:
    return {n["Relation Name"] for n in nodes if "Relation Name" in n}


class PlanRecorder(Database):
    """`generic`: plan as a prepared statement reused often would be (plan_cache_mode
    force_generic_plan), where partitions can only be pruned when the executor starts."""

    def __init__(self, url: str, *, generic: bool = False) -> None:
        super().__init__(url, max_size=1)
        self._generic = generic
        self.plans: list[list[dict[str, Any]]] = []

    async def fetch_all(self, query: Query,
                        params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        await self._explain(query, params)
        return []

    async def fetch_one(self, query: Query,
                        params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        await self._explain(query, params)
        return None

    async def _explain(self, query: Query, params: Sequence[Any] | dict[str, Any]) -> None:
        statement = sql.SQL(query) if isinstance(query, str) else query
        async with self.transaction() as conn:
            if self._generic:
                await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor = await conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + statement, params)
            row = await cursor.fetchone()
        assert row is not None
        self.plans.append(plan_nodes(row[0][0]["Plan"]))
