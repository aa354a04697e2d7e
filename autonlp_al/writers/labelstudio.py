"""Label Studio tasks to import, with the model's guess as ``predictions`` (pre-annotation)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from ..registry import writers
from ..report import Report
from ..types import ID_KEY, Example, ScoredSpan, Span, id_value
from .base import atomic_write

__all__ = ["ID_KEY", "LabelStudioWriter", "choices_region", "labels_region"]

# ID_KEY: the task data key that carries the example id, so answers exported from Label Studio
# match the pool example they were asked about (``LabelStudioSource`` reads it back as the id)


@writers.register("labelstudio.v1")
@attrs.define(kw_only=True)
class LabelStudioWriter:
    """A JSON list of Label Studio tasks: ``data`` (the text under ``data_key``, the example id
    under ``autonlp_al_id``) and, for an example with spans or labels, one prediction with them.

    Args:
        data_key: the key of ``$text`` in the project's labeling config.
        labels_name / choices_name / to_name: the ``name`` of the ``<Labels>`` and ``<Choices>``
            tags and of the ``<Text>`` they point to, as in the labeling config.
        model_version: the prediction's ``model_version`` (an example's ``meta["model_version"]``
            wins); Label Studio shows it and can filter by it.

    The prediction's ``score`` is the example's ``meta["score"]`` (what the strategy gave it, as
    ``autonlp-al query`` records it), so Label Studio can sort the tasks by it; each region's
    ``score`` is the model's confidence in it (``meta["span_scores"]``, or the class probability
    in ``meta["cats"]``), as ``Query.tasks()`` records them.
    """

    data_key: str = "text"
    labels_name: str = "label"
    choices_name: str = "choice"
    to_name: str = "text"
    model_version: str = "autonlp_al"
    report: Report = attrs.field(factory=Report)

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        with atomic_write(path) as f:
            f.write("[")
            for n, example in enumerate(examples):
                f.write(("," if n else "") + "\n" + json.dumps(self._task(example)))
                self.report.count("written")
            f.write("\n]\n")
        return self.report

    def _task(self, example: Example) -> dict[str, Any]:
        task: dict[str, Any] = {"data": {self.data_key: example.text, ID_KEY: id_value(example.id)}}
        span_scores = _span_scores(example.meta.get("span_scores"))
        result = [
            labels_region(
                i,
                example.text,
                span,
                from_name=self.labels_name,
                to_name=self.to_name,
                score=span_scores.get((span.start, span.end, span.label)),
            )
            for i, span in enumerate(example.spans)
        ]
        if example.labels:
            cats = example.meta.get("cats")
            score = None
            if isinstance(cats, dict) and all(_number(cats.get(k)) for k in example.labels):
                score = min(float(cats[k]) for k in example.labels)
            result.append(
                choices_region(
                    example.labels, from_name=self.choices_name, to_name=self.to_name, score=score
                )
            )
        if result:
            prediction: dict[str, Any] = {
                "model_version": str(example.meta.get("model_version", self.model_version)),
                "result": result,
            }
            score = example.meta.get("score")
            if isinstance(score, int | float) and not isinstance(score, bool):
                prediction["score"] = float(score)
            task["predictions"] = [prediction]
        return task


def labels_region(
    i: int,
    text: str,
    span: Span | ScoredSpan,
    *,
    from_name: str,
    to_name: str,
    score: float | None = None,
) -> dict[str, Any]:
    """One ``labels`` result region of Label Studio (a span), with its score when known."""
    region: dict[str, Any] = {
        "id": f"r{i}",
        "from_name": from_name,
        "to_name": to_name,
        "type": "labels",
        "value": {
            "start": span.start,
            "end": span.end,
            "text": text[span.start : span.end],
            "labels": [span.label],
        },
    }
    if score is not None:
        region["score"] = float(score)
    return region


def choices_region(
    choices: Iterable[str], *, from_name: str, to_name: str, score: float | None = None
) -> dict[str, Any]:
    """The ``choices`` result region of Label Studio (the classes), with its score when known."""
    region: dict[str, Any] = {
        "id": "c0",
        "from_name": from_name,
        "to_name": to_name,
        "type": "choices",
        "value": {"choices": list(choices)},
    }
    if score is not None:
        region["score"] = float(score)
    return region


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _span_scores(value: Any) -> dict[tuple[int, int, str], float]:
    """``meta["span_scores"]`` (``[[start, end, label, score], ...]``, as ``Query.tasks``
    writes it) by span; anything else there is ignored."""
    out: dict[tuple[int, int, str], float] = {}
    for item in value if isinstance(value, list) else ():
        if isinstance(item, list) and len(item) == 4 and _number(item[3]):
            out[(item[0], item[1], item[2])] = float(item[3])
    return out
