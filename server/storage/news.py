"""The `news_items` and `news_days` tables: news as stored, each item with its sentiment."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from server.domain.calendar import RIYADH
from server.domain.research import NewsItem
from server.domain.sentiment import Sentiment, sentiment_from_scores
from server.storage.database import Database


@dataclass(frozen=True)
class ScoredNews:
    id: int
    item: NewsItem
    sentiment: Sentiment
    engine: str
    synthetic: bool


@dataclass(frozen=True)
class NewsFilter:
    """Published in [published_from, published_to]; for one symbol or one sector (by
    lower-cased name) when set."""

    published_from: datetime
    published_to: datetime
    symbol: str | None = None
    sector: str | None = None

    @classmethod
    def for_days(cls, start: date, end: date, *, symbol: str | None = None,
                 sector: str | None = None, now: datetime | None = None) -> "NewsFilter":
        """Published on the Asia/Riyadh days [start, end], and not after now (a day's
        news is stored whole; its later items appear as their time comes)."""
        until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=RIYADH)
        return cls(published_from=datetime.combine(start, time(0), tzinfo=RIYADH),
                   published_to=min(until - timedelta(microseconds=1), now or datetime.now(UTC)),
                   symbol=symbol, sector=sector)


_FILTER = """
    n.published_at BETWEEN %(from)s AND %(to)s
    AND (%(symbol)s::text IS NULL OR n.symbol = %(symbol)s)
    AND (%(sector)s::text IS NULL OR n.symbol IN (
        SELECT s.symbol FROM securities s WHERE lower(s.sector) = %(sector)s))
"""


def _filter_params(filters: NewsFilter) -> dict[str, Any]:
    return {"from": filters.published_from, "to": filters.published_to,
            "symbol": filters.symbol, "sector": filters.sector.lower() if filters.sector else None}


def _scored(row: dict[str, Any]) -> ScoredNews:
    scores = row["sentiment_scores"]
    return ScoredNews(
        id=row["id"],
        item=NewsItem(symbol=row["symbol"], published_at=row["published_at"],
                      headline=row["headline"], sentiment=row["sentiment_label"]),
        sentiment=sentiment_from_scores(json.loads(scores) if isinstance(scores, str)
                                        else scores),
        engine=row["sentiment_engine"],
        synthetic=row["data_origin"] == "synthetic")


class NewsRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def stored_days(self, start: date, end: date) -> set[date]:
        rows = await self._db.fetch_all(
            "SELECT day FROM news_days WHERE day BETWEEN %s AND %s", (start, end))
        return {row["day"] for row in rows}

    async def store_day(self, day: date, items: Sequence[tuple[NewsItem, Sentiment]], *,
                        engine: str) -> bool:
        """Store one day's synthetic news with its sentiment, once: False (and nothing
        written) when the day was stored already, by this process or another."""
        async with self._db.transaction() as conn:
            # The day's row is the lock: a second writer waits here for the first to
            # commit, then finds the day taken.
            claimed = await conn.execute(
                "INSERT INTO news_days (day) VALUES (%s) ON CONFLICT DO NOTHING RETURNING day",
                (day,))
            if await claimed.fetchone() is None:
                return False
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    """
                    INSERT INTO news_items (symbol, headline, published_at, data_origin,
                        sentiment_label, sentiment_scores, sentiment_engine)
                    VALUES (%s, %s, %s, 'synthetic', %s, %s, %s)
                    ON CONFLICT (symbol, published_at, headline) DO NOTHING
                    """,
                    [(item.symbol, item.headline, item.published_at, sentiment.label,
                      Jsonb(dict(sentiment.scores)), engine) for item, sentiment in items])
            return True

    async def scored(self, filters: NewsFilter, *, after: tuple[datetime, int] | None = None,
                     limit: int | None = None) -> list[ScoredNews]:
        """Newest first, after the keyset position (published_at, id); every match when
        `limit` is None (a market-sentiment window: at most a few thousand items)."""
        rows = await self._db.fetch_all(
            f"""
            SELECT n.id, n.symbol, n.headline, n.published_at, n.data_origin,
                   n.sentiment_label, n.sentiment_scores, n.sentiment_engine
            FROM news_items n
            WHERE {_FILTER}
              AND (%(after_time)s::timestamptz IS NULL
                   OR (n.published_at, n.id) < (%(after_time)s, %(after_id)s::bigint))
            ORDER BY n.published_at DESC, n.id DESC
            LIMIT %(limit)s
            """,  # noqa: S608 (_FILTER is a constant; every value is a parameter)
            {**_filter_params(filters), "after_time": after[0] if after else None,
             "after_id": after[1] if after else None, "limit": limit})
        return [_scored(row) for row in rows]
