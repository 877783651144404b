"""Research data: analyst ratings and their consensus, insider transactions, company
announcements and news headlines.

The reference data has none of these, so everything produced here is SYNTHETIC DEMO DATA,
to be labelled synthetic by whoever serves it. The broker names are real firms active on
the Saudi market, used only so the demo reads plausibly; every recommendation, target price,
insider trade, announcement and headline attributed to them or to a listed company is
invented. `consensus` is the exception: it is a plain computation over whatever ratings it
is given.

Determinism: each generator draws from `random.Random(f"{seed}:{key}:{what}")`, where the
key is the symbol (the day for news), so the same arguments give the same data on any
machine and one symbol's data does not change when another symbol is added. Amounts are
derived from integer draws, never from floats, so no platform rounding can creep in.
Money is exact `Decimal` in Saudi riyals; prices are on the exchange's tick grid.
"""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

from server.domain.ticks import RoundingDirection, round_to_tick

# Real firms covering Saudi equities; the ratings attributed to them are synthetic.
BROKERS: tuple[str, ...] = (
    "Al Rajhi Capital",
    "SNB Capital",
    "Riyad Capital",
    "Aljazira Capital",
    "Albilad Capital",
    "EFG Hermes",
    "HSBC Saudi Arabia",
    "Morgan Stanley",
    "Goldman Sachs",
    "JP Morgan",
    "Jadwa Investment",
    "Derayah Financial",
)
MIN_RATINGS = 3
# One rating per broker at most, so the broker list bounds the count.
MAX_RATINGS = len(BROKERS)
# Targets are drawn in per-mille of the price: 0.800x to 1.350x.
_TARGET_PERMILLE = (800, 1350)
# A target this far above / below the price reads as a BUY / SELL; anything between, HOLD.
_BUY_UPSIDE = Decimal("0.10")
_SELL_DOWNSIDE = Decimal("-0.05")
RATING_LOOKBACK_DAYS = 365

TARGET_QUANTUM = Decimal("0.01")
UPSIDE_QUANTUM = Decimal("0.0001")

INSIDER_YEARS = 2
MAX_INSIDER_TRADES_PER_YEAR = 8
# Insiders trade close to the market: 0.950x to 1.050x of the given price.
_INSIDER_PRICE_PERMILLE = (950, 1050)

ANNOUNCEMENT_YEARS = 2
# Publication lags after the period end, in days. CMA rules allow 30 days for interim
# results and three months for annual ones; issuers usually publish near the deadline.
_INTERIM_RESULTS_LAG = (15, 30)
_ANNUAL_RESULTS_LAG = (45, 85)
# The AGM invitation follows the annual results by a few weeks.
_AGM_INVITATION_LAG = (20, 40)

# Headlines go out between 05:00 and 18:00 UTC (08:00-21:00 Riyadh).
# The synthetic research is drawn from this seed, so every server tells the same story.
RESEARCH_SEED = 2026
NEWS_PER_DAY = 20
_NEWS_OPENS_UTC = time(5, 0)
_NEWS_WINDOW = timedelta(hours=13)


class Recommendation(Enum):
    BUY = "BUY"
    HOLD = "HOLD"
    SELL = "SELL"


@dataclass(frozen=True)
class AnalystRating:
    symbol: str
    broker: str
    recommendation: Recommendation
    target_price: Decimal
    rating_date: date


@dataclass(frozen=True)
class Consensus:
    """Counts and target statistics over a set of ratings; the targets and upside are None
    when there are no ratings, since there is nothing to average."""

    buy_count: int
    hold_count: int
    sell_count: int
    mean_target: Decimal | None  # rounded to TARGET_QUANTUM
    high_target: Decimal | None
    low_target: Decimal | None
    upside: Decimal | None  # mean_target / price - 1, rounded to UPSIDE_QUANTUM


class InsiderRole(Enum):
    BOARD_MEMBER = "BOARD_MEMBER"
    CEO = "CEO"
    CFO = "CFO"
    MAJOR_SHAREHOLDER = "MAJOR_SHAREHOLDER"


class TradeSide(Enum):
    BUY = "BUY"
    SELL = "SELL"


@dataclass(frozen=True)
class InsiderTransaction:
    symbol: str
    role: InsiderRole
    side: TradeSide
    trade_date: date
    shares: int
    price: Decimal
    value: Decimal  # shares x price, exact

    def __post_init__(self) -> None:
        if self.value != self.shares * self.price:
            raise ValueError(f"value {self.value} is not shares x price "
                             f"({self.shares} x {self.price})")


class AnnouncementCategory(Enum):
    FINANCIAL_RESULTS = "FINANCIAL_RESULTS"
    BOARD_RECOMMENDATION = "BOARD_RECOMMENDATION"
    AGM_INVITATION = "AGM_INVITATION"


