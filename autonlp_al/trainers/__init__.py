"""Trainers and models: the interfaces (``base``), and one backend per folder:
``transformers/`` (fine-tuning here, ``TransformersTrainer``) and ``autotrain/`` (Hugging Face
AutoTrain, ``AutoTrainTrainer``; returns the same model type).

Importing this package is light: a backend loads on first use of its name, and torch,
transformers and huggingface_hub only when a trainer trains or a model is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach
from .base import (
    EmbeddingModel,
    Item,
    MarginalsModel,
    MCDropoutModel,
    Model,
    ProbabilityModel,
    Trainer,
)

if TYPE_CHECKING:
    from .autotrain.trainer import AutoTrainRun, AutoTrainTrainer
    from .transformers.model import TransformersModel
    from .transformers.trainer import TransformersTrainer

__all__ = [
    "AutoTrainRun",
    "AutoTrainTrainer",
    "EmbeddingModel",
    "Item",
    "MCDropoutModel",
    "MarginalsModel",
    "Model",
    "ProbabilityModel",
    "Trainer",
    "TransformersModel",
    "TransformersTrainer",
    "load_model",
]

__getattr__, __dir__ = attach(
    __name__,
    {
        "AutoTrainRun": ".autotrain.trainer",
        "AutoTrainTrainer": ".autotrain.trainer",
        "TransformersModel": ".transformers.model",
        "TransformersTrainer": ".transformers.trainer",
    },
)


def load_model(path: str, *, device: str | None = None) -> TransformersModel:
    """Load a saved model folder (ours, or a plain transformers classification model)."""
    from .transformers.model import TransformersModel

    return TransformersModel.load(path, device=device)
