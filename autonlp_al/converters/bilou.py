"""BILOU (spaCy's BILUO): ``B``egin, ``I``nside, ``L``ast, ``U``nit, ``O``utside."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TagSequenceError
from ..registry import schemes
from .base import MISSING, TokenSpan, blank_tags, split_tag
from .iob import IOB

__all__ = ["BILOU", "bilou_to_iob", "iob_to_bilou"]


class BILOU:
    """The BILOU scheme; agrees with spaCy's ``offsets_to_biluo_tags`` / ``biluo_tags_to_spans``.

    With ``strict=False`` decoding repairs what spaCy rejects: an ``I``/``L`` that continues nothing
    begins an entity, and an entity left open (``B``/``I`` not closed by ``L``) ends where it stops.
    """

    name = "bilou"

    def encode(
        self, spans: Sequence[TokenSpan], n_tokens: int, *, complete: bool = True
    ) -> list[str]:
        tags = blank_tags(spans, n_tokens, complete=complete)
        for span in spans:
            if span.end - span.start == 1:
                tags[span.start] = f"U-{span.label}"
                continue
            tags[span.start] = f"B-{span.label}"
            for i in range(span.start + 1, span.end - 1):
                tags[i] = f"I-{span.label}"
            tags[span.end - 1] = f"L-{span.label}"
        return tags

    def decode(self, tags: Sequence[str], *, strict: bool = False) -> list[TokenSpan]:
        spans: list[TokenSpan] = []
        start, label = -1, ""

        def close(end: int) -> None:
            nonlocal start, label
            spans.append(TokenSpan(start, end, label))
            start, label = -1, ""

        for i, tag in enumerate(tags):
            prefix, tag_label = split_tag(tag, "BILU", i)
            continues = start >= 0 and tag_label == label and prefix in ("I", "L")
            if continues:
                if prefix == "L":
                    close(i + 1)
                continue
            if start >= 0:
                if strict:
                    raise TagSequenceError(
                        f"tag {i} {tag!r} interrupts the open {label!r} entity begun at tag {start}; "
                        f"close it with L-{label}"
                    )
                close(i)
            if prefix in ("I", "L") and strict:
                raise TagSequenceError(
                    f"tag {i} {tag!r} continues no entity; use B-{tag_label} (or U-{tag_label} for "
                    f"a one-token entity)"
                )
            if prefix in ("U", "L"):
                spans.append(TokenSpan(i, i + 1, tag_label))
            elif prefix in ("B", "I"):
                start, label = i, tag_label
        if start >= 0:
            if strict:
                raise TagSequenceError(
                    f"the {label!r} entity begun at tag {start} is never closed with L-{label}"
                )
            close(len(tags))
        return spans


def iob_to_bilou(tags: Sequence[str]) -> list[str]:
    """IOB2 tags -> BILOU tags; ``-`` ends an entity and stays ``-``."""
    return _recode(tags, IOB(), BILOU())


def bilou_to_iob(tags: Sequence[str]) -> list[str]:
    """BILOU tags -> IOB2 tags (``U`` -> ``B``, ``L`` -> ``I``); ``-`` passes through."""
    return _recode(tags, BILOU(), IOB())


def _recode(tags: Sequence[str], source: IOB | BILOU, target: IOB | BILOU) -> list[str]:
    encoded = target.encode(source.decode(tags), len(tags))
    # Spans never cover a missing tag, so putting the unknowns back over O is lossless.
    return [MISSING if tag == MISSING else new for tag, new in zip(tags, encoded, strict=False)]


schemes.register("bilou.v1", func=BILOU)
