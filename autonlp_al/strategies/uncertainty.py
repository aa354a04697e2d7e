"""Uncertainty sampling: the examples the current model is least sure about.

Text classification (needs :class:`~autonlp_al.trainers.ProbabilityModel`): least confidence,
margin (breaking ties), entropy, and BALD with MC dropout (needs ``mc_class_probabilities``).
NER, per sentence (needs :class:`~autonlp_al.trainers.MarginalsModel`): MNLP (Shen et al. 2017),
least-confident sequence, mean, total and max token entropy.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import attrs

from .._optional import require
from ..registry import strategies
from ..trainers.base import MarginalsModel, Model, ProbabilityModel
from ..types import Example
from .base import Selection, check_pool, require_model, top_n

__all__ = [
    "BALD",
    "MNLP",
    "Entropy",
    "LeastConfidence",
    "LeastConfidentSequence",
    "Margin",
    "MaxTokenEntropy",
    "MeanTokenEntropy",
    "TotalTokenEntropy",
]

_EPS = 1e-12


def _entropy(probs: Any, axis: int) -> Any:
    np = require("numpy", "local")
    return -(probs * np.log(probs + _EPS)).sum(axis=axis)


def _needs(model: Model, capability: type, what: str) -> Any:
    if not isinstance(model, capability):
        raise TypeError(f"{type(model).__name__} offers no {what}; this strategy needs it")
    return model


@attrs.define
class _ClassUncertainty:
    """Scores each example from its class-probability row."""

    name: str = ""

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
        scorer = _needs(require_model(self, model), ProbabilityModel, "class probabilities")
        return top_n(pool, n, lambda chunk: self.scores(scorer.class_probabilities(chunk)), rng)

    def scores(self, probs: Any) -> Any:
        raise NotImplementedError


@strategies.register("least_confidence.v1")
@attrs.define
class LeastConfidence(_ClassUncertainty):
    """``1 - max p``."""

    name: str = "least_confidence"

    def scores(self, probs: Any) -> Any:
        return 1.0 - probs.max(axis=1)


@strategies.register("margin.v1")
@attrs.define
class Margin(_ClassUncertainty):
    """Breaking ties: ``1 - (p_first - p_second)``; the smaller the margin, the higher the score."""

    name: str = "margin"

    def scores(self, probs: Any) -> Any:
        np = require("numpy", "local")
        top = np.sort(probs, axis=1)[:, -2:]
        return 1.0 - (top[:, 1] - top[:, 0])


@strategies.register("entropy.v1")
@attrs.define
class Entropy(_ClassUncertainty):
    """Prediction entropy ``-sum p log p``."""

    name: str = "entropy"

    def scores(self, probs: Any) -> Any:
        return _entropy(probs, axis=1)


@strategies.register("bald.v1")
@attrs.define
class BALD:
    """Bayesian active learning by disagreement with MC dropout (Gal et al. 2017): the mutual
    information between prediction and weights, ``H(mean p) - mean H(p)`` over ``samples``
    dropout-perturbed forward passes. Needs ``model.mc_class_probabilities(items, samples, seed)``.
    """

    samples: int = 10
    name: str = "bald"

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
        scorer = require_model(self, model)
        if not hasattr(scorer, "mc_class_probabilities"):
            raise TypeError(f"{type(scorer).__name__} offers no MC-dropout probabilities")
        seed = rng.randrange(2**31)

        def scores(chunk: Sequence[Example]) -> Any:
            runs = scorer.mc_class_probabilities(chunk, samples=self.samples, seed=seed)
            return _entropy(runs.mean(axis=0), axis=1) - _entropy(runs, axis=2).mean(axis=0)

        return top_n(pool, n, scores, rng)


@attrs.define
class _SequenceUncertainty:
    """Scores each sentence from its ``(n_words, n_tags)`` marginals."""

    name: str = ""

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
        scorer = _needs(require_model(self, model), MarginalsModel, "token marginals")
        return top_n(
            pool,
            n,
            lambda chunk: [self.score(m) if len(m) else 0.0 for m in scorer.token_marginals(chunk)],
            rng,
        )

    def score(self, marginals: Any) -> float:
        """The score of one sentence's ``(n_words, n_tags)`` marginals (``n_words >= 1``)."""
        raise NotImplementedError


@strategies.register("mnlp.v1")
@attrs.define
class MNLP(_SequenceUncertainty):
    """Maximum normalised log-probability (Shen et al. 2017): minus the mean log-probability of
    the most likely tag of each word, so long sentences are not favoured just for their length."""

    name: str = "mnlp"

    def score(self, marginals: Any) -> float:
        np = require("numpy", "local")
        return float(-np.log(marginals.max(axis=1) + _EPS).mean())


@strategies.register("least_confident_sequence.v1")
@attrs.define
class LeastConfidentSequence(_SequenceUncertainty):
    """``1 - prod max p``: the probability that the best tag sequence is wrong."""

    name: str = "least_confident_sequence"

    def score(self, marginals: Any) -> float:
        np = require("numpy", "local")
        return float(1.0 - np.exp(np.log(marginals.max(axis=1) + _EPS).sum()))


@strategies.register("mean_token_entropy.v1")
@attrs.define
class MeanTokenEntropy(_SequenceUncertainty):
    """The mean entropy of the words' tag distributions."""

    name: str = "mean_token_entropy"

    def score(self, marginals: Any) -> float:
        return float(_entropy(marginals, axis=1).mean())


@strategies.register("total_token_entropy.v1")
@attrs.define
class TotalTokenEntropy(_SequenceUncertainty):
    """The summed entropy of the words' tag distributions: a long sentence full of uncertain
    words beats a short one. When the budget is counted in sentences (as annotators see it),
    this picks the sentences that teach the most per click; per labelled token, prefer MNLP."""

    name: str = "total_token_entropy"

    def score(self, marginals: Any) -> float:
        return float(_entropy(marginals, axis=1).sum())


@strategies.register("max_token_entropy.v1")
@attrs.define
class MaxTokenEntropy(_SequenceUncertainty):
    """The largest entropy of any word's tag distribution."""

    name: str = "max_token_entropy"

    def score(self, marginals: Any) -> float:
        return float(_entropy(marginals, axis=1).max())
