"""Flags into a loop config, in one place: the loop options of ``simulate`` and ``query`` become a
:class:`~autonlp_al.loop.config.LoopConfig` (each part by its registry name, its arguments
checked against what the part takes); ``--config FILE`` or a state folder's saved config instead."""

from __future__ import annotations

import argparse
from typing import Any

import attrs

from .. import registry
from ..errors import ConfigError
from ..loop.choice import SHIP
from ..loop.config import LoopConfig, Part, parameters
from ..stopping import UNITS
from .common import given, label_list, more
from .trainer import (
    TRAINER_OPTIONS,
    add_trainer,
    encoder_part,
    takes_model,
    trainer_flag,
    trainer_overrides,
    trainer_part,
    with_encoder,
)


def add_loop(parser: argparse.ArgumentParser) -> None:
    """Options of the learner and its trainer (simulate, query)."""
    loop = parser.add_argument_group("the loop (or --config FILE, see docs/config.md)")
    loop.add_argument("--config", metavar="FILE", help="a loop config file instead of these")
    loop.add_argument("--task", choices=("ner", "textcat"))
    loop.add_argument("--labels", help="comma-separated label set, in order")
    named = [
        ("--strategy", "strategies", "query strategy (default: total_token_entropy for ner, "
         "hybrid for textcat), one of: %(choices)s"),
        ("--uncertainty", "strategies", "hybrid, stochastic and length_bins: the uncertainty "
         "strategy that scores (default: mnlp for ner, margin for textcat)"),
        ("--cold-start", "strategies", "picks the first batch, before any model (default random;"
         " kmeans and coreset use --encoder's embeddings), one of: %(choices)s"),
        ("--selector", "trainers", "a cheap trainer for the rounds (embedding: a linear head on "
         "--encoder's frozen vectors; tfidf: TF-IDF, with --encoder's vectors if given); "
         "--trainer then trains only the final model (train-final, --final-every, the end of "
         "simulate)"),
    ]  # fmt: skip
    for flag, kind, text in named:  # every choice read from its registry
        loop.add_argument(flag, metavar="NAME", choices=registry.short_names(kind), help=text)
    loop.add_argument(
        "--encoder",
        metavar="PATH",
        help="a local encoder folder for --selector and a kmeans/coreset --cold-start; its "
        "vectors are cached on disk ($AUTONLP_AL_CACHE or ~/.cache/autonlp_al/embeddings)",
    )
    loop.add_argument(
        "--encoder-max-length",
        type=int,
        default=256,
        metavar="N",
        help="word pieces of a text the encoder reads",
    )
    loop.add_argument(
        "--encoder-layers",
        type=int,
        default=1,
        metavar="N",
        help="--encoder's vectors: the mean of its last N layers (NER on CoNLL: 4 gave the "
        "selector about 6 F1 more than the last layer alone, docs/benchmarks.md)",
    )
    loop.add_argument(
        "--final-every",
        type=int,
        metavar="N",
        help="with --selector: train the final model every N rounds too",
    )
    loop.add_argument(
        "--ship",
        choices=SHIP,
        default="best",
        help="with --selector: the model serve and push get: best (the selector or the final "
        "model, by held-out folds of the labels), final, or selector",
    )
    loop.add_argument("--batch-size", type=int, default=10, metavar="N", help="examples per round")
    loop.add_argument(
        "--budget",
        type=int,
        metavar="N",
        help="stop once N --budget-unit are labelled (saved as a budget.v1 stopping part)",
    )
    loop.add_argument(
        "--budget-unit",
        choices=tuple(UNITS),
        default="examples",
        help="what --budget counts: examples (sentences, for NER), tokens, or entity mentions",
    )
    loop.add_argument("--seed", type=int, default=0, help="random seed")
    loop.add_argument(
        "--pool-sample", type=int, metavar="N", help="score at most N pool examples a round"
    )
    text = "where selections are scored (default local; ray needs autonlp_al[ray], and reads "
    loop.add_argument(
        "--scorer", metavar="NAME", choices=registry.short_names("scorers"),
        help=text + "RAY_ADDRESS), one of: %(choices)s",
    )  # fmt: skip
    parser.set_defaults(takes_overrides=True)
    shown = {"config", "task", "labels", "strategy", "selector", "encoder", "ship", "batch_size",
             "seed"}  # fmt: skip
    more(*(a for a in loop._group_actions if a.dest not in shown))
    add_trainer(parser, loop=True, max_length=128)


