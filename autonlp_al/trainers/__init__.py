"""Trainers and models: the interfaces (``base``), and one backend per folder:
``transformers/`` (fine-tuning here, ``TransformersTrainer``) and ``autotrain/`` (Hugging Face
AutoTrain, ``AutoTrainTrainer``; returns the same model type).

Importing this package is light: a backend loads on first use of its name, and torch,
transformers and huggingface_hub only when a trainer trains or a model is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .._lazy import attach
from .base import (
    EmbeddingModel,
    Item,
    LossModel,
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
    "LossModel",
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


def load_model(path: str, *, device: str | None = None, endpoint: str | None = None) -> Model:
    """Load a saved model folder (ours, a cheap selector's ``LinearModel``, or a plain
    transformers classification model), or a model repo on the Hugging Face Hub (``"user/repo"``,
    e.g. one ``autonlp-al push`` made; extra ``hub``), downloaded into huggingface_hub's cache.
    ``endpoint``: another Hub than the default."""
    from .base import is_hub_id
    from .transformers.model import TransformersModel

    if not Path(path).exists() and is_hub_id(path):
        path = _download(path, endpoint)
    if _is_linear(Path(path)):
        from .frozen.model import LinearModel

        return LinearModel.load(path)
    return TransformersModel.load(path, device=device)


def _is_linear(path: Path) -> bool:
    import json

    from .frozen.model import KIND, METADATA

    try:
        return bool(json.loads((path / METADATA).read_text(encoding="utf-8")).get("kind") == KIND)
    except (OSError, ValueError, AttributeError):
        return False


def _download(repo_id: str, endpoint: str | None) -> str:
    from .._optional import require
    from ..errors import ModelLoadError

    hub = require("huggingface_hub", "hub")
    try:
        return str(hub.snapshot_download(repo_id, repo_type="model", endpoint=endpoint))
    except (hub.errors.HfHubHTTPError, hub.errors.LocalEntryNotFoundError, OSError) as exc:
        raise ModelLoadError(
            f"{repo_id}: no such local folder, and the Hub did not give the model repo "
            f"({type(exc).__name__}); check the name, the token (HF_TOKEN) for a private repo, "
            f"and that you are online"
        ) from exc
