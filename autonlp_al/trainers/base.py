"""The trainer and model interfaces, and the optional model capabilities strategies use."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..types import Example, Prediction

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "EmbeddingModel",
    "Examples",
    "Item",
    "Labels",
    "LossModel",
    "MCDropoutModel",
    "MarginalsModel",
    "Model",
    "PoolAwareTrainer",
    "ProbabilityModel",
    "Trainer",
    "is_hub_id",
]

#: What models accept: raw texts, or examples (whose tokens, when present, are used).
Item = str | Example
#: What ``Trainer.train`` takes: examples to train (and score) on, and the label set in order.
Examples = Sequence[Example]
Labels = Sequence[str]

_HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")


def is_hub_id(name: str) -> bool:
    """Whether ``name`` has the shape of a Hub repo id (``owner/name``), not a deeper path."""
    return _HUB_ID.fullmatch(name) is not None


@runtime_checkable
class Model(Protocol):
    """A trained model: predicts, saves, and names its labels and version."""

    task: str  # "ner" or "textcat"
    labels: tuple[str, ...]  # entity labels (ner) or classes (textcat), in label-map order
    version: str  # a fingerprint of the weights

    def predict(self, items: Iterable[Item]) -> list[Prediction]:
        """Spans with scores (ner) or class probabilities (textcat), one per item, in order."""
        ...

    def save(self, path: str | Path) -> Path:
        """Write a folder that ``load`` (and transformers) can read; return it."""
        ...


@runtime_checkable
class ProbabilityModel(Protocol):
    """Capability: per-class probabilities for text classification."""

    def class_probabilities(self, items: Iterable[Item]) -> np.ndarray[Any, Any]:
        """Shape ``(n_items, n_labels)``, columns in ``labels`` order."""
        ...


@runtime_checkable
class MCDropoutModel(Protocol):
    """Capability: class probabilities from several dropout-perturbed forward passes (BALD)."""

    def mc_class_probabilities(
        self, items: Iterable[Item], *, samples: int = 10, seed: int = 0
    ) -> np.ndarray[Any, Any]:
        """Shape ``(samples, n_items, n_labels)``; the same seed gives the same passes."""
        ...


@runtime_checkable
class MarginalsModel(Protocol):
    """Capability: per-token tag marginals for NER."""

    tags: tuple[str, ...]

    def token_marginals(self, items: Iterable[Item]) -> list[np.ndarray[Any, Any]]:
        """Per item, shape ``(n_words, n_tags)``, columns in ``tags`` order; rows sum to 1."""
        ...


@runtime_checkable
class EmbeddingModel(Protocol):
    """Capability: one pooled embedding per item (for diversity strategies)."""

    def embed(self, items: Iterable[Item]) -> np.ndarray[Any, Any]:
        """Shape ``(n_items, dim)``, L2-normalised."""
        ...


@runtime_checkable
class LossModel(Protocol):
    """Capability: the training loss the model ended with (Prodigy's ``update`` reports it)."""

    train_loss: float | None


@runtime_checkable
class PoolAwareTrainer(Protocol):
    """Capability: a trainer that learns something without labels from the whole pool (e.g. a
    TF-IDF vocabulary and its document frequencies) before it trains. The learner calls it once
    per process, before the first training, with every pool and seed text; the same pool must
    give the same result, so a resumed loop trains on the same features."""

    def fit_pool(self, texts: Sequence[str]) -> None: ...


@runtime_checkable
class Trainer(Protocol):
    """Trains a model on examples, and loads the models it saved (to resume a loop)."""

    task: str  # "ner" or "textcat"

    def train(
        self, train: Examples, *, eval: Examples = (), labels: Labels, init: Model | None = None
    ) -> Model:
        """Train on ``train``; ``labels`` fixes the label map (a warm start from ``init`` may append
        new labels, never reorder); ``eval`` gives metrics (and early stopping, if enabled)."""
        ...

    def load(self, path: str | Path) -> Model:
        """Read back a model that one of this trainer's models saved to ``path``."""
        ...
