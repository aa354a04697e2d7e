"""Test models and data: a tiny BERT (2 layers, hidden 32) with a WordPiece vocabulary made here
(no downloads), and pattern-based NER / keyword classification corpora it learns in seconds.
The ``tiny_bert`` fixture is registered for the whole suite by tests/conftest.py."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from autonlp_al import Example, Span

FIRST = ["tim", "anna", "omar", "lena", "raj", "mia", "ivan", "zoe", "paul", "kira"]
LAST = ["cook", "berg", "khan", "novak", "patel", "silva", "meyer", "ross", "dune", "lowe"]
ORGS = ["apple", "google", "siemens", "nokia", "tesla", "philips", "oracle", "airbus"]
CITIES = ["london", "paris", "berlin", "madrid", "oslo", "rome", "vienna", "dublin"]
FILLER = [
    "said",
    "that",
    "the",
    "new",
    "plan",
    "was",
    "good",
    "today",
    "very",
    "and",
    "it",
    "a",
    "on",
    "for",
    "with",
    "report",
    "shows",
    "yesterday",
]
TOPICS = {
    "sport": ["match", "goal", "team", "league", "coach", "score", "players", "season"],
    "tech": ["software", "chip", "phone", "internet", "data", "computer", "app", "network"],
    "business": ["shares", "market", "profit", "bank", "investors", "sales", "economy", "deal"],
}


def ner_example(rng: random.Random) -> Example:
    """Entities at random places among filler words: the label depends on the words, never on
    the position, so a model that learned it also tags windows cut from the middle of a text."""
    segments: list[tuple[str, str | None]] = [
        (w, None) for w in rng.sample(FILLER, rng.randint(3, 7))
    ]
    for _ in range(rng.randint(1, 3)):
        label = rng.choice(["PER", "ORG", "LOC"])
        value = {
            "PER": lambda: f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "ORG": lambda: rng.choice(ORGS),
            "LOC": lambda: rng.choice(CITIES),
        }[label]()
        segments.insert(rng.randint(0, len(segments)), (value, label))
    text, spans = "", []
    for value, label in segments:
        if text:
            text += " "
        if label is not None:
            spans.append(Span(len(text), len(text) + len(value), label))
        text += value
    return Example(text=text + " .", spans=spans)


def textcat_example(rng: random.Random) -> Example:
    label = rng.choice(sorted(TOPICS))
    words = rng.sample(TOPICS[label], 3) + rng.sample(FILLER, 4)
    rng.shuffle(words)
    return Example(text=" ".join(words), labels=[label])


def corpus(n: int, seed: int, kind: str) -> list[Example]:
    rng = random.Random(seed)
    make = ner_example if kind == "ner" else textcat_example
    return [make(rng) for _ in range(n)]


def answer_textcat(query: Path, gold: dict[str, Example], answers: Path) -> list[dict]:
    """Answer a query file's textcat tasks with their gold class, as Prodigy's db-out writes
    them, into ``answers``; returns the tasks."""
    tasks = [json.loads(line) for line in query.read_text().splitlines() if line]
    answers.write_text(
        "".join(
            json.dumps({**t, "answer": "accept", "accept": list(gold[t["text"]].labels)}) + "\n"
            for t in tasks
        )
    )
    return tasks


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    path = tmp_path_factory.mktemp("tiny-bert")
    texts = [e.text for e in corpus(400, 99, "ner") + corpus(300, 98, "textcat")]
    # WordPiece's own trainer breaks frequency ties differently from run to run, which made the
    # model (and every test on it) vary. This "training" is deterministic: all characters, as
    # word starts and as ##continuations, plus the most frequent words (ties alphabetical). It is
    # small on purpose: rarer words split into several sub-words, as in real data.
    counts = Counter(word for text in texts for word in re.findall(r"\w+|[^\w\s]", text.lower()))
    chars = sorted({ch for word in counts for ch in word})
    frequent = sorted(counts, key=lambda w: (-counts[w], w))
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = [w for w in frequent if len(w) > 1][:60]
    vocab = special + chars + [f"##{ch}" for ch in chars] + words
    tokenizer = Tokenizer(
        models.WordPiece(vocab={t: i for i, t in enumerate(vocab)}, unk_token="[UNK]")
    )
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=128,
    ).save_pretrained(path)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(path)
    return path
