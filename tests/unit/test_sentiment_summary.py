"""What a set of scored texts says together: bands at their edges, confidence, counts."""

import pytest

from server.domain.sentiment import (
    FULL_CONFIDENCE_SAMPLE,
    SentimentBand,
    band_for,
    sentiment_from_scores,
    summarise_sentiment,
)


@pytest.mark.parametrize(("score", "band"), [
    (-1.0, SentimentBand.BEARISH),
    (-0.35, SentimentBand.BEARISH),
    (-0.3499, SentimentBand.SOMEWHAT_BEARISH),
    (-0.15, SentimentBand.SOMEWHAT_BEARISH),
    (-0.1499, SentimentBand.NEUTRAL),
    (0.0, SentimentBand.NEUTRAL),
    (0.1499, SentimentBand.NEUTRAL),
    (0.15, SentimentBand.SOMEWHAT_BULLISH),
    (0.3499, SentimentBand.SOMEWHAT_BULLISH),
    (0.35, SentimentBand.BULLISH),
    (1.0, SentimentBand.BULLISH),
])
def test_bands_at_their_edges(score: float, band: SentimentBand) -> None:
    assert band_for(score) is band


def test_the_likeliest_label_wins_and_a_tie_is_neutral() -> None:
    assert sentiment_from_scores({"positive": 0.6, "negative": 0.3, "neutral": 0.1}).label \
        == "positive"
    tie = sentiment_from_scores({"positive": 0.4, "negative": 0.2, "neutral": 0.4})
    assert tie.label == "neutral" and tie.confidence == 0.4
    assert sentiment_from_scores({"negative": 1.0}).scores == {
        "positive": 0.0, "negative": 1.0, "neutral": 0.0}


def test_summary_is_the_mean_score_with_counts_and_scaled_confidence() -> None:
    texts = [sentiment_from_scores({"positive": 0.8, "negative": 0.1, "neutral": 0.1}),
             sentiment_from_scores({"positive": 0.1, "negative": 0.6, "neutral": 0.3}),
             sentiment_from_scores({"positive": 0.2, "negative": 0.2, "neutral": 0.6})]
    summary = summarise_sentiment(texts)
    assert summary.sample_size == 3
    assert summary.score == pytest.approx((0.7 - 0.5 + 0.0) / 3)
    assert summary.band is SentimentBand.NEUTRAL
    assert summary.counts == {"positive": 1, "negative": 1, "neutral": 1}
    # Mean certainty (0.8, 0.6, 0.6) scaled by 3 of FULL_CONFIDENCE_SAMPLE texts.
    assert summary.confidence == pytest.approx((2.0 / 3) * 3 / FULL_CONFIDENCE_SAMPLE)
    many = summarise_sentiment(texts * FULL_CONFIDENCE_SAMPLE)
    assert many.confidence == pytest.approx(2.0 / 3)


def test_no_texts_have_no_band_and_no_confidence() -> None:
    empty = summarise_sentiment([])
    assert (empty.sample_size, empty.score, empty.band, empty.confidence) == (0, 0.0, None, 0.0)
