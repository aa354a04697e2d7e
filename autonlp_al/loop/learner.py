"""``ActiveLearner``: the coordinator of the loop's parts; it reads like the loop itself.

A round: the :class:`~.selection.Picker` selects a batch (before any model, the cold start
picks), answers come (a gold oracle, or people through ``query`` / ``update``), and
:class:`~.training.Training` trains the next model (the ``selector``'s, with one; the
``trainer`` then makes final models). Every step is an event in the :class:`~.journal.Journal`,
replayed into the :class:`~.state.LoopState` when a run is opened, so a killed run continues
where it stopped and no answer is lost. No backend is named here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..errors import AutoNLPALError, PoolExhaustedError, StateError
from ..sources.base import Source
from ..stopping import Budget, check_unit
from ..types import Example
from .answers import checked, for_query
from .journal import is_state
from .oracle import GoldOracle, Oracle
from .parts import Parts, assemble, open_run
from .records import Final, OpenQuery, Query, Round, Untrained

__all__ = ["ActiveLearner", "Final", "GoldOracle", "Oracle", "Query", "Round"]

log = logging.getLogger("autonlp_al.loop.learner")


@attrs.define(kw_only=True, eq=False)
class ActiveLearner(Parts):
    """Drives active-learning rounds. Made with :meth:`create` (a new or resumed run) from the
    loop's objects; its parts (:class:`~.parts.Parts`) are public: ``picker`` (pool and
    strategies), ``state`` (what is labelled, open and waiting), ``models`` (the round's and
    final models), ``journal`` (the state folder), ``training``, ``checkpoints``."""

    oracle: Oracle | None = None

    @classmethod
    def create(cls, *, oracle: Oracle | None = None, **objects: Any) -> ActiveLearner:
        """A run in ``state_dir``: a new one, or the one there resumed (its events replayed,
        its models loaded), made from the loop's objects: ``trainer``, ``strategy``, ``pool``,
        ``labels``, ``state_dir`` and the options of :func:`~.parts.assemble`, which documents
        each. ``oracle`` answers in simulation."""
        parts = assemble(**objects)
        open_run(parts)
        return cls(**attrs.asdict(parts, recurse=False), oracle=oracle)

    @classmethod
    def resume(cls, state_dir: str | Path, **parts: Any) -> ActiveLearner:
        """Continue the run in ``state_dir`` (:meth:`create`'s arguments, the same parts)."""
        if not is_state(state_dir):
            raise StateError(f"{state_dir}: no events.jsonl, so nothing to resume; start a run")
        return cls.create(state_dir=state_dir, **parts)

    # -- views ---------------------------------------------------------------------------------

    @property
    def labels(self) -> tuple[str, ...]:
        """The label set, in label-map order."""
        return self.training.labels

    @property
    def history(self) -> list[Round]:
        """Every round trained, in order."""
        return self.state.history

    @property
    def remaining(self) -> int:
        """How many pool examples are not yet labelled."""
        return self.picker.remaining(self.state.done(), self.state.n_answered())

    # -- people in the loop --------------------------------------------------------------------

    def query(self) -> Query:
        """Select the next batch (or return the open one again): the pool examples, their scores
        and the predictions of the served model. Write it with a writer, e.g.
        ``ProdigyWriter().write(query.tasks(), path)``; answer it with :meth:`update`."""
        self.state.check_selectable(self.journal.root)
        query = self._select({})
        examples = self.picker.of_query(query.ids)
        guesser = self.models.served
        predictions = None if guesser is None else tuple(guesser.predict(examples))
        return Query(
            round=query.round,
            task=self.training.trainer.task,
            examples=examples,
            scores=query.scores,
            predictions=predictions,
        )

    def update(self, answers: Source | Iterable[Example]) -> Round | None:
        """Take answers for the open query (a source, e.g. a Prodigy database, or examples) and
        train the next model on them. Answers for ids outside the query raise
        :class:`AnswerError` (nothing is recorded), as do two different answers for one id. Of
        a partly answered batch the answers are trained on and the rest go back to the pool.
        Returns the round, or ``None`` if there was no answer."""
        open_ = self.state.open_for_answers(self.journal.root)
        received = for_query(self._checked(answers, open_), open_)
        if not received:
            return None
        self._answered(open_, received)
        return self._train_round(self.state.untrained, {})

    def record(self, answers: Source | Iterable[Example]) -> int:
        """Take answers no query asked for (tools where annotators pick the tasks, like Label
        Studio): logged at once, trained on by the next :meth:`train_pending` (safe from another
        thread while a round trains). The latest answer to an id wins; an answer for a text
        outside the pool is kept too; an open query that an answer covers closes like a partly
        answered one. Returns how many were recorded; a refused answer
        (:class:`AnswerError`, :class:`~autonlp_al.errors.LabelError`) records nothing."""
        examples = self._checked(answers, self.state.open)
        if not examples:
            return 0
        with self.state.lock:
            self.journal.annotated(self.state.next_round, examples, unasked=True)
            self.state.unasked(examples)
        return len(examples)

    def _checked(
        self, answers: Source | Iterable[Example], open_: OpenQuery | None
    ) -> list[Example]:
        return checked(answers, picker=self.picker, labels=self.labels, open_=open_)

    def train_pending(self) -> Round | None:
        """Train what is labelled but not yet trained on: the seed set before the first round, or
        answers recorded before a stop or by :meth:`record`. ``None`` when nothing waits."""
        if self.state.waiting:
            return self._train_round(self.state.untrained, {})
        return None

    # -- rounds --------------------------------------------------------------------------------

    def step(self) -> Round:
        """One whole round with the oracle: (train the seed set first,) select, annotate, train."""
        if self.oracle is None:
            raise AutoNLPALError("step() needs an oracle; with people, call query() then update()")
        pending = self.train_pending()  # the seed set, or answers saved just before a stop
        if pending is not None:
            return pending
        timings: dict[str, float] = {}
        query = self._select(timings)
        start = time.perf_counter()
        answers = self._checked(self.oracle.annotate(query.ids), query)
        timings["annotate"] = time.perf_counter() - start
        self._answered(query, answers)
        return self._train_round(Untrained(query.ids, query.scores), timings)

    def run(
        self,
        *,
        rounds: int | None = None,
        budget: int | None = None,
        budget_unit: str = "examples",
        stop: Sequence[Any] = (),
        finalize: bool | None = None,
    ) -> list[Round]:
        """Rounds until ``rounds`` more are done, ``budget`` labelled ``budget_unit`` are
        reached (``"examples"``, ``"tokens"`` or ``"mentions"``: a :class:`~autonlp_al.stopping.
        Budget`), a stopping criterion fires, or the pool is exhausted. Then, with a selector
        (or ``finalize=True``), the final model is trained on everything labelled unless the
        last one saw all of it (``finalize=False``: never). Returns the rounds done."""
        task = self.training.trainer.task
        limit = None if budget is None else Budget(budget, budget_unit, task=task)
        if limit is None:
            check_unit(budget_unit, task)  # a unit without a budget is still checked
        done: list[Round] = []
        while rounds is None or len(done) < rounds:
            reason = self.state.stopped(stop, limit)
            if not reason and not self.state.waiting and self.state.open is None:
                reason = "pool exhausted" if self.picker.exhausted(self.state.done()) else None
            if reason:
                log.info("stop: %s", reason)
                break
            try:
                done.append(self.step())
            except PoolExhaustedError:
                log.info("stop: pool exhausted")
                break
        if self.checkpoints.behind(finalize):
            self.finalize()
        return done

    def _select(self, timings: dict[str, float]) -> OpenQuery:
        open_ = self.state.open  # under the state's lock: the webhook thread may close it
        if open_ is not None:  # selected before a stop: the same batch, not a new one
            return open_
        round_ = self.state.next_round
        start = time.perf_counter()
        strategy, picks = self.picker.pick(
            round_,
            self.models.model,
            self.models.ref(self.history),
            done=self.state.done(),
            labeled=self.state.labeled_examples(),
            prefix=f"[{self.journal.root.name}]",
        )
        timings["select"] = time.perf_counter() - start
        query = OpenQuery(round_, [p.id for p in picks], [p.score for p in picks])
        self.journal.selected(query, strategy=strategy.name, seed=f"{self.picker.seed}-{round_}")
        self.state.opened(query)
        return query

    def _answered(self, query: OpenQuery, answers: Sequence[Example]) -> None:
        with self.state.lock:  # logged and applied in one order, as the replay will apply them
            self.journal.annotated(query.round, answers)
            self.state.answered(answers)
        self.picker.forget()

    def _train_round(self, untrained: Untrained | None, timings: dict[str, float]) -> Round:
        ids, scores = (untrained.ids, untrained.scores) if untrained else ((), ())
        picker, round_ = self.picker, self.state.next_round
        strategy = picker.strategy if self.models.model else picker.cold_start if ids else None
        train, seen = self.state.snapshot()  # answers recorded from now on wait
        record = self.training.round(
            round_,
            train,
            selected=ids,
            scores=scores,
            strategy=strategy.name if strategy is not None else "seed",
            seed=picker.seed,
            timings=timings,
        )
        record = attrs.evolve(record, answers_seen=seen)
        self.journal.trained(record)
        self.state.trained(record)
        log.info("[%s] %s", self.journal.root.name, record.summary())
        if self.checkpoints.due_after(round_):
            self.finalize()
        return record

    # -- the final model -----------------------------------------------------------------------

    def finalize(self, *, warm_start: bool = False) -> Final:
        """A final checkpoint now (:meth:`Checkpoints.make`): the final model trained on
        everything labelled, and what ships. :class:`StateError` when nothing is labelled."""
        return self.checkpoints.make(warm_start=warm_start)
