"""Convert annotations between formats."""

from __future__ import annotations

import argparse
from typing import Any

from .. import registry
from ..converters import Converter, SpacyTokenizer, Unknown
from ..errors import ConfigError
from ..loop.config import parameters
from .common import command, label_list, progress
from .inputs import add_alignment, add_input, open_source


def add(commands: Any) -> None:
    """The ``convert`` command."""
    convert = command(
        commands,
        "convert",
        help="convert annotations between formats",
        description="Read annotations from INPUT and write them to OUTPUT in another format.",
        usage="INPUT OUTPUT --from FORMAT --to FORMAT [options]",
    )
    convert.add_argument("input", help="input file (or folder for --from folder)")
    convert.add_argument("output", help="output file; written atomically")
    out = convert.add_argument_group("output")
    out.add_argument(
        "--to",
        dest="target",
        metavar="FORMAT",
        choices=sorted({*registry.short_names("writers"), *SCHEME_TARGETS} - {"tags"}),
        required=True,
        help="the output's format, one of: %(choices)s",
    )
    out.add_argument("--labels", help="comma-separated label set; other labels are an error")
    out.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes that convert (autotrain, iob, bilou); the output keeps the input order",
    )
    add_alignment(out)
    out.add_argument(
        "--unknown",
        choices=[u.value for u in Unknown],
        default="missing",
        help="tag for unannotated tokens of partial (ner.teach) examples",
    )
    out.add_argument(
        "--scheme", choices=("iob", "bilou"), default="iob", help="tag scheme of CoNLL output"
    )
    out.add_argument(
        "--task",
        choices=("auto", "ner", "textcat"),
        default="auto",
        help="AutoTrain output: token or text classification",
    )
    add_input(convert)


#: ``--to`` names that pick the tags writer with that scheme
SCHEME_TARGETS = ("iob", "bilou")


def make_writer(args: argparse.Namespace, converter: Converter) -> Any:
    """The ``--to`` writer: ``iob`` / ``bilou`` are the tags writer in that scheme; any other
    name is a registered writer, given the options it takes."""
    name = args.target
    if name in SCHEME_TARGETS:
        converter.scheme = registry.get("schemes", name)()
        name = "tags"
    elif name == "autotrain":
        converter.scheme = registry.get("schemes", "iob")()
    factory = registry.get("writers", name)
    # --labels in the order given: a ClassLabel or cats order is a label map, not a set
    ordered = tuple(label_list(args.labels)) if getattr(args, "labels", None) else ()
    options = {
        "converter": converter,
        "task": args.task,
        "lang": args.lang,
        "cats": ordered,
        "labels": ordered,
        "workers": args.workers,
    }
    accepted = parameters(factory) or set()
    if args.workers > 1 and "workers" not in accepted:
        raise ConfigError(
            f"--workers applies to --to autotrain, iob and bilou (one record per line), "
            f"not --to {args.target}"
        )
    return factory(**{k: v for k, v in options.items() if k in accepted})


def convert(args: argparse.Namespace) -> int:
    converter = Converter(
        scheme=args.scheme,
        tokenizer=SpacyTokenizer(args.lang),
        alignment=args.alignment,
        labels=args.labels.split(",") if args.labels else None,
        unknown=args.unknown,
    )
    source = open_source(args)
    writer = make_writer(args, converter)
    writer.write(progress(source.read()), args.output)
    print(f"read {args.input}: {source.report.summary()}")
    if converter.report.counts or converter.report.skipped or converter.report.adjusted:
        print(f"conversion: {converter.report.summary()}")
    print(f"wrote {args.output}: {writer.report.summary()}")
    skipped = source.report.n_skipped + converter.report.n_skipped + writer.report.n_skipped
    print(f"total skipped: {skipped}")
    return 0
