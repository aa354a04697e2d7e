"""How long a fine-tune runs when nobody says: a schedule that fits the labelled set.

:data:`AUTO_EPOCHS` epochs, bounded to :data:`AUTO_MIN_STEPS`-:data:`AUTO_MAX_STEPS` optimiser
steps: 10 labelled texts get 60 steps, 170 get 110, 1,900 sentences 800. The label-efficiency
benchmark's final models were trained so (BBC: 100 steps at 170 articles; CoNLL-2003: 700 steps
at 1,900 sentences, lr 1e-4); a loop's old per-round default of 20 steps left a final model on
170 BBC articles at 83% (issue 29). Both the local trainer and AutoTrain use it.
"""

from __future__ import annotations

import math

__all__ = ["AUTO_EPOCHS", "AUTO_MAX_STEPS", "AUTO_MIN_STEPS", "steps"]

AUTO_EPOCHS = 10
AUTO_MIN_STEPS = 60
AUTO_MAX_STEPS = 800


def steps(n_inputs: int, batch_size: int, *, epochs: int | None, max_steps: int | None) -> int:
    """Optimiser steps for ``n_inputs`` training inputs: ``max_steps`` if given, else
    ``epochs`` whole epochs, else the fitted schedule."""
    per_epoch = math.ceil(max(n_inputs, 1) / batch_size)
    if max_steps is not None:
        return max_steps
    if epochs is not None:
        return epochs * per_epoch
    return min(AUTO_MAX_STEPS, max(AUTO_MIN_STEPS, AUTO_EPOCHS * per_epoch))
