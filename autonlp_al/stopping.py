"""Stopping criteria: when another round is not worth its labels.

Each criterion looks at the learner's history and returns a reason to stop, or ``None``. Pass them
to :meth:`ActiveLearner.run(stop=[...]) <autonlp_al.loop.learner.ActiveLearner.run>`; ``budget=`` and
``rounds=`` are the plain limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import attrs

from .registry import stopping

__all__ = ["LowUncertainty", "StablePredictions", "StoppingCriterion", "TargetMetric"]


class StoppingCriterion(Protocol):
    def should_stop(self, history: Sequence[Any]) -> str | None: ...


@stopping.register("target_metric.v1")
@attrs.frozen
class TargetMetric:
    """Stop once the last round's eval ``metric`` (e.g. ``"f1"``, ``"accuracy"``) reaches ``value``."""

    metric: str
    value: float

    def should_stop(self, history: Sequence[Any]) -> str | None:
        if history and history[-1].metrics.get(self.metric, float("-inf")) >= self.value:
            return f"{self.metric} {history[-1].metrics[self.metric]:.4f} >= {self.value}"
        return None


@stopping.register("stable_predictions.v1")
@attrs.frozen
class StablePredictions:
    """Stop when the model's predictions on a fixed pool sample agree with the previous round's
    on at least ``agreement`` of the sample, ``rounds`` times in a row (Bloodgood & Vijay-Shanker's
    stabilising predictions). For NER, a text agrees when its whole span set is unchanged."""

    agreement: float = 0.99
    rounds: int = 2

    def should_stop(self, history: Sequence[Any]) -> str | None:
        if len(history) < self.rounds + 1:
            return None
        values = []
        for before, after in zip(
            history[-self.rounds - 1 : -1], history[-self.rounds :], strict=True
        ):
            if not before.stability or len(before.stability) != len(after.stability):
                return None
            same = sum(a == b for a, b in zip(before.stability, after.stability, strict=True))
            values.append(same / len(after.stability))
        if all(v >= self.agreement for v in values):
            return f"predictions stable: agreement {min(values):.3f} >= {self.agreement}"
        return None


@stopping.register("low_uncertainty.v1")
@attrs.frozen
class LowUncertainty:
    """Stop when the mean strategy score of the last selected batch falls below ``threshold``
    (for uncertainty strategies: the model is sure even about the examples it found hardest)."""

    threshold: float

    def should_stop(self, history: Sequence[Any]) -> str | None:
        last = history[-1].mean_score if history else None
        if last is not None and last < self.threshold:
            return f"mean uncertainty {last:.4f} < {self.threshold}"
        return None
