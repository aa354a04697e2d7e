"""People in the loop: write the next batch, train on its answers, train the final model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import registry
from ..loop.config import LoopConfig, Part
from .common import command, setup_logging
from .inputs import add_input, open_source, pool_part, source_part
from .loop import add_loop, loop_config


def add(commands: Any) -> None:
    """The ``query``, ``update`` and ``train-final`` commands."""
    query = command(
        commands,
        "query",
        help="write the next batch to label as Prodigy tasks",
        description="Pick the next batch from POOL and write it as Prodigy task JSONL, "
        "pre-annotated by the current model. The first query of a state folder saves the loop "
        "in DIR/config.cfg; later queries reuse it when given no loop options.",
        usage="[POOL --from FORMAT] --state-dir DIR [--config FILE | --task TASK --labels A,B "
        "--model PATH] [options]",
    )
    query.add_argument("input", nargs="?", metavar="POOL", help="the unlabelled pool")
    query.add_argument(
        "--pool-on-disk",
        metavar="FORMAT",
        choices=registry.short_names("pools"),
        help="keep POOL on disk and stream it every round (for millions of texts; instead of "
        "--from; --source-arg text=COLUMN / id_column=COLUMN name its columns), one of: "
        "%(choices)s",
    )
    query.add_argument(
        "--state-dir", required=True, metavar="DIR", help="the loop's folder (state, models)"
    )
    query.add_argument(
        "--output", metavar="FILE", help="task file (default DIR/queries/round-NNN.jsonl)"
    )
    query.add_argument(
        "--seed-data", metavar="FILE", help="already labelled examples to start from (JSONL)"
    )
    add_loop(query)
    add_input(query)

    update = command(
        commands,
        "update",
        help="train the next model on answers to the open query",
        description="Read answers (a Prodigy database or db-out file, JSONL, CSV ...) to the "
        "open query of DIR and train the next round's model.",
        usage="ANSWERS --from FORMAT --state-dir DIR [options]",
    )
    update.add_argument("input", metavar="ANSWERS", help="the answers")
    update.add_argument(
        "--state-dir", required=True, metavar="DIR", help="the folder query wrote to"
    )
    add_input(update)

    final = command(
        commands,
        "train-final",
        help="train the final model on everything labelled so far",
        description="Train the loop's [trainer] (the final model: with a --selector, the "
        "rounds' models are the selector's) on every labelled example of DIR, save it under "
        "DIR/models/final-NNN and record it; serve and push then use it.",
        usage="--state-dir DIR [--warm-start]",
    )
    final.add_argument("--state-dir", required=True, metavar="DIR", help="the loop's folder")
    final.add_argument("--warm-start", action="store_true", help="start from the last final model")


def query(args: argparse.Namespace) -> int:
    from ..writers import ProdigyWriter

    setup_logging()
    config = loop_config(args)
    if args.input and args.pool_on_disk:
        config = config.evolve(pool=pool_part(args))
    elif args.input:
        config = config.evolve(pool=source_part(args))
    if args.seed_data:
        seed = Part(
            kind="sources", name="jsonl", args={"path": str(Path(args.seed_data).absolute())}
        )
        config = config.evolve(seed_data=seed)
    learner = config.build(args.state_dir)
    learner.train_pending()
    query = learner.query()
    path = Path(args.output or learner.journal.query_path(query.round))
    options = config.labels if config.task == "textcat" else ()
    ProdigyWriter(options=options, with_answer=False).write(query.tasks(), path)
    # a pre-annotated batch is corrected; round 0's bare one is labelled from scratch
    recipe = "textcat.manual" if config.task == "textcat" else "ner.correct"
    if config.task == "ner" and query.predictions is None:
        recipe = "ner.manual"
    print(
        f"round {query.round}: wrote {len(query.examples)} tasks to {path}\n"
        f"label them: autonlp-al label {path} <answers>, or prodigy {recipe} <dataset> "
        f"blank:{config.lang} {path}; then:\n"
        f"  autonlp-al update <answers> --from prodigy --state-dir {args.state_dir}"
    )
    return 0


def update(args: argparse.Namespace) -> int:
    setup_logging()
    learner = LoopConfig.from_state(args.state_dir).build(args.state_dir, save=False)
    if learner.state.untrained:  # the last update stopped while training: its answers are kept
        print(
            f"the {learner.state.n_untrained} answers of the last update were recorded before it "
            f"stopped; training on them now ({args.input} is not read again)"
        )
        record = learner.train_pending()
    else:
        record = learner.update(open_source(args))
    if record is None:
        print("no answers found; nothing trained")
        return 0
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in record.metrics.items())
    print(
        f"round {record.round}: {record.n_labeled} labelled, model {record.model_version} {metrics}"
    )
    return 0


def train_final(args: argparse.Namespace) -> int:
    setup_logging()
    learner = LoopConfig.from_state(args.state_dir).build(args.state_dir, save=False)
    record = learner.finalize(warm_start=args.warm_start)
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in record.metrics.items())
    print(
        f"final model {record.index}: {record.n_labeled} labelled, model "
        f"{record.model_version} in {record.model_dir} ({record.seconds:.1f} s) {metrics}"
    )
    return 0
