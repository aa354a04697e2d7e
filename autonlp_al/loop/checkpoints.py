"""``Checkpoints``: the loop's final models: when one is due, training it, and what it ships.

With a selector the rounds train the selector, and the loop's trainer makes a final model at
a checkpoint: when asked (``finalize``, ``train-final``), every ``final_every`` rounds, and at
the end of ``run`` unless the last one saw every label. Each checkpoint also decides, on
held-out labelled data, whether the final model or the selector ships
(:mod:`~autonlp_al.loop.choice`).
"""

from __future__ import annotations

import logging

import attrs

from ..errors import ConfigError, StateError
from .choice import SHIP
from .journal import Journal
from .records import Final
from .state import LoopState
from .training import Training

__all__ = ["Checkpoints"]

log = logging.getLogger("autonlp_al.loop.learner")


def _ship(_: object, __: object, value: str) -> None:
    if value not in SHIP:
        raise ConfigError(f"ship={value!r}: use one of {', '.join(SHIP)}")


@attrs.define(kw_only=True, eq=False)
class Checkpoints:
    """Final checkpoints of the run in ``journal``; ``cold_start`` and ``seed`` name what
    picked the first batch and seed the held-out split."""

    training: Training
    journal: Journal
    state: LoopState
    cold_start: str
    seed: int
    final_every: int | None = None
    ship: str = attrs.field(default="best", validator=_ship)

    def due_after(self, round_: int) -> bool:
        """Whether round ``round_`` is one of every ``final_every`` (with a selector)."""
        every = self.final_every
        if self.training.selector is None or not every:
            return False
        return (round_ + 1) % every == 0

    def behind(self, wanted: bool | None) -> bool:
        """Whether the end of a run wants a checkpoint: ``wanted`` (default: with a selector)
        and labels the last final model did not see."""
        labeled = len(self.state.labeled_examples())
        finals = self.state.finals
        if not (self.training.selector is not None if wanted is None else wanted):
            return False
        return labeled > 0 and (not finals or finals[-1].n_labeled != labeled)

    def make(self, *, warm_start: bool = False) -> Final:
        """Train the final model on everything labelled (from scratch, or from the last final
        model with ``warm_start``), evaluate it, choose what ships, save and record it."""
        train = self.state.labeled_examples()
        if not train:
            raise StateError(
                f"{self.journal.root}: nothing is labelled yet, so there is no final model to "
                f"train; run a round (or give a seed set) first"
            )
        finals = self.state.finals
        record = self.training.final(
            len(finals),
            len(self.state.history),
            train,
            warm_start=warm_start,
            ship=self.ship,
            incumbent=finals[-1].shipped if finals else None,
            seed=self.seed,
            drawn=self.state.drawn(self.cold_start),
        )
        self.journal.finalized(record)
        self.state.finalized(record)
        log.info("[%s] %s", self.journal.root.name, record.summary())
        return record
