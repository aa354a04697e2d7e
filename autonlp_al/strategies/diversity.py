"""Diversity: cover the pool instead of piling up near-duplicates.

- :class:`KMeans`: cluster the candidates' embeddings into ``n`` clusters, pick the example
  nearest each centre (works without a trained model if given an ``embedder``: a cold start).
- :class:`CoreSet`: greedy k-center (Sener & Savarese 2018): repeatedly pick the example farthest
  from everything labelled or picked.
- :class:`Hybrid`: the ``factor * n`` most uncertain examples by an uncertainty strategy (by
  default MNLP for a NER model, margin for a classifier), then
  k-means among them, so a batch is both informative and varied.

Embeddings come from ``embedder`` if given, else the current model (an
:class:`~autonlp_al.trainers.EmbeddingModel`). ``max_candidates`` caps how many pool examples are
embedded per round (a seeded random sub-sample), which bounds memory for huge pools.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import attrs

from .._optional import require
from ..errors import StrategyError
from ..registry import strategies
from ..trainers.base import EmbeddingModel, Model
from ..types import Example
from .base import BatchStrategy, ScoringStrategy, Selection, Strategy, chunks
from .random import RandomSampling
from .uncertainty import MNLP, Margin

__all__ = ["CoreSet", "Hybrid", "KMeans", "default_uncertainty", "kmeans"]


def _embedder(strategy: Any, model: Model | None) -> Any:
    source = strategy.embedder if strategy.embedder is not None else model
    if source is None:
        raise StrategyError(
            f"{strategy.name} needs embeddings: pass embedder= (e.g. the base model loaded with "
            f"TransformersModel) for a cold start, or a trained model"
        )
    if not isinstance(source, EmbeddingModel):
        raise StrategyError(
            f"{type(source).__name__} offers no embeddings; {strategy.name} needs them"
        )
    return source


def _embed(embedder: Any, items: Sequence[Example]) -> Any:
    np = require("numpy", "local")
    parts = [embedder.embed(chunk) for chunk in chunks(items)]
    return np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)


def _candidates(
    pool: Sequence[Example], limit: int | None, rng: random.Random
) -> Sequence[Example]:
    if limit is None or len(pool) <= limit:
        return pool
    return [pool[i] for i in sorted(rng.sample(range(len(pool)), limit))]


def squared_distances(a: Any, b: Any) -> Any:
    """``(len(a), len(b))`` squared Euclidean distances, as ``|a|^2 + |b|^2 - 2 a.b`` in float64:
    memory for the result only. (The broadcast ``a[:, None] - b[None]`` builds a
    ``len(a) x len(b) x dim`` array: 734 MB for 5,000 x 100 centres of 384 dimensions.)"""
    np = require("numpy", "local")
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d2 = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d2, 0.0)


def kmeans(vectors: Any, k: int, rng: random.Random, iterations: int = 20) -> list[int]:
    """Indices of the ``k`` rows nearest the centres of a k-means++ clustering (distinct rows)."""
    np = require("numpy", "local")
    state = np.random.default_rng(rng.randrange(2**32))
    n = len(vectors)
    centres = [vectors[state.integers(n)]]
    d2 = ((vectors - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = d2.sum()
        index = state.choice(n, p=d2 / total) if total > 0 else state.integers(n)
        centres.append(vectors[index])
        d2 = np.minimum(d2, ((vectors - vectors[index]) ** 2).sum(axis=1))
    c = np.stack(centres)
    for _ in range(iterations):
        assign = squared_distances(vectors, c).argmin(axis=1)
        for j in range(k):
            members = vectors[assign == j]
            if len(members):
                c[j] = members.mean(axis=0)
    distances = squared_distances(vectors, c)
    picked: list[int] = []
    taken: set[int] = set()
    for j in np.argsort(distances.min(axis=0)):  # tightest clusters choose first
        for index in np.argsort(distances[:, j]):
            if int(index) not in taken:
                picked.append(int(index))
                taken.add(int(index))
                break
    return picked


@strategies.register("kmeans.v1")
@attrs.define
class KMeans(BatchStrategy):
    """The example nearest each of ``n`` k-means centres of the candidates' embeddings."""

    embedder: Any = None
    max_candidates: int | None = 5000
    name: str = "kmeans"

    def choose(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example],
        rng: random.Random,
    ) -> list[Selection]:
        candidates = _candidates(pool, self.max_candidates, rng)
        vectors = _embed(_embedder(self, model), candidates)
        return [Selection(candidates[i].id, 0.0) for i in kmeans(vectors, n, rng)]

    def shortlist(self, model: Model | None, n: int) -> tuple[ScoringStrategy, int]:
        """A seeded uniform sample of ``max_candidates`` (5,000 if unset)."""
        return RandomSampling(), self.max_candidates or 5000


