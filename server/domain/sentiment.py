"""Sentiment of financial text, and what a set of scored texts says about a market.

Pure Python. The engines that produce a `Sentiment` live in server/ai/.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

POSITIVE = "positive"
NEGATIVE = "negative"
NEUTRAL = "neutral"
LABELS = (POSITIVE, NEGATIVE, NEUTRAL)


@dataclass(frozen=True)
class Sentiment:
    """One text's sentiment: a probability per label (they sum to 1) and the likeliest."""

    label: str
    scores: Mapping[str, float]

    @property
    def score(self) -> float:
        """Positive minus negative probability: -1 (surely negative) .. +1 (surely positive)."""
        return self.scores.get(POSITIVE, 0.0) - self.scores.get(NEGATIVE, 0.0)

    @property
    def confidence(self) -> float:
        return self.scores.get(self.label, 0.0)


def sentiment_from_scores(scores: Mapping[str, float]) -> Sentiment:
    """The sentiment whose label is the likeliest of `scores` (ties: neutral, then the
    order of LABELS), with every label present."""
    full = {label: float(scores.get(label, 0.0)) for label in LABELS}
    best = max(full.values())
    label = NEUTRAL if full[NEUTRAL] == best else next(
        label for label in LABELS if full[label] == best)
    return Sentiment(label=label, scores=full)


class SentimentBand(Enum):
    """Bands of a mean score, as news-sentiment feeds draw them (Alpha Vantage's cut-offs)."""

    BEARISH = "bearish"
    SOMEWHAT_BEARISH = "somewhat_bearish"
    NEUTRAL = "neutral"
    SOMEWHAT_BULLISH = "somewhat_bullish"
    BULLISH = "bullish"


def band_for(score: float) -> SentimentBand:
    if score <= -0.35:
        return SentimentBand.BEARISH
    if score <= -0.15:
        return SentimentBand.SOMEWHAT_BEARISH
    if score < 0.15:
        return SentimentBand.NEUTRAL
    if score < 0.35:
        return SentimentBand.SOMEWHAT_BULLISH
    return SentimentBand.BULLISH


# Below this many items the confidence is scaled down in proportion: three headlines
# say little about a market, however sure the engine is of each.
FULL_CONFIDENCE_SAMPLE = 20


@dataclass(frozen=True)
class SentimentSummary:
    """What a set of scored texts says together. `band` is None without any text."""

    sample_size: int
    score: float
    band: SentimentBand | None
    confidence: float
    counts: Mapping[str, int]


def summarise_sentiment(sentiments: Sequence[Sentiment]) -> SentimentSummary:
    """The mean score and its band; confidence is the mean probability the engine gave
    its labels, times min(1, n / FULL_CONFIDENCE_SAMPLE)."""
    counts = {label: sum(1 for s in sentiments if s.label == label) for label in LABELS}
    n = len(sentiments)
    if n == 0:
        return SentimentSummary(sample_size=0, score=0.0, band=None, confidence=0.0,
                                counts=counts)
    score = sum(s.score for s in sentiments) / n
    certainty = sum(s.confidence for s in sentiments) / n
    return SentimentSummary(
        sample_size=n, score=score, band=band_for(score),
        confidence=certainty * min(1.0, n / FULL_CONFIDENCE_SAMPLE), counts=counts)
