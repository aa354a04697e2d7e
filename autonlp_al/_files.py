"""Files written whole or not at all (a kill leaves the old content, never half a file)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "atomic_write_bytes", "storage"]

# what a write can meet that is the machine's doing, not the data's
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


@contextlib.contextmanager
def storage(
    path: str | Path, *, needs: int | Callable[[], int | None] | None = None
) -> Iterator[None]:
    """Turn a full disk or a read-only folder met while writing ``path`` into a
    :class:`~autonlp_al.errors.StorageError` naming it, the space free and ``needs`` bytes (a
    callable is asked only then)."""
    from .errors import StorageError

    try:
        yield
    except StorageError:
        raise
    except OSError as exc:
        if exc.errno not in _FULL | _READ_ONLY:
            raise
        path = Path(path)
        if exc.errno in _FULL:
            free = _free(path)
            size = needs() if callable(needs) else needs
            need = f", needs about {size:,} bytes" if size else ""
            message = (
                f"{path}: no space left on the device ({exc.strerror}; {free}{need}); free some "
                f"space and run the command again: what was written before resumes as it was"
            )
        else:
            message = (
                f"{path}: cannot be written ({exc.strerror}); give this user write access to "
                f"{path.parent}, or use another folder"
            )
        raise StorageError(exc.errno, message) from exc


def _free(path: Path) -> str:
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return f"{shutil.disk_usage(folder).free:,} bytes free"
            except OSError:
                break
    return "free space unknown"


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
    with storage(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        encoding = None if "b" in mode else "utf-8"
        with (
            storage(path),
            os.fdopen(fd, mode, encoding=encoding, newline=None if "b" in mode else "\n") as f,
        ):
            yield f
            f.flush()
            os.fsync(f.fileno())
        with storage(path):
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
