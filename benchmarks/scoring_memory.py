"""Peak memory while a strategy scores a pool of 100k, 300k and 1M sentences.

The pool repeats the CoNLL-2003 train sentences (each copy a distinct example id) up to the size
asked. It is a lazy sequence: examples are made when a chunk of them is scored, so what is
measured is the scoring path (chunks of 1,024, a bounded top-n heap), not a list of a million
Python objects. Each size runs in a fresh process; the table gives the peak RSS while scoring (``VmHWM``, reset
just before) and its growth over the RSS before scoring (model, tokenizer and the CoNLL sentences loaded).

The model: ``--model tiny`` (default) is a randomly initialised 1-layer, 64-wide BERT with
MiniLM's tokenizer, so a million sentences score in minutes on 2 CPU cores; ``--model minilm``
uses all-MiniLM-L6-v2 itself (about 340 sentences/s here, so keep the sizes small). Memory
behaviour does not depend on which: the weights are a constant; per-chunk tensors are bounded
by the chunk size.

    python benchmarks/scoring_memory.py                       # 100k, 300k, 1M with the tiny model
    python benchmarks/scoring_memory.py --model minilm --sizes 10000,30000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

from _corpora import conll2003, machine, minilm

LABELS = ["PER", "ORG", "LOC", "MISC"]


class RepeatedPool(Sequence[Any]):
    """``size`` examples cycling through ``base``, made on access, each with its own id."""

    def __init__(self, base: Sequence[Any], size: int) -> None:
        self.base = base
        self.size = size

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        from autonlp_al import Example

        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if not 0 <= index < self.size:
            raise IndexError(index)
        e = self.base[index % len(self.base)]
        return Example(text=e.text, tokens=e.tokens, id=index + 1)


def status_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak since the last reset) from /proc, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (this script needs Linux)")


def reset_peak() -> None:
    """Make VmHWM start again from the current RSS (Linux: write 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def load_model(kind: str) -> Any:
    from autonlp_al.trainers import TransformersModel

    if kind == "minilm":
        return TransformersModel.from_base(minilm(), task="ner", labels=LABELS, max_length=128)
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, BertConfig

    from autonlp_al.converters.iob import ner_tags

    tags = ner_tags(LABELS)
    tokenizer = AutoTokenizer.from_pretrained(minilm())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=128,
        num_labels=len(tags),
        id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)},
    )
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_config(config).eval()
    return TransformersModel(
        model=model, tokenizer=tokenizer, task="ner", labels=LABELS, tags=tags, max_length=128
    )


def child(size: int, kind: str) -> None:
    import random

    from autonlp_al.sources import ConllSource
    from autonlp_al.strategies import MNLP

    base = list(ConllSource(path=conll2003("train")).read())
    model = load_model(kind)
    model.token_marginals(base[:64])  # warm up kernels before the baseline
    reset_peak()  # loading the corpus and the model peaked higher than it settled
    before = status_mb("VmRSS")
    start = time.perf_counter()
    picks = MNLP().select(model, RepeatedPool(base, size), 100, rng=random.Random(0))
    seconds = time.perf_counter() - start
    assert len({p.id for p in picks}) == 100
    print(
        json.dumps({"size": size, "before": before, "peak": status_mb("VmHWM"), "seconds": seconds})
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["tiny", "minilm"], default="tiny")
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.model)
        return
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}; model: {args.model}; strategy: MNLP, top 100")
    print(
        "\n| pool sentences | RSS before scoring MB | peak RSS MB | growth MB | seconds | sent/s |"
    )
    print("|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--model", args.model, "--child", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"| {size:,} | {r['before']:.0f} | {r['peak']:.0f} | {r['peak'] - r['before']:.0f} | "
            f"{r['seconds']:.0f} | {size / r['seconds']:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
