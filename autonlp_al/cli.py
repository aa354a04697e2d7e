"""The ``autonlp-al`` command. Thin: arguments become a :class:`~autonlp_al.loop.config.LoopConfig`
(or, for one-off commands, parts built through the registries), then the library runs. Every
choice of ``--from``, ``--to``, ``--trainer`` and ``--strategy`` is read from the registries, so a
plugin registered through an entry point appears here without touching this file.
``python -m autonlp_al`` runs the same thing."""

from __future__ import annotations

import argparse
import os
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
_REPEATABLE = {"sessions", "answers"}
_METAVARS = {
    **{dest: "NAME" for dest in _SOURCE_OPTIONS if dest.endswith(("_field", "_column"))},
    "token_column": "N",
    "tag_column": "N",
    "sessions": "ID",
    "answers": "ANSWER",
    "label_separator": "SEP",
    "separator": "SEP",
    "delimiter": "CHAR",
}
_INTS = {"token_column", "tag_column"}


def _flag(dest: str) -> str:
    return "--" + {"sessions": "session", "answers": "answer"}.get(dest, dest).replace("_", "-")


class _Help(argparse.RawDescriptionHelpFormatter):
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


def _command(
    commands: Any, name: str, *, help: str, description: str, usage: str, epilog: str = ""
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=description,
        usage=f"autonlp-al {name} {usage}",
        epilog=epilog or None,
        formatter_class=_Help,
    )
    return parser


def _add_input(parser: argparse.ArgumentParser) -> None:
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
    group.add_argument("--lang", default="en", help="spaCy language for tokenisation (blank:LANG)")
    group.add_argument(
        "--input-scheme",
        choices=registry.short_names("schemes"),
        default="iob",
        help="tag scheme of tagged (CoNLL / JSONL / datasets) input",
    )
    group.add_argument(
        "--source-arg",
        dest="source_args",
        action="append",
        metavar="KEY=VALUE",
        help="any other argument of the source (a plugin's, say); VALUE is read as JSON if it "
        "parses, else as a string (repeatable)",
    )
    takers: dict[str, list[str]] = {dest: [] for dest in _SOURCE_OPTIONS}
    for name in registry.short_names("sources"):
        for dest in parameters(registry.get("sources", name)) or ():
            if dest in takers:
                takers[dest].append(name)
    groups: dict[str, Any] = {}
    for dest, help_text in _SOURCE_OPTIONS.items():
        names = takers[dest] or ["(no source)"]
        title = f"--from {' / '.join(names)}"
        if title not in groups:
            groups[title] = parser.add_argument_group(title)
        kwargs: dict[str, Any] = {"dest": dest, "help": help_text, "default": None}
        if dest in _REPEATABLE:
            kwargs["action"] = "append"
        if dest in _INTS:
            kwargs["type"] = int
        groups[title].add_argument(_flag(dest), metavar=_METAVARS.get(dest, dest.upper()), **kwargs)


