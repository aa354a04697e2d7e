"""Random sampling: the baseline every other strategy has to beat, and a cold start."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from ..registry import strategies
from ..types import Example
from .base import ScoringStrategy

__all__ = ["RandomSampling"]


@strategies.register("random.v1")
@attrs.define
class RandomSampling(ScoringStrategy):
    """``n`` examples drawn uniformly without replacement; needs no model.

    Every example scores 0, so the seeded tie key of each id decides: a uniform sample that any
    scorer, on any machine and in any batch order, draws the same way."""

    name: str = "random"
    needs_model: ClassVar[bool] = False

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> Sequence[float]:
        return [0.0] * len(examples)
