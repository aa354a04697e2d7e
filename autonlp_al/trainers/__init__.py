"""Trainers and models: the interfaces, and the local transformers backend.

Importing this package is light; torch, transformers and huggingface_hub load when a trainer
trains or a model is loaded. ``TransformersTrainer`` trains here; ``AutoTrainTrainer`` trains on
Hugging Face AutoTrain and returns the same model type.
"""

from .autotrain import AutoTrainRun, AutoTrainTrainer
from .base import EmbeddingModel, Item, MarginalsModel, Model, ProbabilityModel, Trainer
from .local import TransformersTrainer
from .local_model import TransformersModel, ner_tags

__all__ = [
    "AutoTrainRun",
    "AutoTrainTrainer",
    "EmbeddingModel",
    "Item",
    "MarginalsModel",
    "Model",
    "ProbabilityModel",
    "Trainer",
    "TransformersModel",
    "TransformersTrainer",
    "load_model",
    "ner_tags",
]


def load_model(path: str, *, device: str | None = None) -> TransformersModel:
    """Load a saved model folder (ours, or a plain transformers classification model)."""
    return TransformersModel.load(path, device=device)
