"""spaCy ``DocBin`` (``.spacy``) output, ready for ``spacy train``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from ..converters.convert import Converter, spans_from_tags
from ..converters.tokenize import covering_tokens
from ..errors import ConversionError
from ..registry import writers
from ..report import Report
from ..types import Example
from .base import atomic_write_bytes

__all__ = ["DocBinWriter"]


@writers.register("spacy.v1")
@attrs.define(kw_only=True)
class DocBinWriter:
    """One ``Doc`` per example; ``doc.text`` equals the example's text exactly.

    Entities go to ``doc.ents``; tokens of partial examples outside the spans are *missing* (not
    ``O``), as ``spacy train`` expects for ner.teach data. Class labels go to ``doc.cats`` (1.0 for
    each label, 0.0 for each rejected label; with ``cats`` given, 0.0 for every other one).
    """

    converter: Converter = attrs.field(factory=Converter)
    lang: str = "en"
    cats: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    report: Report = attrs.field(factory=Report)

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        import spacy
        from spacy.tokens import DocBin

        nlp = spacy.blank(self.lang)
        doc_bin = DocBin(store_user_data=False)
        for example in examples:
            doc_bin.add(self.doc(nlp.vocab, example))
            self.report.count("written")
        with atomic_write_bytes(path) as f:
            f.write(doc_bin.to_bytes())
        return self.report

    def doc(self, vocab: Any, example: Example) -> Any:
        """The spaCy ``Doc`` for one example."""
        from spacy.tokens import Doc

        sentence = self.converter.convert(example)
        ours = self.converter.tokens(example)
        tokens = covering_tokens(example.text, ours)
        doc = Doc(vocab, words=[t.text for t in tokens], spaces=[t.ws for t in tokens])
        ents = []
        for start, end, label in spans_from_tags(ours, sentence.tags, sentence.scheme):
            span = doc.char_span(start, end, label=label)
            if span is None:  # cannot happen: ``doc`` is built from the same tokens
                raise ConversionError(f"{example.origin}: [{start}, {end}) is not on a token edge")
            ents.append(span)
        complete = "-" not in sentence.tags
        doc.set_ents(ents, default="outside" if complete else "missing")
        cats = dict.fromkeys(self.cats, 0.0)
        cats.update(dict.fromkeys(example.rejected_labels, 0.0))
        cats.update(dict.fromkeys(example.labels, 1.0))
        doc.cats = cats
        return doc
