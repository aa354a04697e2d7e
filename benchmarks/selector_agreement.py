"""Does the cheap NER selector rank the pool as the fine-tuned model would? (issue 31, item 4)

Selection via a proxy works when the proxy ranks the pool the way the final model would (Coleman
et al., ICLR 2020). On CoNLL-2003 (the deduplicated train split as the pool), one random labelled
set of ``--labelled`` sentences trains the final model (MiniLM fine-tuned with the loop's
final-training defaults) and each selector variant (a linear head on frozen MiniLM word vectors:
plain, with word shapes, with the neighbours' vectors, with IOB-consistent marginals). Every
model scores the rest of the pool with MNLP and total token entropy; the table gives each
model's test F1 and the Spearman rank correlation of each selector's scores with the fine-tuned
model's, and how many of the fine-tuned model's top 100 each selector's top 100 holds.

    python benchmarks/selector_agreement.py [--labelled 1000] [--seed 0]

Results go to out/selector_agreement.json; the table is printed with the machine line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _corpora import PLAIN_HEAD, machine, minilm  # noqa: E402
from label_efficiency import conll_data  # noqa: E402

from autonlp_al.metrics import evaluate  # noqa: E402
from autonlp_al.strategies import MNLP, TokenEntropy  # noqa: E402
from autonlp_al.trainers import TransformersTrainer  # noqa: E402
from autonlp_al.trainers.frozen.embedding import EmbeddingTrainer  # noqa: E402
from autonlp_al.trainers.frozen.encoder import FrozenEncoder  # noqa: E402

OUT = HERE.parent / "out" / "selector_agreement.json"
LABELS = ["PER", "ORG", "LOC", "MISC"]
VARIANTS = {
    "plain (0.2)": PLAIN_HEAD,
    "shape": {"window": 0, "shape": True, "sequence": False},
    "window+shape": {"window": 1, "shape": True, "sequence": False},
    "window+shape+sequence (default)": {},
}
STRATEGIES = {"mnlp": MNLP(), "total_token_entropy": TokenEntropy(reduction="sum")}


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    for rank, i in enumerate(order):
        out[i] = float(rank)
    return out


def spearman(a: list[float], b: list[float]) -> float:
    import numpy as np

    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def top(values: list[float], n: int = 100) -> set[int]:
    return set(sorted(range(len(values)), key=lambda i: -values[i])[:n])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labelled", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pool, test = conll_data({"pool": None, "test": None})
    rng = random.Random(f"{args.seed}-agreement")
    chosen = set(rng.sample(range(len(pool)), args.labelled))
    train = [e for i, e in enumerate(pool) if i in chosen]
    rest = [e for i, e in enumerate(pool) if i not in chosen]
    encoder = FrozenEncoder(model=minilm(), max_length=128)
    results: dict[str, Any] = {
        "machine": machine(), "labelled": len(train), "tokens": sum(len(e.tokens or ()) for e in
        train), "pool": len(rest), "test": len(test), "models": {},
    }  # fmt: skip
    scores: dict[str, dict[str, list[float]]] = {}
    start = time.perf_counter()
    final = TransformersTrainer(model=minilm(), task="ner", max_length=128, threads=2,
                                progress=False).train(train, labels=LABELS)  # fmt: skip
    trained = time.perf_counter() - start
    models: dict[str, tuple[Any, float]] = {"fine-tuned MiniLM": (final, trained)}
    for name, settings in VARIANTS.items():
        start = time.perf_counter()
        head = EmbeddingTrainer(encoder=encoder, task="ner", c=1.0, **settings)
        models[name] = (head.train(train, labels=LABELS), time.perf_counter() - start)
    for name, (model, seconds) in models.items():
        f1 = evaluate(model, test).as_dict()["f1"]
        scores[name] = {s: list(map(float, st.scores(model, rest))) for s, st in STRATEGIES.items()}
        results["models"][name] = {"f1": f1, "train_s": seconds}
        print(f"{name}: test F1 {f1:.3f}, trained in {seconds:.1f} s", flush=True)
    reference = scores["fine-tuned MiniLM"]
    for name in VARIANTS:
        for strategy in STRATEGIES:
            results["models"][name][strategy] = {
                "spearman": spearman(scores[name][strategy], reference[strategy]),
                "top100_shared": len(top(scores[name][strategy]) & top(reference[strategy])),
            }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1))
    lines = [
        f"machine: {results['machine']}",
        f"{results['labelled']:,} random labelled sentences ({results['tokens']:,} tokens), seed "
        f"{args.seed}; scored: the other {results['pool']:,} pool sentences; test "
        f"{results['test']:,}",
        "",
        "| model | test F1 | train s | MNLP: Spearman with the fine-tuned model | MNLP: top 100 "
        "shared | total token entropy: Spearman | total token entropy: top 100 shared |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, got in results["models"].items():
        cells = [f"{got['f1']:.3f}", f"{got['train_s']:.1f}"]
        for strategy in STRATEGIES:
            agreement = got.get(strategy)
            cells += (
                [f"{agreement['spearman']:.3f}", str(agreement["top100_shared"])]
                if agreement
                else ["1", "100"]
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
