"""Which model a two-model loop ships: decided on held-out labelled data, never the test set.

The candidates are the selector (the cheap model that picked every round) and the fine-tuned
final model, each trained afresh on part of the labelled set and scored on the rest (accuracy
for classification, entity F1 for NER), the same parts for both.

Which part is held out matters. The labelled set was picked by the selector, as the examples it
was least sure of, so held-out folds of it are the selector's hardest cases and under-rate it
against a model of another kind (BBC, 170 labels: the selector's 5-fold accuracy was 70% on the
160 examples it picked and 100% on the 10 drawn at random; 97.9% on the test set). So when at
least :data:`MIN_DRAWN` labelled examples were *drawn* rather than picked by a model (the seed
set, the cold start's batch, a random strategy's picks) and as many were picked, only the drawn
ones are scored: they are split in :data:`DRAWN_FOLDS` halves, and each half is scored by
candidates trained on everything else (the picked examples and the other half), so two fits a
candidate. Otherwise (a labelled set all
drawn, or too few drawn) the set is split into :data:`FOLDS` folds (stratified by class for
classification, seeded by the loop's seed), scored until at least :data:`MIN_HELDOUT` examples
are held out or all folds are: 40 labels score 5 folds, 170 score 3.

The rule: the highest held-out score ships (on equal scores the first candidate, the selector:
the cheaper model to serve), except that the model shipped by the last choice keeps its place
unless the other beats it by more than one standard error of the difference, so the served
model does not flip on noise between checkpoints. ``ship = "final"`` or
``"selector"`` pins the choice (nothing is cross-validated). The cost is the extra fits; it is
paid when a final model is trained, never on the selection path.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import attrs

from ..trainers.base import Model
from ..types import Example

__all__ = [
    "FOLDS",
    "MIN_DRAWN",
    "MIN_HELDOUT",
    "SHIP",
    "Candidate",
    "Choice",
    "choose",
    "folds",
    "n_folds",
]

#: what ``[loop] ship`` takes
SHIP = ("best", "final", "selector")
#: the labelled set is split into this many folds
FOLDS = 5
#: folds are scored until at least this many labelled examples are held out (or all folds are)
MIN_HELDOUT = 100
#: the drawn examples are the held-out set when there are at least this many (and as many picked)
MIN_DRAWN = 10
#: ... scored in this many folds: each half trained on everything else, picked and drawn
DRAWN_FOLDS = 2


@attrs.frozen(kw_only=True)
class Candidate:
    """One candidate's held-out evidence: its score over the held-out folds (pooled by
    fold size), the score's standard error, and what scoring it cost."""

    name: str
    score: float
    stderr: float
    folds: int
    n_heldout: int
    seconds: float


@attrs.frozen(kw_only=True)
class Choice:
    """The model a final checkpoint ships (``winner``: ``"selector"`` or ``"final"``), why,
    and each candidate's held-out evidence (none when ``ship`` pinned it)."""

    winner: str
    rule: str
    metric: str = ""
    candidates: tuple[Candidate, ...] = ()
    seconds: float = 0.0
    heldout: str = ""  # "drawn" (the examples no model picked) or "folds"

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Choice:
        candidates = tuple(Candidate(**c) for c in data.get("candidates", ()))
        return cls(**{**data, "candidates": candidates})

    def of(self, name: str) -> Candidate | None:
        return next((c for c in self.candidates if c.name == name), None)


def folds(examples: Sequence[Example], *, k: int, seed: int | str) -> list[list[int]]:
    """``k`` folds of example indices: a seeded shuffle, dealt class by class (by first label;
    NER examples have none, so they are dealt in shuffled order) so each fold has each class's
    share."""
    order = list(range(len(examples)))
    random.Random(f"folds-{seed}").shuffle(order)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i in order:
        by_class[examples[i].labels[0] if examples[i].labels else ""].append(i)
    out: list[list[int]] = [[] for _ in range(k)]
    dealt = 0
    for label in sorted(by_class):
        for i in by_class[label]:
            out[dealt % k].append(i)
            dealt += 1
    return out


def n_folds(n: int, *, k: int = FOLDS, min_heldout: int = MIN_HELDOUT) -> int:
    """How many of ``k`` folds to score for ``n`` labelled examples: enough to hold out
    ``min_heldout`` of them, at least one, at most ``k``."""
    per_fold = max(n / k, 1.0)
    return max(1, min(k, math.ceil(min_heldout / per_fold)))


def choose(
    fits: Mapping[str, Callable[[list[Example]], Model]],
    examples: Sequence[Example],
    *,
    score: Callable[[Model, list[Example]], float],
    metric: str,
    seed: int | str,
    incumbent: str | None = None,
    drawn: Collection[int] = (),
) -> Choice:
    """Score each of ``fits`` (name -> train on these examples, return a model) on the same
    held-out examples of ``examples`` (``drawn``: the ids of those no model picked); the winner
    by the module's rule."""
    start = time.perf_counter()
    ids = set(drawn)
    unpicked = [i for i, e in enumerate(examples) if e.id in ids]
    if MIN_DRAWN <= len(unpicked) <= len(examples) - MIN_DRAWN:
        halves = folds([examples[i] for i in unpicked], k=DRAWN_FOLDS, seed=seed)
        scored, heldout = [[unpicked[j] for j in half] for half in halves], "drawn"
    else:
        parts = folds(examples, k=FOLDS, seed=seed)
        scored, heldout = [f for f in parts[: n_folds(len(examples))] if f], "folds"
    candidates = []
    for name, fit in fits.items():
        began = time.perf_counter()
        results = []  # (score, n held out) per fold
        for held in scored:
            kept = set(held)
            train = [e for i, e in enumerate(examples) if i not in kept]
            model = fit(train)
            results.append((score(model, [examples[i] for i in held]), len(held)))
        n = sum(size for _, size in results)
        mean = sum(s * size for s, size in results) / n if n else 0.0
        candidates.append(
            Candidate(
                name=name,
                score=mean,
                stderr=math.sqrt(max(mean * (1 - mean), 0.0) / n) if n else 0.0,
                folds=len(results),
                n_heldout=n,
                seconds=time.perf_counter() - began,
            )
        )
    best = max(candidates, key=lambda c: c.score)
    rule = "the best held-out score"
    kept_place = next((c for c in candidates if c.name == incumbent), None)
    if kept_place is not None and kept_place is not best:
        margin = math.hypot(best.stderr, kept_place.stderr)
        if best.score - kept_place.score <= margin:
            best = kept_place
            rule = "shipped last time, and not beaten by more than one standard error"
    return Choice(
        winner=best.name,
        rule=rule,
        metric=metric,
        candidates=tuple(candidates),
        seconds=time.perf_counter() - start,
        heldout=heldout,
    )
