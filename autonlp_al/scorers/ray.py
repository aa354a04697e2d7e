"""Scoring on Ray: the pool read by Ray Data, each batch scored by an actor that loads the round's
model once, each batch's own top ``n`` merged on the driver in a bounded heap.

A parquet pool is read by the workers themselves (``ray.data.read_parquet``); any other pool is
handed over batch by batch. The same model, pool and draws select the same ids as
:class:`~autonlp_al.scorers.local.LocalScorer` (the top ``n`` of the batches' top ``n`` is the top
``n`` of the whole, and ties are broken by a pure key of each id).

Where it runs: ``address`` (or ``RAY_ADDRESS``) names a running cluster (``ray start --head`` on
the head node, ``ray start --address=HEAD:6379`` on the others); without one, Ray starts on this
machine. ``concurrency`` actors score at once, each with ``num_cpus`` CPUs and ``num_gpus`` GPUs.
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
import socket
import warnings
from collections.abc import Iterator
from typing import Any

import attrs

from .._optional import require
from ..errors import AutoNLPALError, ScorerError, ScorerUnreachableError
from ..pools.base import TablePool
from ..registry import scorers
from ..strategies.base import ScoringStrategy, Selection, TopN
from ..types import example_from_dict, example_to_dict
from .base import Candidates, ModelRef, score_batch

__all__ = ["RayScorer"]

log = logging.getLogger("autonlp_al.scorers.ray")


@scorers.register("ray.v1")
@attrs.define
class RayScorer:
    """Scores on a Ray cluster (or on this machine when no cluster is named).

    Args:
        address: the cluster (``"auto"``, ``"HOST:6379"``, ``"ray://HOST:10001"``); default
            ``RAY_ADDRESS``, else a local Ray on this machine.
        concurrency: actors scoring at once (each loads the model once).
        num_cpus / num_gpus: what each actor reserves (a GPU each for ``num_gpus=1``).
        batch_size: rows per actor call.
        max_restarts: times a killed actor is restarted (its batch is scored again); after
            that the round fails with :class:`ScorerError` and nothing is selected.
    """

    address: str | None = None
    concurrency: int = 1
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    batch_size: int = 1024
    max_restarts: int = 3
    name: str = "ray"

    def top(
        self,
        model: ModelRef,
        strategy: ScoringStrategy,
        candidates: Candidates,
        n: int,
        *,
        seed: int,
        salt: int,
    ) -> list[Selection]:
        self._connect()
        data = require("ray.data", "ray")
        context = data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        strategy.scoring_model(model.load())  # a missing model fails here, not in a worker
        table = isinstance(candidates.pool, TablePool) and candidates.pool.format == "parquet"
        try:
            if table:
                pool: Any = candidates.pool
                dataset = data.read_parquet([str(f) for f in pool.files]).select_columns(
                    list(pool.columns)
                )
            else:
                tables = list(_tables(candidates, self.batch_size))
                dataset = data.from_arrow(tables or [_empty()])
            with warnings.catch_warnings():
                # actor restarts have no named parameter in Ray 2.60; without one, Ray Data
                # restarts a worker that dies on every batch forever
                warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
                scored = dataset.map_batches(
                    _BatchTop,
                    fn_constructor_kwargs={
                        "model": model.portable(),
                        "strategy": strategy,
                        "candidates": candidates,
                        "n": n,
                        "seed": seed,
                        "salt": salt,
                        "table": table,
                        "threads": max(1, int(self.num_cpus)),
                    },
                    batch_format="pyarrow",
                    batch_size=self.batch_size,
                    compute=data.ActorPoolStrategy(size=self.concurrency),
                    num_cpus=self.num_cpus,
                    num_gpus=self.num_gpus or None,
                    max_restarts=self.max_restarts,
                    max_task_retries=self.max_restarts,
                )
            best = TopN(n, salt)
            for part in scored.iter_batches(batch_format="pyarrow", batch_size=None):
                best.merge(_entries(part))
        except AutoNLPALError:
            raise
        except Exception as exc:  # Ray wraps what failed in a worker in its own error classes
            raise ScorerError(
                f"scoring on Ray failed ({type(exc).__name__}: {str(exc)[:300]}); no selection "
                f"was recorded: run the round again (a worker killed more than max_restarts="
                f"{self.max_restarts} times fails the round)"
            ) from exc
        return best.selections()

    def _connect(self) -> Any:
        ray = require("ray", "ray")
        if ray.is_initialized():
            return ray
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        # a Ray started here gets a logical CPU more than the actors reserve: the tasks that list
        # and read the pool need one too (actors holding every CPU would wait on them forever)
        cpus = None
        if address is None:
            cpus = max(os.cpu_count() or 1, math.ceil(self.concurrency * self.num_cpus)) + 1
        else:
            _probe(address)  # Ray itself retries an absent cluster for minutes
        try:
            ray.init(
                address=address,
                num_cpus=cpus,
                ignore_reinit_error=True,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
            raise ScorerUnreachableError(
                f"no Ray cluster is reachable at {address!r} ({type(exc).__name__}: "
                f"{str(exc)[:200]}); start one with `ray start --head` and pass its address "
                f"(or set RAY_ADDRESS), or leave the address unset to run Ray on this machine"
            ) from exc
        return ray


def _probe(address: str, timeout: float = 5.0) -> None:
    """Raise :class:`ScorerUnreachableError` unless ``HOST:PORT`` (or ``ray://HOST:PORT``)
    accepts a TCP connection within ``timeout`` seconds; ``auto`` is left to Ray."""
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ScorerUnreachableError(
            f"no Ray cluster is reachable at {address!r} ({exc}); start one with "
            f"`ray start --head` and pass its address (or set RAY_ADDRESS), or leave the address "
            f"unset to run Ray on this machine"
        ) from exc


class _BatchTop:
    """A Ray actor: loads the round's model once, keeps the best ``n`` it has seen, and gives
    back from each batch only the entries that entered them. Every entry of the global top
    ``n`` entered its actor's best when it was scored, so the driver's merge is exact; and after
    the first batches little is sent (about ``n * ln(rows / n)`` entries per actor, not ``n`` per
    batch)."""

    def __init__(
        self,
        *,
        model: ModelRef,
        strategy: ScoringStrategy,
        candidates: Candidates,
        n: int,
        seed: int,
        salt: int,
        table: bool,
        threads: int,
    ) -> None:
        try:
            import torch

            torch.set_num_threads(threads)
        except ImportError:
            pass
        self.model = strategy.scoring_model(model.load())
        self.strategy = strategy
        self.candidates = candidates
        self.n, self.seed, self.salt, self.table = n, seed, salt, table
        self.best = TopN(n, salt)

    def __call__(self, batch: Any) -> Any:
        try:
            return _table(self._entered(batch))
        except AutoNLPALError as exc:  # sent back as data: Ray would wrap it into its own type
            return _table([], error=pickle.dumps(exc).hex())

    def _entered(self, batch: Any) -> list[tuple[float, int, int, Any]]:

        if self.table:
            pool: Any = self.candidates.pool
            examples = pool.examples(batch)
        else:
            examples = [
                example_from_dict(json.loads(s)) for s in batch.column("example").to_pylist()
            ]
        examples = self.candidates.prepare(examples)
        if not examples:
            return []
        scores = score_batch(self.strategy, self.model, examples, self.seed)
        ids = [e.id for e in examples]
        self.best.add(ids, scores, examples)
        here = set(ids)
        return [entry for entry in self.best.entries() if entry[2] in here]


def _table(entries: list[tuple[float, int, int, Any]], *, error: str = "") -> Any:
    """Entries as an Arrow table; a failed batch is one row whose ``error`` holds the pickled
    exception (and no entry)."""

    pa = require("pyarrow", "ray")
    rows = entries or ([(0.0, 0, 0, None)] if error else [])
    return pa.table(
        {
            "error": pa.array([error] * len(rows), pa.string()),
            "score": pa.array([s for s, _, _, _ in rows], pa.float64()),
            # keys and ids are up to 64 and 96 bits: strings, not int64
            "key": pa.array([str(k) for _, k, _, _ in rows], pa.string()),
            "id": pa.array([str(i) for _, _, i, _ in rows], pa.string()),
            "example": pa.array(
                [json.dumps(example_to_dict(e)) if e is not None else "" for *_, e in rows],
                pa.string(),
            ),
        }
    )


def _empty() -> Any:
    pa = require("pyarrow", "ray")
    return pa.table({"example": pa.array([], pa.string())})


def _tables(candidates: Candidates, size: int) -> Iterator[Any]:
    """A pool that Ray cannot read itself, as Arrow tables of serialised examples (held in
    Ray's object store: for pools of millions, use parquet, which the workers read themselves)."""

    pa = require("pyarrow", "ray")
    for batch in candidates.pool.batches(size):
        yield pa.table({"example": [json.dumps(example_to_dict(e)) for e in batch]})


def _entries(part: Any) -> Iterator[tuple[float, int, int, Any]]:

    columns = part.to_pydict()
    for error in columns["error"]:
        if error:
            raise pickle.loads(bytes.fromhex(error))  # our own worker's error
    for score, key, id, example in zip(
        columns["score"], columns["key"], columns["id"], columns["example"], strict=True
    ):
        yield float(score), int(key), int(id), example_from_dict(json.loads(example))
