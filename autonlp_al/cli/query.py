"""People in the loop: write the next batch, train on its answers, train the final model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import ConfigError
from ..loop.config import LoopConfig, Part
from .common import command, given, setup_logging
from .inputs import (
    INPUT_OPTIONS,
    add_input,
    open_source,
    pool_part,
    source_flag,
    source_part,
    source_plan,
)
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
    add_input(update, lang=False)  # answers are tokenised in the loop's language

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


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """What ``query`` will do: the loop config (with the pool and seed data given), its state
    folder and the task file. Reading options without a POOL to read are refused."""
    config = loop_config(args)
    reading = sorted(given(args, [*INPUT_OPTIONS, "pool_on_disk"]))
    if args.input is None and reading:
        raise ConfigError(
            f"{source_flag(reading[0])} says how to read POOL, and no POOL is given; the loop "
            f"of {args.state_dir} reads the pool its config names"
        )
    if args.pool_on_disk:
        by_columns = sorted(set(reading) - {"pool_on_disk", "source_args"})
        if by_columns:
            raise ConfigError(
                f"{source_flag(by_columns[0])} does not apply to --pool-on-disk; name a pool's "
                f"columns with --source-arg text=COLUMN (or id_column=COLUMN)"
            )
        config = config.evolve(pool=pool_part(args))
    elif args.input:
        config = config.evolve(pool=source_part(args))
    if args.seed_data:
        seed = Part(
            kind="sources", name="jsonl", args={"path": str(Path(args.seed_data).absolute())}
        )
        config = config.evolve(seed_data=seed)
    return {"config": config, "state_dir": args.state_dir, "output": args.output}


def query(args: argparse.Namespace) -> int:
    from ..writers import ProdigyWriter

    setup_logging()
    what = plan(args)
    config = what["config"]
    learner = config.build(what["state_dir"])
    learner.train_pending()
    reason = None if learner.state.open else learner.state.stopped(config.build_stopping())
    if reason:
        print(
            f"stop: {reason}, so no new batch. Train the final model (autonlp-al "
            f"train-final --state-dir {args.state_dir}), or go on: a larger budget with "
            f"autonlp-al query --state-dir {args.state_dir} --budget N, other criteria in "
            f"[stopping] of {learner.journal.config_path}"
        )
        return 0
    query = learner.query()
    path = Path(what["output"] or learner.journal.query_path(query.round))
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


def plan_update(args: argparse.Namespace) -> dict[str, Any]:
    """What ``update`` will do: read the answers and train the state folder's loop."""
    return {"state_dir": args.state_dir, "answers": source_plan(args)}


def update(args: argparse.Namespace) -> int:
    setup_logging()
    what = plan_update(args)
    learner = LoopConfig.from_state(what["state_dir"]).build(what["state_dir"], save=False)
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


def plan_final(args: argparse.Namespace) -> dict[str, Any]:
    return {"state_dir": args.state_dir, "warm_start": args.warm_start}


def train_final(args: argparse.Namespace) -> int:
    setup_logging()
    what = plan_final(args)
    learner = LoopConfig.from_state(what["state_dir"]).build(what["state_dir"], save=False)
    record = learner.finalize(warm_start=what["warm_start"])
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in record.metrics.items())
    print(
        f"final model {record.index}: {record.n_labeled} labelled, model "
        f"{record.model_version} in {record.model_dir} ({record.seconds:.1f} s) {metrics}"
    )
    return 0
