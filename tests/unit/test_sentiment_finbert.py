"""The FinBERT engine on tiny local BERT classifiers (tests/support/tiny_bert.py): loading,
labels read from the model's config, refusals, batching, truncation, and the async face.
Nothing is downloaded: every model is built into a temporary directory."""

import asyncio
import random
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from server.ai.finbert import FinbertEngine
from server.ai.sentiment import SentimentAnalyzer, SentimentModelError, load_sentiment_engine
from server.domain.sentiment import LABELS, Sentiment
from tests.support.tiny_bert import WORDS, build_tiny_bert

STANDARD = {0: "positive", 1: "negative", 2: "neutral"}
TEXTS = [
    "Aramco",
    "Net profit rose 20% on strong demand",
    "Shares fell after the downgrade",
    "The board will meet on Sunday to discuss the annual dividend and the new capacity "
    "expansion plan approved by the ministry",
    "Banks lead gains",
    "Cement sector revenue declined for a second quarter as construction slowed, while "
    "margins were lower on higher energy costs and weak demand from government projects "
    "in the main markets of the kingdom",
    "SABIC swung to a loss",
    "Tadawul closed higher",
]


def words(count: int, seed: int = 7) -> list[str]:
    """`count` vocabulary words: each is one token of the tiny tokenizer."""
    rng = random.Random(seed)
    return [rng.choice(WORDS) for _ in range(count)]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bert")
    return {
        "standard": build_tiny_bert(root / "standard", STANDARD),
        # Two label orders, each biased to one named label: only reading id2label gets both.
        "negative_at_1": build_tiny_bert(root / "negative_at_1", STANDARD,
                                         dominant="negative"),
        "negative_at_2": build_tiny_bert(
            root / "negative_at_2", {0: "Neutral", 1: "Positive", 2: "Negative"},
            dominant="Negative"),
        "neutral_at_0": build_tiny_bert(
            root / "neutral_at_0", {0: "Neutral", 1: "Positive", 2: "Negative"},
            dominant="Neutral"),
        "short": build_tiny_bert(root / "short", STANDARD, max_position_embeddings=64),
    }


@pytest.fixture(scope="module")
def engine(models: dict[str, Path]) -> FinbertEngine:
    return FinbertEngine(models["standard"], batch_size=16)


def assert_same(left: Sequence[Sentiment], right: Sequence[Sentiment]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.label == b.label
        for label in LABELS:
            assert a.scores[label] == pytest.approx(b.scores[label], abs=1e-5)


def test_loads_from_a_local_path(models: dict[str, Path]) -> None:
    engine = load_sentiment_engine(models["standard"], batch_size=4)
    assert isinstance(engine, FinbertEngine)
    assert engine.name == "finbert"
    assert engine.version == "standard (labels positive, negative, neutral)"
    results = engine.analyze_batch(TEXTS)
    assert len(results) == len(TEXTS)
    for result in results:
        assert tuple(result.scores) == LABELS
        assert sum(result.scores.values()) == pytest.approx(1.0, abs=1e-6)
        assert result.scores[result.label] == max(result.scores.values())
    # Random weights, but not a constant: texts get different probabilities (otherwise the
    # equality checks below would prove nothing).
    positives = [r.scores["positive"] for r in results]
    assert max(positives) - min(positives) > 1e-2


@pytest.mark.parametrize(("model", "label"), [
    ("negative_at_1", "negative"), ("negative_at_2", "negative"), ("neutral_at_0", "neutral")])
def test_labels_come_from_the_models_config(models: dict[str, Path], model: str,
                                            label: str) -> None:
    results = FinbertEngine(models[model]).analyze_batch(TEXTS)
    assert {r.label for r in results} == {label}
    assert all(r.scores[label] > 0.99 for r in results)


def test_version_lists_the_labels_in_index_order(models: dict[str, Path]) -> None:
    engine = FinbertEngine(models["negative_at_2"])
    assert engine.version == "negative_at_2 (labels neutral, positive, negative)"


@pytest.mark.parametrize("id2label", [
    {0: "bullish", 1: "bearish", 2: "neutral"},
    {0: "positive", 1: "negative"},
    {0: "positive", 1: "negative", 2: "neutral", 3: "mixed"},
    {0: "positive", 1: "positive", 2: "neutral"},
])
def test_a_model_with_other_labels_is_refused(tmp_path: Path, id2label: dict[int, str]) -> None:
    path = build_tiny_bert(tmp_path / "odd", id2label)
    with pytest.raises(SentimentModelError) as refused:
        load_sentiment_engine(path)
    message = str(refused.value)
    assert str(path) in message
    assert all(label in message for label in id2label.values())


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ValueError, match="no-such-model.*does not exist"):
        load_sentiment_engine(missing)


