"""CSV files with a header row: a text column, optionally a label column and an id column.

The seed's ``BBC_News_Train.csv`` (columns ``ArticleId, Text, Category``) reads with
``CsvSource(path, text_column="Text", label_column="Category", id_column="ArticleId")``.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from .._values import describe
from ..errors import SourceError
from ..registry import sources
from ..report import Report
from ..types import Example, Origin
from .base import OnError, existing, guarded

__all__ = ["CsvSource"]

# News articles exceed csv's default 128 KiB field limit only rarely, but a limit error mid-file
# is worse than a large field.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_UNDECODABLE = re.compile("[\udc80-\udcff]+")


@sources.register("csv.v1")
@attrs.define(kw_only=True)
class CsvSource:
    """Examples from a CSV (or TSV) file.

    Args:
        path: the file.
        text_column / label_column / id_column: header names; the id lands in ``meta["id"]``.
        label_separator: split the label cell into several labels (multi-label), e.g. ``"|"``.
        encoding: default ``utf-8-sig`` (UTF-8, ignoring a byte-order mark Excel writes).
        delimiter: ``None`` sniffs it from the first lines (comma, tab, semicolon, pipe).
        on_error: ``raise`` at the first bad row, or ``skip`` and count it.
    """

    path: Path = attrs.field(converter=Path)
    text_column: str = "text"
    label_column: str | None = None
    id_column: str | None = None
    label_separator: str | None = None
    encoding: str = "utf-8-sig"
    delimiter: str | None = None
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)

    def read(self) -> Iterator[Example]:
        path = existing(self.path)
        # surrogateescape: bytes that do not decode reach _example as U+DC80..U+DCFF, so one bad
        # row is raised or skipped by itself rather than ending the read
        with path.open(encoding=self.encoding, errors="surrogateescape", newline="") as f:
            row_start = 1
            try:
                reader = csv.DictReader(f, dialect=self._dialect(f))
                self._check_header(reader.fieldnames)
                row_start = reader.line_num + 1
                for row in reader:
                    origin = Origin(str(path), row_start)
                    row_start = reader.line_num + 1
                    self.report.count("read")
                    example = guarded(
                        self.on_error, self.report, origin, self._example, origin, row
                    )
                    if example is not None:
                        self.report.count("examples")
                        yield example
            except csv.Error as exc:
                hint = (
                    "a quoted cell opened in this row is never closed; close or double the quote"
                    if "unexpected end of data" in str(exc)
                    else "fix the quoting of this row (a quote inside a quoted cell is doubled)"
                )
                raise SourceError(f"{path}:{row_start}: malformed CSV ({exc}); {hint}") from exc

    def _dialect(self, f: Any) -> type[csv.Dialect]:
        """Excel's quoting with ``strict`` on (an unclosed quote is an error, not the rest of the
        file read into one cell), and the given delimiter, or the candidate the header line
        holds most of (comma on a tie). csv.Sniffer is not used: on some 64 KiB samples it ran
        for minutes."""
        delimiter = self.delimiter
        if delimiter is None:
            header = f.readline()
            f.seek(0)
            counts = {c: header.count(c) for c in ",\t;|"}
            best = max(counts, key=lambda c: (counts[c], c == ","))
            delimiter = best if counts[best] else ","

        class Strict(csv.excel):
            strict = True

        Strict.delimiter = delimiter
        return Strict

    def _check_header(self, fieldnames: Any) -> None:
        header = list(fieldnames or [])
        for role, column in (
            ("text", self.text_column),
            ("label", self.label_column),
            ("id", self.id_column),
        ):
            if column is not None and column not in header:
                raise SourceError(
                    f"{self.path}:1: no {role} column {column!r} in the header {header}; "
                    f"pass --{role}-column with one of those names"
                )

    def _example(self, origin: Origin, row: dict[str | None, Any]) -> Example:
        if None in row:
            raise SourceError(f"{origin}: more cells than header columns: {describe(row[None])}")
        for cell in row.values():
            if isinstance(cell, str) and (bad := _UNDECODABLE.search(cell)):
                raw = bytes(ord(c) - 0xDC00 for c in bad.group())
                raise SourceError(
                    f"{origin}: bytes {raw!r} are not valid {self.encoding}; pass the file's "
                    f"encoding (--encoding latin-1, cp1252 ...) or re-save it as UTF-8"
                )
        text = row[self.text_column]
        if text is None:
            raise SourceError(f"{origin}: the row has fewer cells than the header")
        labels: tuple[str, ...] = ()
        if self.label_column is not None and (cell := (row[self.label_column] or "").strip()):
            parts = cell.split(self.label_separator) if self.label_separator else [cell]
            labels = tuple(p.strip() for p in parts if p.strip())
        meta = {"id": row[self.id_column]} if self.id_column is not None else {}
        return Example(text=text, labels=labels, meta=meta, origin=origin)