def strategy_part(args: argparse.Namespace) -> Part:
    name = args.strategy or ("total_token_entropy" if args.task == "ner" else "hybrid")
    part = Part(kind="strategies", name=name)
    if args.uncertainty:
        takes = parameters(part.factory()) or ()
        key = next((k for k in ("uncertainty", "base") if k in takes), None)
        if key is None:
            raise ConfigError(
                f"--uncertainty applies to --strategy hybrid, stochastic or length_bins, not {name}"
            )
        part = attrs.evolve(part, args={key: Part(kind="strategies", name=args.uncertainty)})
    return part


#: the options that describe a loop (besides --config): with a config they override it
LOOP_OPTIONS = (
    "task", "labels", "strategy", "uncertainty", "cold_start", "selector", "encoder",
    "encoder_max_length", "encoder_layers", "final_every", "ship", "batch_size", "seed",
    "pool_sample", "scorer", "lang", "budget", "budget_unit",
    "dedupe", "trainer", *TRAINER_OPTIONS,
)  # fmt: skip
_SETTINGS = {"batch_size", "seed", "pool_sample", "final_every", "lang", "ship"}


def loop_config(args: argparse.Namespace) -> LoopConfig:
    """The loop the arguments describe, the one place flags become a config: ``--config FILE``
    with any loop options given applied over it (spaCy's overrides); else the loop options;
    else, for ``query`` given none of ``--task``/``--labels``/``--model``, the config a first
    ``query`` saved in the state folder (which loop options would change: refused)."""
    config = _flags_config(args)
    overrides = getattr(args, "overrides", None) or {}
    return config.overridden(overrides) if overrides else config


def _flags_config(args: argparse.Namespace) -> LoopConfig:
    from ..loop.journal import Journal

    flags = given(args, LOOP_OPTIONS)
    saved = Journal(args.state_dir).config_path if getattr(args, "state_dir", None) else None
    if getattr(args, "config", None):
        return overridden(LoopConfig.from_file(args.config), args, flags)
    if (
        args.command == "query"
        and saved is not None
        and saved.is_file()
        and not (args.task or args.labels or args.model)
    ):
        budget = flags.keys() & {"budget", "budget_unit"}  # how long to go on may change
        changed = [_flag(d) for d in flags if d not in budget]
        changed += [f"--{k}" for k in getattr(args, "overrides", {})]
        if changed:
            raise ConfigError(
                f"{', '.join(changed)}: the loop of {args.state_dir} is saved in "
                f"{saved}, and a state folder keeps its loop; leave the option out, or start a "
                f"new state folder (edit a copy of {saved} and pass it as --config)"
            )
        print(f"the loop saved in {saved}")
        config = LoopConfig.from_file(saved)
        if budget:
            config = config.evolve(stopping=budget_parts(args, config.stopping, config.task))
            print(f"budget: {config.stopping[-1].args['value']} {args.budget_unit}")
        return config
    required = ("task", "labels", "model") if takes_model(args) else ("task", "labels")
    for option in required:
        if not getattr(args, option):
            raise ConfigError(
                f"--{option} is required (or --config FILE"
                + (
                    ", or a state folder a first query has set up)"
                    if args.command == "query"
                    else ")"
                )
            )
    config = LoopConfig(
        task=args.task,
        labels=label_list(args.labels),
        trainer=trainer_part(args, loop=True),
        selector=selector_part(args),
        strategy=strategy_part(args),
        cold_start=cold_start_part(args),
        lang=args.lang,
        batch_size=args.batch_size,
        seed=args.seed,
        pool_sample=args.pool_sample,
        final_every=args.final_every,
        ship=args.ship,
        stopping=budget_parts(args, (), args.task),
    )
    encoder = sorted(flags.keys() & {"encoder", "encoder_max_length", "encoder_layers"})
    if encoder and "encoders" not in str(config.to_dict()):
        raise ConfigError(
            f"{_flag(encoder[0])}: no part of this loop takes an encoder; it is for --selector "
            f"embedding or tfidf, --trainer tfidf, or --cold-start kmeans or coreset"
        )
    if args.scorer:
        config = config.evolve(scorer=Part(kind="scorers", name=args.scorer))
    return config.evolve(dedupe=True) if args.dedupe else config


