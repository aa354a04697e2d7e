"""Public fakes for testing code built on autonlp_al, used by autonlp_al's own tests too.

- :class:`InMemorySource`: a :class:`~autonlp_al.sources.Source` over a list of examples.
- :class:`ScriptedTrainer`: a :class:`~autonlp_al.trainers.Trainer` that records what it was given
  and returns a :class:`FakeModel`, in milliseconds.
- :class:`FakeModel`: every model capability (class probabilities, MC-dropout samples, token
  marginals, embeddings), computed deterministically from each text, so strategies and the
  learner can be tested without torch. Predictions repeat the labels it was trained on for texts
  it has seen, which makes "the model learned" observable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._optional import require
from .converters.iob import ner_tags
from .converters.tokenize import SpacyTokenizer
from .report import Report
from .trainers.base import Item, Model
from .types import Example, Prediction, ScoredSpan, _str_tuple

__all__ = ["FakeModel", "InMemorySource", "ScriptedTrainer"]


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
        self,
        train: Sequence[Example],
        *,
        eval: Sequence[Example] = (),
        labels: Sequence[str],
        init: Model | None = None,
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
