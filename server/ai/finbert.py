"""FinBERT (or any local BERT-style 3-way financial sentiment classifier) via transformers.

The weights are a local directory named in configuration: loaded with
`local_files_only=True`, so a wrong path fails at start-up instead of reaching for the model
hub. Which output index means which label is read from the model's own `config.id2label`
(ProsusAI/finbert says 0=positive, yiyanghkust/finbert-tone says 0=neutral): a hard-coded
order would silently swap positive and negative on the other checkpoint.

Inference is batched: texts are grouped by length, then tokenized and run `batch_size` at a
time (padded to the longest of the chunk), which is cheaper per text than one forward pass
each (bench/sentiment.py measures how much). Threads are
bounded with `torch.set_num_threads`, which is process-wide: the server gives the model a
fixed share of the cores and keeps the rest for the event loop and the database driver.
"""

from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers.utils import logging as transformers_logging

from server.ai.sentiment import SentimentModelError
from server.domain.sentiment import LABELS, Sentiment, sentiment_from_scores

# BERT's position embeddings stop at 512 tokens; a longer input is cut (news bodies can be
# longer: the headline and lead, which come first, carry the sentiment).
MAX_TOKENS = 512


class FinbertEngine:
    """A local sequence classifier whose labels are exactly positive/negative/neutral."""

    name = "finbert"

    def __init__(self, model_path: Path, *, batch_size: int = 16, max_threads: int = 1) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, not {max_threads}")
        if not model_path.is_dir():
            raise SentimentModelError(
                f"sentiment model directory {str(model_path)!r} does not exist or is not a "
                "directory")
        # The loaders draw tqdm bars on stderr, which would interleave with the JSON log.
        transformers_logging.disable_progress_bar()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
            self._model = AutoModelForSequenceClassification.from_pretrained(
                model_path, local_files_only=True)
        except Exception as error:  # OSError, ValueError, safetensors' own errors, ...
            raise SentimentModelError(
                f"{str(model_path)!r} is not a loadable sequence classifier: {error}") from error
        self._model.eval()
        self._labels = _labels_of(self._model.config.id2label, model_path)
        self._max_length = min(MAX_TOKENS, self._model.config.max_position_embeddings,
                               self._tokenizer.model_max_length)
        self._batch_size = batch_size
        torch.set_num_threads(max_threads)
        self.version = f"{model_path.name} (labels {', '.join(self._labels)})"

    def analyze_batch(self, texts: Sequence[str]) -> list[Sentiment]:
        # Chunks of texts of similar length (by characters, a cheap proxy for tokens) pad
        # less: a chunk costs as much as its longest text times its size. Padding is masked,
        # so the grouping changes no result; the answers go back in the caller's order.
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        by_index: dict[int, Sentiment] = {}
        for start in range(0, len(order), self._batch_size):
            chunk = order[start:start + self._batch_size]
            by_index.update(zip(chunk, self._forward([texts[i] for i in chunk]), strict=True))
        return [by_index[index] for index in range(len(texts))]

    def _forward(self, chunk: list[str]) -> list[Sentiment]:
        encoded = self._tokenizer(chunk, padding=True, truncation=True,
                                  max_length=self._max_length, return_tensors="pt")
        with torch.inference_mode():
            probabilities = self._model(**encoded).logits.float().softmax(dim=-1)
        return [sentiment_from_scores(dict(zip(self._labels, row, strict=True)))
                for row in probabilities.tolist()]


def _labels_of(id2label: dict[int, str], model_path: Path) -> tuple[str, ...]:
    """The label of each output index, lower-cased, refused unless it is exactly LABELS."""
    labels = tuple(str(id2label[index]).lower() for index in sorted(id2label))
    if len(labels) != len(LABELS) or set(labels) != set(LABELS):
        raise SentimentModelError(
            f"sentiment model {str(model_path)!r} has labels {list(labels)}; a sentiment "
            f"model must have exactly {sorted(LABELS)}")
    return labels
