"""The pool interface: the unlabelled candidates, read batch by batch, never all at once.

A pool is named by a URI and recognised by a cheap content :meth:`Pool.fingerprint` (for files:
their sizes, modification times and a hash of sampled bytes, never a pass over every row), which
the learner records in its state and checks before every selection. Rows that cannot be examples
(no text, a lone surrogate) are skipped and counted in ``report``, pass by pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import InputFileNotFoundError, PoolError, SourceError
from ..report import Report
from ..types import Example, Origin, wide_text_hash

__all__ = ["CHUNK", "Pool", "TablePool", "file_fingerprint", "files_of", "row_examples", "take"]

#: rows read per batch by default
CHUNK = 1024
# bytes hashed at each of the start, middle and end of every file for the fingerprint
_SAMPLE = 1 << 16


@runtime_checkable
class Pool(Protocol):
    """Unlabelled examples, streamed in batches (any labels the rows carry are ignored)."""

    uri: str
    report: Report

    def __len__(self) -> int:
        """How many rows the pool holds."""
        ...

    def batches(self, size: int = CHUNK) -> Iterator[list[Example]]:
        """The examples in pool order, ``size`` at a time; ``report`` counts this pass's skips."""
        ...

    def fingerprint(self) -> str:
        """A cheap token of the content: another value means the pool changed."""
        ...


@runtime_checkable
class TablePool(Protocol):
    """A pool of Arrow tables on disk (parquet, a ``datasets`` folder): a distributed scorer
    reads its files itself and turns each record batch into examples with :meth:`examples`."""

    uri: str
    format: str  # "parquet" or "arrow"
    files: tuple[Path, ...]
    columns: tuple[str, ...]

    def examples(self, table: Any, *, where: str = "") -> list[Example]:
        """The examples of one Arrow table or record batch of this pool's files."""
        ...


def files_of(path: str | Path, suffixes: Sequence[str], what: str) -> tuple[Path, ...]:
    """``path`` itself, or the files under it ending in one of ``suffixes``, sorted."""
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(
            f"{path}: no such {what}; check the path (relative paths start at {Path.cwd()})"
        )
    if path.is_file():
        return (path,)
    found = tuple(
        sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(tuple(suffixes)))
    )
    if not found:
        raise PoolError(
            f"{path}: a folder with no {' or '.join(suffixes)} file; point the pool at the "
            f"{what} or the folder that holds them"
        )
    return found


def file_fingerprint(files: Sequence[Path], *, extra: str = "") -> str:
    """BLAKE2b of each file's name, size and modification time, and of 64 KiB read at its start,
    middle and end: a change anywhere in size or time, or in those bytes, changes it."""
    digest = hashlib.blake2b(extra.encode(), digest_size=12)
    for path in files:
        try:
            stat = path.stat()
            with path.open("rb") as f:
                middle = max(0, stat.st_size // 2 - _SAMPLE // 2)
                for offset in sorted({0, middle, max(0, stat.st_size - _SAMPLE)}):
                    f.seek(offset)
                    digest.update(f.read(_SAMPLE))
        except FileNotFoundError:
            raise InputFileNotFoundError(
                f"{path}: a pool file is gone; restore it, or start a new state folder for the "
                f"new pool"
            ) from None
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def row_examples(
    texts: Sequence[Any],
    ids: Sequence[Any] | None,
    *,
    source: str,
    first_row: int,
    report: Report,
    lines: Sequence[int] | None = None,
) -> list[Example]:
    """Examples of one batch of rows: the id the row's ``id`` column gives (a non-negative
    integer), else 96 bits of the text's hash. A row without usable text is skipped and
    counted; a bad id is an error (ids must mean the same rows every round). Rows are numbered
    from ``first_row + 1``, or by ``lines`` when given."""
    out = []
    for k, text in enumerate(texts):
        origin = Origin(source, lines[k] if lines is not None else first_row + k + 1)
        if not isinstance(text, str) or not text.strip():
            report.skip("no text", origin, repr(text)[:60])
            continue
        if ids is None:
            example_id = wide_text_hash(text)
        else:
            example_id = ids[k]
            if isinstance(example_id, bool) or not isinstance(example_id, int) or example_id < 0:
                raise PoolError(
                    f"{origin}: id {example_id!r} is not a non-negative integer; give every row "
                    f"a stable integer id, or leave id_column unset to use the text's hash"
                )
        try:
            out.append(Example(text=text, id=example_id, origin=origin))
        except SourceError as exc:
            report.skip("bad text", origin, str(exc)[:120])
    report.count("read", len(out))
    return out


def take(pool: Pool, ids: Sequence[int]) -> dict[int, Example]:
    """The examples of ``ids`` found in ``pool``, by one pass that stops once all are found."""
    wanted = set(ids)
    found: dict[int, Example] = {}
    for batch in pool.batches():
        for example in batch:
            if example.id in wanted and example.id not in found:
                found[example.id] = example
        if len(found) == len(wanted):
            break
    return found
