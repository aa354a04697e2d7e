"""Writers: tags JSONL (IOB/BILOU), AutoNLP/AutoTrain JSONL, CoNLL, spaCy DocBin, Prodigy tasks,
doccano JSONL, Hugging Face datasets folders, Label Studio tasks.

Each backend is imported on first use of its name (or when the registry lists them).
"""

from typing import TYPE_CHECKING

from .._lazy import attach
from .base import Writer, atomic_write, atomic_write_bytes

if TYPE_CHECKING:
    from .conll import ConllWriter
    from .doccano import DoccanoWriter
    from .hf import HFDatasetWriter
    from .jsonl import AutoTrainWriter, ProdigyWriter, TagsWriter
    from .labelstudio import LabelStudioWriter
    from .spacy import DocBinWriter

__all__ = [
    "AutoTrainWriter",
    "ConllWriter",
    "DocBinWriter",
    "DoccanoWriter",
    "HFDatasetWriter",
    "LabelStudioWriter",
    "ProdigyWriter",
    "TagsWriter",
    "Writer",
    "atomic_write",
    "atomic_write_bytes",
]

__getattr__, __dir__ = attach(
    __name__,
    {
        "AutoTrainWriter": ".jsonl",
        "ConllWriter": ".conll",
        "DocBinWriter": ".spacy",
        "DoccanoWriter": ".doccano",
        "HFDatasetWriter": ".hf",
        "LabelStudioWriter": ".labelstudio",
        "ProdigyWriter": ".jsonl",
        "TagsWriter": ".jsonl",
    },
)
