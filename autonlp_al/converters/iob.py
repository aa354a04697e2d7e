"""IOB2: ``B-X`` begins an entity, ``I-X`` continues it, ``O`` is outside."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TagSequenceError
from ..registry import schemes
from .base import TokenSpan, blank_tags, split_tag

__all__ = ["IOB", "labels_from_tags", "ner_tags"]


def ner_tags(labels: Sequence[str]) -> list[str]:
    """The IOB2 tag list for entity ``labels``: ``O``, then ``B-X``, ``I-X`` per label in order, so
    appending a label appends tags and never moves an existing id."""
    return ["O"] + [f"{prefix}-{label}" for label in labels for prefix in "BI"]


def labels_from_tags(tags: Sequence[str]) -> list[str]:
    """Entity labels in order of first appearance in an IOB tag list (any order, e.g. AutoTrain's)."""
    return list(dict.fromkeys(t[2:] for t in tags if t[:2] in ("B-", "I-")))


class IOB:
    """The IOB2 scheme (what CoNLL-2003 here, seqeval and Hugging Face token classification use).

    Decoding follows conlleval: with ``strict=False`` a stray ``I-X`` (after ``O`` or another label)
    begins a new entity, as in IOB1 data.
    """

    name = "iob"

    def encode(
        self, spans: Sequence[TokenSpan], n_tokens: int, *, complete: bool = True
    ) -> list[str]:
        tags = blank_tags(spans, n_tokens, complete=complete)
        for span in spans:
            tags[span.start] = f"B-{span.label}"
            for i in range(span.start + 1, span.end):
                tags[i] = f"I-{span.label}"
        return tags

    def decode(self, tags: Sequence[str], *, strict: bool = False) -> list[TokenSpan]:
        spans: list[TokenSpan] = []
        start, label = -1, ""
        for i, tag in enumerate(tags):
            prefix, tag_label = split_tag(tag, "BI", i)
            if prefix == "I" and start >= 0 and tag_label == label:
                continue
            if start >= 0:
                spans.append(TokenSpan(start, i, label))
                start, label = -1, ""
            if prefix == "I" and strict:
                raise TagSequenceError(
                    f"tag {i} {tag!r} continues no entity (the tag before it is "
                    f"{tags[i - 1] if i else 'the sentence start'!r}); use B-{tag_label} to begin one"
                )
            if prefix in ("B", "I"):
                start, label = i, tag_label
        if start >= 0:
            spans.append(TokenSpan(start, len(tags), label))
        return spans


schemes.register("iob.v1", func=IOB)
