"""CoNLL column files: one token per line, a blank line between sentences, ``-DOCSTART-`` lines
between documents (CoNLL-2003: ``token POS chunk NER``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import attrs

from .._values import describe
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
        width: int | None = None  # the file's column count, from its first token line
        problem: str | None = None  # the first bad line of the current sentence
        for number, line, undecodable in self._lines(path):
            if undecodable is not None:  # the sentence it is in is skipped (or raised) whole
                start_line = start_line if words or problem else number
                problem = problem or undecodable
                continue
            if not line.strip(" \t") or line.startswith(DOCSTART):
                if words or problem:
                    yield from self._sentence(start_line, words, tags, document, sentence, problem)
                    sentence += 1
                    words, tags, problem = [], [], None
                if line.startswith(DOCSTART):
                    document += 1
                    sentence = 0
                continue
            if not words and problem is None:
                start_line = number
            columns = self._columns(line)
            width = len(columns) if width is None else width
            if len(columns) != width:
                problem = problem or (
                    f"{path}:{number}: {len(columns)} columns in {describe(line)}, but the file's "
                    f"first line has {width}; a token with a space in it, or a missing column? "
                    f"fix the line, or pass --separator to match the file"
                )
                continue
            try:
                word, tag = columns[self.token_column], columns[self.tag_column]
            except IndexError:
                problem = problem or (
                    f"{path}:{number}: {len(columns)} column(s) in {describe(line)}, but token "
                    f"column {self.token_column} and tag column {self.tag_column} were asked "
                    f"for; pass --tag-column / --separator to match the file"
                )
                continue
            words.append(word)
            tags.append(tag)
        if words or problem:
            yield from self._sentence(start_line, words, tags, document, sentence, problem)

    def _lines(self, path: Path) -> Iterator[tuple[int, str, str | None]]:
        """``(line number, line, problem)``, the problem set for a line that does not decode;
        a lone CR ends a line too (old Mac files), so such a file is not read as one line."""
        number = 0
        with path.open("rb") as f:
            for raw in f:
                for part in raw.rstrip(b"\r\n").split(b"\r"):
                    number += 1
                    try:
                        yield number, part.decode(self.encoding), None
                    except UnicodeDecodeError as exc:
                        yield (
                            number,
                            "",
                            (
                                f"{self.path}:{number}: bytes {part[exc.start : exc.end]!r} are not "
                                f"valid {self.encoding}; pass the file's encoding (--encoding "
                                f"latin-1, ...)"
                            ),
                        )

    def _columns(self, line: str) -> list[str]:
        # by default split on spaces and tabs only: str.split() would also split on a
        # non-breaking space, which CoNLL files use as a token of its own
        if self.separator is None:
            return re.split(r"[ \t]+", line.strip(" \t"))
        return line.split(self.separator)

    def _sentence(
        self,
        line: int,
        words: list[str],
        tags: list[str],
        document: int,
        sentence: int,
        problem: str | None = None,
    ) -> Iterator[Example]:
        origin = Origin(str(self.path), line)
        self.report.count("read")
        if problem is not None:  # the whole sentence, never a sentence less a line
            if OnError(self.on_error) is OnError.RAISE:
                raise SourceError(problem)
            self.report.skip("malformed line", origin, problem)
            return
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
