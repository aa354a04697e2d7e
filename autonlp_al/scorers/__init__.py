"""Scorers: where a selection's scoring runs. ``base`` holds the interface; :class:`LocalScorer`
scores in this process; :class:`RayScorer` on a Ray cluster (``pip install 'autonlp_al[ray]'``)."""

from typing import TYPE_CHECKING

from .._lazy import attach
from .base import Candidates, ModelRef, Scorer

if TYPE_CHECKING:
    from .local import LocalScorer
    from .ray import RayScorer

__all__ = ["Candidates", "LocalScorer", "ModelRef", "RayScorer", "Scorer"]

__getattr__, __dir__ = attach(__name__, {"LocalScorer": ".local", "RayScorer": ".ray"})
