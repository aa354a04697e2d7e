"""``ActiveLearner``: composes a trainer, a strategy and a pool, and drives rounds.

A round: select a batch from the unlabelled pool (the current model scores it; before any model,
the cold-start strategy picks), get annotations (a gold oracle in simulation, or people through
:meth:`ActiveLearner.query` / :meth:`ActiveLearner.update`), train a new model warm-started from the
last, evaluate, record.

With a ``selector`` (a cheap trainer, e.g. a linear head on frozen embeddings) the rounds train the
selector, and ``trainer`` makes the final model only when asked (:meth:`ActiveLearner.finalize`),
every ``final_every`` rounds, or at the end of :meth:`ActiveLearner.run`: rounds take seconds, and
the model people get is as strong as the final trainer makes it.

Every step is an event in ``state_dir/events.jsonl`` (see
:mod:`autonlp_al.loop.state`), so a run killed at any point continues where it stopped, with the same
selections, and no annotation is ever lost. Only the learner takes objects; no backend is named here.
"""

from __future__ import annotations

import logging
import random
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from ..converters.tokenize import Tokenizer, tokenised
from ..errors import (
    AnswerError,
    AutoNLPALError,
    PoolChangedError,
    PoolExhaustedError,
    StateError,
    StrategyError,
)
from ..pools.base import Pool, take
from ..pools.memory import ListPool, as_pool, ids_fingerprint
from ..scorers.base import Candidates, ModelRef, Scorer
from ..sources.base import Source
from ..strategies.base import ScoringStrategy, Selection, Shortlisting, Strategy
from ..strategies.random import RandomSampling
from ..trainers.base import Model, PoolAwareTrainer, Trainer
from ..types import Example, Prediction, _str_tuple, _tuple, check_labels, wide_text_hash
from .state import EventLog, example_from_dict, example_to_dict, is_state, model_path

__all__ = ["ActiveLearner", "Final", "GoldOracle", "Oracle", "Query", "Round"]

log = logging.getLogger("autonlp_al.loop.learner")


def _examples(values: Iterable[Example]) -> list[Example]:
    return list(values)


class Oracle(Protocol):
    """Gives the annotation of examples by id (a simulation's stand-in for annotators)."""

    def annotate(self, ids: Sequence[int]) -> list[Example]: ...


def _by_id(gold: Mapping[int, Example] | Iterable[Example]) -> Mapping[int, Example]:
    return gold if isinstance(gold, Mapping) else {e.id: e for e in gold}


@attrs.define
class GoldOracle:
    """Answers with gold examples already labelled (simulation on a labelled corpus)."""

    gold: Mapping[int, Example] = attrs.field(converter=_by_id)

    @classmethod
    def wide(cls, gold: Iterable[Example]) -> GoldOracle:
        """Gold examples under the 96-bit text ids a pool on disk gives its rows (when the pool
        has no id column), so a simulation can run on a pool file made from the same texts."""
        return cls([attrs.evolve(e, id=wide_text_hash(e.text)) for e in gold])

    def annotate(self, ids: Sequence[int]) -> list[Example]:
        missing = [i for i in ids if i not in self.gold]
        if missing:
            raise AnswerError(
                f"the gold set has no example with id {missing[0]} "
                f"({len(missing)} missing); the pool and gold set differ"
            )
        return [self.gold[i] for i in ids]


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
    model_dir: str  # relative to the state folder (see ActiveLearner.model_path)
    metrics: Mapping[str, float]
    timings: Mapping[str, float]
    mean_score: float | None = None
    stability: tuple[Any, ...] = attrs.field(default=(), converter=tuple)


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


def _tokens(example: Example) -> int:
    return len(example.tokens) if example.tokens is not None else len(example.text.split())


#: texts of a pool on disk a pool-aware trainer (a TF-IDF vocabulary) is fitted on: the first ones
POOL_FIT_ROWS = 200_000


