"""Deduplication for any source: the first example of each text wins; every later copy is
counted, and a copy whose annotation differs is counted apart, so a conflict is never hidden."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from ..report import Report
from ..types import Example
from .base import Source

__all__ = ["DUPLICATE", "DUPLICATE_CONFLICT", "Deduplicated"]

#: ``report.skipped`` reasons: a repeated text annotated the same way, and one annotated otherwise
DUPLICATE = "duplicate text"
DUPLICATE_CONFLICT = "duplicate text, different annotation (first kept)"


def _annotation(example: Example) -> tuple[object, ...]:
    return (
        example.labels,
        example.rejected_labels,
        example.spans,
        example.rejected_spans,
        example.answer,
        example.complete,
    )


@attrs.define
class Deduplicated:
    """Wraps ``source``; yields each text once, in input order (``--dedupe`` on the command line,
    ``dedupe = true`` in a loop config's ``[loop]``).

    Skips go into the wrapped source's own report, and its ``examples`` count is lowered by each,
    so one report says what was read, kept and skipped.
    """

    source: Source
    report: Report = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.report = self.source.report

    def read(self) -> Iterator[Example]:
        first: dict[str, Example] = {}
        for example in self.source.read():
            kept = first.get(example.text)
            if kept is None:
                first[example.text] = example
                yield example
                continue
            reason = DUPLICATE if _annotation(kept) == _annotation(example) else DUPLICATE_CONFLICT
            where = f"same text as {kept.origin}" if kept.origin else "same text as an earlier one"
            self.report.skip(reason, example.origin, where)
            if self.report.counts["examples"] > 0:
                self.report.counts["examples"] -= 1
