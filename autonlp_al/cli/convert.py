"""Convert annotations between formats."""

from __future__ import annotations

import argparse
from typing import Any

from .. import registry
from ..converters import Converter, SpacyTokenizer, Unknown
from ..errors import ConfigError
from ..loop.config import parameters
from .common import command, given, label_list, progress
from .inputs import add_alignment, add_input, open_source, source_plan


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
#: the output options, by dest
_FLAGS = {d: "--" + d for d in ("task", "workers", "labels", "alignment", "unknown", "scheme")}


def _writer_name(target: str) -> str:
    return "tags" if target in SCHEME_TARGETS else target


def _targets() -> list[str]:
    return sorted({*registry.short_names("writers"), *SCHEME_TARGETS} - {"tags"})


def _uses(target: str) -> set[str]:
    """The output options ``--to target`` uses: its writer's own, and, for a writer that
    converts to tags, the converter's (``--scheme`` only where the scheme is not fixed)."""
    accepted = parameters(registry.get("writers", _writer_name(target))) or set()
    used = {"--" + o for o in ("task", "workers") if o in accepted}
    if accepted & {"labels", "cats"}:
        used.add("--labels")
    if "converter" in accepted:
        used |= {"--alignment", "--unknown", "--labels"}
        if target == "conll":
            used.add("--scheme")
    return used


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """What ``convert`` will do: the source, the writer with its options, the converter's
    settings. An option the chosen writer does not use is refused, naming the writers that do."""
    flags = given(args, ["task", "workers", "labels", "alignment", "unknown", "scheme"])
    name, scheme = _writer_name(args.target), args.scheme
    if args.target in SCHEME_TARGETS:
        scheme = args.target
    elif name == "autotrain":
        scheme = "iob"
    accepted = parameters(registry.get("writers", name)) or set()
    # --labels in the order given: a ClassLabel or cats order is a label map, not a set
    ordered = label_list(args.labels) if args.labels else []
    values = {"task": args.task, "lang": args.lang, "cats": ordered, "labels": ordered}
    options = {k: v for k, v in {**values, "workers": args.workers}.items() if k in accepted}
    for dest in sorted(flags):
        flag = _FLAGS[dest]
        targets = [t for t in _targets() if flag in _uses(t)]
        if args.target not in targets:
            raise ConfigError(
                f"{flag} applies to --to {', '.join(targets)}, not --to {args.target}; leave it out"
            )
    converter = {
        "scheme": scheme,
        "lang": args.lang,
        "alignment": args.alignment,
        "labels": args.labels.split(",") if args.labels else None,
        "unknown": args.unknown,
    }
    return {
        "source": source_plan(args),
        "writer": name,
        "options": options,
        "converter": converter if "converter" in accepted else None,
        "output": args.output,
    }


def convert(args: argparse.Namespace) -> int:
    what = plan(args)
    settings = {k: v for k, v in (what["converter"] or {}).items() if k != "lang"}
    converter = Converter(tokenizer=SpacyTokenizer(args.lang), **settings)
    source = open_source(args)
    factory = registry.get("writers", what["writer"])
    extra = {"converter": converter} if what["converter"] is not None else {}
    writer = factory(**what["options"], **extra)
    writer.write(progress(source.read()), args.output)
    print(f"read {args.input}: {source.report.summary()}")
    if converter.report.counts or converter.report.skipped or converter.report.adjusted:
        print(f"conversion: {converter.report.summary()}")
    print(f"wrote {args.output}: {writer.report.summary()}")
    skipped = source.report.n_skipped + converter.report.n_skipped + writer.report.n_skipped
    print(f"total skipped: {skipped}")
    return 0