@strategies.register("coreset.v1")
@attrs.define
class CoreSet(BatchStrategy):
    """Greedy k-center: each pick is the candidate farthest (in embedding space) from every
    labelled example and every earlier pick; the score is that distance."""

    embedder: Any = None
    max_candidates: int | None = 5000
    name: str = "coreset"

    def choose(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example],
        rng: random.Random,
    ) -> list[Selection]:
        np = require("numpy", "local")
        embedder = _embedder(self, model)
        candidates = _candidates(pool, self.max_candidates, rng)
        vectors = _embed(embedder, candidates)
        if labeled:
            nearest = np.full(len(candidates), np.inf)
            for chunk in chunks(labeled):
                known = embedder.embed(chunk)
                nearest = np.minimum(nearest, squared_distances(vectors, known).min(axis=1))
        else:
            nearest = ((vectors - vectors[rng.randrange(len(vectors))]) ** 2).sum(axis=1)
        picks = []
        for _ in range(n):
            index = int(nearest.argmax())
            picks.append(Selection(candidates[index].id, float(np.sqrt(max(nearest[index], 0)))))
            nearest = np.minimum(nearest, ((vectors - vectors[index]) ** 2).sum(axis=1))
            nearest[index] = -1.0  # never again
        return picks

    def shortlist(self, model: Model | None, n: int) -> tuple[ScoringStrategy, int]:
        """A seeded uniform sample of ``max_candidates`` (5,000 if unset)."""
        return RandomSampling(), self.max_candidates or 5000


@strategies.register("hybrid.v1")
@attrs.define
class Hybrid(BatchStrategy):
    """``factor * n`` most uncertain by ``uncertainty``, then k-means among them to ``n``."""

    uncertainty: Strategy | None = None
    factor: int = 5
    embedder: Any = None
    name: str = "hybrid"

    def choose(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example],
        rng: random.Random,
    ) -> list[Selection]:
        uncertainty = self.uncertainty or default_uncertainty(self._model(model))
        shortlist = uncertainty.select(
            model, pool, min(len(pool), self.factor * n), labeled=labeled, rng=rng
        )
        by_id = {e.id: e for e in pool}
        candidates = [by_id[s.id] for s in shortlist]
        scores = [s.score for s in shortlist]
        vectors = _embed(_embedder(self, model), candidates)
        chosen = kmeans(vectors, n, rng)
        return sorted(
            (Selection(candidates[i].id, scores[i]) for i in chosen), key=lambda s: -s.score
        )

    def shortlist(self, model: Model | None, n: int) -> tuple[ScoringStrategy, int]:
        """The ``factor * n`` most uncertain by its uncertainty strategy."""
        uncertainty = self.uncertainty or default_uncertainty(self._model(model))
        if not isinstance(uncertainty, ScoringStrategy):
            raise StrategyError(
                f"hybrid's uncertainty stage {uncertainty.name} does not score examples one by "
                f"one; pick a scoring strategy (mnlp, margin, entropy ...)"
            )
        return uncertainty, self.factor * n


def default_uncertainty(model: Model) -> Strategy:
    """MNLP for a NER model, margin for a classifier (one model class may offer both token
    marginals and class probabilities, so the task decides, not the capability)."""
    return MNLP() if model.task == "ner" else Margin()
