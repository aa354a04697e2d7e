"""JSONL files: one object per line, fields mapped by name.

Reads the shapes people actually have: ``{"text", "label"}`` for classification, ``{"text",
"spans": [{start, end, label}]}`` for NER, and the AutoNLP / AutoTrain ``{"tokens": [...], "tags":
[...]}`` shape (string tags in a named scheme) that the seed's conversion script wrote.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from .._values import describe
from ..converters.base import MISSING, Scheme
from ..converters.convert import _scheme
from ..converters.iob import IOB
from ..errors import SourceError
from ..registry import sources
from ..report import Report
from ..types import Example, Origin, Span, Token
from .base import OnError, jsonl_examples, parse_spans, parse_tokens, require_object

__all__ = ["JsonlSource", "example_from_words"]


def example_from_words(
    origin: Origin, words: list[Any], tags: list[Any] | None, scheme: Scheme, **fields: Any
) -> Example:
    """An example from pre-tokenised words joined by single spaces, spans decoded from ``tags``."""
    if not words or not all(isinstance(w, str) and w and not w.isspace() for w in words):
        raise SourceError(
            f"{origin}: 'tokens' must be a non-empty list of non-blank strings, got {describe(words)}"
        )
    tokens, offset = [], 0
    for word in words:
        tokens.append(Token(word, offset, offset + len(word), True))
        offset += len(word) + 1
    text = " ".join(words)
    spans: list[Span] = []
    complete = True
    if tags is not None:
        if len(tags) != len(words) or not all(isinstance(t, str) for t in tags):
            raise SourceError(
                f"{origin}: {len(words)} tokens but tags {describe(tags)}; give one string tag per token"
            )
        complete = MISSING not in tags
        spans = [
            Span(tokens[s.start].start, tokens[s.end - 1].end, s.label) for s in scheme.decode(tags)
        ]
    return Example(
        text=text, tokens=tokens, spans=spans, complete=complete, origin=origin, **fields
    )


@sources.register("jsonl.v1")
@attrs.define(kw_only=True)
class JsonlSource:
    """Examples from a JSONL file.

    Args:
        path: the file.
        text_field: the text; ignored for records that have string ``tokens_field``.
        label_field: a class label (string) or labels (list of strings), if present.
        spans_field: entity spans ``[{start, end, label}]`` (character offsets), if present.
        tokens_field: token dicts (Prodigy style) or plain strings (AutoTrain style).
        tags_field: one tag per string token, decoded with ``scheme``.
        id_field: a field kept in ``meta["id"]`` (the example id stays the text hash).
        complete: whether tokens outside the spans are known to be outside (``False`` for partial
            annotation).
        encoding: the file's encoding.
        on_error: ``raise`` at the first bad line, or ``skip`` and count it.
    """

    path: Path = attrs.field(converter=Path)
    text_field: str = "text"
    label_field: str = "label"
    spans_field: str = "spans"
    tokens_field: str = "tokens"
    tags_field: str = "tags"
    scheme: Scheme = attrs.field(factory=IOB, converter=_scheme)
    id_field: str | None = None
    complete: bool = True
    encoding: str = "utf-8"
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)

    def read(self) -> Iterator[Example]:
        return jsonl_examples(self, self._example)

    def _example(self, origin: Origin, value: Any) -> Example:
        record = require_object(origin, value)
        fields: dict[str, Any] = {
            "labels": self._labels(origin, record),
            "meta": self._meta(record),
        }
        if "answer" in record:
            fields["answer"] = record["answer"]
        tokens = record.get(self.tokens_field)
        if isinstance(tokens, list) and tokens and isinstance(tokens[0], str):
            return example_from_words(
                origin, tokens, record.get(self.tags_field), self.scheme, **fields
            )
        if self.text_field not in record:
            raise SourceError(
                f"{origin}: no {self.text_field!r} field (fields: {sorted(record)}); name the "
                f"text field with text_field= / --text-field"
            )
        parsed = parse_tokens(origin, tokens)
        return Example(
            text=record[self.text_field],
            tokens=parsed,
            spans=parse_spans(origin, record.get(self.spans_field), parsed),
            complete=self.complete,
            origin=origin,
            **fields,
        )

    def _labels(self, origin: Origin, record: Mapping[str, Any]) -> tuple[str, ...]:
        value = record.get(self.label_field)
        if value is None:
            return ()
        if isinstance(value, str | int) and not isinstance(value, bool):
            return (str(value),)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise SourceError(
            f"{origin}: {self.label_field!r} must be a string or a list of strings, got {describe(value)}"
        )

    def _meta(self, record: Mapping[str, Any]) -> dict[str, Any]:
        meta = dict(record["meta"]) if isinstance(record.get("meta"), Mapping) else {}
        if self.id_field is not None and self.id_field in record:
            meta["id"] = record[self.id_field]
        return meta
