"""Uncertainty sampling: the examples the current model is least sure about.

Text classification (needs :class:`~autonlp_al.trainers.ProbabilityModel`): least confidence,
margin (breaking ties), entropy, and BALD with MC dropout (needs
:class:`~autonlp_al.trainers.MCDropoutModel`). NER, per sentence (needs
:class:`~autonlp_al.trainers.MarginalsModel`): MNLP (Shen et al. 2017), least-confident sequence,
and token entropy reduced over the sentence by mean, sum or max. Each writes only ``score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from .._optional import require
from ..errors import StrategyError
from ..registry import strategies
from ..trainers.base import MarginalsModel, MCDropoutModel, ProbabilityModel
from ..types import Example
from .base import ScoringStrategy

__all__ = [
    "BALD",
    "MNLP",
    "Entropy",
    "LeastConfidence",
    "LeastConfidentSequence",
    "Margin",
    "TokenEntropy",
]

_EPS = 1e-12


def _entropy(probs: Any, axis: int) -> Any:
    np = require("numpy", "local")
    return -(probs * np.log(probs + _EPS)).sum(axis=axis)


class _ClassUncertainty(ScoringStrategy):
    """Scores each example from its row of class probabilities."""

    needs: ClassVar[type | None] = ProbabilityModel
    needs_what: ClassVar[str] = "class probabilities"
    tasks: ClassVar[tuple[str, ...]] = ("textcat",)

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> Sequence[float]:
        return self.from_probabilities(model.class_probabilities(examples))  # type: ignore[no-any-return]

    def from_probabilities(self, probs: Any) -> Any:
        raise NotImplementedError


@strategies.register("least_confidence.v1")
@attrs.define
class LeastConfidence(_ClassUncertainty):
    """``1 - max p``."""

    name: str = "least_confidence"

    def from_probabilities(self, probs: Any) -> Any:
        return 1.0 - probs.max(axis=1)


@strategies.register("margin.v1")
@attrs.define
class Margin(_ClassUncertainty):
    """Breaking ties: ``1 - (p_first - p_second)``; the smaller the margin, the higher the score."""

    name: str = "margin"

    def from_probabilities(self, probs: Any) -> Any:
        np = require("numpy", "local")
        top = np.sort(probs, axis=1)[:, -2:]
        return 1.0 - (top[:, 1] - top[:, 0])


@strategies.register("entropy.v1")
@attrs.define
class Entropy(_ClassUncertainty):
    """Prediction entropy ``-sum p log p``."""

    name: str = "entropy"

    def from_probabilities(self, probs: Any) -> Any:
        return _entropy(probs, axis=1)


@strategies.register("bald.v1")
@attrs.define
class BALD(ScoringStrategy):
    """Bayesian active learning by disagreement with MC dropout (Gal et al. 2017): the mutual
    information between prediction and weights, ``H(mean p) - mean H(p)`` over ``samples``
    dropout-perturbed forward passes (one seed per selection, drawn from its ``rng``)."""

    samples: int = 10
    name: str = "bald"
    needs: ClassVar[type | None] = MCDropoutModel
    needs_what: ClassVar[str] = "MC-dropout probabilities"
    tasks: ClassVar[tuple[str, ...]] = ("textcat",)
    stochastic: ClassVar[bool] = True

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> Sequence[float]:
        runs = model.mc_class_probabilities(examples, samples=self.samples, seed=seed)
        return _entropy(runs.mean(axis=0), axis=1) - _entropy(runs, axis=2).mean(axis=0)  # type: ignore[no-any-return]


class _SequenceUncertainty(ScoringStrategy):
    """Scores each sentence from its ``(n_words, n_tags)`` marginals (0 for an empty one)."""

    needs: ClassVar[type | None] = MarginalsModel
    needs_what: ClassVar[str] = "token marginals"
    tasks: ClassVar[tuple[str, ...]] = ("ner",)

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> Sequence[float]:
        return [self.sentence(m) if len(m) else 0.0 for m in model.token_marginals(examples)]

    def sentence(self, marginals: Any) -> float:
        """The score of one sentence's ``(n_words, n_tags)`` marginals (``n_words >= 1``)."""
        raise NotImplementedError


