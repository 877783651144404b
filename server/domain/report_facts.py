"""The platform data a stock report or a daily briefing is written from.

The service layer fills these from the platform's own RPCs (each piece with the
citation of where it came from); server/domain/reports.py writes the text. A field
is None when the platform has no such figure: a report says so rather than guess.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from server.domain.sentiment import SentimentSummary


@dataclass(frozen=True)
class Citation:
    """`source` is the RPC, e.g. "ChartService.GetBars"; `synthetic` when the data is
    the platform's generated (demo) data rather than market data."""

    source: str
    description: str
    synthetic: bool


@dataclass(frozen=True)
class DailyClose:
    day: date
    close: Decimal
    volume: int


@dataclass(frozen=True)
class RatioFact:
    """One of the 14 ratios: its value, or why it has none."""

    name: str  # e.g. "price_to_earnings"
    value: Decimal | None
    unavailable_reason: str = ""


@dataclass(frozen=True)
class HeadlineFact:
    published_at: datetime
    symbol: str
    headline: str
    label: str  # positive, negative or neutral
    score: float  # P(positive) - P(negative)


@dataclass(frozen=True)
class CorporateActionFact:
    announced_on: date
    action_type: str  # e.g. "CASH_DIVIDEND"
    description: str


@dataclass(frozen=True)
class IndicatorFacts:
    """The latest values on the daily bars; None when the history is too short."""

    rsi_14: float | None = None
    sma_50: float | None = None
    sma_200: float | None = None
    macd: float | None = None
    macd_signal: float | None = None


@dataclass(frozen=True)
class StockFacts:
    symbol: str
    name_en: str
    name_ar: str
    sector: str
    industry_group: str
    market: str  # "Main Market" or "Nomu"
    isin: str
    listing_date: date | None
    # Daily closes over the last year or so, oldest first (may be empty).
    closes: tuple[DailyClose, ...]
    indicators: IndicatorFacts
    # Ratios at the latest close and the fiscal year they use; empty when unavailable.
    ratios: tuple[RatioFact, ...]
    ratios_fiscal_year: int | None
    # Recent news, newest first, and what it says together.
    headlines: tuple[HeadlineFact, ...]
    news_sentiment: SentimentSummary
    # The most recent corporate actions, newest first.
    corporate_actions: tuple[CorporateActionFact, ...]
    citations: tuple[Citation, ...] = field(default=())


@dataclass(frozen=True)
class MoverFact:
    symbol: str
    name_en: str
    close: float
    change_percent: float
    volume: int
    turnover: float


@dataclass(frozen=True)
class MarketFacts:
    """The latest trading day of the market, for the daily briefing."""

    trading_day: date
    tasi_level: float | None
    tasi_change: float | None
    tasi_change_percent: float | None
    advancers: int
    decliners: int
    unchanged: int
    volume: int
    turnover: float
    gainers: tuple[MoverFact, ...]
    losers: tuple[MoverFact, ...]
    most_active: tuple[MoverFact, ...]  # by value traded
    headlines: tuple[HeadlineFact, ...]
    news_sentiment: SentimentSummary
    citations: tuple[Citation, ...] = field(default=())