def _add_alignment(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument(
        "--alignment",
        choices=[a.value for a in Alignment],
        default="strict",
        help="spans off token boundaries: strict (an error), expand, contract, skip (counted)",
    )


_DESCRIPTION = """\
Active learning for NLP: label a few examples, train, let the model pick the next ones.

A loop on your own data (see docs/tutorial.md):
  autonlp-al query pool.jsonl --from jsonl --state-dir runs/x --task textcat \\
      --labels a,b,c --model path/to/model        # writes runs/x/queries/round-000.jsonl
  (label that file in Prodigy, or add "accept"/"answer" to each line)
  autonlp-al update answers.jsonl --from prodigy --state-dir runs/x   # trains round 0
  autonlp-al query --state-dir runs/x             # the next batch, picked by the model
  autonlp-al serve runs/x                         # the latest round over HTTP

Run "autonlp-al COMMAND --help" for a command's options."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autonlp-al", description=_DESCRIPTION, formatter_class=_Help
    )
    parser.add_argument("--version", action="version", version=f"autonlp_al {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    convert = _command(
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
        choices=sorted({*registry.short_names("writers"), *_SCHEME_TARGETS} - {"tags"}),
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
    _add_alignment(out)
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
    _add_input(convert)

    train = _command(
        commands,
        "train",
        help="fine-tune a model on annotations",
        description="Train a model on INPUT and save it to OUTPUT (a folder).",
        usage="INPUT OUTPUT --from FORMAT --task TASK --labels A,B --model PATH [options]",
    )
    train.add_argument("input", help="training annotations")
    train.add_argument("output", help="folder to save the model to")
    what = train.add_argument_group("what to train")
    what.add_argument("--task", choices=("ner", "textcat"), required=True)
    what.add_argument("--labels", required=True, help="comma-separated label set, in order")
    what.add_argument("--eval", metavar="FILE", help="evaluation annotations, read like INPUT")
    what.add_argument("--init", metavar="MODEL", help="a saved model to warm-start from")
    what.add_argument("--seed", type=int, default=0, help="random seed")
    _add_trainer(train, epochs=3, lr=5e-5, max_length=256)
    _add_input(train)

    evaluate = _command(
        commands,
        "evaluate",
        help="score a saved model on annotations",
        description="Score the model in MODEL on the gold annotations in INPUT.",
        usage="MODEL INPUT --from FORMAT [options]",
    )
    evaluate.add_argument("model", help="a saved model folder")
    evaluate.add_argument("input", help="gold annotations")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    _add_input(evaluate)

    simulate = _command(
        commands,
        "simulate",
        help="simulate active learning on labelled data, against a random control",
        description="Active learning with a gold oracle: start from a seed set of INPUT, label "
        "batches picked by --strategy, score each round on TEST.",
        usage="INPUT TEST --from FORMAT --state-dir DIR (--config FILE | --task TASK "
        "--labels A,B --model PATH) [options]",
    )
    simulate.add_argument("input", help="labelled pool (the oracle's answers)")
    simulate.add_argument("test", help="labelled test set, read like INPUT")
    simulate.add_argument(
        "--state-dir", required=True, metavar="DIR", help="folder for logs, models, report"
    )
    run = simulate.add_argument_group("the simulation")
    run.add_argument("--rounds", type=int, default=3, help="rounds after the seed round")
    run.add_argument("--seed-size", type=int, default=10, help="random examples labelled first")
    run.add_argument("--no-control", action="store_true", help="skip the random control")
    run.add_argument("--reference", type=float, help="reference score for the report")
    _add_loop(simulate)
    _add_input(simulate)

    query = _command(
        commands,
        "query",
        help="write the next batch to label as Prodigy tasks",
        description="Pick the next batch from POOL and write it as Prodigy task JSONL, "
        "pre-annotated by the current model. The first query of a state folder saves the loop "
        "in DIR/config.cfg; later queries reuse it when given no loop options.",
        usage="[POOL --from FORMAT] --state-dir DIR [--config FILE | --task TASK --labels A,B "
        "--model PATH] [options]",
    )
    query.add_argument("input", nargs="?", metavar="POOL", help="the unlabelled pool")
    query.add_argument(
        "--pool-on-disk",
        metavar="FORMAT",
        choices=registry.short_names("pools"),
        help="keep POOL on disk and stream it every round (for millions of texts; instead of "
        "--from; --source-arg text=COLUMN / id_column=COLUMN name its columns), one of: "
        "%(choices)s",
    )
    query.add_argument(
        "--state-dir", required=True, metavar="DIR", help="the loop's folder (state, models)"
    )
    query.add_argument(
        "--output", metavar="FILE", help="task file (default DIR/queries/round-NNN.jsonl)"
    )
    query.add_argument(
        "--seed-data", metavar="FILE", help="already labelled examples to start from (JSONL)"
    )
    _add_loop(query)
    _add_input(query)

    update = _command(
        commands,
        "update",
        help="train the next model on answers to the open query",
        description="Read answers (a Prodigy database or db-out file, JSONL, CSV ...) to the "
        "open query of DIR and train the next round's model.",
        usage="ANSWERS --from FORMAT --state-dir DIR [options]",
    )
    update.add_argument("input", metavar="ANSWERS", help="the answers")
    update.add_argument(
        "--state-dir", required=True, metavar="DIR", help="the folder query wrote to"
    )
    _add_input(update)

    final = _command(
        commands,
        "train-final",
        help="train the final model on everything labelled so far",
        description="Train the loop's [trainer] (the final model: with a --selector, the "
        "rounds' models are the selector's) on every labelled example of DIR, save it under "
        "DIR/models/final-NNN and record it; serve and push then use it.",
        usage="--state-dir DIR [--warm-start]",
    )
    final.add_argument("--state-dir", required=True, metavar="DIR", help="the loop's folder")
    final.add_argument("--warm-start", action="store_true", help="start from the last final model")

    label = _command(
        commands,
        "label",
        help="answer a query's tasks in the terminal (no annotation tool needed)",
        description="Ask about each task in TASKS (the file query wrote) and append the answers "
        "to ANSWERS as Prodigy db-out JSONL, for update --from prodigy. Classification: pick a "
        "number (Enter takes the model's guess). NER: Enter accepts the model's entities, e "
        "types them as phrase=LABEL; ... . s skips, q stops; a rerun asks only what is left.",
        usage="TASKS ANSWERS [--labels A,B]",
    )
    label.add_argument("tasks", metavar="TASKS", help="a task file written by query")
    label.add_argument("answers", metavar="ANSWERS", help="answers file, appended to")
    label.add_argument(
        "--labels", help="NER: the entity labels (default: the state folder's config.cfg)"
    )

    report = _command(
        commands,
        "report",
        help="learning curves of a state folder",
        description="Print the learning-curve table of a learner or simulation folder and draw "
        "it as a PNG.",
        usage="DIR [options]",
    )
    report.add_argument("state_dir", metavar="DIR", help="a learner's or simulation's folder")
    report.add_argument("--reference", type=float, help="e.g. the full-data score")
    report.add_argument("--png", help="where to draw the curve (default DIR/curve.png)")

    serve = _command(
        commands,
        "serve",
        help="serve a model (or a learner's latest round) over HTTP",
        description="POST /predict, GET /health, GET /model, and Label Studio's ML backend "
        "routes (/setup, /predict with tasks, /webhook). Given a state folder, each newly "
        "trained round's model is swapped in without dropping a request; with --learn, answers "
        "Label Studio sends to /webhook are recorded there and trained on in the background.",
        usage="PATH [options]",
    )
    serve.add_argument("path", help="a saved model folder or a learner's state folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--token-file",
        metavar="FILE",
        help="require Authorization: Bearer <the file's first line> (or set AUTONLP_AL_TOKEN)",
    )
    serve.add_argument("--token", help=argparse.SUPPRESS)  # visible in `ps`: refused, see serve()
    limits = serve.add_argument_group("limits (per client; see docs/serving.md)")
    for flag, kind, default, text in _SERVE_LIMITS:
        limits.add_argument(flag, type=kind, default=default, help=text)
    serve.add_argument("--poll", type=float, default=5.0, help="seconds between state checks")
    serve.add_argument(
        "--learn",
        action="store_true",
        help="record Label Studio answers (POST /webhook) in the state folder PATH and retrain",
    )
    serve.add_argument(
        "--retrain-every",
        type=int,
        default=1,
        metavar="N",
        help="with --learn: retrain once N answers wait (default 1; more join a running retrain)",
    )

    push = _command(
        commands,
        "push",
        help="publish a model (or a learner's latest round) or a datasets folder on the Hub",
        description="Upload the model and a model card (labels, metrics, data size, strategy); "
        "or, given a datasets folder (convert ... --to datasets), the data as a dataset repo "
        "(parquet per split, ClassLabel names kept, a dataset card). "
        "The token comes from HF_TOKEN or `hf auth login`.",
        usage="PATH REPO_ID [options]",
    )
    push.add_argument(
        "path", help="a saved model folder, a learner's state folder, or a datasets folder"
    )
    push.add_argument("repo_id", help="e.g. your-name/bbc-ner")
    push.add_argument("--public", action="store_true", help="create the repo public")
    push.add_argument("--endpoint", help="Hub URL (default: huggingface_hub's)")
    push.add_argument(
        "--datasets",
        metavar="ID,ID",
        help="Hub ids of the training data, for the card's metadata and its model-index",
    )
    return parser


def _add_loop(parser: argparse.ArgumentParser) -> None:
    """Options of the learner and its trainer (simulate, query)."""
    loop = parser.add_argument_group("the loop (or --config FILE, see docs/config.md)")
    loop.add_argument("--config", metavar="FILE", help="a loop config file instead of these")
    loop.add_argument("--task", choices=("ner", "textcat"))
    loop.add_argument("--labels", help="comma-separated label set, in order")
    loop.add_argument(
        "--strategy",
        metavar="NAME",
        choices=registry.short_names("strategies"),
        help="query strategy (default: total_token_entropy for ner, hybrid for textcat), one "
        "of: %(choices)s",
    )
    loop.add_argument(
        "--uncertainty",
        metavar="NAME",
        choices=registry.short_names("strategies"),
        help="hybrid only: the uncertainty strategy that shortlists (default: mnlp for ner, "
        "margin for textcat)",
    )
    loop.add_argument(
        "--cold-start",
        metavar="NAME",
        choices=registry.short_names("strategies"),
        help="picks the first batch, before any model (default random; kmeans and coreset use "
        "--encoder's embeddings), one of: %(choices)s",
    )
    loop.add_argument(
        "--selector",
        metavar="NAME",
        choices=registry.short_names("trainers"),
        help="a cheap trainer for the rounds (embedding: a linear head on --encoder's frozen "
        "vectors; tfidf: TF-IDF, with --encoder's vectors if given); --trainer then trains only "
        "the final model (train-final, --final-every, the end of simulate)",
    )
    loop.add_argument(
        "--encoder",
        metavar="PATH",
        help="a local encoder folder for --selector and a kmeans/coreset --cold-start; its "
        "vectors are cached on disk ($AUTONLP_AL_CACHE or ~/.cache/autonlp_al/embeddings)",
    )
    loop.add_argument(
        "--encoder-max-length",
        type=int,
        default=256,
        metavar="N",
        help="word pieces of a text the encoder reads",
    )
    loop.add_argument(
        "--final-every",
        type=int,
        metavar="N",
        help="with --selector: train the final model every N rounds too",
    )
    loop.add_argument("--batch-size", type=int, default=10, metavar="N", help="examples per round")
    loop.add_argument("--seed", type=int, default=0, help="random seed")
    loop.add_argument(
        "--pool-sample", type=int, metavar="N", help="score at most N pool examples a round"
    )
    loop.add_argument(
        "--scorer",
        metavar="NAME",
        choices=registry.short_names("scorers"),
        help="where selections are scored (default local; ray needs autonlp_al[ray], and "
        "reads RAY_ADDRESS), one of: %(choices)s",
    )
    _add_trainer(parser, epochs=None, lr=None, max_length=128)


def _add_trainer(
    parser: argparse.ArgumentParser, *, epochs: int | None, lr: float | None, max_length: int
) -> None:
    """``--trainer`` (any registered trainer) and the options trainers take. There is no
    --token: the hosted trainer reads HF_TOKEN or `hf auth login`, so it never lands in a saved
    config. An option applies to the trainers with an argument of its name."""
    model = parser.add_argument_group("the model")
    model.add_argument(
        "--trainer",
        choices=registry.short_names("trainers"),
        default="transformers",
        help="transformers: fine-tune here; autotrain: on Hugging Face AutoTrain (--model is "
        "then a Hub id)",
    )
    model.add_argument(
        "--model", metavar="PATH", help="base model folder (a Hub id for --trainer autotrain)"
    )
    loop = epochs is None
    model.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        default=epochs,
        help="epochs per round (default: 20, bounded by --max-steps)" if loop else "epochs",
    )
    model.add_argument(
        "--max-steps",
        type=int,
        metavar="N",
        help="optimiser steps per round, wins over --epochs (default: 50 for ner, 20 for textcat)"
        if loop
        else "optimiser steps, wins over --epochs",
    )
    # in a loop --batch-size is the examples per round, so the training batch has its own flag
    flag = "--train-batch-size" if loop else "--batch-size"
    model.add_argument(
        flag,
        dest="train_batch_size",
        type=int,
        metavar="N",
        help="training batch size (default 16)",
    )
    model.add_argument(
        "--lr",
        type=float,
        default=lr,
        help="learning rate (default: 2e-4 for ner, 1e-4 for textcat)" if loop else "learning rate",
    )
    model.add_argument(
        "--max-length",
        type=int,
        default=max_length,
        metavar="N",
        help="word pieces per text, at most",
    )
    model.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch CPU threads (default: one per core; two jobs on one machine: cores / 2 each)",
    )
    model.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "int8"),
        help="scoring and prediction arithmetic (default auto: bf16 on a GPU, fp32 on CPU; "
        "int8: 1.7x fp32 on an x86 CPU with VNNI, see docs/benchmarks.md)",
    )
    if not loop:
        model.add_argument(
            "--early-stopping-patience",
            type=int,
            metavar="N",
            help="stop after N evaluations without improvement (needs --eval)",
        )
        model.add_argument(
            "--multi-label", action="store_true", default=None, help="textcat: several labels"
        )
    _add_alignment(model)
    hosted = parser.add_argument_group("--trainer autotrain (token from HF_TOKEN)")
    hosted.add_argument("--hardware", help="Space hardware, e.g. t4-small")
    hosted.add_argument("--namespace", help="user or organisation (default: the token's user)")
    hosted.add_argument("--max-usd", type=float, help="refuse rounds that could exceed this")
    hosted.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="give up on a round's Space after this long (default 14400; the budget check "
        "counts it)",
    )
    hosted.add_argument(
        "--hourly-usd",
        type=float,
        metavar="USD",
        help="the Space hardware's price per hour, if not the built-in table's",
    )
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
    "threads": "threads",
    "precision": "precision",
    "hardware": "hardware",
    "namespace": "namespace",
    "max_usd": "max_usd",
    "timeout": "timeout",
    "hourly_usd": "hourly_usd",
    "endpoint": "endpoint",
    "dry_run": "dry_run",
    "poll_interval": "poll_interval",
}


def _trainer_part(args: argparse.Namespace, *, loop: bool) -> Part:
    """The ``--trainer`` part with every option given that the trainer takes; an option it does
    not take is an error naming the ones it does. In a loop, unset options take the recommended
    loop settings (:func:`~autonlp_al.loop.config.recommended_trainer_args`)."""
    part = Part(kind="trainers", name=args.trainer)
    accepted = set(parameters(part.factory()) or ())
    if not args.model and _takes_model(args):
        raise ConfigError("--model is required: the base model folder (or Hub id for autotrain)")
    given = {
        arg: getattr(args, dest)
        for dest, arg in _TRAINER_OPTIONS.items()
        if getattr(args, dest, None) is not None
    }
    defaults_only = {"alignment", "max_length"}  # always set by argparse
    takes = accepted | defaults_only
    refused = sorted(d for d, a in _TRAINER_OPTIONS.items() if a in given and a not in takes)
    if refused:
        flags = [
            _trainer_flag(dest, loop)
            for dest, arg in _TRAINER_OPTIONS.items()
            if arg in accepted and hasattr(args, dest)
        ]
        raise ConfigError(
            f"{_trainer_flag(refused[0], loop)} does not apply to --trainer {args.trainer}; it "
            f"takes: {', '.join(flags)}"
        )
    kwargs = {k: v for k, v in given.items() if k in accepted}
    if loop:
        for key, value in recommended_trainer_args(args.task).items():
            if key in accepted:
                kwargs.setdefault(key, value)
    if "progress" in accepted:  # a training bar on a terminal, none in a log file
        kwargs["progress"] = sys.stderr.isatty()
    return attrs.evolve(part, args=kwargs)


def _takes_model(args: argparse.Namespace) -> bool:
    """Whether ``--trainer`` has a base model to name (tfidf has none)."""
    return "model" in (parameters(Part(kind="trainers", name=args.trainer).factory()) or ())


def _trainer_flag(dest: str, loop: bool) -> str:
    if dest == "train_batch_size":
        return "--train-batch-size" if loop else "--batch-size"
    return "--" + {"endpoint": "hub-endpoint"}.get(dest, dest).replace("_", "-")


def _strategy_part(args: argparse.Namespace) -> Part:
    name = args.strategy or ("total_token_entropy" if args.task == "ner" else "hybrid")
    part = Part(kind="strategies", name=name)
    if args.uncertainty:
        if "uncertainty" not in (parameters(part.factory()) or ()):
            raise ConfigError(f"--uncertainty applies to --strategy hybrid, not {name}")
        part = attrs.evolve(
            part, args={"uncertainty": Part(kind="strategies", name=args.uncertainty)}
        )
    return part


def _loop_config(args: argparse.Namespace) -> LoopConfig:
    """The loop the arguments describe: ``--config FILE``; else the loop options; else, given
    none of ``--task``/``--labels``/``--model``, the config a first ``query`` saved in the state
    folder."""
    from .loop.config import CONFIG_FILE

    saved = Path(args.state_dir) / CONFIG_FILE
    if getattr(args, "config", None):
        config = LoopConfig.from_file(args.config)
    elif (
        args.command == "query" and saved.is_file() and not (args.task or args.labels or args.model)
    ):
        print(f"the loop saved in {saved}")
        config = LoopConfig.from_file(saved)
    else:
        required = ("task", "labels", "model") if _takes_model(args) else ("task", "labels")
        for option in required:
            if not getattr(args, option):
                raise ConfigError(
                    f"--{option} is required (or --config FILE"
                    + (
                        ", or a state folder a first query has set up)"
                        if args.command == "query"
                        else ")"
                    )
                )
        config = LoopConfig(
            task=args.task,
            labels=_labels(args.labels),
            trainer=_trainer_part(args, loop=True),
            selector=_selector_part(args),
            strategy=_strategy_part(args),
            cold_start=_cold_start_part(args),
            lang=args.lang,
            batch_size=args.batch_size,
            seed=args.seed,
            pool_sample=args.pool_sample,
            final_every=args.final_every,
        )
    if getattr(args, "scorer", None):
        config = config.evolve(scorer=Part(kind="scorers", name=args.scorer))
    return config.evolve(dedupe=True) if args.dedupe else config


def _encoder_part(args: argparse.Namespace, wanted_by: str) -> Part:
    if not args.encoder:
        raise ConfigError(f"{wanted_by} needs --encoder PATH: a local encoder folder")
    return Part(
        kind="encoders",
        name="transformers",
        args={"model": str(Path(args.encoder).absolute()), "max_length": args.encoder_max_length},
    )


def _selector_part(args: argparse.Namespace) -> Part | None:
    if not args.selector:
        if args.final_every:
            raise ConfigError("--final-every applies with --selector (a cheap round model)")
        return None
    part = Part(kind="trainers", name=args.selector)
    factory = part.factory()
    if "encoder" not in (parameters(factory) or ()):
        return part
    # an encoder the selector cannot do without is asked for by name, not left to a build error
    required = attrs.has(factory) and attrs.fields_dict(factory)["encoder"].default is attrs.NOTHING
    if args.encoder or required:
        return attrs.evolve(
            part, args={"encoder": _encoder_part(args, f"--selector {args.selector}")}
        )
    return part


def _cold_start_part(args: argparse.Namespace) -> Part:
    name = args.cold_start or "random"
    part = Part(kind="strategies", name=name)
    if "embedder" in (parameters(part.factory()) or ()):
        part = attrs.evolve(part, args={"embedder": _encoder_part(args, f"--cold-start {name}")})
    return part


def _labels(value: str) -> list[str]:
    return [label.strip() for label in value.split(",") if label.strip()]


def _pool_part(args: argparse.Namespace) -> Part:
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
        kwargs[key] = _value(value)
    return Part(kind="pools", name=args.pool_on_disk, args=kwargs)


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
    where = given if "://" in str(given) else str(Path(given).absolute())  # a URL stays one
    kwargs: dict[str, Any] = {"path": where, "on_error": args.on_error}
    if "scheme" in fields:
        kwargs["scheme"] = args.input_scheme
    for dest in _SOURCE_OPTIONS:
        value = getattr(args, dest)
        if value is None:
            continue
        if dest not in fields:
            raise ConfigError(
                f"{_flag(dest)} does not apply to --from {args.source}; options for it: "
                f"{', '.join(_flag(d) for d in _SOURCE_OPTIONS if d in fields) or 'none'}"
            )
        kwargs[dest] = value
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
    if args.dedupe:
        from .sources.dedupe import Deduplicated

        return Deduplicated(source)
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
    # --labels in the order given: a ClassLabel or cats order is a label map, not a set
    ordered = tuple(_labels(args.labels)) if getattr(args, "labels", None) else ()
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
    print(f"read {args.input}: {source.report.summary()}")
    if converter.report.counts or converter.report.skipped or converter.report.adjusted:
        print(f"conversion: {converter.report.summary()}")
    print(f"wrote {args.output}: {writer.report.summary()}")
    skipped = source.report.n_skipped + converter.report.n_skipped + writer.report.n_skipped
    print(f"total skipped: {skipped}")
    return 0


def _read(args: argparse.Namespace, path: str | None = None) -> list[Example]:
    source = _source(args, path)
    examples = list(_progress(source.read()))
    print(f"read {path or args.input}: {source.report.summary()}")
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
        selector=config.build_selector(),
        final_every=config.final_every,
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
    if args.input and args.pool_on_disk:
        config = config.evolve(pool=_pool_part(args))
    elif args.input:
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
    # a pre-annotated batch is corrected; round 0's bare one is labelled from scratch
    recipe = "textcat.manual" if config.task == "textcat" else "ner.correct"
    if config.task == "ner" and query.predictions is None:
        recipe = "ner.manual"
    print(
        f"round {query.round}: wrote {len(query.examples)} tasks to {path}\n"
        f"label them: autonlp-al label {path} <answers>, or prodigy {recipe} <dataset> "
        f"blank:{config.lang} {path}; then:\n"
        f"  autonlp-al update <answers> --from prodigy --state-dir {args.state_dir}"
    )
    return 0


def update(args: argparse.Namespace) -> int:
    _logging()
    learner = LoopConfig.from_state(args.state_dir).build(args.state_dir, save=False)
    if learner.untrained:  # the last update stopped while training: its answers are kept
        print(
            f"the {learner.untrained} answers of the last update were recorded before it "
            f"stopped; training on them now ({args.input} is not read again)"
        )
        record = learner.train_pending()
    else:
        record = learner.update(_source(args))
    if record is None:
        print("no answers found; nothing trained")
        return 0
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in record.metrics.items())
    print(
        f"round {record.round}: {record.n_labeled} labelled, model {record.model_version} {metrics}"
    )
    return 0


def train_final(args: argparse.Namespace) -> int:
    _logging()
    learner = LoopConfig.from_state(args.state_dir).build(args.state_dir, save=False)
    record = learner.finalize(warm_start=args.warm_start)
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in record.metrics.items())
    print(
        f"final model {record.index}: {record.n_labeled} labelled, model "
        f"{record.model_version} in {record.model_dir} ({record.seconds:.1f} s) {metrics}"
    )
    return 0


def label(args: argparse.Namespace) -> int:
    from .integrations.console import ConsoleAnnotator
    from .loop.config import CONFIG_FILE

    tasks = Path(args.tasks)
    state = tasks.parent.parent  # query writes DIR/queries/round-NNN.jsonl
    labels: Sequence[str] = _labels(args.labels) if args.labels else ()
    if not labels and (state / CONFIG_FILE).is_file():
        labels = LoopConfig.from_state(state).labels
    report = ConsoleAnnotator(labels=labels).annotate(tasks, args.answers)
    print(f"\n{report.summary()}")
    where = state if (state / CONFIG_FILE).is_file() else "DIR"
    print(f"next: autonlp-al update {args.answers} --from prodigy --state-dir {where}")
    return 0


def report(args: argparse.Namespace) -> int:
    return _report(Path(args.state_dir), args.reference, args.png)


def _report(state_dir: Path, reference: float | None, png: str | None) -> int:
    from .loop import curves

    runs = curves.load_runs(state_dir)
    table = curves.markdown(runs, reference=reference)
    finals = curves.finals_table(curves.load_finals(state_dir))
    if finals:
        table += "\n\n" + finals
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


_SERVE_LIMITS = [
    ("--max-connections", int, 512, "open connections; more get 503"),
    ("--read-timeout", float, 10.0, "seconds to send a whole request; slower gets 408"),
    ("--max-body", int, 2 * 2**20, "bytes per request body; more gets 413 unread"),
    ("--max-batch", int, 64, "texts per request"),
    ("--max-chars", int, 20_000, "characters per text"),
    ("--max-total-chars", int, 100_000, "characters per request, all texts together"),
    ("--max-pending", int, 32, "predictions running or queued; more get 503"),
]


def _serve_token(args: argparse.Namespace) -> str | None:
    if args.token is not None:
        raise ConfigError(
            "--token puts the secret on the command line, where `ps` shows it to every user of "
            "the machine; put it in a file (--token-file FILE) or in AUTONLP_AL_TOKEN"
        )
    if args.token_file is not None:
        try:
            lines = Path(args.token_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"--token-file {args.token_file}: {exc.strerror or exc}") from exc
        if not lines or not lines[0].strip():
            raise ConfigError(f"--token-file {args.token_file}: the first line is empty")
        return lines[0].strip()
    return os.environ.get("AUTONLP_AL_TOKEN") or None


def serve(args: argparse.Namespace) -> int:
    from .integrations.serve import ServeLimits
    from .integrations.serve import serve as run

    values = {flag[2:].replace("-", "_"): flag for flag, *_ in _SERVE_LIMITS}
    for name, flag in values.items():
        if getattr(args, name) <= 0:
            raise ConfigError(f"{flag} {getattr(args, name)!r}: must be above 0")
    limits = ServeLimits(**{name: getattr(args, name) for name in values})
    token = _serve_token(args)
    _logging()
    if args.retrain_every <= 0:
        raise ConfigError(f"--retrain-every {args.retrain_every!r}: must be above 0")
    run(
        args.path,
        host=args.host,
        port=args.port,
        token=token,
        limits=limits,
        poll=args.poll,
        learn=args.learn,
        retrain_every=args.retrain_every,
    )
    return 0


def push(args: argparse.Namespace) -> int:
    from .integrations.hub import is_dataset_folder, push_dataset, push_to_hub
    from .integrations.serve import load_for_serving

    if is_dataset_folder(args.path):  # labelled data (--to datasets), not a model
        url = push_dataset(args.path, args.repo_id, endpoint=args.endpoint, private=not args.public)
        print(f"pushed the dataset {args.path} to {args.repo_id}: {url}")
        return 0

    model, info = load_for_serving(args.path)
    details = {
        k.replace("n_labeled", "labelled examples"): v
        for k, v in info.items()
        if k in ("round", "n_labeled", "strategy")
    }
    if info.get("metrics") and not getattr(model, "metrics", None):
        details["metrics"] = info["metrics"]
    url = push_to_hub(
        model,
        args.repo_id,
        endpoint=args.endpoint,
        private=not args.public,
        details=details,
        datasets=[d.strip() for d in (args.datasets or "").split(",") if d.strip()],
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
    "train-final": train_final,
    "label": label,
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
