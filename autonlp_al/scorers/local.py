"""The local scorer: the pool read batch by batch in this process, a bounded heap of the best."""

from __future__ import annotations

import attrs

from ..registry import scorers
from ..strategies.base import ScoringStrategy, Selection, TopN
from .base import Candidates, ModelRef, score_batch

__all__ = ["LocalScorer"]


@scorers.register("local.v1")
@attrs.define
class LocalScorer:
    """Scores in this process, ``batch_size`` examples per model call: memory O(n + batch)."""

    batch_size: int = 1024
    name: str = "local"

    def top(
        self,
        model: ModelRef,
        strategy: ScoringStrategy,
        candidates: Candidates,
        n: int,
        *,
        seed: int,
        salt: int,
    ) -> list[Selection]:
        scoring = strategy.scoring_model(model.load())
        best = TopN(n, salt)
        for batch in candidates.batches(self.batch_size):
            best.add([e.id for e in batch], score_batch(strategy, scoring, batch, seed), batch)
        return best.selections()
