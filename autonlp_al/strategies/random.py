"""Random sampling: the baseline every other strategy has to beat, and a cold start."""

from __future__ import annotations

import random as _random
from collections.abc import Sequence

import attrs

from ..registry import strategies
from ..trainers.base import Model
from ..types import Example
from .base import BatchStrategy, Selection

__all__ = ["RandomSampling"]


@strategies.register("random.v1")
@attrs.define
class RandomSampling(BatchStrategy):
    """``n`` examples drawn uniformly without replacement; needs no model."""

    name: str = "random"

    def choose(
        self,
        model: Model | None,
        pool: Sequence[Example],
        n: int,
        *,
        labeled: Sequence[Example],
        rng: _random.Random,
    ) -> list[Selection]:
        return [Selection(pool[i].id, 0.0) for i in rng.sample(range(len(pool)), n)]
