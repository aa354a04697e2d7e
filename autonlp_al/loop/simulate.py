"""Simulation on a labelled corpus: a gold oracle answers, and a random control runs beside the
strategy from the same seed set, so the report can say what the strategy saved."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..strategies.base import Strategy
from ..strategies.random import RandomSampling
from ..trainers.base import Trainer
from ..types import Example, check_labels
from .learner import ActiveLearner, GoldOracle, Round

__all__ = ["seed_set", "simulate"]


def seed_set(gold: Sequence[Example], n: int, rng: random.Random) -> list[Example]:
    """``n`` examples to start from. For classification, round-robin over the classes (sorted),
    so every class is present from the first round (``n=10`` over 5 classes: 2 per class)."""
    if not gold:
        return []
    if any(e.labels for e in gold) and not any(e.spans for e in gold):
        by_class: dict[str, list[Example]] = defaultdict(list)
        for example in gold:
            if example.labels:
                by_class[example.labels[0]].append(example)
        for members in by_class.values():
            rng.shuffle(members)
        picked: list[Example] = []
        classes = sorted(by_class)
        while len(picked) < n and any(by_class.values()):
            for label in classes:
                if by_class[label] and len(picked) < n:
                    picked.append(by_class[label].pop())
        return picked
    return rng.sample(list(gold), min(n, len(gold)))


def simulate(
    *,
    trainer: Trainer,
    strategy: Strategy,
    gold: Sequence[Example],
    test: Sequence[Example],
    labels: Sequence[str],
    state_dir: str | Path,
    seed_size: int = 10,
    batch_size: int = 10,
    rounds: int = 5,
    seed: int = 0,
    control: bool = True,
    cold_start: Strategy | None = None,
    pool_sample: int | None = None,
    stop: Sequence[Any] = (),
    selector: Trainer | None = None,
    final_every: int | None = None,
) -> dict[str, list[Round]]:
    """Run ``strategy`` (and, with ``control``, random selection) for ``rounds`` rounds after the
    seed round, each in ``state_dir/<name>/``; resumes runs already there. With a ``selector`` the
    rounds train it, and each run ends with a final model by ``trainer`` on its labelled set (so
    the strategy's set and random's are compared through the final model too). Returns the
    histories."""
    state_dir = Path(state_dir)
    for example in gold:  # the oracle's answers: a wrong label set fails before any training
        check_labels(example, labels)
    seeds = seed_set(gold, seed_size, random.Random(f"{seed}-seed-set"))
    seed_ids = {e.id for e in seeds}
    pool = [
        Example(text=e.text, id=e.id, tokens=e.tokens, meta=e.meta)
        for e in gold
        if e.id not in seed_ids
    ]
    runs = {strategy.name: strategy}
    if control and strategy.name != "random":
        runs["random"] = RandomSampling()
    histories: dict[str, list[Round]] = {}
    seed_round: tuple[Round, Path] | None = None  # trained once, adopted by the other runs
    for name, chosen in runs.items():
        learner = ActiveLearner(
            trainer=trainer,
            strategy=chosen,
            pool=pool,
            labels=labels,
            state_dir=state_dir / name,
            labeled=seeds,
            eval=test,
            batch_size=batch_size,
            seed=seed,
            oracle=GoldOracle(gold),
            cold_start=cold_start or RandomSampling(),
            pool_sample=pool_sample,
            selector=selector,
            final_every=final_every,
        )
        if not learner.history and seeds and seed_round is not None:
            learner.adopt(*seed_round)
        missing = rounds + 1 - len(learner.history)
        if missing > 0:
            learner.run(rounds=missing, stop=stop)
        if seed_round is None and seeds and learner.history:
            seed_round = (learner.history[0], learner.model_path(learner.history[0]))
        histories[name] = learner.history
    (state_dir / "simulation.json").write_text(
        json.dumps(
            {
                "runs": list(runs),
                "seed_size": seed_size,
                "batch_size": batch_size,
                "seed": seed,
                "pool": len(pool),
                "test": len(test),
            },
            indent=2,
        )
        + "\n"
    )
    return histories
