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


def _add_input(parser: argparse.ArgumentParser) -> None:
    """``--from`` and every source option (the same for every command that reads annotations)."""
    parser.add_argument("--from", dest="source", choices=SOURCES, required=True)
    parser.add_argument("--lang", default="en", help="spaCy language for tokenisation (blank:LANG)")
    parser.add_argument("--input-scheme", default="iob", help="tag scheme of CoNLL / JSONL input")
    parser.add_argument(
        "--on-error",
        choices=[o.value for o in OnError],
        default="raise",
        help="stop at the first bad record, or skip and count it",
    )
    parser.add_argument("--dedupe", action="store_true", help="folder source: skip duplicates")
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
        parser.add_argument(flag, **kwargs)


def _add_alignment(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--alignment",
        choices=[a.value for a in Alignment],
        default="strict",
        help="what to do with spans off token boundaries",
    )


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
    convert.add_argument("--to", dest="target", choices=TARGETS, required=True)
    convert.add_argument("--labels", help="comma-separated label set; other labels are an error")
    _add_alignment(convert)
    convert.add_argument(
        "--unknown",
        choices=[u.value for u in Unknown],
        default="missing",
        help="tag for unannotated tokens of partial (ner.teach) examples",
    )
    convert.add_argument(
        "--scheme", choices=("iob", "bilou"), default="iob", help="tag scheme of CoNLL output"
    )
    convert.add_argument(
        "--task",
        choices=("auto", "ner", "textcat"),
        default="auto",
        help="AutoTrain output: token or text classification",
    )
    _add_input(convert)

    train = commands.add_parser(
        "train",
        help="fine-tune a transformers model on annotations",
        description="Train a model on INPUT and save it to OUTPUT (a folder).",
    )
    train.add_argument("input", help="training annotations")
    train.add_argument("output", help="folder to save the model to")
    train.add_argument("--task", choices=("ner", "textcat"), required=True)
    train.add_argument("--model", required=True, help="base model folder (or Hub id, online)")
    train.add_argument("--labels", required=True, help="comma-separated label set, in order")
    train.add_argument("--eval", help="evaluation annotations, read like INPUT")
    train.add_argument("--init", help="a saved model to warm-start from")
    train.add_argument("--epochs", type=int, default=3)
    train.add_argument("--max-steps", type=int)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--lr", type=float, default=5e-5)
    train.add_argument("--max-length", type=int, default=256)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--early-stopping-patience", type=int)
    train.add_argument("--multi-label", action="store_true")
    _add_alignment(train)
    _add_input(train)

    evaluate = commands.add_parser(
        "evaluate",
        help="score a saved model on annotations",
        description="Score the model in MODEL on the gold annotations in INPUT.",
    )
    evaluate.add_argument("model", help="a saved model folder")
    evaluate.add_argument("input", help="gold annotations")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    _add_input(evaluate)
    return parser


def _source(args: argparse.Namespace, path: str | None = None) -> Source:
    cls = registry.get("sources", args.source)
    fields = {f.name for f in attrs.fields(cls)}
    kwargs: dict[str, Any] = {"path": path or args.input, "on_error": args.on_error}
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


def _read(args: argparse.Namespace, path: str | None = None) -> list[Example]:
    source = _source(args, path)
    examples = list(_progress(source.read()))
    print(f"read ({path or args.input}): {source.report.summary()}")
    return examples


def train(args: argparse.Namespace) -> int:
    from .trainers import TransformersTrainer, load_model

    trainer = TransformersTrainer(
        model=args.model,
        task=args.task,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        max_length=args.max_length,
        seed=args.seed,
        early_stopping_patience=args.early_stopping_patience,
        multi_label=args.multi_label,
        alignment=args.alignment,
        lang=args.lang,
    )
    examples = _read(args)
    eval_examples = _read(args, args.eval) if args.eval else []
    init = load_model(args.init) if args.init else None
    model = trainer.train(examples, eval=eval_examples, labels=args.labels.split(","), init=init)
    model.save(args.output)
    print(f"trained: {trainer.report.summary()}")
    print(f"model {model.version} saved to {args.output}")
    if model.metrics:
        print("eval: " + ", ".join(f"{k} {v:.4f}" for k, v in model.metrics.items()))
    return 0


def evaluate(args: argparse.Namespace) -> int:
    import json

    from .metrics import NerScores
    from .metrics import evaluate as score
    from .trainers import load_model

    model = load_model(args.model)
    scores = score(model, _read(args))
    if args.json:
        print(json.dumps(attrs.asdict(scores), indent=2))
        return 0
    print(f"model {model.version or args.model} ({model.task})")
    if isinstance(scores, NerScores):
        print(f"precision {scores.precision:.4f}  recall {scores.recall:.4f}  f1 {scores.f1:.4f}")
        rows = scores.per_label
    else:
        print(f"accuracy {scores.accuracy:.4f}  macro-F1 {scores.macro_f1:.4f}")
        rows = scores.per_class
    print("| label | precision | recall | f1 | support |\n|---|---|---|---|---|")
    for label, prf in rows.items():
        print(
            f"| {label} | {prf.precision:.4f} | {prf.recall:.4f} | {prf.f1:.4f} | {prf.support} |"
        )
    return 0


COMMANDS = {"convert": convert, "train": train, "evaluate": evaluate}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AutoNLPALError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
