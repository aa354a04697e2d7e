"""``--trainer`` and the options trainers take (``train``, and the loop's trainer)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import attrs

from .. import registry
from ..errors import ConfigError
from ..loop.config import Part, parameters, recommended_trainer_args
from .common import more
from .inputs import add_alignment


def add_trainer(parser: argparse.ArgumentParser, *, loop: bool, max_length: int) -> None:
    """``--trainer`` (any registered trainer) and the options trainers take. There is no
    --token: the hosted trainer reads HF_TOKEN or `hf auth login`, so it never lands in a saved
    config. An option applies to the trainers with an argument of its name."""
    model = parser.add_argument_group("the model")
    model.add_argument(
        "--trainer",
        choices=registry.short_names("trainers"),
        default="transformers",
        help="transformers: fine-tune here; autotrain: on Hugging Face AutoTrain (--model is "
        "then a Hub id)",
    )
    model.add_argument(
        "--model", metavar="PATH", help="base model folder (a Hub id for --trainer autotrain)"
    )
    auto = "10 epochs, 60 to 800 steps"
    model.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help=f"epochs per round (default without --selector: 20, bounded by --max-steps; with "
        f"one, the final model's schedule fits the data: {auto})"
        if loop
        else f"epochs (default: the schedule fits the data: {auto})",
    )
    model.add_argument(
        "--max-steps",
        type=int,
        metavar="N",
        help="optimiser steps per round, wins over --epochs (default without --selector: 50 for "
        "ner, 20 for textcat)"
        if loop
        else "optimiser steps, wins over --epochs",
    )
    # in a loop --batch-size is the examples per round, so the training batch has its own flag
    flag = "--train-batch-size" if loop else "--batch-size"
    model.add_argument(
        flag,
        dest="train_batch_size",
        type=int,
        metavar="N",
        help="training batch size (default 16)",
    )
    model.add_argument(
        "--lr",
        type=float,
        help="learning rate (default: 1e-4; per round without --selector: 2e-4 for ner)"
        if loop
        else "learning rate (default: 1e-4)",
    )
    model.add_argument(
        "--max-length",
        type=int,
        default=max_length,
        metavar="N",
        help="word pieces per text, at most",
    )
    model.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch CPU threads (default: one per core; two jobs on one machine: cores / 2 each)",
    )
    model.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "int8"),
        help="scoring and prediction arithmetic (default auto: bf16 on a GPU, fp32 on CPU; "
        "int8: 1.7x fp32 on an x86 CPU with VNNI, see docs/benchmarks.md)",
    )
    if not loop:
        model.add_argument(
            "--early-stopping-patience",
            type=int,
            metavar="N",
            help="stop after N evaluations without improvement (needs --eval)",
        )
        model.add_argument(
            "--multi-label", action="store_true", default=None, help="textcat: several labels"
        )
    add_alignment(model)
    hosted = parser.add_argument_group("--trainer autotrain (token from HF_TOKEN)")
    hosted.add_argument("--hardware", help="Space hardware, e.g. t4-small")
    hosted.add_argument("--namespace", help="user or organisation (default: the token's user)")
    hosted.add_argument("--max-usd", type=float, help="refuse rounds that could exceed this")
    hosted.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="give up on a round's Space after this long (default 14400; the budget check "
        "counts it)",
    )
    hosted.add_argument(
        "--hourly-usd",
        type=float,
        metavar="USD",
        help="the Space hardware's price per hour, if not the built-in table's",
    )
    hosted.add_argument("--hub-endpoint", dest="endpoint", help="Hub URL")
    hosted.add_argument("--dry-run", metavar="DIR", help="write the payloads to DIR, send nothing")
    hosted.add_argument("--poll-interval", type=float, help="seconds between status polls")
    shown = {"trainer", "model"} if loop else {"trainer", "model", *_SHOWN_BY_TRAIN}
    more(*(a for a in model._group_actions if a.dest not in shown), *hosted._group_actions)


# what `train --help` shows besides --trainer and --model (a loop has recommended settings)
_SHOWN_BY_TRAIN = ("epochs", "max_steps", "train_batch_size", "lr", "multi_label")


# CLI dest -> trainer argument
TRAINER_OPTIONS = {
    "model": "model",
    "epochs": "epochs",
    "max_steps": "max_steps",
    "train_batch_size": "batch_size",
    "lr": "lr",
    "max_length": "max_length",
    "early_stopping_patience": "early_stopping_patience",
    "multi_label": "multi_label",
    "alignment": "alignment",
    "threads": "threads",
    "precision": "precision",
    "hardware": "hardware",
    "namespace": "namespace",
    "max_usd": "max_usd",
    "timeout": "timeout",
    "hourly_usd": "hourly_usd",
    "endpoint": "endpoint",
    "dry_run": "dry_run",
    "poll_interval": "poll_interval",
}


def trainer_part(args: argparse.Namespace, *, loop: bool) -> Part:
    """The ``--trainer`` part with every option given that the trainer takes; an option it does
    not take is an error naming the ones it does. In a loop without ``--selector`` (the trainer
    trains every round), unset options take the recommended round settings
    (:func:`~autonlp_al.loop.config.recommended_trainer_args`); with one, the trainer makes
    final models only, with its own defaults (a schedule that fits the labelled set)."""
    part = Part(kind="trainers", name=args.trainer)
    accepted = set(parameters(part.factory()) or ())
    if not args.model and takes_model(args):
        raise ConfigError("--model is required: the base model folder (or Hub id for autotrain)")
    given = {
        arg: getattr(args, dest)
        for dest, arg in TRAINER_OPTIONS.items()
        if getattr(args, dest, None) is not None
    }
    defaults_only = {"alignment", "max_length"}  # always set by argparse
    takes = accepted | defaults_only
    refused = sorted(d for d, a in TRAINER_OPTIONS.items() if a in given and a not in takes)
    if refused:
        flags = [
            trainer_flag(dest, loop)
            for dest, arg in TRAINER_OPTIONS.items()
            if arg in accepted and hasattr(args, dest)
        ]
        raise ConfigError(
            f"{trainer_flag(refused[0], loop)} does not apply to --trainer {args.trainer}; it "
            f"takes: {', '.join(flags)}"
        )
    kwargs = {k: v for k, v in given.items() if k in accepted}
    if loop and not getattr(args, "selector", None):
        for key, value in recommended_trainer_args(args.task).items():
            if key in accepted:
                kwargs.setdefault(key, value)
    if "progress" in accepted:  # a training bar on a terminal, none in a log file
        kwargs["progress"] = sys.stderr.isatty()
    return with_encoder(attrs.evolve(part, args=kwargs), args, "--trainer")


def takes_model(args: argparse.Namespace) -> bool:
    """Whether ``--trainer`` has a base model to name (tfidf has none)."""
    return "model" in (parameters(Part(kind="trainers", name=args.trainer).factory()) or ())


def trainer_flag(dest: str, loop: bool) -> str:
    if dest == "train_batch_size":
        return "--train-batch-size" if loop else "--batch-size"
    return "--" + {"endpoint": "hub-endpoint"}.get(dest, dest).replace("_", "-")


def encoder_part(args: argparse.Namespace, wanted_by: str) -> Part:
    if not getattr(args, "encoder", None):
        raise ConfigError(f"{wanted_by} needs --encoder PATH: a local encoder folder")
    settings = {"model": str(Path(args.encoder).absolute()), "max_length": args.encoder_max_length}
    layers = getattr(args, "encoder_layers", 1)
    if layers != 1:  # only then, so configs saved before read the same
        settings["layers"] = layers
    return Part(kind="encoders", name="transformers", args=settings)


def with_encoder(part: Part, args: argparse.Namespace, flag: str) -> Part:
    """``part`` given ``--encoder`` when it takes an encoder (a selector, or a ``tfidf`` or
    ``embedding`` trainer); an encoder it cannot do without is asked for by name."""
    factory = part.factory()
    if "encoder" not in (parameters(factory) or ()):
        return part
    required = attrs.has(factory) and attrs.fields_dict(factory)["encoder"].default is attrs.NOTHING
    if getattr(args, "encoder", None) or required:
        encoder = encoder_part(args, f"{flag} {part.name}")
        return attrs.evolve(part, args={**part.args, "encoder": encoder})
    return part


def trainer_overrides(part: Part, args: argparse.Namespace, dests: Any) -> Part:
    """A config's ``[trainer]`` with the trainer options given on the command line set in it;
    an option that trainer does not take is refused, naming the ones it does."""
    accepted = set(parameters(part.factory()) or ())
    changes = {TRAINER_OPTIONS[dest]: getattr(args, dest) for dest in sorted(dests)}
    refused = sorted(d for d in dests if TRAINER_OPTIONS[d] not in accepted)
    if refused:
        takes = [trainer_flag(d, True) for d, a in TRAINER_OPTIONS.items() if a in accepted]
        raise ConfigError(
            f"{trainer_flag(refused[0], True)} does not apply to the config's trainer "
            f"{part.name!r}; it takes: {', '.join(takes)}"
        )
    return attrs.evolve(part, args={**part.args, **changes})
