"""The ``autonlp-al`` command. Thin: turns names into objects through the registries, then calls
the library. ``python -m autonlp_al`` runs the same thing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from . import __version__, registry
from .converters import Alignment, Converter, SpacyTokenizer, Unknown
from .errors import AutoNLPALError
from .sources.base import OnError, Source
from .types import Example

__all__ = ["main"]

SOURCES = ("prodigy", "jsonl", "csv", "conll", "folder")
TARGETS = ("autotrain", "iob", "bilou", "conll", "spacy", "prodigy")

# CLI option (dest) -> help; each applies to the sources that have an attribute of that name.
_SOURCE_OPTIONS = {
    "dataset": "Prodigy dataset to read from a database",
    "sessions": "only Prodigy answers from this session id (repeatable)",
    "answers": "Prodigy answers to use, e.g. accept (repeatable; default accept and reject)",
    "text_field": "JSONL field with the text",
    "label_field": "JSONL field with the class label(s)",
    "spans_field": "JSONL field with entity spans",
    "tokens_field": "JSONL field with tokens",
    "tags_field": "JSONL field with tags, one per token",
    "id_field": "JSONL field kept as meta['id']",
    "text_column": "CSV column with the text",
    "label_column": "CSV column with the class label",
    "id_column": "CSV column kept as meta['id']",
    "label_separator": "split CSV labels on this string (multi-label)",
    "delimiter": "CSV delimiter (default: sniffed)",
    "token_column": "CoNLL token column index",
    "tag_column": "CoNLL tag column index (default -1, the last)",
    "separator": "CoNLL column separator (default: whitespace)",
    "encoding": "input encoding",
    "pattern": "folder source: file pattern inside each label folder",
}
_REPEATABLE = {"sessions", "answers"}
_INTS = {"token_column", "tag_column"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autonlp-al", description=__doc__)
    parser.add_argument("--version", action="version", version=f"autonlp_al {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    convert = commands.add_parser(
        "convert",
        help="convert annotations between formats",
        description="Read annotations from INPUT and write them to OUTPUT in another format.",
    )
    convert.add_argument("input", help="input file (or folder for --from folder)")
    convert.add_argument("output", help="output file; written atomically")
    convert.add_argument("--from", dest="source", choices=SOURCES, required=True)
    convert.add_argument("--to", dest="target", choices=TARGETS, required=True)
    convert.add_argument("--labels", help="comma-separated label set; other labels are an error")
    convert.add_argument(
        "--lang", default="en", help="spaCy language for tokenisation (blank:LANG)"
    )
    convert.add_argument(
        "--alignment",
        choices=[a.value for a in Alignment],
        default="strict",
        help="what to do with spans off token boundaries",
    )
    convert.add_argument(
        "--unknown",
        choices=[u.value for u in Unknown],
        default="missing",
        help="tag for unannotated tokens of partial (ner.teach) examples",
    )
    convert.add_argument(
        "--scheme", choices=("iob", "bilou"), default="iob", help="tag scheme of CoNLL output"
    )
    convert.add_argument("--input-scheme", default="iob", help="tag scheme of CoNLL / JSONL input")
    convert.add_argument(
        "--task",
        choices=("auto", "ner", "textcat"),
        default="auto",
        help="AutoTrain output: token or text classification",
    )
    convert.add_argument(
        "--on-error",
        choices=[o.value for o in OnError],
        default="raise",
        help="stop at the first bad record, or skip and count it",
    )
    convert.add_argument(
        "--dedupe", action="store_true", help="folder source: skip exact duplicates"
    )
    for dest, help_text in _SOURCE_OPTIONS.items():
        flag = "--" + (
            "session"
            if dest == "sessions"
            else "answer"
            if dest == "answers"
            else dest.replace("_", "-")
        )
        kwargs: dict[str, Any] = {"dest": dest, "help": help_text, "default": None}
        if dest in _REPEATABLE:
            kwargs["action"] = "append"
        if dest in _INTS:
            kwargs["type"] = int
        convert.add_argument(flag, **kwargs)
    return parser


def _source(args: argparse.Namespace) -> Source:
    cls = registry.get("sources", args.source)
    fields = {f.name for f in attrs.fields(cls)}
    kwargs: dict[str, Any] = {"path": args.input, "on_error": args.on_error}
    if "scheme" in fields:
        kwargs["scheme"] = args.input_scheme
    if args.dedupe:
        kwargs["dedupe"] = True
    for dest in _SOURCE_OPTIONS:
        value = getattr(args, dest)
        if value is None:
            continue
        if dest not in fields:
            raise AutoNLPALError(
                f"--{dest.replace('_', '-')} does not apply to --from {args.source}; "
                f"options for it: {sorted(fields & set(_SOURCE_OPTIONS))}"
            )
        kwargs[dest] = value
    if "dedupe" in kwargs and "dedupe" not in fields:
        raise AutoNLPALError(f"--dedupe does not apply to --from {args.source}")
    source: Source = cls(**kwargs)
    return source


def _writer(args: argparse.Namespace, converter: Converter) -> Any:
    labels = tuple(converter.labels or ())
    if args.target in ("iob", "bilou"):
        converter.scheme = registry.get("schemes", args.target)()
        return registry.get("writers", "tags")(converter=converter)
    if args.target == "conll":
        return registry.get("writers", "conll")(converter=converter)
    if args.target == "autotrain":
        converter.scheme = registry.get("schemes", "iob")()
        return registry.get("writers", "autotrain")(converter=converter, task=args.task)
    if args.target == "spacy":
        return registry.get("writers", "spacy")(converter=converter, lang=args.lang, cats=labels)
    return registry.get("writers", "prodigy")(converter=converter)


def _progress(examples: Iterator[Example], every: int = 1000) -> Iterator[Example]:
    show = sys.stderr.isatty()
    n = 0
    for n, example in enumerate(examples, start=1):
        if show and n % every == 0:
            print(f"\r{n:,} examples", end="", file=sys.stderr, flush=True)
        yield example
    if show and n >= every:
        print(file=sys.stderr)


def convert(args: argparse.Namespace) -> int:
    converter = Converter(
        scheme=args.scheme,
        tokenizer=SpacyTokenizer(args.lang),
        alignment=args.alignment,
        labels=args.labels.split(",") if args.labels else None,
        unknown=args.unknown,
    )
    source = _source(args)
    writer = _writer(args, converter)
    writer.write(_progress(source.read()), args.output)
    print(f"read ({args.input}): {source.report.summary()}")
    print(f"converted: {converter.report.summary()}")
    print(f"written ({args.output}): {writer.report.summary()}")
    skipped = source.report.n_skipped + converter.report.n_skipped + writer.report.n_skipped
    print(f"total skipped: {skipped}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return convert(args)
    except AutoNLPALError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
