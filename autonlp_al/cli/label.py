"""Label a query in the terminal; report a state folder's curves."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import AutoNLPALError
from ..loop.config import LoopConfig
from .common import command, label_list


def add(commands: Any) -> None:
    """The ``label`` and ``report`` commands."""
    label = command(
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

    report = command(
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


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """What ``label`` will do: the task file, the answers file, the entity labels offered (given,
    else the state folder's)."""
    from ..loop.journal import Journal

    journal = Journal.of_query_file(args.tasks)  # query writes DIR/queries/round-NNN.jsonl
    labels: Sequence[str] = label_list(args.labels) if args.labels else ()
    if not labels and journal is not None and journal.config_path.is_file():
        labels = LoopConfig.from_state(journal.root).labels
    return {
        "tasks": args.tasks,
        "answers": args.answers,
        "labels": list(labels),
        "journal": journal,
    }


def label(args: argparse.Namespace) -> int:
    from ..integrations.console import ConsoleAnnotator

    what = plan(args)
    journal = what["journal"]
    report = ConsoleAnnotator(labels=what["labels"]).annotate(Path(args.tasks), args.answers)
    print(f"\n{report.summary()}")
    where = journal.root if journal is not None else "DIR"
    print(f"next: autonlp-al update {args.answers} --from prodigy --state-dir {where}")
    return 0


def plan_report(args: argparse.Namespace) -> dict[str, Any]:
    return {"state_dir": args.state_dir, "reference": args.reference, "png": args.png}


def report(args: argparse.Namespace) -> int:
    what = plan_report(args)
    return write_report(Path(what["state_dir"]), what["reference"], what["png"])


def write_report(state_dir: Path, reference: float | None, png: str | None) -> int:
    from ..loop import curves

    runs = curves.load_runs(state_dir)
    table = curves.markdown(runs, reference=reference)
    checkpoints = curves.load_finals(state_dir)
    finals = curves.finals_table(checkpoints, runs)
    if finals:
        table += "\n\n" + finals
    print(table)
    (state_dir / "report.md").write_text(table + "\n")
    try:
        drawn = curves.plot(
            runs,
            png or state_dir / "curve.png",
            reference=reference,
            title=state_dir.name,
            finals=checkpoints,
        )
        print(f"\ncurve: {drawn}")
    except AutoNLPALError as exc:  # matplotlib missing: the table is still the report
        print(f"\nno plot: {exc}")
    return 0
