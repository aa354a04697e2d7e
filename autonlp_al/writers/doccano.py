"""doccano JSONL, the shape doccano imports for sequence labelling and text classification."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import srsly

from ..registry import writers
from ..report import Report
from ..types import Example
from .base import atomic_write

__all__ = ["DoccanoWriter"]


@writers.register("doccano.v1")
@attrs.define(kw_only=True)
class DoccanoWriter:
    """``{"text", "label"}`` per line: ``label`` lists ``[start, end, "TYPE"]`` entities (task
    ``ner``) or class names (``textcat``); ``task="auto"`` picks from the first example (labels and
    no spans: classes). An example's ``meta`` is kept under ``meta``, which doccano shows.

    doccano has no "unknown" for a word, so a partial annotation (``ner.teach``) would read there
    as complete: such examples are skipped and counted (``partial annotation``).
    """

    task: str = attrs.field(
        default="auto", validator=attrs.validators.in_(("auto", "ner", "textcat"))
    )
    report: Report = attrs.field(factory=Report)

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        task = self.task
        with atomic_write(path) as f:
            for example in examples:
                if task == "auto":
                    task = "textcat" if example.labels and not example.spans else "ner"
                record = self._record(example, task)
                if record is not None:
                    f.write(srsly.json_dumps(record) + "\n")
                    self.report.count("written")
        return self.report

    def _record(self, example: Example, task: str) -> dict[str, Any] | None:
        if task == "ner" and not example.complete:
            self.report.skip(
                "partial annotation (doccano would read it as complete)",
                example.origin,
                repr(example.text[:60]),
            )
            return None
        label: list[Any] = (
            [[s.start, s.end, s.label] for s in example.spans]
            if task == "ner"
            else list(example.labels)
        )
        record: dict[str, Any] = {"text": example.text, "label": label}
        if example.meta:
            record["meta"] = dict(example.meta)
        return record
