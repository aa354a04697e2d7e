"""A pool in a JSON Lines file (or a folder of them), read line by line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import attrs

from ..registry import pools
from ..report import Report
from ..types import Example, Origin
from .base import CHUNK, file_fingerprint, files_of, row_examples

__all__ = ["JsonlPool"]


@pools.register("jsonl.v1")
@attrs.define(eq=False)
class JsonlPool:
    """One object per line, the text under ``text`` (``id_column``: a stable integer id per
    row; by default the id is 96 bits of the text's hash). A line that is not a JSON object with
    text is skipped and counted in ``report``."""

    path: Path = attrs.field(converter=Path)
    text: str = "text"
    id_column: str | None = None
    report: Report = attrs.field(factory=Report)
    files: tuple[Path, ...] = attrs.field(init=False)
    _length: tuple[str, int] | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        self.files = files_of(self.path, (".jsonl", ".jsonl.gz", ".ndjson"), "JSONL file")

    @property
    def uri(self) -> str:
        return f"jsonl://{self.path.resolve()}"

    def fingerprint(self) -> str:
        return file_fingerprint(self.files, extra=f"jsonl\0{self.text}\0{self.id_column}")

    def __len__(self) -> int:
        """Rows with text (one counting pass, cached while the files are unchanged)."""
        mark = self.fingerprint()
        if self._length is None or self._length[0] != mark:
            self._length = (mark, sum(len(b) for b in self.batches()))
        return self._length[1]

    def batches(self, size: int = CHUNK) -> Iterator[list[Example]]:
        self.report = Report()
        for path in self.files:
            texts: list[object] = []
            ids: list[object] = []
            lines: list[int] = []
            for number, line in enumerate(_lines(path), start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    self.report.skip("bad json", Origin(str(path), number), str(exc)[:80])
                    continue
                if not isinstance(record, dict):
                    self.report.skip("not an object", Origin(str(path), number), line[:60])
                    continue
                lines.append(number)
                texts.append(record.get(self.text))
                if self.id_column is not None:
                    ids.append(record.get(self.id_column))
                if len(texts) >= size:
                    yield self._examples(path, texts, ids, lines)
                    texts, ids, lines = [], [], []
            if texts:
                yield self._examples(path, texts, ids, lines)

    def _examples(
        self, path: Path, texts: list[object], ids: list[object], lines: list[int]
    ) -> list[Example]:
        return row_examples(
            texts,
            ids if self.id_column is not None else None,
            source=str(path),
            first_row=0,
            report=self.report,
            lines=lines,
        )


def _lines(path: Path) -> Iterator[str]:
    if path.name.endswith(".gz"):
        import gzip

        with gzip.open(path, "rt", encoding="utf-8", errors="surrogateescape") as f:
            yield from f
    else:
        with path.open(encoding="utf-8", errors="surrogateescape") as f:
            yield from f
