"""What a server holds and says: the model in a :class:`ModelSlot`, swapped atomically, and what
``GET /model`` says of it. Shared by ``serve`` and the Label Studio backend (which imports this,
never ``serve``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import AutoNLPALError
from ..loop.journal import Journal, is_state
from ..trainers.base import Model

__all__ = [
    "ModelSlot",
    "describe",
    "load_for_serving",
    "served",
    "served_version",
    "state_loader",
]

log = logging.getLogger("autonlp_al.integrations.serve")


def describe(model: Model, **extra: Any) -> dict[str, Any]:
    """What ``GET /model`` says about a model."""
    return {
        "version": model.version,
        "task": model.task,
        "labels": list(model.labels),
        "metrics": dict(getattr(model, "metrics", {}) or {}),
        **extra,
    }


class ModelSlot:
    """The model being served; :meth:`swap` replaces it atomically. ``None`` before any model
    is trained (a learner served for Label Studio from its first answer)."""

    def __init__(self, model: Model | None, info: dict[str, Any] | None = None) -> None:
        untrained: dict[str, Any] = {
            "version": "untrained",
            "task": None,
            "labels": [],
            "metrics": {},
        }
        self._current = (model, info or (describe(model) if model is not None else untrained))
        self._lock = threading.Lock()

    def get(self) -> tuple[Any, dict[str, Any]]:
        return self._current  # one read of one reference: never half of a swap

    def swap(self, model: Model, info: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._current = (model, info or describe(model))
        log.info("serving model %s", model.version)


def served_version(record: dict[str, Any] | None) -> tuple[int, int]:
    """Orders what a state folder serves: by final checkpoint, then by round (a checkpoint that
    chose the selector serves each newer round's model)."""
    if record is None:
        return (-1, -1)
    if record.get("final"):  # a final model is served until the next checkpoint
        return (record["index"] + 1, 10**9)
    return (record.get("shipped_at", -1) + 1, record["round"])


def load_for_serving(path: str | Path) -> tuple[Model, dict[str, Any]]:
    """A model folder, or a learner's state folder (its latest final model, else its latest
    round's model)."""
    from ..trainers import load_model

    path = Path(path)
    if is_state(path):
        journal = Journal(path)
        record = journal.served()
        if record is None:
            raise AutoNLPALError(f"{path}: no round has been trained yet; nothing to serve")
        final = bool(record.get("final"))
        model = state_loader(path, final=final)(str(journal.model_path(record["model_dir"])))
        extra = {"final": record["index"]} if final else {"strategy": record["strategy"]}
        if "shipped_at" in record:  # a final checkpoint chose the selector over its final model
            extra["chosen_at_final"] = record["shipped_at"]
        return model, describe(
            model,
            round=record["round"],
            n_labeled=record["n_labeled"],
            metrics=record["metrics"],
            **extra,
        )
    model = load_model(str(path))
    return model, describe(model)


def served(learner: Any) -> tuple[Model, dict[str, Any]]:
    """What a learner serves (its latest final model, else its latest round's) and what
    ``GET /model`` says of it: the round and labelled count of its latest round."""
    model = learner.models.served
    record = learner.history[-1]
    return model, describe(
        model, round=record.round, n_labeled=record.n_labeled, metrics=record.metrics
    )


def state_loader(state_dir: str | Path, *, final: bool = False) -> Callable[[str], Any]:
    """How a state folder's models load outside the loop (serve, push): through the loop's own
    trainer when its config is saved there (for a round's model, the selector if the loop has
    one), so any registered trainer's models load; else as transformers folders (a learner made
    in Python without a config)."""
    from ..loop.config import LoopConfig
    from ..trainers import load_model

    journal = Journal(state_dir)
    if not journal.config_path.is_file():
        return load_model
    config = LoopConfig.from_state(state_dir)
    trainer = config.build_trainer() if final else config.build_round_trainer()
    loader: Callable[[str], Any] = trainer.load
    return loader