@dataclass(frozen=True)
class Announcement:
    symbol: str
    published_on: date
    category: AnnouncementCategory
    title: str


@dataclass(frozen=True)
class NewsItem:
    symbol: str
    published_at: datetime  # UTC
    headline: str
    # The AI engine's sentiment label; unset until it scores the item, and the generator
    # never scores anything itself.
    sentiment: str | None = None


def _rng(seed: int, key: str, what: str) -> random.Random:
    return random.Random(f"{seed}:{key}:{what}")


def _require_positive(price: Decimal) -> None:
    if not price.is_finite() or price <= 0:
        raise ValueError(f"price must be a positive finite number, got {price}")


def _scaled_to_tick(price: Decimal, permille: int) -> Decimal:
    return round_to_tick(price * permille / 1000, RoundingDirection.NEAREST)


def _recommendation_for(target: Decimal, price: Decimal) -> Recommendation:
    # Derived from the target so that a rating never contradicts its own target price.
    implied = target / price - 1
    if implied >= _BUY_UPSIDE:
        return Recommendation.BUY
    if implied <= _SELL_DOWNSIDE:
        return Recommendation.SELL
    return Recommendation.HOLD


def analyst_ratings(symbol: str, *, price: Decimal, as_of: date,
                    seed: int) -> list[AnalystRating]:
    """Synthetic ratings: MIN_RATINGS..MAX_RATINGS distinct brokers, newest first.

    Each target is price x 0.80-1.35 rounded to the nearest tick; the recommendation follows
    from the target's implied upside (BUY from +10%, SELL from -5%, HOLD between); each
    rating is dated within the RATING_LOOKBACK_DAYS days ending on `as_of`.
    """
    _require_positive(price)
    rng = _rng(seed, symbol, "ratings")
    brokers = rng.sample(BROKERS, rng.randint(MIN_RATINGS, MAX_RATINGS))
    ratings = []
    for broker in brokers:
        target = _scaled_to_tick(price, rng.randint(*_TARGET_PERMILLE))
        ratings.append(AnalystRating(
            symbol=symbol,
            broker=broker,
            recommendation=_recommendation_for(target, price),
            target_price=target,
            rating_date=as_of - timedelta(days=rng.randrange(RATING_LOOKBACK_DAYS)),
        ))
    ratings.sort(key=lambda r: (r.rating_date, r.broker), reverse=True)
    return ratings


def consensus(ratings: list[AnalystRating], price: Decimal) -> Consensus:
    """Counts per recommendation, mean/high/low target and the mean target's upside on `price`.

    The upside is computed from the rounded mean, the figure published, so a reader can
    reproduce it from the response alone.
    """
    _require_positive(price)
    if not ratings:
        return Consensus(0, 0, 0, None, None, None, None)
    counts = Counter(r.recommendation for r in ratings)
    targets = [r.target_price for r in ratings]
    mean = (sum(targets, Decimal(0)) / len(targets)).quantize(TARGET_QUANTUM, ROUND_HALF_EVEN)
    return Consensus(
        buy_count=counts[Recommendation.BUY],
        hold_count=counts[Recommendation.HOLD],
        sell_count=counts[Recommendation.SELL],
        mean_target=mean,
        high_target=max(targets),
        low_target=min(targets),
        upside=(mean / price - 1).quantize(UPSIDE_QUANTUM, ROUND_HALF_EVEN),
    )


def insider_transactions(symbol: str, *, price: Decimal, as_of: date,
                         seed: int) -> list[InsiderTransaction]:
    """Synthetic insider trades over the INSIDER_YEARS x 365 days ending on `as_of`, newest
    first: 0..MAX_INSIDER_TRADES_PER_YEAR in each 365-day year, at price x 0.95-1.05 rounded
    to the nearest tick. Major shareholders trade in larger blocks than officers do.
    """
    _require_positive(price)
    rng = _rng(seed, symbol, "insiders")
    trades = []
    for year in range(INSIDER_YEARS):
        for _ in range(rng.randint(0, MAX_INSIDER_TRADES_PER_YEAR)):
            role = rng.choice(list(InsiderRole))
            lots = (rng.randint(1_000, 20_000) if role is InsiderRole.MAJOR_SHAREHOLDER
                    else rng.randint(10, 1_000))
            shares = lots * 100
            trade_price = _scaled_to_tick(price, rng.randint(*_INSIDER_PRICE_PERMILLE))
            trades.append(InsiderTransaction(
                symbol=symbol,
                role=role,
                side=rng.choice(list(TradeSide)),
                trade_date=as_of - timedelta(days=365 * year + rng.randrange(365)),
                shares=shares,
                price=trade_price,
                value=shares * trade_price,
            ))
    trades.sort(key=lambda t: t.trade_date, reverse=True)
    return trades


