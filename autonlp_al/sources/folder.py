"""A label-per-folder corpus: ``ROOT/<label>/<name>.txt`` (the BBC News layout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs

from ..errors import SourceError
from ..registry import sources
from ..report import Report
from ..types import Example, Origin, text_hash
from .base import OnError, existing, guarded

__all__ = ["FolderSource"]


@sources.register("folder.v1")
@attrs.define(kw_only=True)
class FolderSource:
    """One example per file, labelled by its folder's name, in sorted path order.

    Args:
        path: the root folder.
        pattern: which files, relative to each label folder.
        encodings: tried in order; a file read with a fallback is counted in ``report.adjusted``.
        dedupe: skip files whose exact text was already read (counted as ``duplicate text``).
    """

    path: Path = attrs.field(converter=Path)
    pattern: str = "*.txt"
    encodings: tuple[str, ...] = attrs.field(default=("utf-8", "latin-1"), converter=tuple)
    dedupe: bool = False
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)

    def read(self) -> Iterator[Example]:
        root = existing(self.path, "folder")
        if not root.is_dir():
            raise SourceError(f"{root}: not a folder; the folder source reads ROOT/<label>/*.txt")
        seen: dict[int, Path] = {}
        for label_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for file in sorted(label_dir.glob(self.pattern)):
                origin = Origin(str(file))
                self.report.count("read")
                if not file.is_file():  # a folder, a broken link or a FIFO (reading it would hang)
                    self.report.skip("not a regular file", origin, _kind(file))
                    continue
                example = guarded(
                    self.on_error, self.report, origin, self._example, origin, file, label_dir.name
                )
                if example is None:
                    continue
                if self.dedupe:
                    if example.id in seen:
                        self.report.skip(
                            "duplicate text",
                            origin,
                            f"same text as {seen[example.id].relative_to(root)}",
                        )
                        continue
                    seen[example.id] = file
                self.report.count("examples")
                yield example
        if not self.report.counts["read"]:
            raise SourceError(
                f"{root}: no files matching <label>/{self.pattern}; check the folder layout"
            )

    def _example(self, origin: Origin, file: Path, label: str) -> Example:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise SourceError(f"{origin}: cannot be read ({exc.strerror or exc})") from exc
        for i, encoding in enumerate(self.encodings):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if i:
                self.report.adjust(f"decoded as {encoding}", origin, f"not {self.encodings[0]}")
            break
        else:
            raise SourceError(
                f"{origin}: not decodable as any of {list(self.encodings)}; "
                f"pass encodings=(...) with the file's encoding (--source-arg 'encodings=[\"cp1252\"]')"
            )
        text = text.strip()
        return Example(
            text=text,
            id=text_hash(text),
            labels=(label,),
            meta={"path": str(file.relative_to(self.path))},
            origin=origin,
        )


def _kind(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return "a broken symbolic link"
    if path.is_dir():
        return "a folder"
    if path.is_fifo():
        return "a FIFO (named pipe)"
    return "not a regular file"
