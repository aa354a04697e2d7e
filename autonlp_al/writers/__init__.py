"""Writers: tags JSONL (IOB/BILOU), AutoNLP/AutoTrain JSONL, CoNLL, spaCy DocBin, Prodigy tasks."""

from .base import Writer, atomic_write, atomic_write_bytes
from .conll import ConllWriter
from .jsonl import AutoTrainWriter, ProdigyWriter, TagsWriter
from .spacy import DocBinWriter

__all__ = [
    "AutoTrainWriter",
    "ConllWriter",
    "DocBinWriter",
    "ProdigyWriter",
    "TagsWriter",
    "Writer",
    "atomic_write",
    "atomic_write_bytes",
]
