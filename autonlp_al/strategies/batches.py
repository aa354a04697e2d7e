"""How a batch is drawn from a strategy's scores, besides taking the top ``n``.

:class:`Stochastic` draws the batch by score (Kirsch et al., TMLR 2023: stochastic acquisition
matches BatchBALD and BADGE at the cost of top-k): each example's score is perturbed by Gumbel
noise that is a pure function of the selection's seed and the example's id, and the top ``n`` of
the perturbed scores is a sample without replacement from ``softmax(beta * score)`` (or, with
``mode="power"``, from ``score ** beta``). Being a per-example score, it runs on every scorer
(local, Ray) and pool (memory, disk) and they agree.

:class:`LengthBins` fills a batch in the pool's length proportions: the pool is cut into length
bins at its quantiles, each bin gets its share of the batch, and the base strategy's best are
taken within each bin. So a strategy that prefers long (total token entropy) or short (MNLP)
sentences picks batches with the pool's tokens per sentence, and the two cost axes (sentences,
tokens) agree.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import attrs

from ..errors import StrategyError
from ..registry import strategies
from ..trainers.base import Model
from ..types import Example, cost
from .base import BatchStrategy, ScoringStrategy, Selection, TopN, chunks, tie_keys

__all__ = ["LengthBins", "Stochastic"]

MODES = ("power", "softmax")
_UNIT = 2.0**64


def gumbel(ids: Sequence[int], seed: int) -> list[float]:
    """A standard Gumbel draw per id, a pure function of ``(seed, id)``."""
    return [-math.log(-math.log((k + 0.5) / _UNIT)) for k in tie_keys(ids, seed ^ 0x6A09E667)]


def _scoring(base: Any) -> Any:
    if base is not None and not isinstance(base, ScoringStrategy):
        raise StrategyError(
            f"{getattr(base, 'name', base)!r:.60} does not score examples one by one, so there "
            f"are no scores to draw a batch from; give a scoring strategy (mnlp, margin, "
            f"total_token_entropy ...)"
        )
    return base


@strategies.register("stochastic.v1")
@attrs.define
class Stochastic(ScoringStrategy):
    """The batch drawn by ``base``'s scores instead of its top ``n``: ``mode="power"`` (the
    default, Kirsch et al.'s recommendation for non-negative scores) samples in proportion to
    ``score ** beta``, ``"softmax"`` to ``exp(beta * score)``. ``beta`` sets how greedy it is:
    large is top-k, 0 is random. ``base`` defaults to MNLP for NER and margin for
    classification (as hybrid's does). Each pick's score is its perturbed score (what ranked
    it)."""

    base: ScoringStrategy | None = attrs.field(default=None, converter=_scoring)
    mode: str = attrs.field(default="power", validator=attrs.validators.in_(MODES))
    beta: float = 1.0
    name: str = attrs.field(
        default=attrs.Factory(lambda self: _named("stochastic", self.base), takes_self=True)
    )
    stochastic = True  # a seed per selection: the noise's

    def __attrs_post_init__(self) -> None:
        if isinstance(self.beta, bool) or not isinstance(self.beta, int | float):
            raise StrategyError(f"beta must be a finite number >= 0, got {self.beta!r:.40}")
        if not (math.isfinite(self.beta) and self.beta >= 0):
            raise StrategyError(f"beta must be a finite number >= 0, got {self.beta!r:.40}")

    def scoring_model(self, model: Model | None) -> Any:
        return _base(self.base, model).scoring_model(model)

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> Sequence[float]:
        base = _base(self.base, model)
        scores = [float(s) for s in base.score(model, examples, seed=seed)]
        noise = gumbel([e.id for e in examples], seed)
        if self.mode == "power":
            return [
                self.beta * math.log(max(s, 0.0) + 1e-12) + g
                for s, g in zip(scores, noise, strict=True)
            ]
        return [self.beta * s + g for s, g in zip(scores, noise, strict=True)]


def _named(prefix: str, base: ScoringStrategy | None) -> str:
    return prefix if base is None else f"{prefix}_{base.name}"


def _base(base: ScoringStrategy | None, model: Any) -> ScoringStrategy:
    """``base``, or the default uncertainty for ``model``'s task (MNLP, margin)."""
    if base is not None:
        return base
    if model is None:
        raise StrategyError(
            "a stochastic or length-binned batch needs a trained model to score with; start "
            "with a cold-start strategy (random or k-means on embeddings) for the first round"
        )
    from .diversity import default_uncertainty

    chosen: ScoringStrategy = _scoring(default_uncertainty(model))
    return chosen


def shares(lengths: Sequence[int], bins: int, n: int) -> tuple[list[int], list[int]]:
    """The bin edges (upper bounds, from the quantiles of ``lengths``) and how many of ``n``
    picks each bin gets: in proportion to its size, the largest remainders rounded up, never
    more than the bin holds."""
    ordered = sorted(lengths)
    edges = sorted({ordered[min(len(ordered) - 1, (len(ordered) * k) // bins)] for k in
                    range(1, bins)})  # fmt: skip
    sizes = [0] * (len(edges) + 1)
    for length in lengths:
        sizes[_bin(length, edges)] += 1
    exact = [n * size / len(lengths) for size in sizes]
    counts = [min(int(x), size) for x, size in zip(exact, sizes, strict=True)]
    order = sorted(range(len(sizes)), key=lambda b: (-(exact[b] - int(exact[b])), b))
    while sum(counts) < n:
        for b in order:
            if counts[b] < sizes[b] and sum(counts) < n:
                counts[b] += 1
    return edges, counts


def _bin(length: int, edges: Sequence[int]) -> int:
    return next((b for b, edge in enumerate(edges) if length < edge), len(edges))


@strategies.register("length_bins.v1")
@attrs.define
class LengthBins(BatchStrategy):
    """``base``'s best within each of ``bins`` length bins (tokens, quantiles of the candidates),
    each bin filling its share of the batch, so the batch has the pool's lengths (``base``
    defaults to MNLP for NER, margin for classification). On a pool read
    from disk the candidates are ``base``'s best ``factor * n`` (:meth:`shortlist`), so the bins
    follow the shortlist's lengths, not the whole pool's."""

    base: ScoringStrategy | None = attrs.field(default=None, converter=_scoring)
    bins: int = 10
    factor: int = 10
    name: str = attrs.field(
        default=attrs.Factory(lambda self: _named("length_bins", self.base), takes_self=True)
    )

    def __attrs_post_init__(self) -> None:
        for key in ("bins", "factor"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise StrategyError(f"{key} must be a whole number >= 1, got {value!r:.40}")

    def choose(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example],
        rng: random.Random,
    ) -> list[Selection]:
        base = _base(self.base, model)
        scorer = base.scoring_model(model)
        seed, salt = base.draws(rng)
        edges, counts = shares([cost(e, "tokens") for e in pool], self.bins, n)
        tops = [TopN(count, salt) for count in counts]
        for chunk in chunks(pool):
            scores = base.score(scorer, chunk, seed=seed)
            where = [_bin(cost(e, "tokens"), edges) for e in chunk]
            for b, top in enumerate(tops):
                members = [k for k, in_bin in enumerate(where) if in_bin == b]
                if members and top.n:
                    top.add([chunk[k].id for k in members], [scores[k] for k in members])
        picks = [s for top in tops for s in top.selections()]
        return sorted(picks, key=lambda s: -s.score)

    def shortlist(self, model: Model | None, n: int) -> tuple[ScoringStrategy, int]:
        """``base``'s best ``factor * n``, which :meth:`choose` then fills by length."""
        return _base(self.base, model), self.factor * n
