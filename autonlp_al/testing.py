"""Public fakes for testing code built on autonlp_al, used by autonlp_al's own tests too.

- :class:`InMemorySource`: a :class:`~autonlp_al.sources.Source` over a list of examples.
- :class:`ScriptedTrainer`: a :class:`~autonlp_al.trainers.Trainer` that records what it was given
  and returns a :class:`FakeModel`, in milliseconds.
- :class:`FakeHub`: a :class:`~autonlp_al.trainers.autotrain.hub.HubClient` held in memory, with
  a fake AutoTrain inside, for testing code that trains on AutoTrain without a network.
- :class:`FakeModel`: every model capability (class probabilities, MC-dropout samples, token
  marginals, embeddings), computed deterministically from each text, so strategies and the
  learner can be tested without torch. Predictions repeat the labels it was trained on for texts
  it has seen, which makes "the model learned" observable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._optional import require
from .converters.iob import ner_tags
from .converters.tokenize import SpacyTokenizer
from .report import Report
from .trainers.base import Examples, Item, Labels, Model
from .types import Example, Prediction, ScoredSpan, _str_tuple

__all__ = ["FakeHub", "FakeModel", "InMemorySource", "ScriptedTrainer"]


@attrs.define
class InMemorySource:
    """Yields the given examples; counts them like any source."""

    examples: Sequence[Example]
    report: Report = attrs.field(factory=Report)

    def read(self) -> Iterator[Example]:
        for example in self.examples:
            self.report.count("read")
            self.report.count("examples")
            yield example


def _rng(text: str, salt: str) -> Any:
    np = require("numpy", "local")
    seed = int.from_bytes(hashlib.blake2b(f"{salt}:{text}".encode(), digest_size=8).digest(), "big")
    return np.random.default_rng(seed)


def _text(item: Item) -> str:
    return item.text if isinstance(item, Example) else item


@attrs.define(kw_only=True, eq=False)
class FakeModel:
    """A deterministic stand-in for a trained model (see the module docstring)."""

    task: str
    labels: tuple[str, ...] = attrs.field(converter=_str_tuple)
    version: str = "fake-0"
    memory: dict[str, Example] = attrs.field(factory=dict)
    dim: int = 8
    metrics: dict[str, Any] = attrs.field(factory=dict)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(ner_tags(self.labels))

    def class_probabilities(self, items: Iterable[Item]) -> Any:
        np = require("numpy", "local")
        rows = [_rng(_text(i), self.version).dirichlet(np.ones(len(self.labels))) for i in items]
        return np.array(rows).reshape(-1, len(self.labels))

    def mc_class_probabilities(
        self, items: Iterable[Item], *, samples: int = 10, seed: int = 0
    ) -> Any:
        np = require("numpy", "local")
        items = list(items)
        return np.stack(
            [
                np.array(
                    [
                        _rng(_text(i), f"{self.version}:{seed}:{s}").dirichlet(
                            np.ones(len(self.labels))
                        )
                        for i in items
                    ]
                ).reshape(-1, len(self.labels))
                for s in range(samples)
            ]
        )

    def token_marginals(self, items: Iterable[Item]) -> list[Any]:
        np = require("numpy", "local")
        tokenize = SpacyTokenizer()
        out = []
        for item in items:
            n = len([t for t in tokenize(_text(item)) if t.text.strip()])
            out.append(_rng(_text(item), self.version).dirichlet(np.ones(len(self.tags)), size=n))
        return out

    def embed(self, items: Iterable[Item]) -> Any:
        np = require("numpy", "local")
        vectors = np.array([_rng(_text(i), "embed").normal(size=self.dim) for i in items])
        vectors = vectors.reshape(-1, self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)

    def predict(self, items: Iterable[Item]) -> list[Prediction]:
        predictions = []
        for item in items:
            text = _text(item)
            known = self.memory.get(text)
            if self.task == "textcat":
                label = known.labels[0] if known and known.labels else self.labels[0]
                cats = {lab: float(lab == label) for lab in self.labels}
                predictions.append(Prediction(id=Example(text=text).id, text=text, cats=cats))
            else:
                spans = (
                    [ScoredSpan(s.start, s.end, s.label, 1.0) for s in known.spans] if known else []
                )
                predictions.append(Prediction(id=Example(text=text).id, text=text, spans=spans))
        return predictions

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        memory = [
            {
                "text": e.text,
                "labels": list(e.labels),
                "spans": [[s.start, s.end, s.label] for s in e.spans],
            }
            for e in self.memory.values()
        ]
        (path / "fake_model.json").write_text(
            json.dumps(
                {
                    "task": self.task,
                    "labels": list(self.labels),
                    "version": self.version,
                    "memory": memory,
                    "metrics": self.metrics,
                }
            )
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> FakeModel:
        from .types import Span

        data = json.loads((Path(path) / "fake_model.json").read_text())
        memory = {
            m["text"]: Example(
                text=m["text"], labels=m["labels"], spans=[Span(*s) for s in m["spans"]]
            )
            for m in data["memory"]
        }
        return cls(
            task=data["task"],
            labels=data["labels"],
            version=data["version"],
            memory=memory,
            metrics=data["metrics"],
        )


@attrs.define
class ScriptedTrainer:
    """Records each ``train`` call in ``calls`` and returns a :class:`FakeModel` that remembers
    the training examples; ``fail_on`` raises on that call number (1-based) to test recovery."""

    task: str = "ner"
    calls: list[dict[str, Any]] = attrs.field(factory=list)
    fail_on: int | None = None

    def load(self, path: str | Path) -> FakeModel:
        """Read back a model this trainer's models saved (the learner uses it to resume)."""
        return FakeModel.load(path)

    def train(
        self, train: Examples, *, eval: Examples = (), labels: Labels, init: Model | None = None
    ) -> FakeModel:
        self.calls.append(
            {"n": len(train), "labels": list(labels), "init": init, "ids": [e.id for e in train]}
        )
        if self.fail_on == len(self.calls):
            raise RuntimeError(f"scripted failure on call {len(self.calls)}")
        digest = hashlib.blake2b(json.dumps(sorted(e.id for e in train)).encode(), digest_size=6)
        model = FakeModel(
            task=self.task,
            labels=labels,
            version=f"fake-{digest.hexdigest()}",
            memory={e.text: e for e in train},
        )
        if eval:
            from .metrics import evaluate

            model.metrics = evaluate(model, eval).as_dict()
        return model


