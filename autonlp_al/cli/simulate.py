"""Simulate active learning on labelled data, against a random control."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import command, setup_logging
from .inputs import add_input, read_part, source_part
from .label import write_report
from .loop import add_loop, loop_config


def add(commands: Any) -> None:
    """The ``simulate`` command."""
    simulate = command(
        commands,
        "simulate",
        help="simulate active learning on labelled data, against a random control",
        description="Active learning with a gold oracle: start from a seed set of INPUT, label "
        "batches picked by --strategy, score each round on TEST.",
        usage="INPUT TEST --from FORMAT --state-dir DIR (--config FILE | --task TASK "
        "--labels A,B --model PATH) [options]",
    )
    simulate.add_argument("input", help="labelled pool (the oracle's answers)")
    simulate.add_argument("test", help="labelled test set, read like INPUT")
    simulate.add_argument(
        "--state-dir", required=True, metavar="DIR", help="folder for logs, models, report"
    )
    run = simulate.add_argument_group("the simulation")
    run.add_argument(
        "--rounds",
        type=int,
        help="rounds after the seed round (default 3; with --budget, until it is reached)",
    )
    run.add_argument("--seed-size", type=int, default=10, help="random examples labelled first")
    run.add_argument("--no-control", action="store_true", help="skip the random control")
    run.add_argument("--reference", type=float, help="reference score for the report")
    add_loop(simulate)
    add_input(simulate)


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """What ``simulate`` will run: the loop config (every run is built from it), the gold and
    test sources (read as the config says: each text once with ``dedupe``), the simulation."""
    config = loop_config(args)
    return {
        "config": config,
        "gold": source_part(args),
        "test": source_part(args, args.test),
        "state_dir": args.state_dir,
        "seed_size": args.seed_size,
        "rounds": args.rounds if args.rounds is not None or config.stopping else 3,
        "control": not args.no_control,
        "reference": args.reference,
    }


def simulate(args: argparse.Namespace) -> int:
    from ..loop.simulate import simulate as run

    setup_logging()
    what = plan(args)
    config = what["config"]
    run(
        config,
        gold=read_part(what["gold"], dedupe=config.dedupe),
        test=read_part(what["test"], dedupe=config.dedupe),
        state_dir=what["state_dir"],
        seed_size=what["seed_size"],
        rounds=what["rounds"],
        control=what["control"],
    )
    return write_report(Path(what["state_dir"]), what["reference"], None)
