"""autonlp_al: active learning for NLP with pluggable sources, converters and trainers.

Importing the package is light: the errors, records and reports load at once; every other public
name (``ActiveLearner``, ``TransformersTrainer``, ``ProdigySource``, ``Converter`` ...) is imported
from its module on first use, so no torch, transformers or spaCy model loads until needed.
"""

from typing import TYPE_CHECKING

from ._lazy import attach
from .errors import (
    AlignmentError,
    AnswerError,
    AutoNLPALError,
    AutoTrainAuthError,
    AutoTrainConflictError,
    AutoTrainError,
    AutoTrainRunError,
    AutoTrainTimeoutError,
    BudgetError,
    ConfigError,
    ConversionError,
    DatasetNotFoundError,
    DryRunFinished,
    InputFileNotFoundError,
    LabelError,
    MissingDependencyError,
    ModelLoadError,
    OverlapError,
    PoolExhaustedError,
    RegistryError,
    SourceError,
    StateError,
    StateLockedError,
    StorageError,
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
    check_labels,
    text_hash,
)

if TYPE_CHECKING:
    from .converters import BILOU, IOB, Converter
    from .loop.config import LoopConfig, Part
    from .loop.learner import ActiveLearner, GoldOracle, Query, Round
    from .loop.simulate import simulate
    from .sources import ConllSource, CsvSource, FolderSource, JsonlSource, ProdigySource
    from .strategies import (
        BALD,
        MNLP,
        CoreSet,
        Entropy,
        Hybrid,
        KMeans,
        LeastConfidence,
        LeastConfidentSequence,
        Margin,
        RandomSampling,
        TokenEntropy,
    )
    from .trainers import AutoTrainTrainer, TransformersModel, TransformersTrainer
    from .writers import AutoTrainWriter, ConllWriter, DocBinWriter, ProdigyWriter, TagsWriter

_LAZY = {
    **dict.fromkeys(("BILOU", "IOB", "Converter"), ".converters"),
    **dict.fromkeys(("LoopConfig", "Part"), ".loop.config"),
    **dict.fromkeys(("ActiveLearner", "GoldOracle", "Query", "Round"), ".loop.learner"),
    "simulate": ".loop.simulate",
    **dict.fromkeys(
        ("ConllSource", "CsvSource", "FolderSource", "JsonlSource", "ProdigySource"), ".sources"
    ),
    **dict.fromkeys(
        (
            "BALD",
            "MNLP",
            "CoreSet",
            "Entropy",
            "Hybrid",
            "KMeans",
            "LeastConfidence",
            "LeastConfidentSequence",
            "Margin",
            "RandomSampling",
            "TokenEntropy",
        ),
        ".strategies",
    ),
    **dict.fromkeys(("AutoTrainTrainer", "TransformersModel", "TransformersTrainer"), ".trainers"),
    **dict.fromkeys(
        ("AutoTrainWriter", "ConllWriter", "DocBinWriter", "ProdigyWriter", "TagsWriter"),
        ".writers",
    ),
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__version__ = "0.1.0"

__all__ = [
    "BALD",
    "BILOU",
    "IOB",
    "MNLP",
    "ActiveLearner",
    "AlignmentError",
    "Answer",
    "AnswerError",
    "AutoNLPALError",
    "AutoTrainAuthError",
    "AutoTrainConflictError",
    "AutoTrainError",
    "AutoTrainRunError",
    "AutoTrainTimeoutError",
    "AutoTrainTrainer",
    "AutoTrainWriter",
    "BudgetError",
    "ConfigError",
    "ConllSource",
    "ConllWriter",
    "ConversionError",
    "Converter",
    "CoreSet",
    "CsvSource",
    "DatasetNotFoundError",
    "DocBinWriter",
    "DryRunFinished",
    "Entropy",
    "Example",
    "FolderSource",
    "GoldOracle",
    "Hybrid",
    "InputFileNotFoundError",
    "Issue",
    "JsonlSource",
    "KMeans",
    "LabelError",
    "LeastConfidence",
    "LeastConfidentSequence",
    "LoopConfig",
    "Margin",
    "MissingDependencyError",
    "ModelLoadError",
    "Origin",
    "OverlapError",
    "Part",
    "PoolExhaustedError",
    "Prediction",
    "ProdigySource",
    "ProdigyWriter",
    "Query",
    "RandomSampling",
    "RegistryError",
    "Report",
    "Round",
    "ScoredSpan",
    "SourceError",
    "Span",
    "StateError",
    "StateLockedError",
    "StorageError",
    "TagSequenceError",
    "TaggedSentence",
    "TagsWriter",
    "Token",
    "TokenEntropy",
    "TrainingError",
    "TransformersModel",
    "TransformersTrainer",
    "__version__",
    "check_labels",
    "simulate",
    "text_hash",
]
