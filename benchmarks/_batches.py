"""Length-sorted, padded batches of word-piece ids: the raw forward pass the scoring benchmarks
compare against, whatever runs it (torch, ONNX Runtime)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np


def sorted_batches(
    encoded: Sequence[list[int]], size: int = 32
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(input_ids, attention_mask)`` int64 arrays, shortest sequences first."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    for start in range(0, len(order), size):
        batch = [encoded[i] for i in order[start : start + size]]
        ids = np.zeros((len(batch), max(map(len, batch))), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        yield ids, mask


def raw_forward(tokenizer: Any, model: Any, texts: Sequence[str]) -> Callable[[], None]:
    """A run of ``model`` over ``texts`` with nothing but the forward pass and a softmax: the
    texts tokenised (128 word pieces at most), length-sorted, batches of 32, inference mode."""
    import torch

    def run() -> None:
        encoded = [tokenizer(t, truncation=True, max_length=128)["input_ids"] for t in texts]
        with torch.inference_mode():
            for ids, mask in sorted_batches(encoded):
                out = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
                out.logits.softmax(-1)

    return run
