"""What every model type shares about its items and its outputs: an item's text, id and words,
class probabilities -> ``cats``, per-word tag marginals -> scored entity spans (IOB2 decoding of
each word's most likely tag)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..converters.iob import IOB
from ..types import Example, Prediction, ScoredSpan, Token, text_hash
from .base import Item

__all__ = ["class_predictions", "item_id", "item_text", "item_words", "span_predictions"]


def item_id(item: Item) -> int:
    return item.id if isinstance(item, Example) else text_hash(item)


def item_text(item: Item) -> str:
    return item.text if isinstance(item, Example) else item


def item_words(item: Item, tokenize: Callable[[str], Sequence[Token]]) -> tuple[Token, ...]:
    """The words a model reads: an example's own tokens when it has them, else ``tokenize``'s,
    whitespace tokens dropped."""
    tokens: Sequence[Token] | None = item.tokens if isinstance(item, Example) else None
    if tokens is None:
        tokens = tokenize(item_text(item))
    return tuple(t for t in tokens if t.text.strip())


def class_predictions(
    items: Sequence[Item], probabilities: Any, labels: Sequence[str]
) -> list[Prediction]:
    """One prediction per item with ``cats`` from its row of ``probabilities``."""
    return [
        Prediction(
            id=item_id(item),
            text=item_text(item),
            cats={label: float(p) for label, p in zip(labels, row, strict=True)},
        )
        for item, row in zip(items, probabilities, strict=True)
    ]


def span_predictions(
    items: Sequence[Item],
    words: Sequence[Sequence[Token]],
    marginals: Sequence[Any],
    tags: Sequence[str],
) -> list[Prediction]:
    """Entity spans per item: each word's most likely tag, decoded as IOB2; a span's score is the
    mean probability of its words' tags."""
    scheme = IOB()
    out = []
    for item, tokens, m in zip(items, words, marginals, strict=True):
        best = m.argmax(axis=1) if len(tokens) else []
        spans = [
            ScoredSpan(
                tokens[s.start].start,
                tokens[s.end - 1].end,
                s.label,
                float(m[range(s.start, s.end), best[s.start : s.end]].mean()),
            )
            for s in scheme.decode([tags[i] for i in best])
        ]
        out.append(Prediction(id=item_id(item), text=item_text(item), spans=spans))
    return out
