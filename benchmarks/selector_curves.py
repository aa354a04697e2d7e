"""The selector's own curve in the first rounds (issue 29: no collapse after the first batch):
BBC News, the committed split, TF-IDF + all-mpnet-base-v2 selector with its defaults, a
strategy against random from the same seed set (10 labels, 2 per class), batches of 10 up
to 170; accuracy on the 426 test articles after every round. No final model is trained (the
loop's trainer is never asked), so a seed takes a minute or two once the vectors are cached.

    python benchmarks/selector_curves.py [--strategies hybrid,random] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile

from _corpora import machine, mpnet
from label_efficiency import BBC_CLASSES, bbc_data

from autonlp_al import Example
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.learner import GoldOracle
from autonlp_al.loop.simulate import seed_set


def curve(strategy: str, seed: int, pool: list[Example], test: list[Example]) -> list[float]:
    encoder = Part(
        kind="encoders", name="transformers", args={"model": str(mpnet()), "max_length": 128}
    )
    config = LoopConfig(
        task="textcat",
        labels=BBC_CLASSES,
        trainer=Part(kind="trainers", name="tfidf"),  # never trained: finalize=False
        selector=Part(kind="trainers", name="tfidf", args={"encoder": encoder}),
        strategy=Part(kind="strategies", name=strategy),
        batch_size=10,
        seed=seed,
    )
    with tempfile.TemporaryDirectory() as state:
        learner = config.build(
            state,
            pool=[Example(text=e.text) for e in pool],
            labeled=seed_set(pool, 10, random.Random(seed)),
            eval=test,
            oracle=GoldOracle(pool),
            save=False,
        )
        learner.run(rounds=17, finalize=False)
        return [r.metrics["accuracy"] for r in learner.history]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategies", default="hybrid,random")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    pool, test = bbc_data({})
    strategies = args.strategies.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    curves = {(s, seed): curve(s, seed, pool, test) for s in strategies for seed in seeds}
    print(f"\nmachine: {machine()}\n")
    sizes = [10 * (i + 1) for i in range(17)]
    print("| labelled | " + " | ".join(f"{s} (mean [min-max])" for s in strategies) + " |")
    print("|---" * (len(strategies) + 1) + "|")
    for i, n in enumerate(sizes):
        cells = []
        for s in strategies:
            values = [curves[s, seed][i] * 100 for seed in seeds]
            cells.append(f"{statistics.mean(values):.1f} [{min(values):.1f}-{max(values):.1f}]")
        print(f"| {n} | " + " | ".join(cells) + " |")
    for (s, seed), values in curves.items():
        drop = values[0] - min(values)
        print(f"{s} seed {seed}: largest fall below its seed round {max(drop, 0) * 100:.1f} pts")


if __name__ == "__main__":
    main()
