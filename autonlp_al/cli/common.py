"""What every command shares: the help formatter, a command's parser, labels, logging, progress."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
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