def _quarter_end(year: int, quarter: int) -> date:
    # The day before the next quarter starts; avoids a month-length table.
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def _lagged(rng: random.Random, day: date, lag: tuple[int, int]) -> date:
    return day + timedelta(days=rng.randint(*lag))


def announcements(symbol: str, name_en: str, *, as_of: date,
                  seed: int) -> list[Announcement]:
    """Synthetic announcements published in the ANNOUNCEMENT_YEARS x 365 days ending on
    `as_of`, newest first: results for every quarter (the fourth as annual results), a board
    dividend recommendation with each annual result, and an AGM invitation after it.

    Periods are generated from the year before the window so that items published early in
    the window (last year's annual results) are not missing; anything published outside the
    window is dropped.
    """
    rng = _rng(seed, symbol, "announcements")
    start = as_of - timedelta(days=365 * ANNOUNCEMENT_YEARS - 1)
    items = []
    for year in range(start.year - 1, as_of.year + 1):
        for quarter in range(1, 5):
            period_end = _quarter_end(year, quarter)
            if quarter < 4:
                items.append(Announcement(
                    symbol, _lagged(rng, period_end, _INTERIM_RESULTS_LAG),
                    AnnouncementCategory.FINANCIAL_RESULTS,
                    f"{name_en} announces its interim financial results for the period "
                    f"ending {period_end:%d %B %Y} (three months)"))
                continue
            results_day = _lagged(rng, period_end, _ANNUAL_RESULTS_LAG)
            halalas = rng.randint(25, 300)
            items += [
                Announcement(symbol, results_day, AnnouncementCategory.FINANCIAL_RESULTS,
                             f"{name_en} announces its annual financial results for the year "
                             f"ending {period_end:%d %B %Y}"),
                Announcement(symbol, results_day, AnnouncementCategory.BOARD_RECOMMENDATION,
                             f"{name_en} board of directors recommends a cash dividend of "
                             f"SAR {Decimal(halalas) / 100:.2f} per share for {year}"),
                Announcement(symbol, _lagged(rng, results_day, _AGM_INVITATION_LAG),
                             AnnouncementCategory.AGM_INVITATION,
                             f"{name_en} invites its shareholders to attend the Ordinary "
                             f"General Assembly Meeting"),
            ]
    in_window = [a for a in items if start <= a.published_on <= as_of]
    in_window.sort(key=lambda a: (a.published_on, a.category.value), reverse=True)
    return in_window


def _headline(rng: random.Random, name: str, day: date) -> str:
    """A headline in the tone of the exchange's news: good, bad and plain news, drawn
    with the same odds every day."""
    # The results in the news are those of the last quarter that has ended.
    quarter = (day.month - 1) // 3 or 4
    templates = (
        f"{name} Q{quarter} profit gains {rng.randint(2, 60)}% on strong demand",
        f"{name} posts Q{quarter} loss as margins weaken",
        f"{name} Q{quarter} net profit declines {rng.randint(2, 40)}% on impairment charges",
        f"{name} signs SAR {rng.randint(5, 900)} million contract",
        f"{name} board recommends cash dividend",
        f"{name} shares hit {rng.randint(4, 52)}-week high after improved guidance",
        f"{name} completes capacity expansion project",
        f"{name} reports delays at a major project",
        f"{name} achieves record sales, strengthening its market position",
        f"{name} to hold general assembly meeting",
    )
    return rng.choice(templates)


def news_items(companies: list[tuple[str, str]], *, start: date, end: date, seed: int,
               per_day: int) -> list[NewsItem]:
    """Synthetic headlines, `per_day` for every day in [start, end], newest first.

    Each names a company drawn from `companies` ((symbol, English name) pairs) and carries
    its symbol; sentiment is left unset for the AI engine. Draws are seeded per day, so a
    day's headlines do not change when the range is widened; no companies give no news.
    """
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if per_day < 0:
        raise ValueError(f"per_day must be non-negative, got {per_day}")
    if not companies:
        return []
    window_seconds = int(_NEWS_WINDOW.total_seconds())
    items = []
    day = start
    while day <= end:
        rng = _rng(seed, day.isoformat(), "news")
        opens = datetime.combine(day, _NEWS_OPENS_UTC, tzinfo=UTC)
        for _ in range(per_day):
            symbol, name = rng.choice(companies)
            items.append(NewsItem(
                symbol=symbol,
                published_at=opens + timedelta(seconds=rng.randrange(window_seconds)),
                headline=_headline(rng, name, day),
            ))
        day += timedelta(days=1)
    items.sort(key=lambda n: (n.published_at, n.symbol), reverse=True)
    return items
