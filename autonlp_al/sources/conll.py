"""CoNLL column files: one token per line, a blank line between sentences, ``-DOCSTART-`` lines
between documents (CoNLL-2003: ``token POS chunk NER``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs

from ..converters.base import Scheme
from ..converters.convert import _scheme
from ..converters.iob import IOB
from ..errors import SourceError
from ..registry import sources
from ..report import Report
from ..types import Example, Origin
from .base import OnError, existing, guarded
from .jsonl import example_from_words

__all__ = ["ConllSource"]

DOCSTART = "-DOCSTART-"


@sources.register("conll.v1")
@attrs.define(kw_only=True)
class ConllSource:
    """Sentences from a CoNLL file, one :class:`Example` each, tokens joined by single spaces.

    Args:
        path: the file.
        token_column / tag_column: column indices (negative counts from the end); CoNLL-2003's
            NER tag is the last column (``-1``).
        scheme: the tag scheme of the file (``iob`` decodes IOB2 and, leniently, IOB1).
        separator: column separator; ``None`` splits on any whitespace.
        on_error: ``raise`` at the first bad sentence, or ``skip`` and count it.
    """

    path: Path = attrs.field(converter=Path)
    token_column: int = 0
    tag_column: int = -1
    scheme: Scheme = attrs.field(factory=IOB, converter=_scheme)
    separator: str | None = None
    encoding: str = "utf-8"
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)

    def read(self) -> Iterator[Example]:
        path = existing(self.path)
        words: list[str] = []
        tags: list[str] = []
        start_line, document, sentence = 0, 0, 0
        with path.open("rb") as f:
            for number, raw in enumerate(f, start=1):
                line = self._decode(raw, number).rstrip("\r\n")
                if not line.strip() or line.startswith(DOCSTART):
                    if words:
                        yield from self._sentence(start_line, words, tags, document, sentence)
                        sentence += 1
                        words, tags = [], []
                    if line.startswith(DOCSTART):
                        document += 1
                        sentence = 0
                    continue
                columns = line.split(self.separator)
                try:
                    word, tag = columns[self.token_column], columns[self.tag_column]
                except IndexError:
                    raise SourceError(
                        f"{path}:{number}: {len(columns)} column(s) in {line!r:.60}, but token "
                        f"column {self.token_column} and tag column {self.tag_column} were asked "
                        f"for; pass --tag-column / --separator to match the file"
                    ) from None
                if not words:
                    start_line = number
                words.append(word)
                tags.append(tag)
        if words:
            yield from self._sentence(start_line, words, tags, document, sentence)

    def _decode(self, raw: bytes, number: int) -> str:
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{self.path}:{number}: bytes {raw[exc.start : exc.end]!r} are not valid "
                f"{self.encoding}; pass the file's encoding (--encoding latin-1, ...)"
            ) from exc

    def _sentence(
        self, line: int, words: list[str], tags: list[str], document: int, sentence: int
    ) -> Iterator[Example]:
        origin = Origin(str(self.path), line)
        self.report.count("read")
        meta = {"document": document, "sentence": sentence}
        example = guarded(
            self.on_error,
            self.report,
            origin,
            lambda: example_from_words(origin, words, tags, self.scheme, meta=meta),
        )
        if example is not None:
            self.report.count("examples")
            yield example
