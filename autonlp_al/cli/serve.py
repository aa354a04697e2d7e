"""Serve a model or a learner over HTTP; push one to the Hub."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .common import command, given, setup_logging


def add(commands: Any) -> None:
    """The ``serve`` and ``push`` commands."""
    serve = command(
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
    for flag, kind, default, text in SERVE_LIMITS:
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

    push = command(
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


SERVE_LIMITS = [
    ("--max-connections", int, 512, "open connections; more get 503"),
    ("--read-timeout", float, 10.0, "seconds to send a whole request; slower gets 408"),
    ("--max-body", int, 2 * 2**20, "bytes per request body; more gets 413 unread"),
    ("--max-batch", int, 64, "texts per request"),
    ("--max-chars", int, 20_000, "characters per text"),
    ("--max-total-chars", int, 100_000, "characters per request, all texts together"),
    ("--max-pending", int, 32, "predictions running or queued; more get 503"),
]


def serve_token(args: argparse.Namespace) -> str | None:
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


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """What ``serve`` will run: the keyword arguments of
    :func:`~autonlp_al.integrations.serve.serve`. ``--retrain-every`` without ``--learn``, and
    ``--poll`` with it or for a model folder (nothing is polled then), are refused."""
    from ..integrations.serve import ServeLimits
    from ..loop.journal import is_state

    values = {flag[2:].replace("-", "_"): flag for flag, *_ in SERVE_LIMITS}
    for name, flag in values.items():
        if getattr(args, name) <= 0:
            raise ConfigError(f"{flag} {getattr(args, name)!r}: must be above 0")
    if args.retrain_every <= 0:
        raise ConfigError(f"--retrain-every {args.retrain_every!r}: must be above 0")
    flags = given(args, ["retrain_every", "poll"])
    if "retrain_every" in flags and not args.learn:
        raise ConfigError(
            "--retrain-every applies with --learn (retraining on Label Studio's answers)"
        )
    if "poll" in flags and (args.learn or not is_state(args.path)):
        raise ConfigError(
            "--poll is how often a state folder is checked for a new model; with --learn the "
            "server trains the models itself, and a model folder is never polled"
        )
    token = serve_token(args)
    if args.learn and token is None and not _loopback(args.host):
        raise ConfigError(
            f"--learn on --host {args.host} without a token lets anyone who reaches the port "
            f"write answers into {args.path}; give --token-file FILE (or AUTONLP_AL_TOKEN), "
            f"or serve on 127.0.0.1"
        )
    return {
        "path": args.path,
        "host": args.host,
        "port": args.port,
        "token": token,
        "limits": ServeLimits(**{name: getattr(args, name) for name in values}),
        "poll": args.poll,
        "learn": args.learn,
        "retrain_every": args.retrain_every,
    }


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def serve(args: argparse.Namespace) -> int:
    from ..integrations.serve import serve as run

    what = plan(args)
    setup_logging()
    run(what.pop("path"), **what)
    return 0


def plan_push(args: argparse.Namespace) -> dict[str, Any]:
    """What ``push`` will upload: a datasets folder, or a model (``--datasets`` names its
    training data on the model card: refused for a datasets folder)."""
    from ..integrations.hub import is_dataset_folder

    dataset = is_dataset_folder(args.path)
    if dataset and args.datasets:
        raise ConfigError("--datasets names a model's training data; a datasets folder is the data")
    return {
        "path": args.path,
        "repo_id": args.repo_id,
        "dataset": dataset,
        "private": not args.public,
        "endpoint": args.endpoint,
        "datasets": [d.strip() for d in (args.datasets or "").split(",") if d.strip()],
    }


def push(args: argparse.Namespace) -> int:
    from ..integrations.hub import push_dataset, push_to_hub
    from ..integrations.serve import load_for_serving

    what = plan_push(args)
    if what["dataset"]:  # labelled data (--to datasets), not a model
        url = push_dataset(
            args.path, args.repo_id, endpoint=what["endpoint"], private=what["private"]
        )
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
        endpoint=what["endpoint"],
        private=what["private"],
        details=details,
        datasets=what["datasets"],
    )
    print(f"pushed {model.version} to {args.repo_id}: {url}")
    return 0
