"""Stopping criteria: when another round is not worth its labels.

Each criterion looks at the learner's history and returns a reason to stop, or ``None``. Pass them
to :meth:`ActiveLearner.run(stop=[...]) <autonlp_al.loop.learner.ActiveLearner.run>`, or name them in
a config's ``[stopping]`` (``simulate`` and ``query`` use them); ``budget=`` and ``rounds=`` are the
plain limits. A :class:`Budget` counts what labelling costs in one of :data:`UNITS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import attrs

from .errors import ConfigError
from .registry import stopping
from .types import cost

__all__ = [
    "UNITS",
    "Budget",
    "LowUncertainty",
    "StablePredictions",
    "StoppingCriterion",
    "TargetMetric",
    "cost",
]

#: what a budget counts: labelled examples (a sentence each, for CoNLL-style NER), their tokens
#: (whitespace words for a text without tokens), or their entity mentions (NER only); each
#: round's record carries all three (``n_labeled``, ``n_tokens``, ``n_mentions``)
UNITS = {"examples": "n_labeled", "tokens": "n_tokens", "mentions": "n_mentions"}


def check_unit(unit: str, task: str | None = None) -> str:
    """``unit`` if a budget can count it for ``task``; else :class:`ConfigError` naming the units."""
    if unit not in UNITS:
        raise ConfigError(
            f"budget unit {unit!r:.40} is not one of {', '.join(UNITS)}; examples counts "
            f"sentences for NER"
        )
    if unit == "mentions" and task not in (None, "ner"):
        raise ConfigError(
            f"a budget in mentions counts entity spans, and a {task} loop labels none; count "
            f"examples or tokens"
        )
    return unit


class StoppingCriterion(Protocol):
    def should_stop(self, history: Sequence[Any]) -> str | None: ...


@stopping.register("budget.v1")
@attrs.frozen
class Budget:
    """Stop once ``value`` labelled ``unit`` (examples, tokens or mentions: :data:`UNITS`) are
    reached. Checked before each round, so the last round may pass it by up to one batch."""

    value: int
    unit: str = "examples"
    task: str | None = None

    def __attrs_post_init__(self) -> None:
        check_unit(self.unit, self.task)
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < 1:
            raise ConfigError(
                f"a budget of {self.value!r:.40} {self.unit}: give a positive whole number"
            )

    def reached(self, spent: int) -> str | None:
        """Why labelling stops at ``spent`` labelled units, or ``None``."""
        if spent >= self.value:
            return f"budget of {self.value:,} labelled {self.unit} reached ({spent:,})"
        return None

    def should_stop(self, history: Sequence[Any]) -> str | None:
        return self.reached(getattr(history[-1], UNITS[self.unit], 0)) if history else None


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
