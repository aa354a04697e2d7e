"""The query-strategy interface, and the template every built-in strategy fills in.

A strategy that ranks examples one by one writes only :meth:`ScoringStrategy.score` (a pure
function of the model and a chunk of examples); checking the pool and the model, scoring chunk by
chunk, keeping the top ``n`` and breaking ties live once, here. A strategy that chooses a set
(k-means, core-set) writes :meth:`BatchStrategy.choose` instead.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs

from .. import _progress
from ..errors import PoolExhaustedError, StrategyError
from ..trainers.base import Model
from ..types import Example

__all__ = [
    "BatchStrategy",
    "PoolExhaustedError",
    "ScoringStrategy",
    "Selection",
    "Strategy",
    "chunks",
    "top_n",
]

#: Pool items scored per model call: bounds memory whatever the pool size.
CHUNK = 1024


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
        raise StrategyError(f"n must be at least 1, got {n!r}")
    if len(pool) < n:
        raise PoolExhaustedError(
            f"asked for {n} examples but only {len(pool)} remain unlabelled; lower the batch size "
            f"or stop the loop (everything is labelled)"
        )


def chunks(pool: Sequence[Example], size: int = CHUNK) -> Iterator[Sequence[Example]]:
    """The pool in slices of ``size``, with a ``scoring`` progress bar on a terminal."""
    return _progress.chunks(pool, size, desc="scoring")


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


class BatchStrategy:
    """Template for every built-in strategy: ``select`` checks the pool once, then calls
    :meth:`choose`, which a strategy that picks the batch as a whole (diversity) writes. It also
    holds the check that the model offers the capability the strategy reads."""

    name: str
    #: the model capability the strategy needs (a runtime-checkable protocol), if any
    needs: ClassVar[type | None] = None
    needs_what: ClassVar[str] = ""
    #: the tasks the strategy can score (a config for another task is refused up front)
    tasks: ClassVar[tuple[str, ...]] = ("ner", "textcat")

    def select(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example] = (),
        rng: random.Random,
    ) -> list[Selection]:
        check_pool(pool, n)
        return self.choose(model, pool, n, labeled=labeled, rng=rng)

    def choose(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example],
        rng: random.Random,
    ) -> list[Selection]:
        """``n`` distinct examples of ``pool`` (already checked to hold at least ``n``)."""
        raise NotImplementedError

    def _model(self, model: Model | None) -> Any:
        if model is None:
            raise StrategyError(
                f"{self.name} needs a trained model; start with a cold-start strategy "
                f"(random or k-means on embeddings) for the first round"
            )
        task = getattr(model, "task", None)
        if task is not None and task not in self.tasks:
            raise StrategyError(
                f"{self.name} scores {' and '.join(self.tasks)}, and the model is {task}; "
                f"pick a strategy for {task}"
            )
        if self.needs is not None and not isinstance(model, self.needs):
            raise StrategyError(
                f"{type(model).__name__} offers no {self.needs_what}; {self.name} needs it"
            )
        return model


class ScoringStrategy(BatchStrategy):
    """Template for a strategy that ranks examples one by one: it writes only :meth:`score`;
    the batch is the top ``n`` (chunked, ties broken by ``rng``). ``stochastic`` strategies get
    one ``seed`` per selection drawn from ``rng`` (e.g. for MC dropout); others get 0."""

    stochastic: ClassVar[bool] = False

    def choose(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example],
        rng: random.Random,
    ) -> list[Selection]:
        scorer = self._model(model)
        seed = rng.randrange(2**31) if self.stochastic else 0
        return top_n(pool, n, lambda chunk: self.score(scorer, chunk, seed=seed), rng)

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> Sequence[float]:
        """One score per example (higher = more worth labelling); a pure function of its inputs."""
        raise NotImplementedError

    def scores(
        self, model: Model | None, examples: Sequence[Example], *, seed: int = 0
    ) -> list[float]:
        """:meth:`score` for callers outside a selection (a server scoring tasks for Label
        Studio): the model is checked first, as ``select`` checks it (:class:`StrategyError`)."""
        return [float(s) for s in self.score(self._model(model), examples, seed=seed)]
