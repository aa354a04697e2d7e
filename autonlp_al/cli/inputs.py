"""Reading annotations: ``--from`` and the source options (grouped by the sources that take
them, read from the registry), and ``--pool-on-disk``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import registry
from ..converters import Alignment
from ..errors import AutoNLPALError, ConfigError
from ..loop.config import Part, parameters
from ..sources.base import OnError, Source
from ..types import Example
from .common import given, json_value, more, progress

# CLI option (dest) -> help; each applies to the sources that have an attribute of that name.
SOURCE_OPTIONS = {
    "dataset": "Prodigy dataset to read from a database",
    "sessions": "only Prodigy answers from this session id (repeatable)",
    "answers": "Prodigy answers to use, e.g. accept (repeatable; default accept and reject)",
    "text_field": "field with the text (default text)",
    "label_field": "field with the class label(s) (default label)",
    "spans_field": "field with entity spans (default spans)",
    "tokens_field": "field with tokens (default tokens)",
    "tags_field": "field with tags, one per token (default tags)",
    "id_field": "field kept as meta['id']",
    "text_column": "column with the text (default text)",
    "label_column": "column with the class label",
    "id_column": "column kept as meta['id']",
    "label_separator": "split labels on this string (multi-label)",
    "delimiter": "column delimiter (default: sniffed)",
    "token_column": "token column index (default 0)",
    "tag_column": "tag column index (default -1, the last)",
    "separator": "column separator (default: whitespace)",
    "encoding": "input encoding",
    "pattern": "file pattern inside each label folder (default *.txt)",
    "split": "the split of a DatasetDict (default: the only one)",
    "tokens_column": "column with token lists (default: tokens, if there)",
    "tags_column": "column with tags or ClassLabel ids (default: ner_tags or tags)",
    "data_key": "task data key that holds the text, $text in the labeling config (default text)",
    "policy": "several annotations on a task: latest, majority or reject (default latest)",
}


REPEATABLE = {"sessions", "answers"}


METAVARS = {
    **{dest: "NAME" for dest in SOURCE_OPTIONS if dest.endswith(("_field", "_column"))},
    "token_column": "N",
    "tag_column": "N",
    "sessions": "ID",
    "answers": "ANSWER",
    "label_separator": "SEP",
    "separator": "SEP",
    "delimiter": "CHAR",
}


INTS = {"token_column", "tag_column"}


def source_flag(dest: str) -> str:
    names = {
        "sessions": "session",
        "answers": "answer",
        "source": "from",
        "source_args": "source-arg",
    }
    return "--" + names.get(dest, dest).replace("_", "-")


def add_input(parser: argparse.ArgumentParser, *, lang: bool = True) -> None:
    """``--from`` and the source options, grouped by the sources that take them (the same for
    every command that reads annotations). The groups are read from the registry: a plugin
    source's own arguments go through ``--source-arg``."""
    group = parser.add_argument_group("input")
    group.add_argument(
        "--from",
        dest="source",
        metavar="FORMAT",
        choices=registry.short_names("sources"),
        help="the input's format, one of: %(choices)s",
    )
    group.add_argument(
        "--on-error",
        choices=[o.value for o in OnError],
        default="raise",
        help="raise: stop at the first bad record; skip: count it and go on",
    )
    group.add_argument(
        "--dedupe",
        action="store_true",
        help="keep each text once (the first copy; the rest are counted, conflicts apart)",
    )
    if lang:  # not where the language is the loop's or the model's own
        group.add_argument(
            "--lang", default="en", help="spaCy language for tokenisation (blank:LANG)"
        )
    scheme = group.add_argument(
        "--input-scheme",
        choices=registry.short_names("schemes"),
        default="iob",
        help="tag scheme of tagged (CoNLL / JSONL / datasets) input",
    )
    source_arg = group.add_argument(
        "--source-arg",
        dest="source_args",
        action="append",
        metavar="KEY=VALUE",
        help="any other argument of the source (a plugin's, say); VALUE is read as JSON if it "
        "parses, else as a string (repeatable)",
    )
    more(scheme, source_arg)
    takers: dict[str, list[str]] = {dest: [] for dest in SOURCE_OPTIONS}
    for name in registry.short_names("sources"):
        for dest in parameters(registry.get("sources", name)) or ():
            if dest in takers:
                takers[dest].append(name)
    groups: dict[str, Any] = {}
    for dest, help_text in SOURCE_OPTIONS.items():
        names = takers[dest] or ["(no source)"]
        title = f"--from {' / '.join(names)}"
        if title not in groups:
            groups[title] = parser.add_argument_group(title)
        kwargs: dict[str, Any] = {"dest": dest, "help": help_text, "default": None}
        if dest in REPEATABLE:
            kwargs["action"] = "append"
        if dest in INTS:
            kwargs["type"] = int
        more(
            groups[title].add_argument(
                source_flag(dest), metavar=METAVARS.get(dest, dest.upper()), **kwargs
            )
        )


