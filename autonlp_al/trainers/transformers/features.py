"""Model inputs: words -> sub-word windows (NER), head+tail truncation (text classification),
padded batches, and the transformers Auto class per task.

NER labels go on the *first* sub-word of each word; later sub-words, special tokens and words whose
tag is unknown (``-``) get ``IGNORE`` so the loss skips them. Long sentences become overlapping
windows of ``max_length`` sub-words with ``stride`` sub-words of overlap; at inference each word
takes its prediction from the window where it sits farthest from an edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..._optional import require

__all__ = [
    "IGNORE",
    "Window",
    "auto_class",
    "central_positions",
    "head_tail",
    "pad_batch",
    "word_windows",
]

IGNORE = -100  # torch's CrossEntropyLoss ignore_index


@attrs.frozen
class Window:
    """One model input: sub-word ids, and per sub-word the word it starts (or ``-1``)."""

    item: int  # index of the sentence/text in the batch given
    input_ids: list[int]
    first_of_word: list[int]  # word index where the sub-word starts a word, else -1
    labels: list[int] | None = None

    def centrality(self, position: int) -> int:
        return min(position, len(self.input_ids) - 1 - position)


def word_windows(
    tokenizer: Any,
    words: Sequence[Sequence[str]],
    *,
    max_length: int,
    stride: int,
    word_labels: Sequence[Sequence[int]] | None = None,
) -> list[Window]:
    """Windows for each word list; with ``word_labels`` (one id or ``IGNORE`` per word), labels."""
    if not words:
        return []
    encoded = tokenizer(
        [list(w) for w in words],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    windows = []
    for i, input_ids in enumerate(encoded["input_ids"]):
        item = encoded["overflow_to_sample_mapping"][i]
        word_ids = encoded.word_ids(i)
        offsets = encoded["offset_mapping"][i]
        first = [
            w if w is not None and offsets[j][0] == 0 and offsets[j][1] > 0 else -1
            for j, w in enumerate(word_ids)
        ]
        labels = None
        if word_labels is not None:
            labels = [word_labels[item][w] if w >= 0 else IGNORE for w in first]
        windows.append(Window(item, list(input_ids), first, labels))
    return windows


def central_positions(windows: Sequence[Window]) -> list[tuple[int, int, int, int]]:
    """``(item, word, window index, position)`` for each word once: the first sub-word of the
    word in the window where it sits farthest from an edge (on a tie, the later window)."""
    best: dict[tuple[int, int], tuple[int, int, int]] = {}
    for index, window in enumerate(windows):
        for position, word in enumerate(window.first_of_word):
            if word < 0:
                continue
            centrality = window.centrality(position)
            key = (window.item, word)
            if centrality >= best.get(key, (-1, 0, 0))[0]:
                best[key] = (centrality, index, position)
    return [(item, word, index, position) for (item, word), (_, index, position) in best.items()]


def head_tail(ids: list[int], budget: int, head_fraction: float = 0.25) -> list[int]:
    """Keep ``budget`` ids: the first ``head_fraction`` of them from the start, the rest from the
    end (Sun et al. 2019 found head+tail best for long documents; a news title is in the head)."""
    if len(ids) <= budget:
        return ids
    head = int(budget * head_fraction)
    return ids[:head] + ids[len(ids) - (budget - head) :]


def auto_class(task: str) -> Any:
    """The transformers Auto class for ``task``: token classification for ``"ner"``, sequence
    classification for ``"textcat"``."""
    transformers = require("transformers", "local")
    if task == "ner":
        return transformers.AutoModelForTokenClassification
    return transformers.AutoModelForSequenceClassification


def pad_batch(sequences: Sequence[list[int]], pad: int | None) -> tuple[Any, Any]:
    """Right-padded ``(input_ids, attention_mask)`` long tensors for ``sequences``."""
    torch = require("torch", "local")
    width = max(len(seq) for seq in sequences)
    ids = torch.full((len(sequences), width), pad or 0, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return ids, mask
