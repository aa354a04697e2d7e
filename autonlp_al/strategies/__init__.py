"""Query strategies: random, uncertainty (textcat and NER), diversity and hybrid."""

from .base import PoolExhaustedError, Selection, Strategy
from .diversity import CoreSet, Hybrid, KMeans
from .random import RandomSampling
from .uncertainty import (
    BALD,
    MNLP,
    Entropy,
    LeastConfidence,
    LeastConfidentSequence,
    Margin,
    MaxTokenEntropy,
    MeanTokenEntropy,
    TotalTokenEntropy,
)

__all__ = [
    "BALD",
    "MNLP",
    "CoreSet",
    "Entropy",
    "Hybrid",
    "KMeans",
    "LeastConfidence",
    "LeastConfidentSequence",
    "Margin",
    "MaxTokenEntropy",
    "MeanTokenEntropy",
    "PoolExhaustedError",
    "RandomSampling",
    "Selection",
    "Strategy",
    "TotalTokenEntropy",
]
