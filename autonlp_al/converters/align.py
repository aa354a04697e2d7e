"""Character spans -> token spans, under a stated policy for spans off the token boundaries."""

from __future__ import annotations

import bisect
import enum
from collections.abc import Sequence

from ..errors import AlignmentError, OverlapError
from ..report import Report
from ..types import Origin, Span, Token
from .base import TokenSpan

__all__ = ["Alignment", "align_offsets", "align_spans"]


class Alignment(str, enum.Enum):
    """What to do with a span whose edges are not token edges (spaCy's ``alignment_mode``, plus skip).

    - ``strict``: raise :class:`AlignmentError` (and :class:`OverlapError` for overlapping spans).
    - ``expand``: grow the span to the tokens it touches.
    - ``contract``: shrink it to the tokens wholly inside it (skip it if none are).
    - ``skip``: leave the span out.

    Every policy but ``strict`` counts what it changed or skipped in the :class:`Report`; overlapping
    spans are then skipped (the earlier, longer span wins) and counted.
    """

    STRICT = "strict"
    EXPAND = "expand"
    CONTRACT = "contract"
    SKIP = "skip"


def align_spans(
    tokens: Sequence[Token],
    spans: Sequence[Span],
    *,
    alignment: Alignment = Alignment.STRICT,
    text: str = "",
    origin: Origin | None = None,
    report: Report | None = None,
) -> list[TokenSpan]:
    """Token spans for ``spans`` over ``tokens``, sorted and non-overlapping."""
    return align_offsets(
        [t.start for t in tokens],
        [t.end for t in tokens],
        spans,
        alignment=alignment,
        text=text,
        origin=origin,
        report=report,
    )


def align_offsets(
    starts: Sequence[int],
    ends: Sequence[int],
    spans: Sequence[Span],
    *,
    alignment: Alignment = Alignment.STRICT,
    text: str = "",
    origin: Origin | None = None,
    report: Report | None = None,
) -> list[TokenSpan]:
    """:func:`align_spans` over tokens given as their start and end offsets (sorted)."""
    report = report if report is not None else Report()
    n = len(starts)
    aligned: list[TokenSpan] = []
    for span in spans:
        first = bisect.bisect_left(starts, span.start)
        last = bisect.bisect_left(ends, span.end)
        if first < n and last < n and starts[first] == span.start and ends[last] == span.end:
            aligned.append(TokenSpan(first, last + 1, span.label))
            continue
        shown = f"[{span.start}, {span.end}) {text[span.start : span.end]!r} {span.label}"
        where = f"{origin}: " if origin else ""
        if alignment is Alignment.STRICT:
            raise AlignmentError(
                f"{where}span {shown} does not align with token boundaries; use "
                f"alignment='expand' / 'contract' / 'skip' (--alignment) or fix the span"
            )
        if alignment is Alignment.SKIP:
            report.skip("misaligned span", origin, shown)
            continue
        if alignment is Alignment.EXPAND:
            # first token ending after the span starts .. last token starting before it ends
            lo = bisect.bisect_right(ends, span.start)
            hi = bisect.bisect_left(starts, span.end)
        else:
            lo = bisect.bisect_left(starts, span.start)
            hi = bisect.bisect_right(ends, span.end)
        if lo >= hi:
            report.skip("span covers no whole token", origin, shown)
            continue
        report.adjust(f"span {alignment.value}ed to tokens", origin, shown)
        aligned.append(TokenSpan(lo, hi, span.label))
    if len(aligned) < 2:
        return aligned
    return _drop_overlaps(aligned, alignment, text, starts, ends, origin, report)


def _drop_overlaps(
    aligned: list[TokenSpan],
    alignment: Alignment,
    text: str,
    starts: Sequence[int],
    ends: Sequence[int],
    origin: Origin | None,
    report: Report,
) -> list[TokenSpan]:
    kept: list[TokenSpan] = []
    for span in sorted(aligned, key=lambda s: (s.start, -s.end)):
        if kept and span.start < kept[-1].end:
            if span == kept[-1]:
                report.skip(
                    "duplicate span", origin, f"tokens [{span.start}, {span.end}) {span.label}"
                )
                continue
            other = kept[-1]
            words = text[starts[span.start] : ends[span.end - 1]]
            detail = (
                f"{words!r} {span.label} (tokens [{span.start}, {span.end})) overlaps "
                f"{other.label} (tokens [{other.start}, {other.end}))"
            )
            if alignment is Alignment.STRICT:
                where = f"{origin}: " if origin else ""
                raise OverlapError(
                    f"{where}span {detail}; IOB/BILOU give one tag per token: remove one span, "
                    f"or pass alignment='skip' (--alignment skip) to keep the first and count the rest"
                )
            report.skip("overlapping span", origin, detail)
            continue
        kept.append(span)
    return kept
