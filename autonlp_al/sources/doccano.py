"""doccano JSONL exports: sequence labelling and text classification.

The shapes doccano writes (and imports):

- sequence labelling, list form: ``{"text": ..., "label": [[start, end, "TYPE"], ...]}``;
- sequence labelling, the newer form: ``{"text": ..., "entities": [{"start_offset": ...,
  "end_offset": ..., "label": "TYPE"}, ...]}`` (``relations`` are ignored, and counted);
- text classification: ``{"text": ..., "label": ["sport", ...]}``, or ``"cats": {"sport": true,
  "tech": false}`` (a false or below-0.5 category becomes a rejected label).

doccano's ``id`` lands in ``meta["id"]``; the example id is the text hash. An exported document
is complete: an empty ``label`` list says the annotator found no entity (or no class).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from .._values import describe
from ..errors import SourceError
from ..registry import sources
from ..report import Report
from ..types import Example, Origin, Span
from .base import OnError, is_int, jsonl_examples, require_object, require_text

__all__ = ["DoccanoSource"]


@sources.register("doccano.v1")
@attrs.define(kw_only=True)
class DoccanoSource:
    """Examples from a doccano JSONL export.

    Args:
        path: the file.
        text_field / label_field: doccano's ``text`` and ``label`` unless renamed.
        encoding: the file's encoding.
        on_error: ``raise`` at the first bad line, or ``skip`` and count it.
    """

    path: Path = attrs.field(converter=Path)
    text_field: str = "text"
    label_field: str = "label"
    encoding: str = "utf-8"
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)

    def read(self) -> Iterator[Example]:
        return jsonl_examples(self, self._example)

    def _example(self, origin: Origin, value: Any) -> Example:
        record = require_object(origin, value)
        text = require_text(origin, record, self.text_field)
        spans: list[Span] = []
        labels: list[str] = []
        rejected: list[str] = []
        label = record.get(self.label_field)
        if label is not None:
            if not isinstance(label, list):
                raise SourceError(
                    f"{origin}: {self.label_field!r} must be a list ([[start, end, label], ...] "
                    f'for entities, ["class", ...] for classes), got {describe(label)}'
                )
            for i, item in enumerate(label):
                if isinstance(item, str):
                    labels.append(item)
                else:
                    spans.append(_list_span(origin, i, item))
        entities = record.get("entities")
        if entities is not None:
            if not isinstance(entities, list):
                raise SourceError(f"{origin}: 'entities' must be a list, got {describe(entities)}")
            spans.extend(_entity(origin, i, item) for i, item in enumerate(entities))
        if record.get("relations"):
            self.report.adjust(
                "relations ignored", origin, f"{len(record['relations'])} relation(s)"
            )
        cats = record.get("cats")
        if cats is not None:
            chosen, refused = _cats(origin, cats)
            labels.extend(chosen)
            rejected.extend(refused)
        meta = {"id": record["id"]} if "id" in record else {}
        return Example(
            text=text,
            labels=tuple(dict.fromkeys(labels)),
            rejected_labels=tuple(dict.fromkeys(rejected)),
            spans=spans,
            meta=meta,
            origin=origin,
        )


def _list_span(origin: Origin, i: int, item: Any) -> Span:
    if (
        not isinstance(item, list)
        or len(item) != 3
        or not all(is_int(v) for v in item[:2])
        or not isinstance(item[2], str)
    ):
        raise SourceError(
            f'{origin}: label {i} {describe(item)} is neither a class name nor [start, end, "TYPE"]'
        )
    return _span(origin, i, item[0], item[1], item[2])


def _entity(origin: Origin, i: int, item: Any) -> Span:
    if not isinstance(item, Mapping) or not {"start_offset", "end_offset", "label"} <= item.keys():
        raise SourceError(
            f"{origin}: entity {i} {describe(item)} needs 'start_offset', 'end_offset' and 'label'"
        )
    start, end, label = item["start_offset"], item["end_offset"], item["label"]
    if not is_int(start) or not is_int(end) or not isinstance(label, str):
        raise SourceError(f"{origin}: entity {i} {describe(dict(item))} has a bad offset or label")
    return _span(origin, i, start, end, label)


def _span(origin: Origin, i: int, start: int, end: int, label: str) -> Span:
    if not 0 <= start < end or not label:
        raise SourceError(
            f"{origin}: entity {i} [{start}, {end}) {label!r}: need 0 <= start < end and a label"
        )
    return Span(start, end, label)


def _cats(origin: Origin, cats: Any) -> tuple[list[str], list[str]]:
    if not isinstance(cats, Mapping) or not all(
        isinstance(k, str) and (isinstance(v, bool) or _is_number(v)) for k, v in cats.items()
    ):
        raise SourceError(
            f"{origin}: 'cats' must map class names to true/false or a score, got {describe(cats)}"
        )
    chosen = [k for k, v in cats.items() if v is True or (not isinstance(v, bool) and v >= 0.5)]
    return chosen, [k for k in cats if k not in chosen]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value
