"""The query-strategy interface: pick the ``n`` unlabelled examples most worth labelling."""

from __future__ import annotations

import heapq
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from ..errors import AutoNLPALError
from ..trainers.base import Model
from ..types import Example

__all__ = ["PoolExhaustedError", "Selection", "Strategy", "chunks", "top_n"]

#: Pool items scored per model call: bounds memory whatever the pool size.
CHUNK = 1024


class PoolExhaustedError(AutoNLPALError, ValueError):
    """The unlabelled pool has fewer examples than were asked for."""


@attrs.frozen
class Selection:
    """One pick: the example's id and the strategy's score (higher = more worth labelling)."""

    id: int
    score: float


@runtime_checkable
class Strategy(Protocol):
    """Selects examples from an unlabelled pool.

    ``model`` is the current model (``None`` before the first round: only cold-start strategies
    accept that); ``labeled`` is what is already labelled (for diversity); ``rng`` makes every
    random choice, so the same seed gives the same picks.
    """

    name: str

    def select(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example] = (),
        rng: random.Random,
    ) -> list[Selection]:
        """``n`` distinct examples of ``pool``, best first."""
        ...


def check_pool(pool: Sequence[Example], n: int) -> None:
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    if len(pool) < n:
        raise PoolExhaustedError(
            f"asked for {n} examples but only {len(pool)} remain unlabelled; lower the batch size "
            f"or stop the loop (everything is labelled)"
        )


def chunks(pool: Sequence[Example], size: int = CHUNK) -> Iterator[Sequence[Example]]:
    """The pool in slices of ``size``; a progress bar on a terminal when there are several."""
    starts: Iterable[int] = range(0, len(pool), size)
    if len(pool) > size and sys.stderr.isatty():
        try:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="scoring", unit="chunk", leave=False)
        except ImportError:
            pass
    for start in starts:
        yield pool[start : start + size]


def top_n(
    pool: Sequence[Example],
    n: int,
    score_chunk: Callable[[Sequence[Example]], Sequence[float]],
    rng: random.Random,
) -> list[Selection]:
    """Score the pool chunk by chunk and keep the ``n`` best (ties broken by a seeded random key),
    so memory stays O(n + chunk) however large the pool."""
    heap: list[tuple[float, float, int]] = []
    for chunk in chunks(pool):
        for example, score in zip(chunk, score_chunk(chunk), strict=True):
            entry = (float(score), rng.random(), example.id)
            if len(heap) < n:
                heapq.heappush(heap, entry)
            elif entry > heap[0]:
                heapq.heapreplace(heap, entry)
    return [Selection(i, s) for s, _, i in sorted(heap, reverse=True)]


def require_model(strategy: Any, model: Model | None) -> Model:
    if model is None:
        raise ValueError(
            f"{strategy.name} needs a trained model; start with a cold-start strategy "
            f"(random or k-means on embeddings) for the first round"
        )
    return model
