"""Converting on several processes: records made by worker processes, written in input order.

For the one-record-per-line writers (tags, AutoTrain) over large exports. The examples are read by
the calling process and sent to the workers in chunks; each worker returns the lines of its chunk
and what its reports counted, merged into the writer's own reports, so the counts, the skipped
reasons and the first error are what one process would give. An error raised for an example ends
the write (nothing is written: the output is atomic) when its chunk comes up, as in one process.

Workers are forked (they inherit the writer as it is, with no pickling); where ``fork`` does not
exist (Windows), or with ``workers=1``, the records are made in this process.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..converters.convert import chunked
from ..report import Report
from ..types import Example

__all__ = ["CHUNK", "parallel_lines"]

CHUNK = 500

Prepare = Callable[[list[Example]], None]

# The forked workers' job: set in the parent just before the pool forks, so workers inherit it.
_job: tuple[Callable[[Example], str | None], Prepare, list[Report]] | None = None


def parallel_lines(
    examples: Iterable[Example],
    line: Callable[[Example], str | None],
    reports: list[Report],
    workers: int,
    prepare: Prepare | None = None,
) -> Iterator[str | None]:
    """``line(example)`` for each example, in order, made by ``workers`` processes; what
    ``reports`` count in the workers is added to ``reports`` here. ``prepare`` is called with
    each chunk of examples before their lines are made (e.g. :meth:`Converter.prepare`)."""
    chunks = chunked(examples, CHUNK)
    ready = prepare or _nothing
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            ready(chunk)
            yield from map(line, chunk)
        return
    first = next(chunks, None)
    if first is None:
        return
    # prepared here, before the workers fork: what preparing loads (spaCy, the first chunk's
    # words) is loaded once and inherited, instead of loaded again by every worker
    ready(first)
    global _job
    _job = (line, ready, reports)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            for lines, counted in pool.imap(_run, itertools.chain([first], chunks)):
                for report, delta in zip(reports, counted, strict=True):
                    report.merge(delta)
                yield from lines
    finally:
        _job = None


def _run(chunk: list[Example]) -> tuple[list[str | None], list[Report]]:
    assert _job is not None
    line, ready, reports = _job
    fresh = [Report() for _ in reports]
    for report, new in zip(reports, fresh, strict=True):  # count this chunk alone
        _swap(report, new)
    try:
        ready(chunk)
        return [line(example) for example in chunk], fresh
    finally:
        for report, new in zip(reports, fresh, strict=True):
            _swap(report, new)


def _nothing(chunk: list[Example]) -> None:
    pass


def _swap(a: Any, b: Any) -> None:
    """Exchange two reports' contents in place (the writer holds the report object itself)."""
    for name in ("counts", "skipped", "adjusted", "issues"):
        first, second = getattr(a, name), getattr(b, name)
        setattr(a, name, second)
        setattr(b, name, first)