@strategies.register("mnlp.v1")
@attrs.define
class MNLP(_SequenceUncertainty):
    """Maximum normalised log-probability (Shen et al. 2017): minus the mean log-probability of
    the most likely tag of each word, so long sentences are not favoured just for their length."""

    name: str = "mnlp"

    def sentence(self, marginals: Any) -> float:
        np = require("numpy", "local")
        return float(-np.log(marginals.max(axis=1) + _EPS).mean())


@strategies.register("least_confident_sequence.v1")
@attrs.define
class LeastConfidentSequence(_SequenceUncertainty):
    """``1 - prod max p``: the probability that the best tag sequence is wrong."""

    name: str = "least_confident_sequence"

    def sentence(self, marginals: Any) -> float:
        np = require("numpy", "local")
        return float(1.0 - np.exp(np.log(marginals.max(axis=1) + _EPS).sum()))


_REDUCTIONS = {
    "mean": "mean_token_entropy",
    "sum": "total_token_entropy",
    "max": "max_token_entropy",
    "tempered": "tempered_token_entropy",
}


@strategies.register("token_entropy.v1")
@attrs.define
class TokenEntropy(_SequenceUncertainty):
    """The entropy of each word's tag distribution, reduced over the sentence.

    ``reduction="mean"`` scores how unsure the model is on average; ``"sum"`` (total token
    entropy) lets a long sentence full of uncertain words beat a short one: when the budget is
    counted in sentences (as annotators see it), it picks the sentences that teach the most per
    click, while per labelled token MNLP is the better buy; ``"max"`` looks at the worst word;
    ``"tempered"`` is between total and mean: the sum over ``n_words ** alpha`` (``alpha`` 0 is
    the total, 1 the mean; 0.5 by default), for picks neither as long as total's nor as short as
    the mean's. The name (``mean_token_entropy``, ``total_token_entropy``, ``max_token_entropy``,
    ``tempered_token_entropy``) follows.
    """

    reduction: str = attrs.field(default="mean", validator=attrs.validators.in_(_REDUCTIONS))
    alpha: float | None = None
    name: str = attrs.field(
        default=attrs.Factory(lambda self: _REDUCTIONS[self.reduction], takes_self=True)
    )

    def __attrs_post_init__(self) -> None:
        if self.reduction != "tempered":
            if self.alpha is not None:
                raise StrategyError(
                    f"alpha tempers the length normaliser of tempered_token_entropy; "
                    f"{self.name} takes none (use tempered_token_entropy with alpha)"
                )
            return
        if self.alpha is None:
            self.alpha = 0.5
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int | float):
            raise StrategyError(f"alpha must be a number from 0 to 1, got {self.alpha!r:.40}")
        if not 0.0 <= self.alpha <= 1.0:
            raise StrategyError(f"alpha must be a number from 0 to 1, got {self.alpha!r:.40}")

    def sentence(self, marginals: Any) -> float:
        entropies = _entropy(marginals, axis=1)
        if self.reduction == "tempered":
            return float(entropies.sum() / len(entropies) ** float(self.alpha or 0.0))
        return float(getattr(entropies, self.reduction)())


def _token_entropy(reduction: str) -> Any:
    def factory(**kwargs: Any) -> TokenEntropy:
        return TokenEntropy(reduction, **kwargs)

    factory.tasks = TokenEntropy.tasks  # type: ignore[attr-defined]  # read by the loop config
    return factory


for _reduction, _name in _REDUCTIONS.items():
    # the reductions by their own names too, so configs and the CLI can say `total_token_entropy`
    strategies.register(f"{_name}.v1", func=_token_entropy(_reduction))