def overridden(config: LoopConfig, args: argparse.Namespace, flags: dict[str, Any]) -> LoopConfig:
    """``config`` with the loop options given on the command line applied over it."""
    changes: dict[str, Any] = {k: v for k, v in flags.items() if k in _SETTINGS}
    if "task" in flags:
        changes["task"] = args.task
    if "labels" in flags:
        changes["labels"] = label_list(args.labels)
    if "dedupe" in flags:
        changes["dedupe"] = True
    if "scorer" in flags:
        changes["scorer"] = Part(kind="scorers", name=args.scorer)
    task = changes.get("task", config.task)
    if flags.keys() & {"strategy", "uncertainty"}:
        name = args.strategy or config.strategy.name.rsplit(".v", 1)[0]  # --uncertainty alone
        changes["strategy"] = strategy_part(
            argparse.Namespace(**{**vars(args), "task": task, "strategy": name})
        )
    if flags.keys() & {"budget", "budget_unit"}:
        changes["stopping"] = budget_parts(args, config.stopping, task)
    if "cold_start" in flags:
        changes["cold_start"] = cold_start_part(args)
    if "selector" in flags or ("final_every" in flags and config.selector is None):
        changes["selector"] = selector_part(args)
    encoder = flags.keys() & {"encoder", "encoder_max_length", "encoder_layers"}
    if encoder and not flags.keys() & {"selector", "cold_start", "trainer"}:
        raise ConfigError(
            f"{_flag(sorted(encoder)[0])} applies with --selector, --cold-start or --trainer given "
            f"on the command line; with --config, set the encoder in the file ([selector.encoder])"
        )
    trainer_flags = flags.keys() & {"trainer", *TRAINER_OPTIONS}
    if "trainer" in flags:
        selector = args.selector or (config.selector.name if config.selector else None)
        changes["trainer"] = trainer_part(
            argparse.Namespace(**{**vars(args), "task": task, "selector": selector}), loop=True
        )
    elif trainer_flags:
        changes["trainer"] = trainer_overrides(config.trainer, args, trainer_flags)
    return config.evolve(**changes)


def budget_parts(
    args: argparse.Namespace, stopping: tuple[Part, ...], task: str
) -> tuple[Part, ...]:
    """``stopping`` with the budget the flags give (in place of a budget it held): ``--budget``
    makes one; ``--budget-unit`` alone changes the unit of the budget there, else is refused."""
    budgets = [p for p in stopping if p.name.startswith("budget.")]
    others = tuple(p for p in stopping if p not in budgets)
    if args.budget is None:
        if args.budget_unit == "examples" or not budgets:
            if args.budget_unit != "examples":
                raise ConfigError(
                    f"--budget-unit {args.budget_unit} says what --budget counts, and no "
                    f"--budget is given; add --budget N"
                )
            return stopping
        value = budgets[0].args["value"]
    else:
        value = args.budget
    budget = Part(
        kind="stopping", name="budget.v1", args={"value": value, "unit": args.budget_unit}
    )
    budget.build({"task": task})  # a bad unit or value fails now
    return (*others, budget)


def _flag(dest: str) -> str:
    return trainer_flag(dest, True)


def selector_part(args: argparse.Namespace) -> Part | None:
    if not args.selector:
        if args.final_every:
            raise ConfigError("--final-every applies with --selector (a cheap round model)")
        return None
    return with_encoder(Part(kind="trainers", name=args.selector), args, "--selector")


def cold_start_part(args: argparse.Namespace) -> Part:
    name = args.cold_start or "random"
    part = Part(kind="strategies", name=name)
    if "embedder" in (parameters(part.factory()) or ()):
        part = attrs.evolve(part, args={"embedder": encoder_part(args, f"--cold-start {name}")})
    return part
