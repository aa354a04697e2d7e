"""The loop's parts wired from its objects, and a run opened over them: what
:meth:`ActiveLearner.create <autonlp_al.loop.learner.ActiveLearner.create>` hands the learner.

Each part has one job (the :class:`~.selection.Picker` the pool and strategies, the
:class:`~.state.LoopState` what is labelled, the :class:`~.models.ModelStore` the models, the
:class:`~.journal.Journal` the state folder, :class:`~.training.Training` and
:class:`~.checkpoints.Checkpoints` the models' training); this module is the only place that
knows how they reference each other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..converters.tokenize import Tokenizer, tokenised
from ..pools.memory import ids_fingerprint
from ..scorers.base import Scorer
from ..strategies.base import Strategy
from ..strategies.random import RandomSampling
from ..trainers.base import Trainer
from ..types import Example, check_labels
from .checkpoints import Checkpoints
from .journal import Journal
from .models import ModelStore
from .selection import Picker
from .state import LoopState
from .training import Training

__all__ = ["Parts", "assemble", "open_run"]

log = logging.getLogger("autonlp_al.loop.learner")


@attrs.define(kw_only=True, eq=False)
class Parts:
    """The parts of one run, wired to each other (the learner is made of them)."""

    training: Training
    picker: Picker
    journal: Journal
    state: LoopState
    models: ModelStore
    checkpoints: Checkpoints


def open_run(parts: Parts) -> None:
    """Start the run in the journal's folder, or resume the one there: its settings are checked
    against the parts', its events replayed and its models loaded."""
    settings = {
        **parts.picker.settings(),
        **parts.training.settings(),
        "labeled": ids_fingerprint(e.id for e in parts.state.seed),
    }
    if parts.journal.open(settings, pool_uri=parts.picker.pool.uri):
        parts.state.replay(parts.journal.replay())
        parts.models.load(parts.state.history, parts.state.finals)
        log.info(
            "resumed %s: %d rounds, %d labelled",
            parts.journal.root,
            len(parts.state.history),
            len(parts.state.labeled_examples()),
        )


def assemble(
    *,
    trainer: Trainer,
    strategy: Strategy,
    pool: Any,
    labels: Sequence[str],
    state_dir: str | Path,
    labeled: Iterable[Example] = (),
    eval: Iterable[Example] = (),
    batch_size: int = 10,
    seed: int = 0,
    cold_start: Strategy | None = None,
    pool_sample: int | None = None,
    stability_sample: int = 200,
    tokenizer: Tokenizer | None = None,
    selector: Trainer | None = None,
    final_every: int | None = None,
    scorer: Scorer | None = None,
    ship: str = "best",
) -> Parts:
    """The parts of a run from the loop's objects, not yet opened (what
    :meth:`ActiveLearner.create <autonlp_al.loop.learner.ActiveLearner.create>` takes).

    Args: ``trainer`` trains each round's model (with a ``selector``: only final models);
    ``strategy`` picks once a model exists; ``pool`` is a :class:`~autonlp_al.pools.Pool` on
    disk or examples (a list pool); ``labels`` the label set, in label-map order; ``state_dir``
    the run's folder; ``labeled`` a seed set that round 0 trains on; ``eval`` gold examples
    each model is scored on; ``batch_size`` picks a round; ``seed`` seeds round ``r``'s
    selection as ``f"{seed}-{r}"``; ``cold_start`` picks before any model (default random);
    ``pool_sample`` caps the candidates scored a round; ``stability_sample`` pool examples
    whose predictions are kept per round; ``tokenizer`` tokenises every example once;
    ``selector`` trains each round's model (``trainer`` then only final models, also every
    ``final_every`` rounds); ``scorer`` is where selections are scored; ``ship`` which model
    a final checkpoint ships (:mod:`~autonlp_al.loop.choice`)."""
    picker = Picker(
        pool=pool,
        strategy=strategy,
        cold_start=cold_start or RandomSampling(),
        batch_size=batch_size,
        seed=seed,
        pool_sample=pool_sample,
        scorer=scorer,
        tokenizer=tokenizer,
    )
    labels = tuple(labels)
    seeds = [tokenised(e, tokenizer) for e in labeled]
    for example in seeds:  # a seed set off the label set fails before any training
        check_labels(example, labels)
    journal = Journal(state_dir)
    models = ModelStore(journal, trainer, selector if selector is not None else trainer)
    training = Training(
        trainer=trainer,
        selector=selector,
        labels=labels,
        models=models,
        pool_texts=lambda n: [e.text for e in [*picker.head(n), *seeds]],
        sample=lambda: picker.sample(stability_sample) if stability_sample else [],
        eval=list(eval),
    )
    state = LoopState(seeds)
    checkpoints = Checkpoints(
        training=training,
        journal=journal,
        state=state,
        cold_start=picker.cold_start.name,
        seed=seed,
        final_every=final_every,
        ship=ship,
    )
    return Parts(
        training=training, picker=picker, journal=journal, state=state, models=models,
        checkpoints=checkpoints,
    )  # fmt: skip
