"""`python -m bench.sentiment`: sentiment engines alone on the CPU, no server, no network.

    python -m bench.sentiment                        # the tiny BERT of the tests, 400 headlines
    python -m bench.sentiment --model /models/finbert --threads 2
    python -m bench.sentiment --sentences 1000 --batch-sizes 8,16,32,64

Sentences per second, for the FinBERT engine one text at a time (a loop calling
`analyze_batch([text])`, the naive way) and batched (`analyze_batch(all)` with the engine's
batch size), and for the lexicon engine. Each row: a warm-up pass, then `--repeats` timed
passes over the same seeded headlines; the median pass is reported. Writes
bench/results/sentiment.json.

Without `--model` the classifier is tests/support/tiny_bert.py's (2 layers, hidden 32,
random weights), built in a temporary directory: the figures then show the overhead around
the model (tokenization, Python, one forward call per text) that batching removes, not
FinBERT's own cost: a real BERT-base does thousands of times the arithmetic per token, so
run `--model` on the real weights before sizing a machine.
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from server.ai.finbert import FinbertEngine
from server.ai.lexicon import LexiconEngine
from server.domain.sentiment import LABELS, Sentiment
from tests.support.tiny_bert import build_tiny_bert

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "sentiment.json"

COMPANIES = ["Aramco", "SABIC", "Al Rajhi Bank", "STC", "Ma'aden", "SNB", "Almarai",
             "Riyad Bank", "Yanbu Cement", "Jarir", "Savola", "Bupa Arabia", "ACWA Power",
             "Elm", "Dr. Sulaiman Al Habib", "Saudi Electricity"]
SUBJECTS = ["net profit", "quarterly revenue", "operating income", "first-half earnings",
            "gross margin", "annual sales", "fourth-quarter profit", "production"]
MOVES = ["rose {n}%", "fell {n}%", "jumped {n}%", "declined {n}%", "was flat",
         "beat analyst estimates", "missed expectations", "improved strongly",
         "did not improve", "reached a record"]
CAUSES = ["on strong demand", "after impairment charges", "as oil prices weakened",
          "despite higher financing costs", "on lower feedstock costs",
          "amid weak construction activity", "as the company expanded capacity",
          "following a downgrade by analysts", "after the board approved a dividend", ""]
TAILS = ["", "Shares closed higher on Tadawul.", "The stock slipped in early trading.",
         "The board will meet on Sunday.", "Analysts expect further gains next year."]


def headlines(count: int, seed: int = 2026) -> list[str]:
    """`count` seeded headline-length sentences (about 8 to 25 words)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        move = rng.choice(MOVES).format(n=rng.randint(2, 45))
        sentence = (f"{rng.choice(COMPANIES)} {rng.choice(SUBJECTS)} {move} "
                    f"{rng.choice(CAUSES)}").strip() + ". " + rng.choice(TAILS)
        texts.append(sentence.strip())
    return texts


def measure(run: Callable[[], object], texts: int, repeats: int) -> dict[str, Any]:
    """`run` (one pass over `texts` sentences) once to warm up, then `repeats` timed."""
    run()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    return {"sentences_per_s": round(texts / median, 1), "median_pass_s": round(median, 4),
            "best_pass_s": round(min(seconds), 4)}


def max_difference(left: Sequence[Sentiment], right: Sequence[Sentiment]) -> float:
    return max(abs(a.scores[label] - b.scores[label])
               for a, b in zip(left, right, strict=True) for label in LABELS)


def run_benchmark(model: Path, texts: list[str], batch_sizes: list[int], threads: int,
                  repeats: int) -> tuple[str, list[dict[str, Any]]]:
    """The model's description and one row per engine and mode."""
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    single = FinbertEngine(model, batch_size=1, max_threads=threads)
    load_s = time.perf_counter() - started
    one_by_one: list[Sentiment] = []

    def naive() -> None:
        one_by_one[:] = [single.analyze_batch([text])[0] for text in texts]

    rows.append({"engine": "finbert", "mode": "one at a time", "batch_size": 1,
                 "load_s": round(load_s, 3), **measure(naive, len(texts), repeats)})
    for batch_size in batch_sizes:
        engine = FinbertEngine(model, batch_size=batch_size, max_threads=threads)
        batched: list[Sentiment] = []

        def run_batched(engine: FinbertEngine = engine,
                        batched: list[Sentiment] = batched) -> None:
            batched[:] = engine.analyze_batch(texts)

        rows.append({"engine": "finbert", "mode": "batched", "batch_size": batch_size,
                     **measure(run_batched, len(texts), repeats),
                     "max_abs_difference_vs_one_at_a_time":
                         float(f"{max_difference(batched, one_by_one):.2e}")})
    started = time.perf_counter()
    lexicon = LexiconEngine()
    load_s = time.perf_counter() - started
    rows.append({"engine": "lexicon", "mode": "batched", "batch_size": len(texts),
                 "load_s": round(load_s, 3),
                 **measure(lambda: lexicon.analyze_batch(texts), len(texts), repeats)})
    return single.version, rows


def render(rows: list[dict[str, Any]]) -> str:
    baseline = rows[0]["sentences_per_s"]
    lines = [f"{'engine':<8} {'mode':<14} {'batch':>5} {'sentences/s':>12} {'vs one':>7} "
             f"{'median pass s':>13} {'load s':>7}"]
    for row in rows:
        lines.append(
            f"{row['engine']:<8} {row['mode']:<14} {row['batch_size']:>5} "
            f"{row['sentences_per_s']:>12,.0f} {row['sentences_per_s'] / baseline:>6.1f}x "
            f"{row['median_pass_s']:>13.4f} "
            f"{row['load_s'] if 'load_s' in row else '':>7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sentiment", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None,
                        help="a local FinBERT directory (default: build the tests' tiny BERT)")
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--batch-sizes", default="16,32",
                        help="comma-separated engine batch sizes (default 16,32)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1, the server's default)")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes per row")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    batch_sizes = [int(size) for size in args.batch_sizes.split(",") if size.strip()]
    texts = headlines(args.sentences)

    with tempfile.TemporaryDirectory(prefix="fh-bench-bert-") as work:
        model = args.model or build_tiny_bert(
            Path(work) / "tiny-bert", {0: "positive", 1: "negative", 2: "neutral"})
        version, rows = run_benchmark(model, texts, batch_sizes, args.threads, args.repeats)
    model_name = version if args.model else (
        f"tests/support/tiny_bert.py: {version}, 2 layers, hidden 32, random weights")

    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "command": " ".join(["python -m bench.sentiment",
                             *(sys.argv[1:] if argv is None else argv)]).strip(),
        "machine": {"cpus": os.cpu_count(),
                    "platform": platform.platform(), "python": platform.python_version(),
                    "torch": torch.__version__},
        "config": {"model": model_name, "sentences": len(texts),
                   "mean_words": round(statistics.mean(len(t.split()) for t in texts), 1),
                   "threads": args.threads, "repeats": args.repeats,
                   "batch_sizes": batch_sizes},
        "rows": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(f"{len(texts)} headlines (mean {results['config']['mean_words']} words), model: "
          f"{model_name}, torch threads {args.threads}, median of {args.repeats} passes")
    print(render(rows))
    print(f"results: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
