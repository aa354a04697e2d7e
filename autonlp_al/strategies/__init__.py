"""Query strategies: random, uncertainty (textcat and NER), diversity and hybrid, and how a batch
is drawn from scores (stochastic draws, length bins).

``base`` holds the interface and the templates; each family is one module, imported on first use.
"""

from typing import TYPE_CHECKING

from .._lazy import attach
from .base import BatchStrategy, PoolExhaustedError, ScoringStrategy, Selection, Strategy

if TYPE_CHECKING:
    from .batches import LengthBins, Stochastic
    from .diversity import CoreSet, Hybrid, KMeans
    from .random import RandomSampling
    from .uncertainty import (
        BALD,
        MNLP,
        Entropy,
        LeastConfidence,
        LeastConfidentSequence,
        Margin,
        TokenEntropy,
    )

__all__ = [
    "BALD",
    "MNLP",
    "BatchStrategy",
    "CoreSet",
    "Entropy",
    "Hybrid",
    "KMeans",
    "LeastConfidence",
    "LeastConfidentSequence",
    "LengthBins",
    "Margin",
    "PoolExhaustedError",
    "RandomSampling",
    "ScoringStrategy",
    "Selection",
    "Stochastic",
    "Strategy",
    "TokenEntropy",
]

__getattr__, __dir__ = attach(
    __name__,
    {
        "BALD": ".uncertainty",
        "MNLP": ".uncertainty",
        "CoreSet": ".diversity",
        "Entropy": ".uncertainty",
        "Hybrid": ".diversity",
        "KMeans": ".diversity",
        "LeastConfidence": ".uncertainty",
        "LeastConfidentSequence": ".uncertainty",
        "LengthBins": ".batches",
        "Margin": ".uncertainty",
        "RandomSampling": ".random",
        "Stochastic": ".batches",
        "TokenEntropy": ".uncertainty",
    },
)
