"""The ``autonlp-al`` command. Thin: arguments become a :class:`~autonlp_al.loop.config.LoopConfig`
(or, for one-off commands, parts built through the registries), then the library runs. Every
choice of ``--from``, ``--to``, ``--trainer`` and ``--strategy`` is read from the registries, so a
plugin registered through an entry point appears here without touching this file.
``python -m autonlp_al`` runs the same thing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import __version__, registry
from .converters import Alignment, Converter, SpacyTokenizer, Unknown
from .errors import AutoNLPALError, ConfigError
from .loop.config import LoopConfig, Part, parameters, recommended_trainer_args
from .sources.base import OnError, Source
from .types import Example

__all__ = ["main"]

#: ``--to`` names that pick the tags writer with that scheme
_SCHEME_TARGETS = ("iob", "bilou")

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
    parser.add_argument(
        "--from",
        dest="source",
        choices=registry.short_names("sources"),
        help="the input's format (required with an input)",
    )
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
    parser.add_argument(
        "--source-arg",
        dest="source_args",
        action="append",
        metavar="KEY=VALUE",
        help="any other argument of the source (a plugin's, say); VALUE is read as JSON if it "
        "parses, else as a string (repeatable)",
    )


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
    convert.add_argument(
        "--to",
        dest="target",
        choices=sorted({*registry.short_names("writers"), *_SCHEME_TARGETS} - {"tags"}),
        required=True,
    )
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
    train.add_argument("--labels", required=True, help="comma-separated label set, in order")
    train.add_argument("--eval", help="evaluation annotations, read like INPUT")
    train.add_argument("--init", help="a saved model to warm-start from")
    train.add_argument("--seed", type=int, default=0)
    _add_trainer(train, epochs=3, lr=5e-5, max_length=256)
    train.add_argument("--early-stopping-patience", type=int)
    train.add_argument("--multi-label", action="store_true", default=None)
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

    simulate = commands.add_parser(
        "simulate",
        help="simulate active learning on labelled data, against a random control",
        description="Active learning with a gold oracle: start from a seed set of INPUT, label "
        "batches picked by --strategy, score each round on TEST.",
    )
    simulate.add_argument("input", help="labelled pool (the oracle's answers)")
    simulate.add_argument("test", help="labelled test set, read like INPUT")
    simulate.add_argument("--state-dir", required=True, help="folder for logs, models, report")
    simulate.add_argument("--config", help="a loop config file instead of the loop options")
    _add_loop(simulate)
    simulate.add_argument("--rounds", type=int, default=3, help="rounds after the seed round")
    simulate.add_argument("--seed-size", type=int, default=10)
    simulate.add_argument("--no-control", action="store_true", help="skip the random control")
    simulate.add_argument("--reference", type=float, help="reference score for the report")
    _add_input(simulate)

    query = commands.add_parser(
        "query",
        help="write the next batch to label as Prodigy tasks",
        description="Pick the next batch from POOL and write it as Prodigy task JSONL, "
        "pre-annotated by the current model.",
    )
    query.add_argument("input", nargs="?", help="the unlabelled pool (or [pool] in --config)")
    query.add_argument("--state-dir", required=True)
    query.add_argument(
        "--config", help="a loop config file (see docs/config.md) instead of the loop options"
    )
    query.add_argument("--output", help="task file (default STATE_DIR/queries/round-NNN.jsonl)")
    query.add_argument("--seed-data", help="already labelled examples to start from (JSONL)")
    _add_loop(query)
    _add_input(query)

    update = commands.add_parser(
        "update",
        help="train the next model on answers to the open query",
        description="Read answers (e.g. a Prodigy database) and train the next round's model.",
    )
    update.add_argument("state_dir", help="the state folder query() wrote to")
    update.add_argument("input", help="answers: a Prodigy DB / db-out file, JSONL, CSV ...")
    _add_input(update)

    report = commands.add_parser(
        "report",
        help="learning curves of a state folder",
        description="Print the learning-curve table of a learner or simulation folder and draw "
        "it as a PNG.",
    )
    report.add_argument("state_dir")
    report.add_argument("--reference", type=float, help="e.g. the full-data score")
    report.add_argument("--png", help="where to draw the curve (default STATE_DIR/curve.png)")

    serve = commands.add_parser(
        "serve",
        help="serve a model (or a learner's latest round) over HTTP",
        description="POST /predict, GET /health, GET /model. Given a state folder, each newly "
        "trained round's model is swapped in without dropping a request.",
    )
    serve.add_argument("path", help="a saved model folder or a learner's state folder")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--token", help="require Authorization: Bearer TOKEN")
    serve.add_argument("--max-batch", type=int, default=64, help="texts per request, at most")
    serve.add_argument("--max-chars", type=int, default=20_000, help="characters per text")
    serve.add_argument("--poll", type=float, default=5.0, help="seconds between state checks")

    push = commands.add_parser(
        "push",
        help="publish a model (or a learner's latest round) on the Hugging Face Hub",
        description="Upload the model and a model card (labels, metrics, data size, strategy).",
    )
    push.add_argument("path", help="a saved model folder or a learner's state folder")
    push.add_argument("repo_id", help="e.g. your-name/bbc-ner")
    push.add_argument("--public", action="store_true", help="create the repo public")
    push.add_argument("--endpoint", help="Hub URL (default: huggingface_hub's)")
    return parser


def _add_loop(parser: argparse.ArgumentParser) -> None:
    """Options of the learner and its trainer (simulate, query)."""
    parser.add_argument("--task", choices=("ner", "textcat"))
    parser.add_argument("--labels", help="comma-separated label set, in order")
    parser.add_argument(
        "--strategy",
        choices=registry.short_names("strategies"),
        help="query strategy (default: total_token_entropy for ner, margin for textcat)",
    )
    parser.add_argument(
        "--uncertainty",
        choices=registry.short_names("strategies"),
        help="hybrid only: the uncertainty strategy that shortlists (default: mnlp for ner, "
        "margin for textcat)",
    )
    parser.add_argument("--batch-size", type=int, default=10, help="examples per round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool-sample", type=int, help="score at most N pool examples a round")
    _add_trainer(parser, epochs=None, lr=None, max_length=128)
    _add_alignment(parser)


def _add_trainer(
    parser: argparse.ArgumentParser, *, epochs: int | None, lr: float | None, max_length: int
) -> None:
    """``--trainer`` (any registered trainer) and the options trainers take. There is no
    --token: the hosted trainer reads HF_TOKEN or `hf auth login`, so it never lands in a saved
    config. An option applies to the trainers with an argument of its name."""
    parser.add_argument(
        "--trainer",
        choices=registry.short_names("trainers"),
        default="transformers",
        help="transformers: fine-tune here; autotrain: on Hugging Face AutoTrain (--model is "
        "then a Hub id)",
    )
    parser.add_argument("--model", help="base model folder (a Hub id for autotrain)")
    loop = epochs is None
    parser.add_argument(
        "--epochs",
        type=int,
        default=epochs,
        help="epochs per round (default: the recommended loop settings)" if loop else None,
    )
    parser.add_argument(
        "--max-steps", type=int, help="optimiser steps per round; wins over --epochs"
    )
    # in a loop --batch-size is the examples per round, so the training batch has its own flag
    flag = "--train-batch-size" if loop else "--batch-size"
    parser.add_argument(flag, dest="train_batch_size", type=int, help="training batch size")
    parser.add_argument(
        "--lr",
        type=float,
        default=lr,
        help="learning rate (default: 2e-4 for ner, 1e-4 for textcat)" if loop else None,
    )
    parser.add_argument("--max-length", type=int, default=max_length)
    hosted = parser.add_argument_group("AutoTrain (--trainer autotrain; token from HF_TOKEN)")
    hosted.add_argument("--hardware", help="Space hardware, e.g. t4-small")
    hosted.add_argument("--namespace", help="user or organisation (default: the token's user)")
    hosted.add_argument("--max-usd", type=float, help="refuse rounds that could exceed this")
    hosted.add_argument("--hub-endpoint", dest="endpoint", help="Hub URL")
    hosted.add_argument("--dry-run", metavar="DIR", help="write the payloads to DIR, send nothing")
    hosted.add_argument("--poll-interval", type=float, help="seconds between status polls")


# CLI dest -> trainer argument
_TRAINER_OPTIONS = {
    "model": "model",
    "epochs": "epochs",
    "max_steps": "max_steps",
    "train_batch_size": "batch_size",
    "lr": "lr",
    "max_length": "max_length",
    "early_stopping_patience": "early_stopping_patience",
    "multi_label": "multi_label",
    "alignment": "alignment",
    "hardware": "hardware",
    "namespace": "namespace",
    "max_usd": "max_usd",
    "endpoint": "endpoint",
    "dry_run": "dry_run",
    "poll_interval": "poll_interval",
}


def _trainer_part(args: argparse.Namespace, *, loop: bool) -> Part:
    """The ``--trainer`` part with every option given that the trainer takes; an option it does
    not take is an error naming the ones it does. In a loop, unset options take the recommended
    loop settings (:func:`~autonlp_al.loop.config.recommended_trainer_args`)."""
    if not args.model:
        raise ConfigError("--model is required: the base model folder (or Hub id for autotrain)")
    part = Part(kind="trainers", name=args.trainer)
    accepted = set(parameters(part.factory()) or ())
    given = {
        arg: getattr(args, dest)
        for dest, arg in _TRAINER_OPTIONS.items()
        if getattr(args, dest, None) is not None
    }
    defaults_only = {"alignment", "max_length"}  # always set by argparse
    refused = sorted(k for k in given if k not in accepted and k not in defaults_only)
    if refused:
        raise ConfigError(
            f"--{refused[0].replace('_', '-')} does not apply to --trainer {args.trainer}; it "
            f"takes: {', '.join(sorted(accepted & set(_TRAINER_OPTIONS.values())))}"
        )
    kwargs = {k: v for k, v in given.items() if k in accepted}
    if loop:
        for key, value in recommended_trainer_args(args.task).items():
            if key in accepted:
                kwargs.setdefault(key, value)
    if "progress" in accepted:
        kwargs["progress"] = False
    return attrs.evolve(part, args=kwargs)


def _strategy_part(args: argparse.Namespace) -> Part:
    name = args.strategy or ("total_token_entropy" if args.task == "ner" else "margin")
    part = Part(kind="strategies", name=name)
    if args.uncertainty:
        if "uncertainty" not in (parameters(part.factory()) or ()):
            raise ConfigError(f"--uncertainty applies to --strategy hybrid, not {name}")
        part = attrs.evolve(
            part, args={"uncertainty": Part(kind="strategies", name=args.uncertainty)}
        )
    return part


def _loop_config(args: argparse.Namespace) -> LoopConfig:
    """The loop the arguments describe (``--config FILE`` where the command has one)."""
    if getattr(args, "config", None):
        return LoopConfig.from_file(args.config)
    for option in ("task", "labels", "model"):
        if not getattr(args, option):
            raise ConfigError(f"--{option} is required (or pass --config FILE)")
    return LoopConfig(
        task=args.task,
        labels=_labels(args.labels),
        trainer=_trainer_part(args, loop=True),
        strategy=_strategy_part(args),
        lang=args.lang,
        batch_size=args.batch_size,
        seed=args.seed,
        pool_sample=args.pool_sample,
    )


def _labels(value: str) -> list[str]:
    return [label.strip() for label in value.split(",") if label.strip()]


def _source_part(args: argparse.Namespace, path: str | None = None) -> Part:
    """The ``--from`` source with the options given; its path made absolute, so a config saved
    in a state folder reads the same file from any working directory."""
    if not args.source:
        raise ConfigError(
            f"--from is required: one of {', '.join(registry.short_names('sources'))}"
        )
    cls = registry.get("sources", args.source)
    fields = parameters(cls) or set()
    given = path or args.input
    kwargs: dict[str, Any] = {"path": str(Path(given).absolute()), "on_error": args.on_error}
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
        takers = [
            name
            for name in registry.short_names("sources")
            if "dedupe" in (parameters(registry.get("sources", name)) or ())
        ]
        raise AutoNLPALError(
            f"--dedupe does not apply to --from {args.source}; sources that take it: "
            f"{', '.join(takers)} (or deduplicate the file first)"
        )
    for item in args.source_args or ():
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            raise AutoNLPALError(
                f"--source-arg {item!r}: give KEY=VALUE with KEY one of {sorted(fields)}"
            )
        kwargs[key] = _value(value)
    return Part(kind="sources", name=args.source, args=kwargs)


def _value(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def _source(args: argparse.Namespace, path: str | None = None) -> Source:
    source: Source = _source_part(args, path).build()
    return source


def _writer(args: argparse.Namespace, converter: Converter) -> Any:
    """The ``--to`` writer: ``iob`` / ``bilou`` are the tags writer in that scheme; any other
    name is a registered writer, given the options it takes."""
    name = args.target
    if name in _SCHEME_TARGETS:
        converter.scheme = registry.get("schemes", name)()
        name = "tags"
    elif name == "autotrain":
        converter.scheme = registry.get("schemes", "iob")()
    factory = registry.get("writers", name)
    options = {
        "converter": converter,
        "task": args.task,
        "lang": args.lang,
        "cats": tuple(converter.labels or ()),
    }
    accepted = parameters(factory) or set()
    return factory(**{k: v for k, v in options.items() if k in accepted})


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
    from .errors import DryRunFinished

    trainer = _trainer_part(args, loop=False).build(
        {"task": args.task, "lang": args.lang, "seed": args.seed}
    )
    examples = _read(args)
    eval_examples = _read(args, args.eval) if args.eval else []
    init = trainer.load(args.init) if args.init else None
    try:
        model = trainer.train(examples, eval=eval_examples, labels=_labels(args.labels), init=init)
    except DryRunFinished as done:
        print(done)
        return 0
    model.save(args.output)
    report = getattr(trainer, "report", None)  # a trainer may count what it skipped
    if report is not None:
        print(f"trained: {report.summary()}")
    print(f"model {model.version} saved to {args.output}")
    if getattr(model, "metrics", None):
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


def _logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("autonlp_al.trainers").setLevel(logging.WARNING)


def simulate(args: argparse.Namespace) -> int:
    from .loop.config import CONFIG_FILE
    from .loop.simulate import simulate as run

    _logging()
    config = _loop_config(args)
    gold, test = _read(args), _read(args, args.test)
    run(
        trainer=config.build_trainer(),
        strategy=config.build_strategy(),
        cold_start=config.cold_start.build(config.shared),
        gold=gold,
        test=test,
        labels=config.labels,
        state_dir=args.state_dir,
        seed_size=args.seed_size,
        batch_size=config.batch_size,
        rounds=args.rounds,
        seed=config.seed,
        control=not args.no_control,
        pool_sample=config.pool_sample,
        stop=config.build_stopping(),
    )
    config.save(Path(args.state_dir) / CONFIG_FILE)  # once the run was accepted, as query does
    return _report(Path(args.state_dir), args.reference, None)


def query(args: argparse.Namespace) -> int:
    from .writers import ProdigyWriter

    _logging()
    config = _loop_config(args)
    if args.input:
        config = config.evolve(pool=_source_part(args))
    if args.seed_data:
        seed = Part(
            kind="sources", name="jsonl", args={"path": str(Path(args.seed_data).absolute())}
        )
        config = config.evolve(seed_data=seed)
    learner = config.build(args.state_dir)
    learner.train_pending()
    query = learner.query()
    path = Path(args.output or Path(args.state_dir) / "queries" / f"round-{query.round:03d}.jsonl")
    options = config.labels if config.task == "textcat" else ()
    ProdigyWriter(options=options, with_answer=False).write(query.tasks(), path)
    recipe = "ner.correct" if config.task == "ner" else "textcat.manual"
    print(
        f"round {query.round}: wrote {path}; label it, e.g. prodigy {recipe} <dataset> "
        f"blank:{config.lang} {path}, then run autonlp-al update {args.state_dir} <answers>"
    )
    return 0


def update(args: argparse.Namespace) -> int:
    _logging()
    learner = LoopConfig.from_state(args.state_dir).build(args.state_dir, save=False)
    record = learner.update(_source(args))
    if record is None:
        print("no answers found; nothing trained")
        return 0
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in record.metrics.items())
    print(
        f"round {record.round}: {record.n_labeled} labelled, model {record.model_version} {metrics}"
    )
    return 0


def report(args: argparse.Namespace) -> int:
    return _report(Path(args.state_dir), args.reference, args.png)


def _report(state_dir: Path, reference: float | None, png: str | None) -> int:
    from .loop import curves

    runs = curves.load_runs(state_dir)
    table = curves.markdown(runs, reference=reference)
    print(table)
    (state_dir / "report.md").write_text(table + "\n")
    try:
        drawn = curves.plot(
            runs, png or state_dir / "curve.png", reference=reference, title=state_dir.name
        )
        print(f"\ncurve: {drawn}")
    except AutoNLPALError as exc:  # matplotlib missing: the table is still the report
        print(f"\nno plot: {exc}")
    return 0


def serve(args: argparse.Namespace) -> int:
    from .integrations.serve import serve as run

    _logging()
    run(
        args.path,
        host=args.host,
        port=args.port,
        token=args.token,
        max_batch=args.max_batch,
        max_chars=args.max_chars,
        poll=args.poll,
    )
    return 0


def push(args: argparse.Namespace) -> int:
    from .integrations.hub import push_to_hub
    from .integrations.serve import load_for_serving

    model, info = load_for_serving(args.path)
    details = {
        k.replace("n_labeled", "labelled examples"): v
        for k, v in info.items()
        if k in ("round", "n_labeled", "strategy")
    }
    if info.get("metrics") and not getattr(model, "metrics", None):
        details["metrics"] = info["metrics"]
    url = push_to_hub(
        model, args.repo_id, endpoint=args.endpoint, private=not args.public, details=details
    )
    print(f"pushed {model.version} to {args.repo_id}: {url}")
    return 0


COMMANDS = {
    "convert": convert,
    "train": train,
    "evaluate": evaluate,
    "simulate": simulate,
    "query": query,
    "update": update,
    "report": report,
    "serve": serve,
    "push": push,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AutoNLPALError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
