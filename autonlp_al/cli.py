"""The ``autonlp-al`` command. Thin: turns names into objects through the registries, then calls
the library. ``python -m autonlp_al`` runs the same thing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
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
    _add_hosted(train)
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
    query.add_argument("input", help="the unlabelled pool")
    query.add_argument("--state-dir", required=True)
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
    parser.add_argument("--task", choices=("ner", "textcat"), required=True)
    parser.add_argument("--model", required=True, help="base model folder")
    parser.add_argument("--labels", required=True, help="comma-separated label set, in order")
    parser.add_argument("--strategy", default="random", help="e.g. mnlp, margin, hybrid, random")
    parser.add_argument("--batch-size", type=int, default=10, help="examples per round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool-sample", type=int, help="score at most N pool examples a round")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=128)
    _add_alignment(parser)
    _add_hosted(parser)


def _add_hosted(parser: argparse.ArgumentParser) -> None:
    """``--trainer`` and the options of the hosted AutoTrain trainer. There is no --token: the
    token comes from HF_TOKEN or `hf auth login`, so it never lands in saved settings."""
    parser.add_argument(
        "--trainer",
        choices=("local", "autotrain"),
        default="local",
        help="train here (transformers) or on Hugging Face AutoTrain (--model is then a Hub id)",
    )
    hosted = parser.add_argument_group("AutoTrain (--trainer autotrain; token from HF_TOKEN)")
    hosted.add_argument("--hardware", default="t4-small", help="Space hardware, e.g. t4-small")
    hosted.add_argument("--namespace", help="user or organisation (default: the token's user)")
    hosted.add_argument("--max-usd", type=float, help="refuse rounds that could exceed this")
    hosted.add_argument("--hub-endpoint", help="Hub URL (default: huggingface_hub's)")
    hosted.add_argument("--dry-run", metavar="DIR", help="write the payloads to DIR, send nothing")
    hosted.add_argument(
        "--poll-interval", type=float, default=30.0, help="seconds between status polls"
    )


def _hosted_trainer(args: argparse.Namespace) -> Any:
    """The AutoTrain trainer when ``--trainer autotrain`` was given, else ``None``."""
    if getattr(args, "trainer", "local") != "autotrain":
        return None
    from .trainers import AutoTrainTrainer

    return AutoTrainTrainer(
        task=args.task,
        base_model=args.model,
        epochs=args.epochs,
        lr=args.lr,
        max_seq_length=args.max_length,
        seed=args.seed,
        hardware=args.hardware,
        namespace=args.namespace,
        max_usd=args.max_usd,
        endpoint=args.hub_endpoint,
        dry_run=args.dry_run,
        poll_interval=getattr(args, "poll_interval", 30.0),
    )


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
    from .errors import DryRunFinished
    from .trainers import TransformersTrainer, load_model

    trainer = _hosted_trainer(args) or TransformersTrainer(
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
    try:
        model = trainer.train(
            examples, eval=eval_examples, labels=args.labels.split(","), init=init
        )
    except DryRunFinished as done:
        print(done)
        return 0
    model.save(args.output)
    if hasattr(trainer, "report"):
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


def _strategy(name: str, task: str) -> Any:
    cls = registry.get("strategies", name)
    if name.startswith("hybrid"):
        uncertainty = registry.get("strategies", "mnlp" if task == "ner" else "margin")()
        return cls(uncertainty=uncertainty)
    return cls()


def _loop_parts(args: argparse.Namespace) -> dict[str, Any]:
    from .trainers import TransformersTrainer

    trainer = _hosted_trainer(args) or TransformersTrainer(
        model=args.model,
        task=args.task,
        epochs=args.epochs,
        lr=args.lr,
        max_length=args.max_length,
        seed=args.seed,
        alignment=args.alignment,
        lang=args.lang,
    )
    return {
        "trainer": trainer,
        "strategy": _strategy(args.strategy, args.task),
        "labels": args.labels.split(","),
        "batch_size": args.batch_size,
        "seed": args.seed,
        "pool_sample": args.pool_sample,
    }


def _logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("autonlp_al.trainers").setLevel(logging.WARNING)


def simulate(args: argparse.Namespace) -> int:
    from .simulate import simulate as run

    _logging()
    parts = _loop_parts(args)
    gold, test = _read(args), _read(args, args.test)
    run(
        trainer=parts["trainer"],
        strategy=parts["strategy"],
        gold=gold,
        test=test,
        labels=parts["labels"],
        state_dir=args.state_dir,
        seed_size=args.seed_size,
        batch_size=args.batch_size,
        rounds=args.rounds,
        seed=args.seed,
        control=not args.no_control,
        pool_sample=args.pool_sample,
    )
    return _report(Path(args.state_dir), args.reference, None)


def query(args: argparse.Namespace) -> int:
    import json

    from .learner import ActiveLearner
    from .sources import JsonlSource

    _logging()
    state = Path(args.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("command", "output")}
    (state / "cli.json").write_text(json.dumps(settings, indent=2) + "\n")
    seed = list(JsonlSource(path=args.seed_data).read()) if args.seed_data else []
    learner = ActiveLearner(pool=_read(args), state_dir=state, labeled=seed, **_loop_parts(args))
    path = learner.query(args.output)
    print(
        f"round {learner.next_round}: wrote {path}; label it, e.g. "
        f"prodigy ner.correct <dataset> <model> {path}, then run autonlp-al update"
    )
    return 0


def update(args: argparse.Namespace) -> int:
    import json

    from .learner import ActiveLearner
    from .sources import JsonlSource

    _logging()
    state = Path(args.state_dir)
    settings_file = state / "cli.json"
    if not settings_file.exists():
        raise AutoNLPALError(f"{state}: no cli.json; start the loop with autonlp-al query")
    saved = argparse.Namespace(**json.loads(settings_file.read_text()))
    seed = list(JsonlSource(path=saved.seed_data).read()) if saved.seed_data else []
    learner = ActiveLearner(pool=_read(saved), state_dir=state, labeled=seed, **_loop_parts(saved))
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
    from . import curves

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
    from .serve import serve as run

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
    from .hub import push_to_hub
    from .serve import load_for_serving

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
