"""The scorer interface: where a selection's scoring runs.

A :class:`Scorer` takes a round's model (as a :class:`ModelRef`: saved folder plus the trainer
that loads it, so a worker on another machine can load it), a scoring strategy, the candidates
(a pool minus what is labelled) and ``n``; it returns the ``n`` best, by the strategy's pure
per-example score, ties broken by the seeded key of each id
(:func:`~autonlp_al.strategies.base.tie_keys`). Any two scorers given the same model, pool and
draws select the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from ..converters.tokenize import Tokenizer, tokenised
from ..pools.base import CHUNK, Pool
from ..strategies.base import ScoringStrategy, Selection, tie_keys
from ..trainers.base import Model, Trainer
from ..types import Example

__all__ = ["Candidates", "ModelRef", "Scorer"]

_KEYS = 2**64  # tie keys are 64-bit: a share p of them lies below p * 2**64


@attrs.frozen
class ModelRef:
    """A round's model: its saved folder and the trainer that loads it (``None`` for both
    before the first round). ``model`` is the object already loaded in this process; it never
    travels to a worker (:meth:`portable`)."""

    trainer: Trainer | None = None
    path: str | None = None
    model: Model | None = attrs.field(default=None, eq=False, repr=False)

    def load(self) -> Model | None:
        if self.model is not None:
            return self.model
        if self.trainer is None or self.path is None:
            return None
        return self.trainer.load(self.path)

    def portable(self) -> ModelRef:
        """This reference without the loaded model (what is shipped to workers)."""
        return attrs.evolve(self, model=None)


def _ids(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)


@attrs.frozen
class Candidates:
    """What a selection scores: ``pool`` without the ids in ``exclude`` (labelled, answered);
    with ``sample``, only that fraction of it, kept by a seeded key of each id (the same rows on
    every machine); tokenised by ``tokenizer`` when the task needs tokens."""

    pool: Pool
    exclude: frozenset[int] = attrs.field(default=frozenset(), converter=_ids)
    sample: float | None = None
    sample_salt: int = 0
    tokenizer: Tokenizer | None = None

    def prepare(self, examples: Sequence[Example]) -> list[Example]:
        """``examples`` (one batch of the pool) as candidates: filtered, sampled, tokenised."""
        kept = [e for e in examples if e.id not in self.exclude]
        if self.sample is not None and kept:
            limit = self.sample * _KEYS
            keys = tie_keys([e.id for e in kept], self.sample_salt)
            kept = [e for e, key in zip(kept, keys, strict=True) if key < limit]
        return [tokenised(e, self.tokenizer) for e in kept]

    def batches(self, size: int = CHUNK) -> Iterator[list[Example]]:
        for batch in self.pool.batches(size):
            kept = self.prepare(batch)
            if kept:
                yield kept


@runtime_checkable
class Scorer(Protocol):
    """Runs a scoring strategy over the candidates and keeps the ``n`` best."""

    name: str

    def top(
        self,
        model: ModelRef,
        strategy: ScoringStrategy,
        candidates: Candidates,
        n: int,
        *,
        seed: int,
        salt: int,
    ) -> list[Selection]:
        """The ``n`` best candidates (fewer if fewer remain), best first, each with its example.
        ``seed`` and ``salt`` are the strategy's draws (:meth:`ScoringStrategy.draws`)."""
        ...


def score_batch(
    strategy: ScoringStrategy, model: Any, examples: Sequence[Example], seed: int
) -> list[float]:
    return [float(s) for s in strategy.score(model, examples, seed=seed)]
