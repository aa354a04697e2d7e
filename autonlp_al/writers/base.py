"""The writer interface, and atomic writes: a half-written file never appears under the final name."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

from ..report import Report
from ..types import Example

__all__ = ["Writer", "atomic_write"]


@runtime_checkable
class Writer(Protocol):
    """Writes examples to one file in one format; counts written and skipped in ``report``."""

    report: Report

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        """Write every example to ``path`` atomically; return ``report``."""
        ...


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[str] | IO[bytes]]:
    """Open a temporary file beside ``path``; on success fsync it and rename it over ``path``.

    On any error, or a kill, the temporary file is removed (or left as ``.<name>.*.tmp``) and
    ``path`` keeps its old content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding, newline=None if "b" in mode else "\n") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
