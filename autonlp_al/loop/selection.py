"""``Picker``: the pool and how a batch is picked from it, one place for every kind of pool.

A pool in memory (:class:`~autonlp_al.pools.ListPool`) and a pool on disk differ in how a batch is
scored (the strategy over the unlabelled list, or the scorer streaming the pool) and in how an
example is found by id (an index, or a pass over the files); those differences live here and in
``pools/``, nowhere else in the loop.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

import attrs

from ..converters.tokenize import Tokenizer, tokenised
from ..errors import AutoNLPALError, PoolChangedError, PoolExhaustedError, StateError, StrategyError
from ..pools.base import Pool, take
from ..pools.memory import ListPool, as_pool
from ..scorers.base import Candidates, ModelRef, Scorer
from ..strategies.base import ScoringStrategy, Selection, Shortlisting, Strategy
from ..strategies.random import RandomSampling
from ..trainers.base import Model
from ..types import Example

__all__ = ["Picker"]

log = logging.getLogger("autonlp_al.loop.learner")


def _local_scorer() -> Scorer:
    from ..scorers.local import LocalScorer

    return LocalScorer()


@attrs.define(kw_only=True, eq=False)
class Picker:
    """Picks each batch from ``pool``: ``cold_start`` before any model, then ``strategy``;
    ``batch_size`` at a time, round ``r`` seeded by ``f"{seed}-{r}"``; at most ``pool_sample``
    candidates scored a round; through ``scorer`` for a pool on disk (or whenever one is given).
    A pool in memory is tokenised once by ``tokenizer`` when the picker is made."""

    pool: Pool = attrs.field(converter=as_pool)
    strategy: Strategy
    cold_start: Strategy = attrs.field(factory=RandomSampling)
    batch_size: int = 10
    seed: int = 0
    pool_sample: int | None = None
    scorer: Scorer | None = None
    tokenizer: Tokenizer | None = None
    _mark: str = attrs.field(init=False, default="")
    _queried: dict[int, Example] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self._mark = self.pool.fingerprint()
        if isinstance(self.pool, ListPool):
            pool = self.pool
            if self.tokenizer is not None:
                pool = self.pool = ListPool(
                    [tokenised(e, self.tokenizer) for e in pool], uri=pool.uri
                )
            duplicates = len(pool) - len(pool.by_id())
            if duplicates:
                raise AutoNLPALError(
                    f"the pool has {duplicates} duplicate texts, and an id names one text; "
                    f"deduplicate it: --dedupe on the command line, dedupe = true in the config's "
                    f"[loop], or Deduplicated(source) in Python (the first copy wins; the rest "
                    f"are counted)"
                )

    @property
    def on_disk(self) -> bool:
        """Whether the pool is streamed from disk (not a list in memory)."""
        return not isinstance(self.pool, ListPool)

    def settings(self) -> dict[str, Any]:
        """What a state folder records of the picker, to refuse resuming it with another."""
        out: dict[str, Any] = {
            "strategy": self.strategy.name,
            "cold_start": self.cold_start.name,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "pool": self._mark,
        }
        if self.on_disk:  # absent for a list pool, so older state folders still match
            out["pool_uri"] = self.pool.uri
        return out

    # -- picking -------------------------------------------------------------------------------

    def pick(
        self,
        round_: int,
        model: Model | None,
        ref: ModelRef,
        *,
        done: set[int],
        labeled: Sequence[Example],
        prefix: str = "",
    ) -> tuple[Strategy, list[Selection]]:
        """Round ``round_``'s batch from the pool less ``done``, scored by ``model`` (``ref`` is
        how a scorer elsewhere loads it): the strategy that picked, and its picks."""
        rng = random.Random(f"{self.seed}-{round_}")
        strategy = self.strategy if model is not None else self.cold_start
        if self.on_disk or self.scorer is not None:
            picks = self._scored(
                strategy, model, ref, rng, done, labeled, f"{prefix} round {round_}"
            )
            self._queried = {p.id: p.example for p in picks if p.example is not None}
        else:
            picks = self._picked(strategy, model, rng, done, labeled, f"{prefix} round {round_}")
        return strategy, picks

    def _picked(
        self,
        strategy: Strategy,
        model: Model | None,
        rng: random.Random,
        done: set[int],
        labeled: Sequence[Example],
        where: str,
    ) -> list[Selection]:
        """A list pool's selection: the strategy over the unlabelled examples."""
        candidates = self.unlabeled(done)
        if not candidates:
            raise PoolExhaustedError("every pool example is labelled; the loop is done")
        if self.pool_sample is not None and len(candidates) > self.pool_sample:
            keep = sorted(rng.sample(range(len(candidates)), self.pool_sample))
            candidates = [candidates[i] for i in keep]
        n = min(self.batch_size, len(candidates))
        log.info("%s: %s picks %d of %d pool texts", where, strategy.name, n, len(candidates))
        return strategy.select(model, candidates, n, labeled=labeled, rng=rng)

    def _scored(
        self,
        strategy: Strategy,
        model: Model | None,
        ref: ModelRef,
        rng: random.Random,
        done: set[int],
        labeled: Sequence[Example],
        where: str,
    ) -> list[Selection]:
        """A selection through the scorer, the pool read batch by batch: a scoring strategy
        over the whole pool; a strategy that chooses a set (k-means, hybrid) over its shortlist
        (its uncertainty stage, or a seeded sample), which the scorer picks first."""
        if self.pool.fingerprint() != self._mark:
            raise PoolChangedError(
                f"{self.pool.uri}: the pool's files changed during the run (size, time or "
                f"sampled bytes differ), so its ids may name other rows; restore the files, or "
                f"start a new state folder for the new pool"
            )
        sample, sample_salt = None, 0
        if self.pool_sample is not None:
            sample = min(1.0, self.pool_sample / max(len(self.pool), 1))
            sample_salt = rng.getrandbits(64)
        candidates = Candidates(
            self.pool,
            exclude=done,
            sample=sample,
            sample_salt=sample_salt,
            tokenizer=self.tokenizer,
        )
        scorer = self.scorer if self.scorer is not None else _local_scorer()
        log.info(
            "%s: %s picks %d from %s (%s scorer)",
            where,
            strategy.name,
            self.batch_size,
            self.pool.uri,
            scorer.name,
        )
        if isinstance(strategy, ScoringStrategy):
            seed, salt = strategy.draws(rng)
            picks = scorer.top(ref, strategy, candidates, self.batch_size, seed=seed, salt=salt)
        else:
            if not isinstance(strategy, Shortlisting):
                raise StrategyError(
                    f"{strategy.name} chooses a set from the whole pool and names no shortlist, "
                    f"so it cannot run on a pool read in batches; give it a shortlist() or use a "
                    f"scoring strategy"
                )
            first, size = strategy.shortlist(model, self.batch_size)
            seed, salt = first.draws(rng)
            short = scorer.top(ref, first, candidates, size, seed=seed, salt=salt)
            examples = [s.example for s in short if s.example is not None]
            picks = []
            if examples:
                n = min(self.batch_size, len(examples))
                chosen = strategy.select(model, examples, n, labeled=labeled, rng=rng)
                by_id = {e.id: e for e in examples}
                picks = [attrs.evolve(p, example=by_id[p.id]) for p in chosen]
        if not picks:
            raise PoolExhaustedError("every pool example is labelled; the loop is done")
        return picks

    # -- the pool's examples -------------------------------------------------------------------

    def tokenised(self, example: Example) -> Example:
        """``example`` tokenised as the pool is (unless it has tokens)."""
        return tokenised(example, self.tokenizer)

    def find(self, ids: Sequence[int], open_ids: Sequence[int] = ()) -> dict[int, Example]:
        """The pool examples of ``ids`` that are found: any, by index, in memory; on disk only
        those of the open query ``open_ids`` (read by the pick, or after a restart by one pass
        over the pool)."""
        if isinstance(self.pool, ListPool):
            index = self.pool.by_id()
            return {i: index[i] for i in ids if i in index}
        if open_ids and not set(open_ids) <= set(self._queried):
            self._queried = take(self.pool, open_ids)
        return {i: self._queried[i] for i in ids if i in self._queried}

    def of_query(self, ids: Sequence[int]) -> list[Example]:
        """The open query's examples, in order; a pool that lost one is a :class:`StateError`."""
        found = self.find(ids, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise StateError(
                f"{self.pool.uri}: the open query's id {missing[0]} is no longer in the pool "
                f"({len(missing)} missing); restore the pool files the query was made from"
            )
        return [found[i] for i in ids]

    def forget(self) -> None:
        """The open query was answered: its examples read from disk are not needed any more."""
        self._queried = {}

    def unlabeled(self, done: set[int]) -> list[Example]:
        """The pool examples not in ``done`` (a pool on disk is never listed)."""
        if not isinstance(self.pool, ListPool):
            raise StateError(
                f"{self.pool.uri} stays on disk, so its unlabelled examples are not listed; use "
                f"remaining for how many are left, or pool.batches() to read them"
            )
        return [e for e in self.pool if e.id not in done]

    def remaining(self, done: set[int], n_answered: int) -> int:
        """Pool examples not yet labelled (on disk: its rows less the answers recorded, which
        undercounts when answers name texts outside the pool)."""
        if isinstance(self.pool, ListPool):
            return len(self.unlabeled(done))
        return max(0, len(self.pool) - n_answered)

    def exhausted(self, done: set[int]) -> bool:
        """Whether a pool in memory has nothing left to pick (a pool on disk finds out by
        picking: :class:`PoolExhaustedError`)."""
        return isinstance(self.pool, ListPool) and not self.unlabeled(done)

    def head(self, limit: int) -> list[Example]:
        """A pool in memory whole; a pool on disk's first ``limit`` examples."""
        if isinstance(self.pool, ListPool):
            return list(self.pool)
        head: list[Example] = []
        for batch in self.pool.batches():
            head.extend(batch[: limit - len(head)])
            if len(head) >= limit:
                break
        return head

    def sample(self, n: int) -> list[Example]:
        """``n`` pool examples whose predictions are compared round to round (a seeded sample
        in memory; on disk the first rows, as a sample would cost a pass over the pool)."""
        if not isinstance(self.pool, ListPool):
            return [tokenised(e, self.tokenizer) for e in self.head(n)]
        if len(self.pool) <= n:
            return list(self.pool)
        rng = random.Random(f"{self.seed}-stability")
        return [self.pool[i] for i in sorted(rng.sample(range(len(self.pool)), n))]
