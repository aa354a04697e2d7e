"""Files written whole or not at all (a kill leaves the old content, never half a file)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "atomic_write_bytes"]


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[IO[str]]:
    """Open a temporary UTF-8 text file beside ``path``; on success fsync it and rename it over
    ``path``. On any error the temporary file is removed and ``path`` keeps its old content (after
    a kill, a ``.<name>.*.tmp`` file may remain; the target is still whole)."""
    with _atomic(path, "w") as f:
        yield f


@contextlib.contextmanager
def atomic_write_bytes(path: str | Path) -> Iterator[IO[bytes]]:
    """:func:`atomic_write` for binary files."""
    with _atomic(path, "wb") as f:
        yield f


@contextlib.contextmanager
def _atomic(path: str | Path, mode: str) -> Iterator[Any]:
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
