"""CoNLL output: ``token TAG`` per line, a blank line after each sentence."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import attrs

from ..converters.convert import Converter
from ..errors import ConversionError
from ..registry import writers
from ..report import Report
from ..types import Example
from .base import atomic_write

__all__ = ["ConllWriter"]


@writers.register("conll.v1")
@attrs.define(kw_only=True)
class ConllWriter:
    """Two columns (token, tag) in the converter's scheme; ``docstart`` writes a ``-DOCSTART-``
    line first, as CoNLL-2003 files have. Unknown tags of partial examples stay ``-``."""

    converter: Converter = attrs.field(factory=Converter)
    separator: str = " "
    docstart: bool = False
    report: Report = attrs.field(factory=Report)

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        with atomic_write(path) as f:
            if self.docstart:
                f.write(f"-DOCSTART-{self.separator}O\n\n")
            for sentence in self.converter.convert_all(examples):
                for word, tag in zip(sentence.words, sentence.tags, strict=False):
                    if any(c.isspace() for c in word):
                        raise ConversionError(
                            f"{sentence.example.origin or 'example'}: token {word!r} contains "
                            f"whitespace, which CoNLL columns cannot hold; use the jsonl output"
                        )
                    f.write(f"{word}{self.separator}{tag}\n")
                f.write("\n")
                self.report.count("written")
        return self.report
