"""Train a model on annotations, and score a saved model."""

from __future__ import annotations

import argparse
from typing import Any

import attrs

from ..errors import ConfigError
from ..loop.config import parameters
from .common import command, given, label_list
from .inputs import add_input, read, source_plan
from .trainer import add_trainer, trainer_part


def add(commands: Any) -> None:
    """The ``train`` and ``evaluate`` commands."""
    train = command(
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
    add_trainer(train, loop=False, max_length=256)
    add_input(train)

    evaluate = command(
        commands,
        "evaluate",
        help="score a saved model on annotations",
        description="Score the model in MODEL on the gold annotations in INPUT. MODEL may be a "
        "loop's state folder: the model it serves and pushes is scored (the one its last final "
        "checkpoint chose, else its latest round's), and the output says which.",
        usage="MODEL INPUT --from FORMAT [options]",
    )
    evaluate.add_argument("model", help="a saved model folder, or a loop's state folder")
    evaluate.add_argument("input", help="gold annotations")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    add_input(evaluate, lang=False)  # the model tokenises in its own language


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """What ``train`` will do: the trainer part (``--lang`` and ``--seed`` in it, refused for a
    trainer that takes neither), the data, the model saved."""
    part = trainer_part(args, loop=False)
    accepted = parameters(part.factory()) or set()
    unused = sorted(d for d in given(args, ["lang", "seed"]) if d not in accepted)
    if unused:
        raise ConfigError(f"--{unused[0]} does not apply to --trainer {args.trainer}")
    shared = {"task": args.task, "lang": args.lang, "seed": args.seed}
    part = attrs.evolve(
        part, args={**{k: v for k, v in shared.items() if k in accepted}, **part.args}
    )
    return {
        "trainer": part,
        "data": source_plan(args),
        "eval": source_plan(args, args.eval) if args.eval else None,
        "labels": label_list(args.labels),
        "init": args.init,
        "output": args.output,
    }


def train(args: argparse.Namespace) -> int:
    from ..errors import DryRunFinished

    what = plan(args)
    trainer = what["trainer"].build()
    examples = read(args)
    eval_examples = read(args, args.eval) if args.eval else []
    init = trainer.load(what["init"]) if what["init"] else None
    try:
        model = trainer.train(examples, eval=eval_examples, labels=what["labels"], init=init)
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


def plan_evaluate(args: argparse.Namespace) -> dict[str, Any]:
    return {"model": args.model, "gold": source_plan(args), "json": args.json}


def evaluate(args: argparse.Namespace) -> int:
    import json

    from ..integrations.slot import load_for_serving
    from ..loop.journal import is_state
    from ..metrics import NerScores
    from ..metrics import evaluate as score
    from ..trainers import load_model

    what = plan_evaluate(args)
    if is_state(what["model"]):
        model, info = load_for_serving(what["model"])
        which = _which(info)
    else:
        model, which = load_model(what["model"]), ""
    scores = score(model, read(args))
    if what["json"]:
        print(json.dumps({**attrs.asdict(scores), **({"model": which} if which else {})}, indent=2))
        return 0
    print(f"model {model.version or args.model} ({model.task}){': ' + which if which else ''}")
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


def _which(info: dict[str, Any]) -> str:
    """Which of a state folder's models ``load_for_serving`` gave, in words."""
    if "final" in info:
        return f"final model {info['final']}, the one its checkpoint chose"
    line = f"the selector's round {info['round']} model"
    if "chosen_at_final" in info:
        return f"{line}, chosen at final checkpoint {info['chosen_at_final']} over the final model"
    return f"{line} (no final checkpoint yet)"
