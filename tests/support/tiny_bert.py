"""A tiny BERT sequence classifier with a real WordPiece tokenizer, built and saved locally.

It stands in for FinBERT in tests and in `bench/sentiment.py`: same architecture family,
same files on disk (config.json, model.safetensors, tokenizer files), loadable with
`from_pretrained(path, local_files_only=True)`, but a few hundred kilobytes and built in well
under a second, so nothing is ever downloaded.

The weights are random (seeded). `initializer_range` is larger than BERT's 0.02 so that
different texts give visibly different probabilities (with 0.02 every text scores about
1/3 per label, and tests comparing texts would compare noise). `dominant` biases the
classifier so one named label wins on every text, which makes the label mapping testable.
"""

import string
from pathlib import Path

import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer
from transformers.utils import logging as transformers_logging

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Ordinary words, so that most of a headline is whole-word tokens; letters, digits and their
# "##" continuations below make every other ASCII word tokenizable too.
WORDS = """
a about above after against all also an analyst analysts and annual are as asset assets at
bank banks be been before below board bond bonds but by capital cash charge charges chief
company companies cost costs customers cut daily data debt decline declined demand did
dividend dividends down downgrade earnings energy estimates exchange expected expects fell
first for forecast from fund funds gain gains good government growth guidance had has have
higher his impairment in income increase index interest investors is it its last loss losses
low lower main margin margins market markets meet million month net new no not oil on one
operating or our outlook over per percent petrochemical price prices production profit
profits quarter rate rates record reported results revenue revenues rise rising rose sales
saudi second sector shares shareholders since strong stock stocks sunday than that the their
this three to trading two up upgrade value was weak were will with year years record
achieved disappointing improve improved riyal riyals tadawul aramco sabic bank billion
capital cement telecom insurance retail real estate construction steel mining banks
acquisition merger deal contract awarded signed approved approval regulator authority
ministry plan plans project projects growth expansion capacity output exports imports
investment investments returns return yield yields volatility volume volumes session
close closed opened open high low week weeks today yesterday tomorrow morning after
""".split()


def tiny_vocab() -> list[str]:
    """The vocabulary, in id order: special tokens, punctuation, digits, letters, their "##"
    continuations, then the words (each once)."""
    pieces = [*SPECIAL_TOKENS]
    singles = [*string.punctuation, *string.digits, *string.ascii_lowercase]
    pieces += singles
    pieces += [f"##{c}" for c in string.digits + string.ascii_lowercase]
    for word in WORDS:
        if word not in pieces:
            pieces.append(word)
    return pieces


def build_tiny_bert(directory: Path, id2label: dict[int, str], *, seed: int = 0,
                    dominant: str | None = None, max_position_embeddings: int = 512) -> Path:
    """Save a tiny BERT classifier for `id2label` and its tokenizer into `directory`.

    `dominant`: a label of `id2label` whose classifier bias is raised far above the others,
    so the model predicts it for every text. Returns `directory`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    vocab_file = directory / "vocab.txt"
    vocab = tiny_vocab()
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab=str(vocab_file), do_lower_case=True,
                              model_max_length=max_position_embeddings)

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=max_position_embeddings,
        id2label=dict(id2label),  # num_labels follows from it
        label2id={label: index for index, label in id2label.items()},
        initializer_range=0.5,
    )
    model = BertForSequenceClassification(config)
    if dominant is not None:
        index = next(i for i, label in id2label.items() if label == dominant)
        with torch.no_grad():
            model.classifier.bias.zero_()
            model.classifier.bias[index] = 50.0
    transformers_logging.disable_progress_bar()  # a tqdm bar per save otherwise
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
