"""What every command shares: the help formatter, a command's parser, labels, logging, progress."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from ..types import Example


class Help(argparse.RawDescriptionHelpFormatter):
    """Shows an option's default where it has one worth showing, and wider columns."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=100)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and default is not None
            and default is not False
            and default != argparse.SUPPRESS
            and "default" not in text
        ):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """A parser whose ``--help`` shows the options most runs need; ``--help-all`` shows the
    ones marked with :func:`more` too (formats' fields, training and hosting knobs)."""

    def format_help(self, *, every: bool = False) -> str:
        hidden = [] if every else [a for a in self._actions if getattr(a, "more", False)]
        helps = [a.help for a in hidden]
        for action in hidden:
            action.help = argparse.SUPPRESS
        try:
            text = super().format_help()
        finally:
            for action, help_text in zip(hidden, helps, strict=True):
                action.help = help_text
        if hidden:
            text += f"\n{len(hidden)} more options: {self.prog} --help-all\n"
        if self.get_default("takes_overrides"):
            text += (
                "Any loop config key is an option too (spaCy's overrides): --SECTION.KEY VALUE, "
                "e.g. --trainer.max_steps 200 --loop.pool_sample 5000 (docs/cli.md)\n"
            )
        return text


class _HelpAll(argparse._HelpAction):
    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        assert isinstance(parser, Parser)
        parser._print_message(parser.format_help(every=True), sys.stdout)
        parser.exit()


def split_overrides(argv: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    """``argv`` without its ``--SECTION.KEY VALUE`` overrides (or ``--SECTION.KEY=VALUE``; a
    bare ``--SECTION.KEY`` is true), and those as ``{"section.key": value}``, each VALUE read as
    JSON if it parses, else as a string. Taken out before argparse, which would read an
    unknown option's value as a positional argument."""
    rest: list[str] = []
    found: dict[str, Any] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        key, eq, value = arg[2:].partition("=")
        if not (arg.startswith("--") and "." in key):
            rest.append(arg)
            i += 1
            continue
        if not eq:
            bare = i + 1 == len(argv) or argv[i + 1].startswith("--")
            value = "true" if bare else argv[i + 1]
            i += 0 if bare else 1
        found[key.replace("-", "_")] = json_value(value)
        i += 1
    return rest, found


def more(*actions: argparse.Action) -> None:
    """Mark options that ``--help`` leaves to ``--help-all``."""
    for action in actions:
        action.more = True  # type: ignore[attr-defined]


def command(
    commands: Any, name: str, *, help: str, description: str, usage: str, epilog: str = ""
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=description,
        usage=f"autonlp-al {name} {usage}",
        epilog=epilog or None,
        formatter_class=Help,
    )
    parser.add_argument("--help-all", action=_HelpAll, help="show every option, then exit")
    parser.set_defaults(parser_of_command=parser)  # for given(): what was typed, not defaulted
    return parser


def given(args: argparse.Namespace, dests: Any) -> dict[str, Any]:
    """The options among ``dests`` given on the command line (a value other than the option's
    default), by dest."""
    parser: argparse.ArgumentParser = args.parser_of_command
    return {
        dest: getattr(args, dest)
        for dest in dests
        if hasattr(args, dest) and getattr(args, dest) != parser.get_default(dest)
    }


def label_list(value: str) -> list[str]:
    return [label.strip() for label in value.split(",") if label.strip()]


def setup_logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("autonlp_al.trainers").setLevel(logging.WARNING)


def progress(examples: Iterator[Example], every: int = 1000) -> Iterator[Example]:
    show = sys.stderr.isatty()
    n = 0
    for n, example in enumerate(examples, start=1):
        if show and n % every == 0:
            print(f"\r{n:,} examples", end="", file=sys.stderr, flush=True)
        yield example
    if show and n >= every:
        print(file=sys.stderr)


def json_value(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text