def add_alignment(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument(
        "--alignment",
        choices=[a.value for a in Alignment],
        default="strict",
        help="spans off token boundaries: strict (an error), expand, contract, skip (counted)",
    )


def pool_part(args: argparse.Namespace) -> Part:
    """``--pool-on-disk FORMAT``: the pool kept on disk, its path absolute, ``--source-arg``
    options checked against what that pool takes."""
    fields = parameters(registry.get("pools", args.pool_on_disk)) or set()
    kwargs: dict[str, Any] = {"path": str(Path(args.input).absolute())}
    for item in args.source_args or ():
        key, sep, value = item.partition("=")
        if not sep or key not in fields - {"path", "report"}:
            raise AutoNLPALError(
                f"--source-arg {item!r}: give KEY=VALUE with KEY one of "
                f"{sorted(fields - {'path', 'report'})}"
            )
        kwargs[key] = json_value(value)
    return Part(kind="pools", name=args.pool_on_disk, args=kwargs)


def source_part(args: argparse.Namespace, path: str | None = None) -> Part:
    """The ``--from`` source with the options given; its path made absolute, so a config saved
    in a state folder reads the same file from any working directory."""
    if not args.source:
        raise ConfigError(
            f"--from is required: one of {', '.join(registry.short_names('sources'))}"
        )
    cls = registry.get("sources", args.source)
    fields = parameters(cls) or set()
    named = path or args.input
    where = named if "://" in str(named) else str(Path(named).absolute())  # a URL stays one
    kwargs: dict[str, Any] = {"path": where, "on_error": args.on_error}
    if "scheme" in fields:
        kwargs["scheme"] = args.input_scheme
    elif given(args, ["input_scheme"]):
        raise ConfigError(
            f"--input-scheme is the tag scheme of tagged input, and --from {args.source} reads "
            f"no tags; leave it out"
        )
    for dest in SOURCE_OPTIONS:
        value = getattr(args, dest)
        if value is None:
            continue
        if dest not in fields:
            raise ConfigError(
                f"{source_flag(dest)} does not apply to --from {args.source}; options for it: "
                f"{', '.join(source_flag(d) for d in SOURCE_OPTIONS if d in fields) or 'none'}"
            )
        kwargs[dest] = value
    for item in args.source_args or ():
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            raise AutoNLPALError(
                f"--source-arg {item!r}: give KEY=VALUE with KEY one of {sorted(fields)}"
            )
        kwargs[key] = json_value(value)
    return Part(kind="sources", name=args.source, args=kwargs)


#: every option that says how to read the input
INPUT_OPTIONS = ("source", "on_error", "input_scheme", "source_args", *SOURCE_OPTIONS)


def source_plan(args: argparse.Namespace, path: str | None = None) -> dict[str, Any]:
    """What reading ``--from`` will do: the source part, and whether each text is kept once."""
    return {"source": source_part(args, path).to_dict(), "dedupe": bool(args.dedupe)}


def open_source(args: argparse.Namespace, path: str | None = None) -> Source:
    source: Source = source_part(args, path).build()
    if args.dedupe:
        from ..sources.base import Deduplicated

        return Deduplicated(source)
    return source


def read_part(part: Part, *, dedupe: bool) -> list[Example]:
    """The examples of a source part (each text once with ``dedupe``), with progress and the
    source's report printed."""
    source: Source = part.build()
    if dedupe:
        from ..sources.base import Deduplicated

        source = Deduplicated(source)
    examples = list(progress(source.read()))
    print(f"read {part.args['path']}: {source.report.summary()}")
    return examples


def read(args: argparse.Namespace, path: str | None = None) -> list[Example]:
    source = open_source(args, path)
    examples = list(progress(source.read()))
    print(f"read {path or args.input}: {source.report.summary()}")
    return examples
