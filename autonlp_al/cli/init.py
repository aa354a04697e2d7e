"""``autonlp-al init config``: a complete, commented loop config for a task, to edit and pass to
``query`` / ``simulate`` with ``--config`` (spaCy's ``init config``, for the loop)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..loop.config import LoopConfig
from ..loop.defaults import filled
from .common import command
from .loop import add_loop, loop_config

#: what each [loop] setting and each section does, written above it
COMMENTS = {
    "[loop]": "The loop: its task, label set and the settings of every round.",
    "task": '"ner" or "textcat"',
    "labels": "the label set, in label-map order (a model's label ids follow it)",
    "lang": "the spaCy language every example is tokenised in, once (blank:LANG)",
    "batch_size": "examples picked per round",
    "seed": "seeds every pick (round r uses seed-r), the seed set and the trainers",
    "pool_sample": "score at most this many pool examples a round (null: all)",
    "dedupe": "read the pool and seed data with each text once (repeats are counted)",
    "final_every": "with a [selector]: also train the final model every this many rounds",
    "ship": "with a [selector]: what a final checkpoint serves and pushes: best (the selector or "
    "the final model, by held-out folds of the labelled data), final, or selector",
    "[trainer]": "The final model (and, without a [selector], each round's model).",
    "[selector]": "A cheap model trained every round to pick the next batch; [trainer] then trains "
    "only final models.",
    "[strategy]": "How a batch is picked once a model exists.",
    "[cold_start]": "How the first batch is picked, before any model.",
    "[scorer]": "Where picks are scored: local.v1 here, ray.v1 on a Ray cluster.",
    "[pool]": "The unlabelled pool (a source read into memory, or a pool kept on disk).",
    "[seed_data]": "Examples already labelled: round 0 trains on them.",
}


def add(commands: Any) -> None:
    """The ``init`` command."""
    init = command(
        commands,
        "init",
        help="write a complete, commented loop config to edit (then --config FILE)",
        description="Write a loop config for --task with every setting, each part's arguments "
        "and their defaults, commented. The loop options below fill it in; edit the rest by "
        "hand, then run query or simulate with --config FILE.",
        usage="config OUTPUT --task TASK --labels A,B [--model PATH] [options]",
    )
    init.add_argument("what", choices=("config",), help="what to write: config")
    init.add_argument("output", help="the config file to write (refused if it exists)")
    init.add_argument("--force", action="store_true", help="overwrite OUTPUT")
    init.add_argument("--lang", default="en", help="spaCy language for tokenisation (blank:LANG)")
    init.add_argument(
        "--dedupe", action="store_true", help="read the pool and seed data with each text once"
    )
    add_loop(init)


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """What ``init config`` will write: the filled config, to OUTPUT (only over a file with
    ``--force``)."""
    from ..errors import ConfigError

    output = Path(args.output)
    if output.exists() and not args.force:
        raise ConfigError(f"{output} exists; pass --force to overwrite it, or name another file")
    return {"config": filled(loop_config(args)), "output": output}


def init(args: argparse.Namespace) -> int:
    what = plan(args)
    output, config = what["output"], what["config"]
    text = commented(config)
    LoopConfig.from_str(text, where=str(output))  # what is written reads back
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(
        f"wrote {output}: a {config.task} loop ({config.strategy.name} picks, "
        f"{config.trainer.name} trains); edit it, then:\n"
        f"  autonlp-al query POOL --from FORMAT --state-dir DIR --config {output}"
    )
    return 0


def commented(config: LoopConfig) -> str:
    """The config file with :data:`COMMENTS` above the settings and sections they explain."""
    out: list[str] = []
    section = ""
    for line in config.to_str().splitlines():
        if line.startswith("["):
            section = key = line
        else:
            key = line.split(" = ", 1)[0] if section == "[loop]" else ""
        comment = COMMENTS.get(key)
        if line.startswith("[") and out and out[-1]:
            out.append("")
        if comment is not None:
            out.append(f"# {comment}")
        if line.strip():
            out.append(line)
    return "\n".join(out) + "\n"
