"""``LoopState``: what the loop knows between steps, rebuilt from the journal's events.

The seed set, every answer, the open query, the answers waiting for training, the rounds and the
final models. Every read and change of the open state goes through one lock, because a server
thread records answers (Label Studio's webhook) while another trains a round. The facts the front
ends ask about are named here once: :attr:`LoopState.seed_untrained`, :attr:`LoopState.waiting`,
:meth:`LoopState.labeled_examples`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ..errors import AnswerError, StateError
from ..stopping import Budget, cost
from ..types import Example, _tuple
from .journal import Annotated, Event, Finalized, Selected, Trained
from .records import Final, OpenQuery, Round, Untrained

__all__ = ["LoopState"]


@attrs.define(eq=False)
class LoopState:
    """The loop's state; changed only through its methods (each takes the lock)."""

    seed: tuple[Example, ...] = attrs.field(converter=_tuple)
    history: list[Round] = attrs.field(factory=list)
    finals: list[Final] = attrs.field(factory=list)
    _annotated: dict[int, Example] = attrs.field(factory=dict)
    _open: OpenQuery | None = None
    _untrained: Untrained | None = None
    _answers: int = 0  # answers recorded so far (the log's order)
    _answer_of: dict[int, int] = attrs.field(factory=dict)  # id -> number of its latest answer
    lock: threading.RLock = attrs.field(factory=threading.RLock)

    # -- named facts ---------------------------------------------------------------------------

    @property
    def seed_untrained(self) -> bool:
        """The seed set is labelled but no round has trained yet (round 0 trains on it)."""
        return not self.history and bool(self.seed)

    @property
    def untrained(self) -> Untrained | None:
        """Answers recorded but not trained on (a stop between the two, or a tool's answers)."""
        with self.lock:
            return self._untrained

    @property
    def n_untrained(self) -> int:
        untrained = self.untrained
        return len(untrained) if untrained is not None else 0

    @property
    def waiting(self) -> bool:
        """Something labelled waits to be trained on: the seed set, or recorded answers."""
        return self.seed_untrained or self.untrained is not None

    @property
    def open(self) -> OpenQuery | None:
        """The query selected and not yet answered."""
        with self.lock:
            return self._open

    def check_selectable(self, where: object) -> None:
        """A new batch may be selected: nothing labelled waits for training (an open query is
        given again as it is). :class:`StateError` otherwise."""
        if self.waiting and self.open is None:
            raise StateError(
                f"{where}: labelled examples wait to be trained on; call train_pending() "
                f"before query(), so the query is picked by their model"
            )

    def open_for_answers(self, where: object) -> OpenQuery:
        """The open query that answers are for; :class:`AnswerError` when there is none."""
        open_ = self.open
        if open_ is None and self.untrained is not None:
            raise AnswerError(
                f"{where}: the {self.n_untrained} answers to the last query are recorded but "
                f"not trained on (the last run stopped while training); call train_pending() "
                f"to train on them, then query() for the next batch"
            )
        if open_ is None:
            raise AnswerError("no open query: call query() first, then update() with its answers")
        return open_

    @property
    def next_round(self) -> int:
        return len(self.history)

    def labeled_examples(self) -> list[Example]:
        """The seed set plus every answer, in order (a later answer to an id replaces it)."""
        seed_ids = {e.id for e in self.seed}
        with self.lock:
            annotated = list(self._annotated.items())
        return list(self.seed) + [e for i, e in annotated if i not in seed_ids]

    def drawn(self, cold_start: str) -> set[int]:
        """Ids of the labelled examples no model picked: the seed set, the cold start's batch
        and a random strategy's picks (what held-out scores can trust: loop/choice.py)."""
        unpicked = {cold_start, "random"}
        ids = {e.id for e in self.seed}
        for record in self.history:
            if record.strategy in unpicked:
                ids.update(record.selected)
        return ids

    def stopped(self, stop: Sequence[Any] = (), budget: Budget | None = None) -> str | None:
        """Why labelling ends now: everything labelled (trained on or not) has reached
        ``budget``, or one of the criteria ``stop`` fires on the history (e.g. a config's
        ``[stopping]``: :meth:`LoopConfig.build_stopping`); else ``None``."""
        if budget is not None:
            spent = sum(cost(e, budget.unit) for e in self.labeled_examples())
            if reason := budget.reached(spent):
                return reason
        return next((r for c in stop if (r := c.should_stop(self.history))), None)

    def n_answered(self) -> int:
        with self.lock:
            return len(self._annotated)

    def done(self) -> set[int]:
        """Ids labelled (seed set and answers): never selected again."""
        with self.lock:
            return {e.id for e in self.seed} | set(self._annotated)

    # -- changes -------------------------------------------------------------------------------

    def replay(self, events: Iterable[Event]) -> None:
        for event in events:
            self.apply(event)

    def apply(self, event: Event) -> None:
        """One event of the journal, as the live change it records."""
        if isinstance(event, Selected):
            self.opened(event.query)
        elif isinstance(event, Annotated):
            if event.unasked:
                self.unasked(event.examples)
            else:
                self.answered(event.examples)
        elif isinstance(event, Trained):
            self.trained(event.record)
        elif isinstance(event, Finalized):
            self.finalized(event.record)

    def opened(self, query: OpenQuery) -> None:
        with self.lock:
            self._open = query

    def snapshot(self) -> tuple[list[Example], int]:
        """What a round trains on now, and how many answers that is (:attr:`Round.answers_seen`)."""
        with self.lock:
            return self.labeled_examples(), self._answers

    def _keep(self, examples: Sequence[Example]) -> None:
        for example in examples:
            self._annotated[example.id] = example
            self._answers += 1
            self._answer_of[example.id] = self._answers

    def answered(self, examples: Sequence[Example]) -> None:
        """Answers to the open query: recorded, waiting for training; the query is closed (ids
        it asked that got no answer go back to the pool)."""
        with self.lock:
            self._keep(examples)
            ids = tuple(e.id for e in examples)
            scores = self._open.scores_of(ids) if self._open is not None else (0.0,) * len(ids)
            self._untrained = (self._untrained or Untrained((), ())).joined(ids, scores)
            self._open = None

    def unasked(self, examples: Sequence[Example]) -> None:
        """Answers nobody queried (the latest answer to an id wins); an open query that one
        of them covers closes like a partly answered one."""
        with self.lock:
            self._keep(examples)
            ids = tuple(dict.fromkeys(e.id for e in examples))
            self._untrained = (self._untrained or Untrained((), ())).joined(ids, (0.0,) * len(ids))
            if self._open is not None and not set(self._open.ids).isdisjoint(ids):
                self._open = None

    def trained(self, record: Round) -> None:
        """A round trained: its answers no longer wait, except those replaced by a later
        answer than the round saw (they wait for the next round)."""
        with self.lock:
            self.history.append(record)
            if self._untrained is not None:
                seen = record.answers_seen
                done = [
                    i for i in record.selected if seen is None or self._answer_of.get(i, 0) <= seen
                ]
                self._untrained = self._untrained.without(done)

    def finalized(self, record: Final) -> None:
        with self.lock:
            self.finals.append(record)
