"""The ``autonlp-al`` command. Thin: arguments become a :class:`~autonlp_al.loop.config.LoopConfig`
(or, for one-off commands, parts built through the registries), then the library runs. Every
choice of ``--from``, ``--to``, ``--trainer`` and ``--strategy`` is read from the registries, so a
plugin registered through an entry point appears here without touching this package.
``python -m autonlp_al`` runs the same thing.

One module per command (or pair of commands); flags become a config in :mod:`.loop` alone."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .. import __version__
from ..errors import AutoNLPALError
from . import convert, init, label, query, serve, simulate, train
from .common import Help, Parser, split_overrides

__all__ = ["main"]

DESCRIPTION = """\
Active learning for NLP: label a few examples, train, let the model pick the next ones.

A loop on your own data (see docs/tutorial.md):
  autonlp-al query pool.jsonl --from jsonl --state-dir runs/x --task textcat \\
      --labels a,b,c --model path/to/model        # writes runs/x/queries/round-000.jsonl
  (label that file in Prodigy, or add "accept"/"answer" to each line)
  autonlp-al update answers.jsonl --from prodigy --state-dir runs/x   # trains round 0
  autonlp-al query --state-dir runs/x             # the next batch, picked by the model
  autonlp-al serve runs/x                         # the latest round over HTTP
Or config first: autonlp-al init config loop.cfg --task textcat, edit it, then
  autonlp-al query pool.jsonl --from jsonl --state-dir runs/x --config loop.cfg

Run "autonlp-al COMMAND --help" for a command's options."""

# in --help order; each module adds its commands' parsers
_MODULES = (convert, train, simulate, query, label, serve, init)

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "convert": convert.convert,
    "train": train.train,
    "evaluate": train.evaluate,
    "simulate": simulate.simulate,
    "query": query.query,
    "update": query.update,
    "train-final": query.train_final,
    "label": label.label,
    "report": label.report,
    "serve": serve.serve,
    "push": serve.push,
    "init": init.init,
}


def parser() -> argparse.ArgumentParser:
    """The whole command line (built per call: plugins registered since appear in it)."""
    root = Parser(prog="autonlp-al", description=DESCRIPTION, formatter_class=Help)
    root.add_argument("--version", action="version", version=f"autonlp_al {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _MODULES:
        module.add(commands)
    return root


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The arguments, with spaCy-style ``--SECTION.KEY VALUE`` config overrides in
    ``args.overrides`` (refused by the commands that build no loop)."""
    rest, overrides = split_overrides(argv)
    args = parser().parse_args(rest)
    if overrides and not args.parser_of_command.get_default("takes_overrides"):
        args.parser_of_command.error(
            f"{args.command} takes no config overrides (--{next(iter(overrides))} ...); they "
            f"are for the commands that build a loop: simulate, query"
        )
    args.overrides = overrides
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        return COMMANDS[args.command](args)
    except AutoNLPALError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
