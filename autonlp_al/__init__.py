"""autonlp_al: active learning for NLP with pluggable sources, converters and trainers.

Importing the package is light: no torch, transformers or spaCy is imported until a backend needs it.
"""

from .errors import (
    AlignmentError,
    AutoNLPALError,
    ConversionError,
    DatasetNotFoundError,
    InputFileNotFoundError,
    LabelError,
    MissingDependencyError,
    OverlapError,
    RegistryError,
    SourceError,
    TagSequenceError,
)
from .report import Issue, Report
from .types import Answer, Example, Origin, Span, TaggedSentence, Token, text_hash

__version__ = "0.1.0"

__all__ = [
    "AlignmentError",
    "Answer",
    "AutoNLPALError",
    "ConversionError",
    "DatasetNotFoundError",
    "Example",
    "InputFileNotFoundError",
    "Issue",
    "LabelError",
    "MissingDependencyError",
    "Origin",
    "OverlapError",
    "RegistryError",
    "Report",
    "SourceError",
    "Span",
    "TagSequenceError",
    "TaggedSentence",
    "Token",
    "__version__",
    "text_hash",
]