def test_a_directory_without_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SentimentModelError, match="empty.*not a loadable sequence classifier"):
        load_sentiment_engine(tmp_path / "empty")


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_batched_results_equal_one_by_one(models: dict[str, Path], engine: FinbertEngine,
                                          batch_size: int) -> None:
    one_by_one = [engine.analyze_batch([text])[0] for text in TEXTS]
    batched = FinbertEngine(models["standard"], batch_size=batch_size).analyze_batch(TEXTS)
    assert_same(batched, one_by_one)


def test_a_long_text_is_cut_to_512_tokens(engine: FinbertEngine) -> None:
    long = words(3000)
    # [CLS] + 510 words + [SEP]: the first 510 words are all the model sees.
    [whole] = engine.analyze_batch([" ".join(long)])
    [first_510] = engine.analyze_batch([" ".join(long[:510])])
    [first_400] = engine.analyze_batch([" ".join(long[:400])])
    assert_same([whole], [first_510])
    assert abs(whole.scores["positive"] - first_400.scores["positive"]) > 1e-5


def test_the_cut_follows_a_smaller_position_limit(models: dict[str, Path]) -> None:
    engine = FinbertEngine(models["short"])
    long = words(3000, seed=11)
    [whole] = engine.analyze_batch([" ".join(long)])  # 3,000 tokens into 64 positions
    [first_62] = engine.analyze_batch([" ".join(long[:62])])
    assert_same([whole], [first_62])


def test_empty_input(engine: FinbertEngine) -> None:
    assert engine.analyze_batch([]) == []


def test_bad_settings_are_refused(models: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        FinbertEngine(models["standard"], batch_size=0)
    with pytest.raises(ValueError, match="max_threads"):
        FinbertEngine(models["standard"], max_threads=0)


class RecordingEngine:
    """Delegates to an engine and records which threads ran it, and how many at once."""

    def __init__(self, inner: FinbertEngine, delay_s: float = 0.0) -> None:
        self.name = inner.name
        self.version = inner.version
        self._inner = inner
        self._delay_s = delay_s
        self._lock = threading.Lock()
        self.threads: set[int] = set()
        self.running = 0
        self.most_at_once = 0

    def analyze_batch(self, texts: Sequence[str]) -> list[Sentiment]:
        with self._lock:
            self.threads.add(threading.get_ident())
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self._delay_s)  # blocking, like inference
            return self._inner.analyze_batch(texts)
        finally:
            with self._lock:
                self.running -= 1


def test_the_analyzer_runs_off_the_event_loop(engine: FinbertEngine) -> None:
    recording = RecordingEngine(engine)
    analyzer = SentimentAnalyzer(recording)

    async def scenario() -> tuple[int, list[Sentiment], list[Sentiment]]:
        return (threading.get_ident(), await analyzer.analyze(TEXTS),
                await analyzer.analyze([]))

    try:
        loop_thread, results, empty = asyncio.run(scenario())
    finally:
        analyzer.close()
    assert analyzer.engine is recording
    assert recording.threads and loop_thread not in recording.threads
    assert_same(results, engine.analyze_batch(TEXTS))
    assert empty == []


def test_the_analyzer_runs_one_call_at_a_time_and_the_loop_stays_free(
        engine: FinbertEngine) -> None:
    recording = RecordingEngine(engine, delay_s=0.05)
    analyzer = SentimentAnalyzer(recording)

    async def scenario() -> tuple[list[list[Sentiment]], int]:
        ticks = 0
        calls = asyncio.gather(*(analyzer.analyze([text]) for text in TEXTS[:4]))
        while not calls.done():  # the loop keeps running while inference blocks
            ticks += 1
            await asyncio.sleep(0.005)
        return await calls, ticks

    try:
        results, ticks = asyncio.run(scenario())
    finally:
        analyzer.close()
    assert recording.most_at_once == 1
    assert len(recording.threads) == 1
    assert ticks >= 10  # 4 x 50 ms of blocking inference, 5 ms ticks
    assert_same([r[0] for r in results], engine.analyze_batch(TEXTS[:4]))


def test_a_closed_analyzer_refuses_work(engine: FinbertEngine) -> None:
    analyzer = SentimentAnalyzer(engine)
    analyzer.close()
    with pytest.raises(RuntimeError):
        asyncio.run(analyzer.analyze(["Banks lead gains"]))
