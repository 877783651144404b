"""News as the platform stores it: each Asia/Riyadh day's synthetic headlines are drawn
once, scored by the sentiment engine, and stored with their scores in one transaction."""

import asyncio
from datetime import date, datetime, timedelta

from server.ai.sentiment import SentimentAnalyzer
from server.domain.calendar import RIYADH
from server.domain.research import NEWS_PER_DAY, RESEARCH_SEED, news_items
from server.storage.news import NewsRepository
from server.storage.securities import SecurityFilter, SecurityRepository

# Every listed security fits in one page of the securities table.
MAX_COMPANIES = 5000


class NewsDesk:
    def __init__(self, news: NewsRepository, securities: SecurityRepository,
                 analyzer: SentimentAnalyzer) -> None:
        self._news = news
        self._securities = securities
        self._analyzer = analyzer
        # One storing pass at a time in this process (other processes are kept out by the
        # repository's claim on the day).
        self._storing = asyncio.Lock()
        # Days known to be stored: a stored day never changes, so ListNews asks Postgres
        # only about days this process has not seen stored yet.
        self._stored: set[date] = set()

    @property
    def analyzer(self) -> SentimentAnalyzer:
        return self._analyzer

    async def ensure_stored(self, start: date, end: date) -> None:
        """Store the news of every day in [start, end] up to today that is not stored yet.

        A day's headlines are drawn over every company with an English name, so a day's
        news does not depend on who asked first."""
        last = min(end, datetime.now(RIYADH).date())
        if start > last:
            return
        wanted = {start + timedelta(days=n) for n in range((last - start).days + 1)}
        if not wanted - self._stored:
            return
        self._stored |= await self._news.stored_days(start, last)
        if not wanted - self._stored:
            return
        async with self._storing:
            self._stored |= await self._news.stored_days(start, last)
            missing = sorted(wanted - self._stored)
            if not missing:
                return
            companies, _ = await self._securities.list_page(
                SecurityFilter(), after_symbol=None, limit=MAX_COMPANIES)
            named = [(c.symbol, c.name_en) for c in companies if c.name_en]
            for day in missing:
                items = news_items(named, start=day, end=day, seed=RESEARCH_SEED,
                                   per_day=NEWS_PER_DAY)
                sentiments = await self._analyzer.analyze([item.headline for item in items])
                await self._news.store_day(day, list(zip(items, sentiments, strict=True)),
                                           engine=self._analyzer.engine.name)
                self._stored.add(day)
