"""A small loop over a scripted trainer for the state-folder tests (deep values, the lock, full
disks, updates during training): twelve texts, a random strategy, batches of 3."""

from __future__ import annotations

from pathlib import Path

from autonlp_al import Example
from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.strategies import RandomSampling
from autonlp_al.testing import ScriptedTrainer

TEXTS = [f"anna met omar in plant {i}" for i in range(12)]


def learner(
    state_dir: str | Path,
    trainer: ScriptedTrainer | None = None,
    labels: tuple[str, ...] = ("PER",),
) -> ActiveLearner:
    """The run in ``state_dir`` (new or resumed)."""
    return ActiveLearner.create(
        trainer=trainer or ScriptedTrainer(),
        strategy=RandomSampling(),
        pool=[Example(text=t) for t in TEXTS],
        labels=list(labels),
        state_dir=state_dir,
        batch_size=3,
    )
