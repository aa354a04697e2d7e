"""Simulation on a labelled corpus: a gold oracle answers, and a random control runs beside the
strategy from the same seed set, so the report can say what the strategy saved."""

from __future__ import annotations

import json
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ..errors import ConfigError, StateError
from ..types import Example, check_labels
from .config import LoopConfig, Part
from .journal import CONFIG_FILE
from .learner import ActiveLearner
from .oracle import GoldOracle
from .records import Round

__all__ = ["adopt_seed_round", "seed_set", "simulate"]

log = logging.getLogger("autonlp_al.loop.learner")


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


def adopt_seed_round(learner: ActiveLearner, record: Round, model_dir: str | Path) -> Round:
    """Give ``learner`` another run's round 0, trained on this learner's very seed set (a
    simulation's random control shares the strategy run's seed round): the model folder is copied
    in and the round recorded as this run's own, so the seed model is trained once, not twice.

    Raises :class:`StateError` unless the learner has a seed set and no round yet, and
    ``record`` is a seed round on as many examples."""
    seeds = len(learner.state.seed)
    if not learner.state.seed_untrained:
        raise StateError(
            f"{learner.journal.root}: only a run with a seed set and no round yet can adopt a "
            f"seed round; this one has {len(learner.history)} rounds and {seeds} seeds"
        )
    if record.round != 0 or record.selected or record.n_labeled != seeds:
        raise StateError(
            f"round {record.round} ({record.n_labeled} labelled, {len(record.selected)} "
            f"selected) is not a seed round on this run's {seeds} seed examples"
        )
    folder = learner.models.adopt_round(model_dir)
    adopted = attrs.evolve(record, model_dir=folder, timings={"adopted": 0.0})
    learner.journal.trained(adopted)
    learner.state.trained(adopted)
    log.info("[%s] round 0: adopted the seed model of %s", learner.journal.root.name, model_dir)
    return adopted


def simulate(
    config: LoopConfig,
    *,
    gold: Sequence[Example],
    test: Sequence[Example],
    state_dir: str | Path,
    seed_size: int = 10,
    rounds: int | None = 5,
    control: bool = True,
    trainer: Any = None,
) -> dict[str, list[Round]]:
    """Run the loop ``config`` describes (and, with ``control``, the same loop picking at
    random) for ``rounds`` rounds after the seed round (``None``: until the config's stopping
    criteria, e.g. a ``budget.v1`` in tokens, end it), each in ``state_dir/<strategy>/``, with
    ``gold`` as the oracle and ``test`` scored each round; resumes runs already there. Every
    run is built by :meth:`LoopConfig.build`, as ``query`` builds a loop; ``trainer`` replaces
    the built trainer (a test's fake). With a selector each run ends with a final model (so
    the strategy's set and random's are compared through the final model too). Returns the
    histories, and saves ``config`` as ``state_dir/config.cfg``."""
    state_dir = Path(state_dir)
    if rounds is None and not config.stopping:
        raise ConfigError(
            "rounds=None runs until a stopping criterion fires, and the config has none: give "
            "rounds, or a [stopping] part such as budget.v1"
        )
    config.to_str()  # a config that cannot be saved fails now, not after the run
    for example in gold:  # the oracle's answers: a wrong label set fails before any training
        check_labels(example, config.labels)
    seeds = seed_set(gold, seed_size, random.Random(f"{config.seed}-seed-set"))
    seed_ids = {e.id for e in seeds}
    pool = [
        Example(text=e.text, id=e.id, tokens=e.tokens, meta=e.meta)
        for e in gold
        if e.id not in seed_ids
    ]
    name = config.build_strategy().name
    runs = {name: config}
    if control and name != "random":
        runs["random"] = config.evolve(strategy=Part(kind="strategies", name="random.v1"))
    oracle = GoldOracle(gold)
    stop = config.build_stopping()
    histories: dict[str, list[Round]] = {}
    seed_round: tuple[Round, Path] | None = None  # trained once, adopted by the other runs
    for run_name, run in runs.items():
        learner = run.build(
            state_dir / run_name,
            pool=pool,
            labeled=seeds,
            eval=test,
            oracle=oracle,
            trainer=trainer,
            save=False,
        )
        if not learner.history and seeds and seed_round is not None:
            adopt_seed_round(learner, *seed_round)
        missing = None if rounds is None else rounds + 1 - len(learner.history)
        if missing is None or missing > 0:
            learner.run(rounds=missing, stop=stop)
        if seed_round is None and seeds and learner.history:
            first = learner.history[0]
            seed_round = (first, learner.journal.model_path(first.model_dir))
        histories[run_name] = learner.history
    config.save(state_dir / CONFIG_FILE)
    (state_dir / "simulation.json").write_text(
        json.dumps(
            {
                "runs": list(runs),
                "seed_size": seed_size,
                "batch_size": config.batch_size,
                "seed": config.seed,
                "pool": len(pool),
                "test": len(test),
            },
            indent=2,
        )
        + "\n"
    )
    return histories
