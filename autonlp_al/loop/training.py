"""``Training``: how the loop trains, scores and saves a model from what is labelled.

A round's model is the round trainer's (the selector if the loop has one, else the trainer),
warm-started from the last round's; a final model is the trainer's, from scratch or from the
last final model. Each is scored on the loop's ``eval`` set and saved through the
:class:`~autonlp_al.loop.models.ModelStore`; the learner records what comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

import attrs

from ..metrics import evaluate, main_score
from ..trainers.base import Model, PoolAwareTrainer, Trainer
from ..types import Example
from .choice import Choice, choose
from .models import ModelStore
from .records import Final, Round, n_mentions, n_tokens

__all__ = ["POOL_FIT_ROWS", "Training"]

#: texts of a pool on disk a pool-aware trainer (a TF-IDF vocabulary) is fitted on: the first ones
POOL_FIT_ROWS = 200_000


@attrs.define(kw_only=True, eq=False)
class Training:
    """Trains with ``trainer`` (final models) and ``selector`` (rounds, when given), scores on
    ``eval``, saves into ``models``. ``pool_texts(limit)`` gives the texts a pool-aware trainer
    learns from; ``sample()`` the pool examples whose predictions are kept per round."""

    trainer: Trainer
    selector: Trainer | None
    labels: tuple[str, ...]
    models: ModelStore
    pool_texts: Callable[[int], list[str]]
    sample: Callable[[], Sequence[Example]]
    eval: Sequence[Example] = ()
    _pool_fitted: set[int] = attrs.field(factory=set)  # id() of trainers shown the pool

    def settings(self) -> dict[str, Any]:
        """What a state folder records of the training, to refuse resuming it with another."""
        out: dict[str, Any] = {"labels": list(self.labels)}
        if self.selector is not None:  # absent without one, so older state folders still match
            out["selector"] = type(self.selector).__name__
        return out

    def round(
        self,
        round_: int,
        train: list[Example],
        *,
        selected: Sequence[int],
        scores: Sequence[float],
        strategy: str,
        seed: int,
        timings: dict[str, float],
    ) -> Round:
        """Round ``round_``'s model, trained on ``train`` from the last round's, scored and
        saved; its record."""
        start = time.perf_counter()
        model = self._fitted(self.models.round_trainer, train, init=self.models.model)
        timings["train"] = time.perf_counter() - start
        start = time.perf_counter()
        metrics = self._scores(model)
        timings["evaluate"] = time.perf_counter() - start
        return Round(
            round=round_,
            n_labeled=len(train),
            n_tokens=sum(map(n_tokens, train)),
            n_mentions=sum(map(n_mentions, train)),
            selected=selected,
            strategy=strategy,
            seed=seed,
            model_version=model.version,
            model_dir=self.models.save_round(model, round_),
            metrics=metrics,
            timings=timings,
            mean_score=sum(scores) / len(scores) if scores else None,
            stability=self._stability(model),
        )

    def final(
        self,
        index: int,
        rounds: int,
        train: list[Example],
        *,
        warm_start: bool,
        ship: str = "best",
        incumbent: str | None = None,
        seed: int | str = 0,
        drawn: Collection[int] = (),
    ) -> Final:
        """Final model ``index``, trained on ``train`` after ``rounds`` rounds, and which model
        the checkpoint ships (with a selector: :mod:`~autonlp_al.loop.choice`); its record."""
        start = time.perf_counter()
        choice = self._choice(train, ship, incumbent, f"{seed}-{index}", drawn)
        init = self.models.final_model if warm_start else None
        model = self._fitted(self.trainer, train, init=init)
        metrics = self._scores(model)
        return Final(
            index=index,
            rounds=rounds,
            n_labeled=len(train),
            model_version=model.version,
            model_dir=self.models.save_final(
                model, index, shipped=choice.winner if choice is not None else "final"
            ),
            metrics=metrics,
            seconds=time.perf_counter() - start,
            warm_start=warm_start,
            choice=choice,
        )

    def _choice(
        self,
        train: list[Example],
        ship: str,
        incumbent: str | None,
        seed: str,
        drawn: Collection[int],
    ) -> Choice | None:
        if self.selector is None:  # one model: the final model is what there is
            return None
        if ship != "best":
            return Choice(winner=ship, rule=f"pinned by ship = {ship!r}")
        selector, trainer = self.selector, self.trainer
        task = trainer.task
        return choose(
            {
                "selector": lambda rows: self._fitted(selector, rows, init=None),
                "final": lambda rows: self._fitted(trainer, rows, init=None),
            },
            train,
            score=lambda model, held: main_score(evaluate(model, held)),
            metric="f1" if task == "ner" else "accuracy",
            seed=seed,
            incumbent=incumbent,
            drawn=drawn,
        )

    def _fitted(self, trainer: Trainer, train: list[Example], *, init: Model | None) -> Model:
        """``trainer`` trained on ``train``; shown the pool first if it learns from unlabelled
        text (once per trainer and process: the same pool gives the same result)."""
        if isinstance(trainer, PoolAwareTrainer) and id(trainer) not in self._pool_fitted:
            trainer.fit_pool(self.pool_texts(POOL_FIT_ROWS))
            self._pool_fitted.add(id(trainer))
        return trainer.train(train, eval=(), labels=self.labels, init=init)

    def _scores(self, model: Model) -> dict[str, float]:
        if not self.eval:
            return {}
        return evaluate(model, self.eval).as_dict()

    def _stability(self, model: Model) -> tuple[Any, ...]:
        sample = self.sample()
        if not sample:
            return ()
        return tuple(
            p.label if p.cats else [[s.start, s.end, s.label] for s in p.spans]
            for p in model.predict(sample)
        )
