"""The selector's own curve in the first rounds (issue 29: no collapse after the first batch):
BBC News, the committed split, TF-IDF + all-mpnet-base-v2 selector with its defaults, a
strategy against random from the same seed set, batches of 10 up to 170; accuracy on the 426
test articles after every round. The runs go through :func:`~autonlp_al.loop.simulate.simulate`
as ``autonlp-al simulate`` does (the same seed set for a ``--seed``: 10 labels, 2 per class,
drawn from the pool, which then holds the rest); the final model is a plain TF-IDF head and
pinned (``ship = "selector"``), so a seed takes a minute or two once the vectors are cached.

    python benchmarks/selector_curves.py [--strategy hybrid] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from _corpora import machine, mpnet
from label_efficiency import BBC_CLASSES, bbc_data

from autonlp_al import Example
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.simulate import simulate


def curves(
    strategy: str, seed: int, pool: list[Example], test: list[Example]
) -> dict[str, list[float]]:
    """The strategy's and the random control's accuracy after each round, from one seed set."""
    encoder = Part(
        kind="encoders", name="transformers", args={"model": str(mpnet()), "max_length": 128}
    )
    config = LoopConfig(
        task="textcat",
        labels=BBC_CLASSES,
        trainer=Part(kind="trainers", name="tfidf"),  # the final model: cheap, and not shipped
        selector=Part(kind="trainers", name="tfidf", args={"encoder": encoder}),
        strategy=Part(kind="strategies", name=strategy),
        batch_size=10,
        seed=seed,
        ship="selector",
    )
    with tempfile.TemporaryDirectory() as state:
        runs = simulate(config, gold=pool, test=test, state_dir=state, seed_size=10, rounds=16)
    return {name: [r.metrics["accuracy"] for r in rounds] for name, rounds in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategy", default="hybrid")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    pool, test = bbc_data({})
    seeds = [int(s) for s in args.seeds.split(",")]
    runs = {seed: curves(args.strategy, seed, pool, test) for seed in seeds}
    strategies = list(runs[seeds[0]])
    print(f"\nmachine: {machine()}\n")
    print(
        "| labelled | "
        + " | ".join(f"{s} (mean [min-max])" for s in strategies)
        + " | gap to random, mean |"
    )
    print("|---" * (len(strategies) + 2) + "|")
    for i in range(len(runs[seeds[0]][strategies[0]])):
        cells = []
        for s in strategies:
            values = [runs[seed][s][i] * 100 for seed in seeds]
            cells.append(f"{statistics.mean(values):.1f} [{min(values):.1f}-{max(values):.1f}]")
        gap = statistics.mean(
            runs[seed][strategies[0]][i] - runs[seed]["random"][i] for seed in seeds
        )
        print(f"| {10 * (i + 1)} | " + " | ".join(cells) + f" | {gap * 100:+.1f} |")
    print()
    for seed in seeds:
        for s, values in runs[seed].items():
            points = ", ".join(f"{v * 100:.1f}" for v in values)
            drop = max(values[0] - min(values), 0.0)
            print(
                f"- seed {seed}, {s}: {points} (largest fall below the seed round {drop * 100:.1f} pts)"
            )


if __name__ == "__main__":
    main()
