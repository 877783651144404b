"""Sentiment engines and the async face the servicers call.

Two engines give the same result type (`server.domain.sentiment.Sentiment`): FinBERT when a
model directory is configured, the Loughran-McDonald lexicon otherwise (the service works,
and says which engine answered, with no weights on the machine).

Inference is CPU-bound and synchronous. `SentimentAnalyzer` runs it on one dedicated
thread: the event loop never blocks on it, and calls never run concurrently (they queue),
so the model's thread budget (`max_threads`) is the whole of its CPU use however many RPCs
ask at once. Each batch's inference time is recorded in
`financehub_sentiment_inference_seconds` (by engine and batch size, queueing excluded).
"""

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from server.ai.lexicon import LexiconEngine
from server.domain.sentiment import Sentiment
from server.metrics import SENTIMENT_INFERENCE, batch_size_bucket


class SentimentModelError(ValueError):
    """The configured sentiment model cannot be used (missing, unreadable, wrong labels).
    Defined here, not with FinBERT, so start-up code can catch it without importing torch."""


class SentimentEngine(Protocol):
    """Scores texts synchronously; results in the order of the texts."""

    name: str  # "finbert" or "lexicon"
    version: str  # what exactly answered, for responses and logs

    def analyze_batch(self, texts: Sequence[str]) -> list[Sentiment]: ...


class SentimentAnalyzer:
    """An engine run off the event loop, one call at a time."""

    def __init__(self, engine: SentimentEngine) -> None:
        self._engine = engine
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentiment")

    @property
    def engine(self) -> SentimentEngine:
        return self._engine

    async def analyze(self, texts: Sequence[str]) -> list[Sentiment]:
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        # A copy: the caller may reuse its list while the worker thread reads this one.
        return await loop.run_in_executor(self._executor, self._timed_batch, list(texts))

    def _timed_batch(self, texts: list[str]) -> list[Sentiment]:
        """On the inference thread: the engine's batch, timed without the wait in the queue."""
        started = time.perf_counter()
        try:
            return self._engine.analyze_batch(texts)
        finally:
            SENTIMENT_INFERENCE.labels(self._engine.name, batch_size_bucket(len(texts))).observe(
                time.perf_counter() - started)

    def close(self) -> None:
        """Lets the call in progress finish (blocking: call it at shutdown), cancels queued
        ones; later calls raise RuntimeError."""
        self._executor.shutdown(wait=True, cancel_futures=True)


def load_sentiment_engine(model_path: Path | None, *, batch_size: int = 16,
                          max_threads: int = 1) -> SentimentEngine:
    """FinBERT from `model_path` when one is given, else the lexicon engine.

    A given path that is missing or not a 3-label sentiment classifier raises
    `SentimentModelError` (a ValueError) naming it: a configured model that silently
    became the lexicon would be a misconfiguration nobody notices.
    """
    if model_path is None:
        return LexiconEngine()
    # Imported here so that a service without weights never pays for importing torch
    # (seconds of start-up, hundreds of MB).
    from server.ai.finbert import FinbertEngine

    return FinbertEngine(model_path, batch_size=batch_size, max_threads=max_threads)
