"""The query-strategy interface, and the template every built-in strategy fills in.

A strategy that ranks examples one by one writes only :meth:`ScoringStrategy.score` (a pure
function of the model and a chunk of examples); checking the pool and the model, scoring chunk by
chunk, keeping the top ``n`` and breaking ties live once, here. A strategy that chooses a set
(k-means, core-set) writes :meth:`BatchStrategy.choose` instead.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    "Shortlisting",
    "Strategy",
    "TopN",
    "chunks",
    "tie_keys",
    "top_n",
]

#: Pool items scored per model call: bounds memory whatever the pool size.
CHUNK = 1024


@attrs.frozen
class Selection:
    """One pick: the example's id and the strategy's score (higher = more worth labelling).
    A scorer that reads the pool from disk hands the ``example`` along too."""

    id: int
    score: float
    example: Example | None = attrs.field(default=None, eq=False, repr=False)


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


@runtime_checkable
class Shortlisting(Protocol):
    """A strategy that chooses a set (k-means, core-set, hybrid) and can name the shortlist it
    chooses from: a scoring strategy and how many of its best. On a pool read in batches, a
    scorer picks the shortlist over the whole pool, then :meth:`Strategy.select` runs on it."""

    def shortlist(self, model: Model | None, n: int) -> tuple[ScoringStrategy, int]: ...


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


_M64 = (1 << 64) - 1


def tie_keys(ids: Sequence[int], salt: int) -> list[int]:
    """A seeded pseudo-random key per id, a pure function of ``(salt, id)`` (splitmix64 of the
    id folded to 64 bits): every scorer, local or distributed, breaks ties the same way whatever
    order or batches it sees the pool in."""
    out = []
    for i in ids:
        z = ((i ^ (i >> 64)) + salt + 0x9E3779B97F4A7C15) & _M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        out.append(z ^ (z >> 31))
    return out


@attrs.define
class TopN:
    """The ``n`` best ``(score, tie key, id)`` seen so far, in a bounded heap: memory O(n)
    however many are added. An id added twice (a duplicate text in a pool on disk) is kept once.
    Top-n of parts merged (:meth:`merge`) equals top-n of the whole, so batches can be scored
    anywhere and merged on one machine."""

    n: int
    salt: int
    _heap: list[tuple[float, int, int]] = attrs.field(init=False, factory=list)
    _examples: dict[int, Any] = attrs.field(init=False, factory=dict)

    def add(
        self, ids: Sequence[int], scores: Sequence[float], examples: Sequence[Any] | None = None
    ) -> None:
        """Offer ``ids`` with their ``scores`` (and the objects to keep with the winners)."""
        floor = self._heap[0] if len(self._heap) >= self.n else None
        chosen: Sequence[int]
        if floor is None:
            chosen = range(len(ids))
        else:  # only what could enter pays for a tie key
            chosen = [k for k, score in enumerate(scores) if float(score) >= floor[0]]
        keys = tie_keys([ids[k] for k in chosen], self.salt)
        for k, key in zip(chosen, keys, strict=True):
            self.push(float(scores[k]), key, ids[k], None if examples is None else examples[k])

    def push(self, score: float, key: int, id: int, example: Any = None) -> None:
        if id in self._examples:
            return
        entry = (score, key, id)
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            dropped = heapq.heapreplace(self._heap, entry)
            del self._examples[dropped[2]]
        else:
            return
        self._examples[id] = example

    def entries(self) -> list[tuple[float, int, int, Any]]:
        """``(score, key, id, example)``, best first."""
        return [(s, k, i, self._examples[i]) for s, k, i in sorted(self._heap, reverse=True)]

    def merge(self, entries: Iterable[tuple[float, int, int, Any]]) -> None:
        for score, key, id, example in entries:
            self.push(score, key, id, example)

    def selections(self) -> list[Selection]:
        return [Selection(i, s, example=e) for s, _, i, e in self.entries()]


def top_n(
    pool: Sequence[Example],
    n: int,
    score_chunk: Callable[[Sequence[Example]], Sequence[float]],
    salt: int,
) -> list[Selection]:
    """Score the pool chunk by chunk and keep the ``n`` best (ties broken by a seeded key of each
    id, :func:`tie_keys`), so memory stays O(n + chunk) however large the pool."""
    top = TopN(n, salt)
    for chunk in chunks(pool):
        top.add([e.id for e in chunk], score_chunk(chunk))
    return top.selections()


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
    #: whether a model is needed (random sampling scores without one)
    needs_model: ClassVar[bool] = True

    def choose(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example],
        rng: random.Random,
    ) -> list[Selection]:
        scorer = self.scoring_model(model)
        seed, salt = self.draws(rng)
        return top_n(pool, n, lambda chunk: self.score(scorer, chunk, seed=seed), salt)

    def draws(self, rng: random.Random) -> tuple[int, int]:
        """What a selection takes from ``rng``: the ``seed`` handed to :meth:`score` (0 unless
        ``stochastic``) and the ``salt`` of the tie keys. Any scorer given the same two numbers
        selects the same examples."""
        seed = rng.randrange(2**31) if self.stochastic else 0
        return seed, rng.getrandbits(64)

    def scoring_model(self, model: Model | None) -> Any:
        """The model :meth:`score` reads, checked (:class:`StrategyError`)."""
        return self._model(model) if self.needs_model else model

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> Sequence[float]:
        """One score per example (higher = more worth labelling); a pure function of its inputs."""
        raise NotImplementedError

    def scores(
        self, model: Model | None, examples: Sequence[Example], *, seed: int = 0
    ) -> list[float]:
        """:meth:`score` for callers outside a selection (a server scoring tasks for Label
        Studio): the model is checked first, as ``select`` checks it (:class:`StrategyError`)."""
        return [float(s) for s in self.score(self.scoring_model(model), examples, seed=seed)]
