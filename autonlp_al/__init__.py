"""autonlp_al: active learning for NLP with pluggable sources, converters and trainers.

Importing the package is light: no torch, transformers or spaCy is imported until a backend needs it.
"""

from .errors import (
    AlignmentError,
    AutoNLPALError,
    AutoTrainAuthError,
    AutoTrainConflictError,
    AutoTrainError,
    AutoTrainRunError,
    AutoTrainTimeoutError,
    BudgetError,
    ConversionError,
    DatasetNotFoundError,
    DryRunFinished,
    InputFileNotFoundError,
    LabelError,
    MissingDependencyError,
    ModelLoadError,
    OverlapError,
    RegistryError,
    SourceError,
    TagSequenceError,
    TrainingError,
)
from .report import Issue, Report
from .types import (
    Answer,
    Example,
    Origin,
    Prediction,
    ScoredSpan,
    Span,
    TaggedSentence,
    Token,
    text_hash,
)

__version__ = "0.1.0"

__all__ = [
    "AlignmentError",
    "Answer",
    "AutoNLPALError",
    "AutoTrainAuthError",
    "AutoTrainConflictError",
    "AutoTrainError",
    "AutoTrainRunError",
    "AutoTrainTimeoutError",
    "BudgetError",
    "ConversionError",
    "DatasetNotFoundError",
    "DryRunFinished",
    "Example",
    "InputFileNotFoundError",
    "Issue",
    "LabelError",
    "MissingDependencyError",
    "ModelLoadError",
    "Origin",
    "OverlapError",
    "Prediction",
    "RegistryError",
    "Report",
    "ScoredSpan",
    "SourceError",
    "Span",
    "TagSequenceError",
    "TaggedSentence",
    "Token",
    "TrainingError",
    "__version__",
    "text_hash",
]
