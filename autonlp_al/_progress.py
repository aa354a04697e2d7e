"""Progress for long loops over texts: a bar on a terminal (tqdm, if installed), nothing in a log
file, and nothing for work that fits in one slice."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def chunks(items: Sequence[T], size: int, *, desc: str) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``; on a terminal, a bar counting items whenever there is more
    than one slice (scoring a few thousand texts takes minutes on a CPU)."""
    bar = None
    if len(items) > size and sys.stderr.isatty():
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc=desc, unit="text", leave=False)
        except ImportError:
            pass
    for start in range(0, len(items), size):
        yield items[start : start + size]
        if bar is not None:
            bar.update(min(size, len(items) - start))
    if bar is not None:
        bar.close()


def predict(model: Any, items: Sequence[Any], *, size: int = 256) -> list[Any]:
    """``model.predict(items)``, slice by slice, with a ``predicting`` bar on a terminal."""
    return [p for chunk in chunks(items, size, desc="predicting") for p in model.predict(chunk)]