@attrs.define(kw_only=True, eq=False)
class ActiveLearner:
    """Drives active-learning rounds over ``pool``.

    Args:
        trainer: trains the final model; without a ``selector``, also each round's model
            (``init`` = the previous model).
        selector: trains each round's model (cheap: it only selects), when given.
        final_every: with a selector, train a final model every this many rounds too.
        strategy: picks each batch once a model exists.
        pool: the unlabelled candidates (any labels they carry are ignored): a
            :class:`~autonlp_al.pools.Pool` on disk (streamed in batches, never held in memory)
            or examples (kept in a :class:`~autonlp_al.pools.ListPool`).
        labels: the fixed label set, in label-map order.
        state_dir: where the event log, models and query files live.
        labeled: a seed set, already labelled; round 0 trains on it.
        eval: gold examples to score each round's model on.
        batch_size: examples selected per round.
        seed: seeds every selection (round ``r`` uses ``f"{seed}-{r}"``).
        oracle: gives annotations in simulation; without one, use query() / update().
        cold_start: picks the first batch when there is no model (default random).
        pool_sample: score at most this many pool examples per round (a seeded random sample).
        stability_sample: pool examples whose predictions are kept per round, to measure how
            much predictions still change (see :class:`~autonlp_al.loop.stopping.StablePredictions`).
        scorer: where selections are scored (:mod:`autonlp_al.scorers`, e.g. a
            :class:`~autonlp_al.scorers.RayScorer`); by default in this process.
    """

    trainer: Trainer
    strategy: Strategy
    pool: Pool = attrs.field(converter=as_pool)
    labels: tuple[str, ...] = attrs.field(converter=_str_tuple)
    state_dir: Path = attrs.field(converter=Path)
    labeled: Sequence[Example] = attrs.field(default=(), converter=_examples)
    eval: Sequence[Example] = attrs.field(default=(), converter=_examples)
    batch_size: int = 10
    seed: int = 0
    oracle: Oracle | None = None
    cold_start: Strategy = attrs.field(factory=RandomSampling)
    pool_sample: int | None = None
    stability_sample: int = 200
    tokenizer: Tokenizer | None = None
    selector: Trainer | None = None
    final_every: int | None = None
    scorer: Scorer | None = None
    history: list[Round] = attrs.field(init=False, factory=list)
    model: Model | None = attrs.field(init=False, default=None)
    finals: list[Final] = attrs.field(init=False, factory=list)
    final_model: Model | None = attrs.field(init=False, default=None)
    _annotated: dict[int, Example] = attrs.field(init=False, factory=dict)
    _pending: tuple[int, tuple[int, ...], tuple[float, ...]] | None = attrs.field(
        init=False, default=None
    )
    _log: EventLog = attrs.field(init=False)
    _pool_fitted: set[int] = attrs.field(init=False, factory=set)  # id() of trainers
    _by_id: dict[int, Example] = attrs.field(init=False, factory=dict)
    # answers recorded but not yet trained on (a stop between the two): (ids, scores)
    _untrained: tuple[tuple[int, ...], tuple[float, ...]] | None = attrs.field(
        init=False, default=None
    )
    # record() may run on a server thread while a round trains on another
    _lock: threading.RLock = attrs.field(init=False, factory=threading.RLock)
    # the open query's examples, for a pool on disk (a list pool has _by_id)
    _queried: dict[int, Example] = attrs.field(init=False, factory=dict)
    _pool_mark: str = attrs.field(init=False, default="")

    def __attrs_post_init__(self) -> None:
        self._log = EventLog.of(self.state_dir)
        if self.tokenizer is not None:
            self.labeled = [self._tokenised(e) for e in self.labeled]
        for example in self.labeled:  # a seed set off the label set fails before any training
            check_labels(example, self.labels)
        self._pool_mark = self.pool.fingerprint()
        if isinstance(self.pool, ListPool):
            self._index_pool()
        self._load()

    @property
    def on_disk(self) -> bool:
        """Whether the pool is streamed from disk (not a list in memory)."""
        return not isinstance(self.pool, ListPool)

    def _index_pool(self) -> None:
        pool = self.pool
        assert isinstance(pool, ListPool)
        if self.tokenizer is not None:
            pool = self.pool = ListPool([self._tokenised(e) for e in pool], uri=pool.uri)
        ids = [e.id for e in pool]
        if len(set(ids)) != len(ids):
            raise AutoNLPALError(
                f"the pool has {len(ids) - len(set(ids))} duplicate texts, and an id names one text; "
                f"deduplicate it: --dedupe on the command line, dedupe = true in the config's "
                f"[loop], or Deduplicated(source) in Python (the first copy wins; the rest are "
                f"counted)"
            )
        self._by_id = {e.id: e for e in pool}

    def _tokenised(self, example: Example) -> Example:
        return tokenised(example, self.tokenizer)

    @classmethod
    def resume(cls, state_dir: str | Path, **kwargs: Any) -> ActiveLearner:
        """Continue a run from ``state_dir``, given the same parts it was started with."""
        if not is_state(state_dir):
            raise StateError(f"{state_dir}: no events.jsonl, so nothing to resume; start a run")
        return cls(state_dir=state_dir, **kwargs)

    # -- state --------------------------------------------------------------------------------

    @property
    def round_trainer(self) -> Trainer:
        """What trains each round's model: the selector if there is one, else the trainer."""
        return self.selector if self.selector is not None else self.trainer

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "strategy": self.strategy.name,
            "cold_start": self.cold_start.name,
            "labels": list(self.labels),
            "batch_size": self.batch_size,
            "seed": self.seed,
            "pool": self._pool_mark,
            "labeled": ids_fingerprint(e.id for e in self.labeled),
        }
        if self.on_disk:  # absent for a list pool, so older state folders still match
            config["pool_uri"] = self.pool.uri
        if self.selector is not None:  # absent without one, so older state folders still match
            config["selector"] = type(self.selector).__name__
        return config

    def _load(self) -> None:
        config = self._config()
        events = list(self._log.read())
        if not events:
            self._log.append({"type": "config", **config})
            return
        stored = {k: v for k, v in events[0].items() if k != "type"}
        if stored != config:
            differ = sorted(k for k in config if stored.get(k) != config[k])
            if differ == ["pool"] and "pool_uri" in config:
                raise PoolChangedError(
                    f"{self.pool.uri}: the pool's files changed since {self.state_dir} was made "
                    f"(size, time or sampled bytes differ), so its ids may name other rows; "
                    f"restore the files, or start a new state folder for the new pool"
                )
            raise StateError(
                f"{self.state_dir} was made by another configuration (differs in: "
                f"{', '.join(differ)}); resume with the same parts, or use a new state_dir"
            )
        for event in events[1:]:
            kind = event["type"]
            if kind == "selected":
                self._pending = (event["round"], tuple(event["ids"]), tuple(event["scores"]))
            elif kind == "annotated":
                answered = [example_from_dict(data) for data in event["examples"]]
                if event.get("unasked"):
                    self._merge_unasked(answered)
                    continue
                for example in answered:
                    self._annotated[example.id] = example
                self._untrained = _joined(self._untrained, self._answered(answered))
                self._pending = None
            elif kind == "trained":
                self.history.append(Round(**event["round_record"]))
                self._untrained = _without(self._untrained, event["round_record"]["selected"])
            elif kind == "finalized":
                self.finals.append(Final(**event["final_record"]))
        if self.history:
            self.model = self.round_trainer.load(str(self.model_path(self.history[-1])))
        if self.finals:
            self.final_model = self.trainer.load(
                str(model_path(self.state_dir, self.finals[-1].model_dir))
            )
        log.info(
            "resumed %s: %d rounds, %d labelled",
            self.state_dir,
            len(self.history),
            len(self.labeled_examples),
        )

    def model_path(self, record: Round) -> Path:
        """The folder of a round's model (``Round.model_dir`` is relative to ``state_dir``)."""
        return model_path(self.state_dir, record.model_dir)

    # -- views --------------------------------------------------------------------------------

    @property
    def labeled_examples(self) -> list[Example]:
        """The seed set plus every annotation received, in order."""
        seed_ids = {e.id for e in self.labeled}
        with self._lock:
            annotated = list(self._annotated.items())
        return list(self.labeled) + [e for i, e in annotated if i not in seed_ids]

    @property
    def unlabeled(self) -> list[Example]:
        """The pool examples not yet labelled (a pool on disk is never listed: see
        :attr:`remaining`)."""
        if self.on_disk:
            raise StateError(
                f"{self.pool.uri} stays on disk, so its unlabelled examples are not listed; use "
                f"remaining for how many are left, or pool.batches() to read them"
            )
        done = self._done()
        pool: Any = self.pool
        return [e for e in pool if e.id not in done]

    @property
    def open_examples(self) -> list[Example]:
        """The examples of the open query, in its order (empty when none is open): what an
        oracle that labels by rule, or a person's tool, is asked about."""
        if self._pending is None:
            return []
        found = [self._example(i) for i in self._pending[1]]
        return [e for e in found if e is not None]

    @property
    def remaining(self) -> int:
        """How many pool examples are not yet labelled (for a pool on disk: its rows less the
        answers recorded, which undercounts when answers name texts outside the pool)."""
        if not self.on_disk:
            return len(self.unlabeled)
        with self._lock:
            answered = len(self._annotated)
        return max(0, len(self.pool) - answered)  # type: ignore[arg-type]

    def _done(self) -> set[int]:
        with self._lock:
            return {e.id for e in self.labeled} | set(self._annotated)

    @property
    def untrained(self) -> int:
        """How many recorded answers wait to be trained on (a run that stopped while training
        keeps them; :meth:`train_pending` trains on them)."""
        return len(self._untrained[0]) if self._untrained is not None else 0

    @property
    def next_round(self) -> int:
        return len(self.history)

    # -- one round ----------------------------------------------------------------------------

    def step(self) -> Round:
        """One whole round with the oracle: (train the seed set first,) select, annotate, train."""
        if self.oracle is None:
            raise AutoNLPALError("step() needs an oracle; with people, call query() then update()")
        pending = self.train_pending()  # the seed set, or answers saved just before a stop
        if pending is not None:
            return pending
        timings: dict[str, float] = {}
        round_, ids, scores = self._select(timings)
        start = time.perf_counter()
        answers = self.oracle.annotate(ids)
        timings["annotate"] = time.perf_counter() - start
        self._record_answers(round_, answers)
        return self._train_round(ids, scores, timings)

    def _select(self, timings: dict[str, float]) -> tuple[int, tuple[int, ...], tuple[float, ...]]:
        if self._pending is not None:  # selected before a stop: the same batch, not a new one
            return self._pending
        round_ = self.next_round
        rng = random.Random(f"{self.seed}-{round_}")
        strategy = self.strategy if self.model is not None else self.cold_start
        start = time.perf_counter()
        if self.on_disk or self.scorer is not None:
            picks = self._scored(strategy, rng)
            self._queried = {p.id: p.example for p in picks if p.example is not None}
        else:
            picks = self._picked(strategy, rng)
        timings["select"] = time.perf_counter() - start
        ids, scores = tuple(p.id for p in picks), tuple(p.score for p in picks)
        self._log.append(
            {
                "type": "selected",
                "round": round_,
                "ids": list(ids),
                "scores": list(scores),
                "strategy": strategy.name,
                "seed": f"{self.seed}-{round_}",
            }
        )
        self._pending = (round_, ids, scores)
        return self._pending

    def _picked(self, strategy: Strategy, rng: random.Random) -> list[Selection]:
        """A list pool's selection: the strategy over the unlabelled examples."""
        candidates = self.unlabeled
        if not candidates:
            raise PoolExhaustedError("every pool example is labelled; the loop is done")
        if self.pool_sample is not None and len(candidates) > self.pool_sample:
            keep = sorted(rng.sample(range(len(candidates)), self.pool_sample))
            candidates = [candidates[i] for i in keep]
        n = min(self.batch_size, len(candidates))
        log.info(
            "[%s] round %d: %s picks %d of %d pool texts",
            self.state_dir.name,
            self.next_round,
            strategy.name,
            n,
            len(candidates),
        )
        return strategy.select(self.model, candidates, n, labeled=self.labeled_examples, rng=rng)

    def _scored(self, strategy: Strategy, rng: random.Random) -> list[Selection]:
        """A selection through the scorer, the pool read batch by batch: a scoring strategy
        over the whole pool; a strategy that chooses a set (k-means, hybrid) over its shortlist
        (its uncertainty stage, or a seeded sample), which the scorer picks first."""
        mark = self.pool.fingerprint()
        if mark != self._pool_mark:
            raise PoolChangedError(
                f"{self.pool.uri}: the pool's files changed during the run (size, time or "
                f"sampled bytes differ), so its ids may name other rows; restore the files, or "
                f"start a new state folder for the new pool"
            )
        sample, sample_salt = None, 0
        if self.pool_sample is not None:
            size = len(self.pool)  # type: ignore[arg-type]
            sample = min(1.0, self.pool_sample / max(size, 1))
            sample_salt = rng.getrandbits(64)
        candidates = Candidates(
            self.pool,
            exclude=self._done(),
            sample=sample,
            sample_salt=sample_salt,
            tokenizer=self.tokenizer,
        )
        path = str(self.model_path(self.history[-1])) if self.history else None
        ref = ModelRef(self.round_trainer, path, model=self.model)
        scorer = self.scorer if self.scorer is not None else _local_scorer()
        log.info(
            "[%s] round %d: %s picks %d from %s (%s scorer)",
            self.state_dir.name,
            self.next_round,
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
            first, size = strategy.shortlist(self.model, self.batch_size)
            seed, salt = first.draws(rng)
            short = scorer.top(ref, first, candidates, size, seed=seed, salt=salt)
            examples = [s.example for s in short if s.example is not None]
            if examples:
                n = min(self.batch_size, len(examples))
                chosen = strategy.select(
                    self.model, examples, n, labeled=self.labeled_examples, rng=rng
                )
                by_id = {e.id: e for e in examples}
                picks = [attrs.evolve(p, example=by_id[p.id]) for p in chosen]
            else:
                picks = []
        if not picks:
            raise PoolExhaustedError("every pool example is labelled; the loop is done")
        return picks

    def _example(self, example_id: int) -> Example | None:
        """The pool example of ``example_id``: by index for a list pool; for a pool on disk,
        only the open query's (after a restart, found by one pass over the pool)."""
        if not self.on_disk:
            return self._by_id.get(example_id)
        if self._pending is not None and not set(self._pending[1]) <= set(self._queried):
            self._queried = take(self.pool, self._pending[1])
        return self._queried.get(example_id)

    def _answered(self, answers: Sequence[Example]) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """The answered ids of the open query, with their selection scores."""
        scores = dict(zip(self._pending[1], self._pending[2], strict=True)) if self._pending else {}
        ids = tuple(e.id for e in answers)
        return ids, tuple(scores.get(i, 0.0) for i in ids)

    def _record_answers(self, round_: int, answers: Sequence[Example]) -> None:
        for example in answers:
            check_labels(example, self.labels)
        self._log.append(
            {
                "type": "annotated",
                "round": round_,
                "examples": [example_to_dict(e) for e in answers],
            }
        )
        with self._lock:
            for example in answers:
                self._annotated[example.id] = example
            self._untrained = _joined(self._untrained, self._answered(answers))
            self._pending = None
            self._queried = {}

    def _train_round(
        self, ids: Sequence[int], scores: Sequence[float], timings: dict[str, float]
    ) -> Round:
        round_ = self.next_round
        train = self.labeled_examples  # answers recorded from now on wait for the next round
        start = time.perf_counter()
        trainer = self._pool_aware(self.round_trainer)
        model = trainer.train(train, eval=(), labels=self.labels, init=self.model)
        timings["train"] = time.perf_counter() - start
        start = time.perf_counter()
        metrics: dict[str, float] = {}
        if self.eval:
            from ..metrics import evaluate

            metrics = evaluate(model, self.eval).as_dict()
        timings["evaluate"] = time.perf_counter() - start
        model_dir = self._save(model, round_)
        stability = self._stability(model)
        record = Round(
            round=round_,
            n_labeled=len(train),
            n_tokens=sum(_tokens(e) for e in train),
            selected=tuple(ids),
            strategy=self.strategy.name if self.model else self.cold_start.name if ids else "seed",
            seed=self.seed,
            model_version=model.version,
            model_dir=model_dir.relative_to(self.state_dir).as_posix(),
            metrics=metrics,
            timings=timings,
            mean_score=sum(scores) / len(scores) if scores else None,
            stability=stability,
        )
        self._log.append({"type": "trained", "round": round_, "round_record": _jsonable(record)})
        self.history.append(record)
        self.model = model
        with self._lock:
            self._untrained = _without(self._untrained, ids)
        summary = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
        log.info(
            "[%s] round %d: %d labelled, %s (%s)",
            self.state_dir.name,
            round_,
            len(train),
            summary or "no eval",
            ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()),
        )
        if self.selector is not None and self.final_every and (round_ + 1) % self.final_every == 0:
            self.finalize()
        return record

    # -- the final model ----------------------------------------------------------------------

    @property
    def served_model(self) -> Model | None:
        """What to serve and push: the latest final model, else the latest round's model."""
        return self.final_model if self.final_model is not None else self.model

    def finalize(self, *, warm_start: bool = False) -> Final:
        """Train the final model with ``trainer`` on everything labelled (from scratch, or from
        the last final model with ``warm_start``), evaluate it on ``eval``, save it under
        ``models/final-NNN`` and record it. Works with or without a selector.

        Raises :class:`StateError` when nothing is labelled yet."""
        train = self.labeled_examples
        if not train:
            raise StateError(
                f"{self.state_dir}: nothing is labelled yet, so there is no final model to train; "
                f"run a round (or give a seed set) first"
            )
        start = time.perf_counter()
        init = self.final_model if warm_start else None
        model = self._pool_aware(self.trainer).train(train, eval=(), labels=self.labels, init=init)
        metrics: dict[str, float] = {}
        if self.eval:
            from ..metrics import evaluate

            metrics = evaluate(model, self.eval).as_dict()
        index = len(self.finals)
        folder = self._install(f"final-{index:03d}", model.save)
        record = Final(
            index=index,
            rounds=len(self.history),
            n_labeled=len(train),
            model_version=model.version,
            model_dir=folder.relative_to(self.state_dir).as_posix(),
            metrics=metrics,
            seconds=time.perf_counter() - start,
            warm_start=warm_start,
        )
        self._log.append({"type": "finalized", "final_record": attrs.asdict(record)})
        self.finals.append(record)
        self.final_model = model
        log.info(
            "[%s] final model %d: %d labelled, %s (%.1fs)",
            self.state_dir.name,
            index,
            len(train),
            ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()) or "no eval",
            record.seconds,
        )
        return record

    def _pool_aware(self, trainer: Trainer) -> Trainer:
        """``trainer``, shown the whole pool first if it learns from unlabelled text (once per
        trainer and process; the same pool gives the same result, so resuming is safe)."""
        if isinstance(trainer, PoolAwareTrainer) and id(trainer) not in self._pool_fitted:
            trainer.fit_pool([e.text for e in [*self._pool_head(POOL_FIT_ROWS), *self.labeled]])
            self._pool_fitted.add(id(trainer))
        return trainer

    def _pool_head(self, limit: int) -> list[Example]:
        """A list pool whole; a pool on disk's first ``limit`` examples."""
        if not self.on_disk:
            pool: Any = self.pool
            return list(pool)
        head: list[Example] = []
        for batch in self.pool.batches():
            head.extend(batch[: limit - len(head)])
            if len(head) >= limit:
                break
        return head

    def _save(self, model: Model, round_: int) -> Path:
        return self._install(f"round-{round_:03d}", model.save)

    def _install(self, name: str, write: Callable[[Path], object]) -> Path:
        """The model folder ``models/<name>``, filled by ``write(folder)`` under a temporary name
        and then renamed, so a kill never leaves a half model under the final name."""
        final = self.state_dir / "models" / name
        tmp = final.with_name(final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        write(tmp)
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        return final

    def _stability(self, model: Model) -> tuple[Any, ...]:
        if not self.stability_sample:
            return ()
        rng = random.Random(f"{self.seed}-stability")
        sample: Sequence[Example]
        if self.on_disk:  # the first rows: a seeded sample would cost a pass over the pool
            sample = self._pool_head(self.stability_sample)
            if self.tokenizer is not None:
                sample = [self._tokenised(e) for e in sample]
        elif len(self.pool) <= self.stability_sample:  # type: ignore[arg-type]
            sample = list(self.pool)  # type: ignore[call-overload]
        else:
            pool: Any = self.pool
            sample = [pool[i] for i in sorted(rng.sample(range(len(pool)), self.stability_sample))]
        out: list[Any] = []
        for p in model.predict(sample):
            out.append(p.label if p.cats else [[s.start, s.end, s.label] for s in p.spans])
        return tuple(out)

    # -- people in the loop -------------------------------------------------------------------

    def train_pending(self) -> Round | None:
        """Train what is labelled but not yet trained on: the seed set before the first round, or
        answers recorded just before a stop. ``None`` when there is nothing to train."""
        with self._lock:
            untrained = self._untrained
        if not self.history and self.labeled:
            return self._train_round(*(untrained or ((), ())), {})
        if untrained is not None:
            return self._train_round(*untrained, {})
        return None

    def record(self, answers: Source | Iterable[Example]) -> int:
        """Take answers that no query asked for: tools where annotators pick the tasks
        themselves (Label Studio) send each answer as it is made. They are written to the event
        log at once, and trained on by the next :meth:`train_pending` (safe to call from another
        thread while a round trains).

        An answer for a pool example replaces any earlier answer for it (the latest wins); one
        for a text outside the pool is kept as a labelled example too. An open query stays open
        unless an answer covers one of its examples; then it closes like a partly answered
        query, and the rest go back to the pool. Returns how many answers were recorded.

        Raises :class:`AnswerError` for an answer whose id names a pool example with another
        text, and :class:`~autonlp_al.errors.LabelError` for a label outside the label set;
        nothing of the call is recorded then.
        """
        examples = list(answers.read() if isinstance(answers, Source) else answers)
        if self.tokenizer is not None:
            examples = [self._tokenised(e) for e in examples]
        for example in examples:
            check_labels(example, self.labels)
            queried = self._example(example.id)
            if queried is not None and queried.text != example.text:
                raise AnswerError(
                    f"{example.origin or 'an answer'}: id {example.id} names the pool text "
                    f"{queried.text[:60]!r} but the answer's text is {example.text[:60]!r}; "
                    f"answer the text as it is in the pool, or give the answer no id"
                )
        if not examples:
            return 0
        with self._lock:
            self._log.append(
                {
                    "type": "annotated",
                    "round": self.next_round,
                    "unasked": True,
                    "examples": [example_to_dict(e) for e in examples],
                }
            )
            self._merge_unasked(examples)
        return len(examples)

    def _merge_unasked(self, examples: Sequence[Example]) -> None:
        for example in examples:
            self._annotated[example.id] = example
        ids = tuple(dict.fromkeys(e.id for e in examples))
        self._untrained = _joined(self._untrained, (ids, (0.0,) * len(ids)))
        if self._pending is not None and not set(self._pending[1]).isdisjoint(ids):
            self._pending = None

    def adopt(self, record: Round, model_dir: str | Path) -> Round:
        """Take round 0 from another run trained on this learner's very seed set (a simulation's
        random control shares the strategy run's seed round): the model folder is copied in and
        the round recorded as this run's own, so the seed model is trained once, not twice.

        Raises :class:`StateError` unless this learner has a seed set and no round yet, and
        ``record`` is a seed round on as many examples."""
        if self.history or not self.labeled:
            raise StateError(
                f"{self.state_dir}: only a run with a seed set and no round yet can adopt a seed "
                f"round; this one has {len(self.history)} rounds and {len(self.labeled)} seeds"
            )
        if record.round != 0 or record.selected or record.n_labeled != len(self.labeled):
            raise StateError(
                f"round {record.round} ({record.n_labeled} labelled, {len(record.selected)} "
                f"selected) is not a seed round on this run's {len(self.labeled)} seed examples"
            )
        final = self._install("round-000", lambda tmp: shutil.copytree(model_dir, tmp))
        self.model = self.round_trainer.load(str(final))
        adopted = attrs.evolve(
            record,
            model_dir=final.relative_to(self.state_dir).as_posix(),
            timings={"adopted": 0.0},
        )
        self._log.append({"type": "trained", "round": 0, "round_record": _jsonable(adopted)})
        self.history.append(adopted)
        log.info("[%s] round 0: adopted the seed model of %s", self.state_dir.name, model_dir)
        return adopted

    def query(self) -> Query:
        """Select the next batch (or return the open one again): the pool examples, their scores
        and the predictions of the latest final model (else the current round's model). Write it
        with a writer, e.g. ``ProdigyWriter().write(query.tasks(), path)``; answer it with
        :meth:`update`."""
        waiting = (not self.history and self.labeled) or self._untrained is not None
        if waiting and self._pending is None:  # an open query is given again as it is
            raise StateError(
                f"{self.state_dir}: labelled examples wait to be trained on; call "
                f"train_pending() before query(), so the query is picked by their model"
            )
        round_, ids, scores = self._select({})
        found = {i: self._example(i) for i in ids}
        missing = [i for i, e in found.items() if e is None]
        if missing:
            raise StateError(
                f"{self.pool.uri}: the open query's id {missing[0]} is no longer in the pool "
                f"({len(missing)} missing); restore the pool files the query was made from"
            )
        examples = [e for e in found.values() if e is not None]
        # pre-annotated by the best model there is: the latest final model, else the round's
        guesser = self.served_model
        predictions = None if guesser is None else tuple(guesser.predict(examples))
        return Query(
            round=round_,
            task=self.trainer.task,
            examples=examples,
            scores=scores,
            predictions=predictions,
        )

    def update(self, answers: Source | Iterable[Example]) -> Round | None:
        """Take answers for the open query (a source, e.g. a Prodigy database, or examples);
        train the next model on them.

        Answers for ids outside the query raise :class:`AnswerError` (nothing is recorded), as do
        two different answers for one id. If only part of the batch is answered, those answers
        are kept and trained on; the rest go back to the pool. Returns the round, or ``None`` if
        there was no answer.
        """
        if self._pending is None and self._untrained is not None:
            raise AnswerError(
                f"{self.state_dir}: the {len(self._untrained[0])} answers to the last query are "
                f"recorded but not trained on (the last run stopped while training); call "
                f"train_pending() to train on them, then query() for the next batch"
            )
        if self._pending is None:
            raise AnswerError("no open query: call query() first, then update() with its answers")
        round_, ids, _ = self._pending
        wanted = set(ids)
        received: dict[int, Example] = {}
        for example in answers.read() if isinstance(answers, Source) else answers:
            if example.id not in wanted:
                raise AnswerError(
                    f"{example.origin or 'an answer'}: id {example.id} ({example.text[:40]!r}) was "
                    f"not in the open query (round {round_}); answer the tasks query() wrote, or "
                    f"add such texts as a seed set"
                )
            known = self._example(example.id)
            queried = known.text if known is not None else example.text
            if example.text != queried:
                raise AnswerError(
                    f"{example.origin or 'an answer'}: id {example.id} was queried for the text "
                    f"{queried[:60]!r} but the answer's text is {example.text[:60]!r}; the task "
                    f"was edited or its _input_hash reused: answer the text as it was queried"
                )
            if example.id in received and received[example.id] != example:
                raise AnswerError(
                    f"{example.origin or 'an answer'}: a second, different answer for id "
                    f"{example.id}; keep one (Prodigy's db-out merges them by _input_hash)"
                )
            received[example.id] = example
        if not received:
            return None
        self._record_answers(round_, [received[i] for i in ids if i in received])
        assert self._untrained is not None
        return self._train_round(*self._untrained, {})

    # -- many rounds --------------------------------------------------------------------------

    def run(
        self,
        *,
        rounds: int | None = None,
        budget: int | None = None,
        token_budget: int | None = None,
        stop: Sequence[Any] = (),
        finalize: bool | None = None,
    ) -> list[Round]:
        """Rounds until ``rounds`` more are done, ``budget`` examples (or ``token_budget``
        tokens, the cost of NER annotation) are labelled, a stopping criterion fires, or the pool
        is exhausted. Then, with a selector (or ``finalize=True``), the final model is trained on
        everything labelled, unless the last final model already saw all of it
        (``finalize=False``: never). Returns the rounds done by this call."""
        done: list[Round] = []
        while rounds is None or len(done) < rounds:
            if budget is not None and len(self.labeled_examples) >= budget:
                log.info("stop: budget of %d labelled reached", budget)
                break
            if token_budget is not None and (
                sum(_tokens(e) for e in self.labeled_examples) >= token_budget
            ):
                log.info("stop: budget of %d labelled tokens reached", token_budget)
                break
            reason = next((r for c in stop if (r := c.should_stop(self.history))), None)
            if reason:
                log.info("stop: %s", reason)
                break
            if (
                not self.on_disk
                and not self.unlabeled
                and self._pending is None
                and self._untrained is None
                and (self.history or not self.labeled)
            ):
                log.info("stop: pool exhausted")
                break
            try:
                done.append(self.step())
            except PoolExhaustedError:
                if not self.on_disk:
                    raise
                log.info("stop: pool exhausted")
                break
        wanted = self.selector is not None if finalize is None else finalize
        if (
            wanted
            and self.labeled_examples
            and (not self.finals or self.finals[-1].n_labeled != len(self.labeled_examples))
        ):
            self.finalize()
        return done


def _joined(
    untrained: tuple[tuple[int, ...], tuple[float, ...]] | None,
    more: tuple[tuple[int, ...], tuple[float, ...]],
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Answers waiting for training, and more (an id given again keeps its first score)."""
    scores = dict(zip(*(untrained or ((), ())), strict=True))
    for i, score in zip(*more, strict=True):
        scores.setdefault(i, score)
    return tuple(scores), tuple(scores.values())


def _without(
    untrained: tuple[tuple[int, ...], tuple[float, ...]] | None, trained: Iterable[int]
) -> tuple[tuple[int, ...], tuple[float, ...]] | None:
    """What still waits for training once a round has trained on ``trained``."""
    if untrained is None:
        return None
    done = set(trained)
    left = [(i, s) for i, s in zip(*untrained, strict=True) if i not in done]
    return (tuple(i for i, _ in left), tuple(s for _, s in left)) if left else None


def _local_scorer() -> Scorer:
    from ..scorers.local import LocalScorer

    return LocalScorer()


def _jsonable(record: Round) -> dict[str, Any]:
    data = attrs.asdict(record)
    data["selected"] = list(record.selected)
    data["stability"] = list(record.stability)
    return data
