"""The tag-scheme interface: token spans <-> one tag per token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs

from ..errors import TagSequenceError

__all__ = ["MISSING", "OUTSIDE", "Scheme", "TokenSpan", "split_tag"]

OUTSIDE = "O"
#: spaCy's tag for a token whose annotation is unknown (partial data); trainers mask it.
MISSING = "-"


@attrs.frozen(order=True)
class TokenSpan:
    """An entity over tokens ``[start, end)`` (end exclusive, unlike Prodigy's ``token_end``)."""

    start: int
    end: int
    label: str


@runtime_checkable
class Scheme(Protocol):
    """Encodes token spans as tags and back. Implementations: ``iob`` (IOB2), ``bilou``."""

    name: str

    def encode(
        self, spans: Sequence[TokenSpan], n_tokens: int, *, complete: bool = True
    ) -> list[str]:
        """Tags for ``n_tokens`` tokens; tokens in no span get ``O`` if ``complete`` else ``-``.

        ``spans`` must be sorted and must not overlap.
        """
        ...

    def decode(self, tags: Sequence[str], *, strict: bool = False) -> list[TokenSpan]:
        """The spans in ``tags``. ``strict`` raises on an invalid sequence instead of repairing it."""
        ...


def split_tag(tag: str, prefixes: str, position: int) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` / ``"-"`` -> (tag, ""); anything else raises."""
    if tag in (OUTSIDE, MISSING):
        return tag, ""
    prefix, sep, label = tag.partition("-")
    if not sep or prefix not in prefixes or not label:
        raise TagSequenceError(
            f"tag {position} {tag!r} is not one of O, - or {'/'.join(prefixes)}-LABEL; "
            f"check the tag column and the --scheme option"
        )
    return prefix, label


def blank_tags(spans: Sequence[TokenSpan], n_tokens: int, *, complete: bool) -> list[str]:
    """The tags an encoder starts from (``O``, or missing for a partial annotation), once
    ``spans`` are checked to lie inside ``n_tokens`` in order without overlapping."""
    previous_end = 0
    for span in spans:
        if not 0 <= span.start < span.end <= n_tokens:
            raise TagSequenceError(f"token span {span} lies outside 0..{n_tokens}")
        if span.start < previous_end:
            raise TagSequenceError(f"token span {span} overlaps the span before it")
        previous_end = span.end
    return [OUTSIDE if complete else MISSING] * n_tokens
