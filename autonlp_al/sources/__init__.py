"""Annotation sources: Prodigy (DB or db-out JSONL), JSONL, CSV, CoNLL, label-per-folder.

Each backend is one module, imported on first use of its name (or when the registry lists them).
"""

from typing import TYPE_CHECKING

from .._lazy import attach
from .base import OnError, Source

if TYPE_CHECKING:
    from .conll import ConllSource
    from .csv import CsvSource
    from .dedupe import Deduplicated
    from .folder import FolderSource
    from .jsonl import JsonlSource
    from .prodigy import ProdigySource

__all__ = [
    "ConllSource",
    "CsvSource",
    "Deduplicated",
    "FolderSource",
    "JsonlSource",
    "OnError",
    "ProdigySource",
    "Source",
]

__getattr__, __dir__ = attach(
    __name__,
    {
        "ConllSource": ".conll",
        "CsvSource": ".csv",
        "Deduplicated": ".dedupe",
        "FolderSource": ".folder",
        "JsonlSource": ".jsonl",
        "ProdigySource": ".prodigy",
    },
)
