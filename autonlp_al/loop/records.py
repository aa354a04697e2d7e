"""The loop's records: what a round did (:class:`Round`), a final model (:class:`Final`), a query
to show annotators (:class:`Query`), and the open state between steps (:class:`OpenQuery`,
:class:`Untrained`). Frozen: a changed state is a new record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..types import Example, Prediction, _tuple, cost
from .choice import Choice

__all__ = ["Final", "OpenQuery", "Query", "Round", "Untrained", "n_mentions", "n_tokens"]


def n_tokens(example: Example) -> int:
    """An example's annotation cost in tokens (its tokens, else its whitespace words)."""
    return cost(example, "tokens")


def n_mentions(example: Example) -> int:
    """An example's entity mentions (its spans; 0 for classification)."""
    return cost(example, "mentions")


@attrs.frozen(kw_only=True)
class Round:
    """What one round did: how much was labelled, what was picked, the model and its scores."""

    round: int
    n_labeled: int
    n_tokens: int
    selected: tuple[int, ...] = attrs.field(converter=_tuple)
    strategy: str
    seed: int
    model_version: str
    model_dir: str  # relative to the state folder (see Journal.model_path)
    metrics: Mapping[str, float]
    timings: Mapping[str, float]
    mean_score: float | None = None
    stability: tuple[Any, ...] = attrs.field(default=(), converter=tuple)
    #: how many answers the loop had recorded when this round's training set was taken: an
    #: answer recorded later (an update arriving while the round trained) waits for the next
    answers_seen: int | None = None
    #: entity mentions in the labelled set (NER; 0 for classification and in records from
    #: before version 0.3)
    n_mentions: int = 0

    def summary(self) -> str:
        """One log line's worth: labelled (and what that cost), scores, where the time went."""
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items())
        mentions = f", {self.n_mentions:,} mentions" if self.n_mentions else ""
        return (
            f"round {self.round}: {self.n_labeled} labelled ({self.n_tokens:,} tokens{mentions}), "
            f"{_scores(self.metrics)} ({timings})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The record as the event log stores it."""
        data = attrs.asdict(self)
        data["selected"] = list(self.selected)
        data["stability"] = list(self.stability)
        return data


def _choice(value: Choice | Mapping[str, Any] | None) -> Choice | None:
    return Choice.from_dict(value) if isinstance(value, Mapping) else value


@attrs.frozen(kw_only=True)
class Final:
    """A final model: trained by the loop's ``trainer`` on everything labelled after ``rounds``
    rounds (with a selector, the rounds' models are the selector's)."""

    index: int
    rounds: int
    n_labeled: int
    model_version: str
    model_dir: str  # relative to the state folder
    metrics: Mapping[str, float]
    seconds: float
    warm_start: bool = False
    choice: Choice | None = attrs.field(default=None, converter=_choice)

    @property
    def shipped(self) -> str:
        """What this checkpoint ships: ``"final"`` (this model) or ``"selector"`` (the round
        models); a record from before the choice existed shipped its final model."""
        return self.choice.winner if self.choice is not None else "final"

    def summary(self) -> str:
        scores = _scores(self.metrics)
        return (
            f"final model {self.index}: {self.n_labeled} labelled, {scores} ({self.seconds:.1f}s)"
        )

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _scores(metrics: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()) or "no eval"


@attrs.frozen
class OpenQuery:
    """The batch selected for ``round`` and not yet answered: pool ids and their scores."""

    round: int
    ids: tuple[int, ...] = attrs.field(converter=_tuple)
    scores: tuple[float, ...] = attrs.field(converter=_tuple)

    def scores_of(self, ids: Iterable[int]) -> tuple[float, ...]:
        """The selection score of each of ``ids`` (0.0 for an id this query did not ask)."""
        by_id = dict(zip(self.ids, self.scores, strict=True))
        return tuple(by_id.get(i, 0.0) for i in ids)


@attrs.frozen
class Untrained:
    """Answers recorded but not yet trained on, in order, with their selection scores (an
    answer nobody asked for scores 0.0)."""

    ids: tuple[int, ...] = attrs.field(converter=_tuple)
    scores: tuple[float, ...] = attrs.field(converter=_tuple)

    def __len__(self) -> int:
        return len(self.ids)

    def joined(self, ids: Iterable[int], scores: Iterable[float]) -> Untrained:
        """These and more (an id given again keeps its first score)."""
        by_id = dict(zip(self.ids, self.scores, strict=True))
        for i, score in zip(ids, scores, strict=True):
            by_id.setdefault(i, score)
        return Untrained(tuple(by_id), tuple(by_id.values()))

    def without(self, trained: Iterable[int]) -> Untrained | None:
        """What still waits once a round has trained on ``trained`` (``None``: nothing)."""
        done = set(trained)
        left = [(i, s) for i, s in zip(self.ids, self.scores, strict=True) if i not in done]
        if not left:
            return None
        return Untrained(tuple(i for i, _ in left), tuple(s for _, s in left))


@attrs.frozen(kw_only=True)
class Query:
    """An open query: the batch selected for round ``round``, with the strategy's scores and, once
    a model exists, its predictions (to pre-annotate the tasks). Writers turn it into files."""

    round: int
    task: str
    examples: tuple[Example, ...] = attrs.field(converter=_tuple)
    scores: tuple[float, ...] = attrs.field(converter=_tuple)
    predictions: tuple[Prediction, ...] | None = None

    def tasks(self) -> list[Example]:
        """One example per pick to show annotators: the pool example (its tokens kept), with the
        model's spans or class when there is a model, and ``score`` / ``round`` in ``meta``.
        Without a model the tasks are bare: labels a pool file happens to carry are not shown as
        if they were a guess."""
        if self.predictions is None:
            return [
                Example(text=e.text, id=e.id, tokens=e.tokens, meta={**e.meta, "round": self.round})
                for e in self.examples
            ]
        return [
            attrs.evolve(
                p.to_example(),
                meta={**e.meta, "score": s, "round": self.round, **_confidences(p)},
                tokens=e.tokens,
                id=e.id,
            )
            for p, e, s in zip(self.predictions, self.examples, self.scores, strict=True)
        ]


def _confidences(prediction: Prediction) -> dict[str, Any]:
    """The model's confidence in each guess, for writers that show it (Label Studio's
    per-region ``score``): ``span_scores`` ``[[start, end, label, score], ...]``, or the class
    probabilities as ``cats``."""
    if prediction.cats:
        return {"cats": {k: round(float(v), 4) for k, v in prediction.cats.items()}}
    if prediction.spans:
        return {
            "span_scores": [
                [s.start, s.end, s.label, round(float(s.score), 4)] for s in prediction.spans
            ]
        }
    return {}
