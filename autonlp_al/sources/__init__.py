"""Annotation sources: Prodigy (DB or db-out JSONL), JSONL, CSV, CoNLL, doccano, Label Studio
(exports, and a live project through its API), Hugging Face datasets, label-per-folder.

Each backend is one module, imported on first use of its name (or when the registry lists them).
"""

from typing import TYPE_CHECKING

from .._lazy import attach
from .base import Deduplicated, OnError, Source

if TYPE_CHECKING:
    from .conll import ConllSource
    from .csv import CsvSource
    from .doccano import DoccanoSource
    from .folder import FolderSource
    from .hf import HFDatasetSource
    from .jsonl import JsonlSource
    from .labelstudio import LabelStudioSource
    from .labelstudio_api import LabelStudioProjectSource
    from .prodigy import ProdigySource

__all__ = [
    "ConllSource",
    "CsvSource",
    "Deduplicated",
    "DoccanoSource",
    "FolderSource",
    "HFDatasetSource",
    "JsonlSource",
    "LabelStudioProjectSource",
    "LabelStudioSource",
    "OnError",
    "ProdigySource",
    "Source",
]

__getattr__, __dir__ = attach(
    __name__,
    {
        "ConllSource": ".conll",
        "CsvSource": ".csv",
        "DoccanoSource": ".doccano",
        "FolderSource": ".folder",
        "HFDatasetSource": ".hf",
        "JsonlSource": ".jsonl",
        "LabelStudioProjectSource": ".labelstudio_api",
        "LabelStudioSource": ".labelstudio",
        "ProdigySource": ".prodigy",
    },
)
