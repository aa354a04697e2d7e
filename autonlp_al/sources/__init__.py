"""Annotation sources: Prodigy (DB or db-out JSONL), JSONL, CSV, CoNLL, label-per-folder."""

from .base import OnError, Source
from .conll import ConllSource
from .csv import CsvSource
from .folder import FolderSource
from .jsonl import JsonlSource
from .prodigy import ProdigySource

__all__ = [
    "ConllSource",
    "CsvSource",
    "FolderSource",
    "JsonlSource",
    "OnError",
    "ProdigySource",
    "Source",
]