_CARD = """---
library_name: transformers
tags:
- autotrain
---

# Model Trained Using AutoTrain

## Validation Metrics
{metrics}
"""


@attrs.define(eq=False)
class FakeHub:
    """An in-memory Hub with a fake AutoTrain, for ``AutoTrainTrainer(client=FakeHub(...))``.

    A Space starts when its files are uploaded; poll 1 reads ``BUILDING``, poll 2 ``RUNNING``,
    poll 3 finishes per ``scenario``: ``success`` reads the uploaded parquet (its ClassLabel
    names, as AutoTrain does), publishes ``model_files(task, names)`` with a model card and a
    checkpoint to ``{user}/{project}``, opens the success discussion and pauses; ``fail`` opens
    a failure discussion; ``build_error`` / ``runtime_error`` end in that stage; ``hang`` stays
    ``RUNNING``; ``vanish`` pauses with neither a discussion nor a model. ``trained`` records
    what each run saw (task, label names, rows), ``deleted`` what was deleted.
    """

    model_files: Any = None  # Callable[[task, names], Mapping[str, bytes]]
    scenario: str = "success"
    user: str = "user"
    repos: dict[tuple[str, str], dict[str, Any]] = attrs.field(factory=dict)
    trained: list[dict[str, Any]] = attrs.field(factory=list)
    deleted: list[str] = attrs.field(factory=list)

    def whoami(self) -> str:
        return self.user

    def create(self, repo_id: str, *, kind: str, hardware: str | None = None) -> None:
        from .errors import AutoTrainConflictError

        if (kind, repo_id) in self.repos:
            raise AutoTrainConflictError(f"creating {repo_id}: it already exists (HTTP 409)")
        self.repos[kind, repo_id] = {
            "files": {},
            "secrets": {},
            "hardware": hardware,
            "stage": "NO_APP_FILE",
            "polls": 0,
            "discussions": [],
            "logs": [],
        }

    def _repo(self, kind: str, repo_id: str) -> dict[str, Any]:
        from .errors import AutoTrainError

        if (kind, repo_id) not in self.repos:
            raise AutoTrainError(f"{repo_id}: HTTP 404 no such {kind} repo")
        return self.repos[kind, repo_id]

    def upload(self, repo_id: str, *, kind: str, files: Mapping[str, bytes], message: str) -> None:
        repo = self._repo(kind, repo_id)
        repo["files"].update(files)
        if kind == "space" and "Dockerfile" in files:
            repo["stage"] = "BUILDING"

    def configure_space(self, space: str, *, secrets: Mapping[str, str], sleep_time: int) -> None:
        repo = self._repo("space", space)
        repo["secrets"].update(secrets)
        repo["sleep_time"] = sleep_time

    def stage(self, space: str) -> str:
        repo = self._repo("space", space)
        if repo["stage"] in ("PAUSED", "NO_APP_FILE"):
            return str(repo["stage"])
        repo["polls"] += 1
        if repo["polls"] == 2 or self.scenario == "hang":
            repo["stage"] = "RUNNING"
        elif repo["polls"] >= 3:
            self._finish(repo)
        return str(repo["stage"])

    def _finish(self, space: dict[str, Any]) -> None:
        secrets = space["secrets"]
        if self.scenario in ("build_error", "runtime_error"):
            space["stage"] = self.scenario.upper()
            space["logs"] = [f"ERROR | {self.scenario}"]
            return
        space["stage"] = "PAUSED"
        if self.scenario == "vanish":
            return
        if self.scenario == "fail":
            space["logs"] = ["ERROR | training failed"]
            space["discussions"].append("Your training has failed")
            return
        params = json.loads(secrets["PARAMS"])
        task = "ner" if secrets["TASK_ID"] == "4" else "textcat"
        data = self._repo("dataset", params["data_path"])["files"]
        names, n = _split_names(task, data["data/train-00000-of-00001.parquet"], params)
        self.trained.append({"task": task, "names": names, "train_rows": n, "params": params})
        if self.model_files is None:
            raise ValueError("FakeHub needs model_files= to publish a model")
        files = dict(self.model_files(task, names))
        metrics = "f1: 0.5\n\naccuracy: 0.9\n" if task == "ner" else "accuracy: 0.85\n"
        files["README.md"] = _CARD.format(metrics=metrics).encode()
        files["checkpoint-1/optimizer.pt"] = b"\0" * 8
        model = f"{params['username']}/{params['project_name']}"
        self.repos.setdefault(("model", model), {"files": {}, "discussions": []})
        self.repos["model", model]["files"].update(files)
        space["discussions"].append("Your training has finished successfully")

    def pause(self, space: str) -> None:
        self._repo("space", space)["stage"] = "PAUSED"

    def logs(self, space: str, *, build: bool) -> list[str]:
        return list(self._repo("space", space)["logs"])

    def discussions(self, repo_id: str, *, kind: str) -> list[str]:
        return list(self._repo(kind, repo_id)["discussions"])

    def files(self, repo_id: str) -> list[str] | None:
        repo = self.repos.get(("model", repo_id))
        return None if repo is None else sorted(repo["files"])

    def download(
        self, repo_id: str, folder: Path, *, allow: Sequence[str], ignore: Sequence[str]
    ) -> Path:
        from fnmatch import fnmatch

        for name, data in self._repo("model", repo_id)["files"].items():
            if any(fnmatch(name, p) for p in allow) and not any(fnmatch(name, p) for p in ignore):
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
        return folder

    def delete(self, repo_id: str, *, kind: str) -> None:
        if self.repos.pop((kind, repo_id), None) is not None:
            self.deleted.append(f"{kind}s/{repo_id}")


def _split_names(task: str, parquet: bytes, params: Mapping[str, Any]) -> tuple[list[str], int]:
    """The ClassLabel names of an uploaded split (as AutoTrain reads them) and its row count."""
    import io

    pq = require("pyarrow.parquet", "hub")
    table = pq.read_table(io.BytesIO(parquet))
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    if task == "ner":
        return list(features[params["tags_column"]]["feature"]["names"]), table.num_rows
    return list(features[params["target_column"]]["names"]), table.num_rows
