"""Label Studio exports: the ``JSON`` and ``JSON-MIN`` formats, for NER and text classification.

``JSON`` (a list of tasks, each with ``data`` and its ``annotations``) keeps everything: one task
may have several annotations (several annotators, or one who updated it). ``policy`` decides:

- ``latest``: the annotation updated last (``updated_at``, then ``created_at``, then ``id``);
- ``majority``: the answer most annotations agree on (same spans and choices); a tie is a
  conflict, skipped and counted;
- ``reject``: annotations that disagree are a conflict, skipped and counted.

Cancelled (skipped) annotations are counted and left out; a task with nothing else left is
counted as ``no annotation``. ``predictions`` (pre-annotations from a model) are ignored unless
``use_predictions=True``, where they stand in for a task with no annotation.

``JSON-MIN`` (one flat object per annotation: the data keys, then one key per control tag) is
read too; each object is one annotation, merged by ``policy`` per task ``id`` as above.

Result types read: ``labels`` (spans with ``start``/``end``/``labels``) and ``choices``; other
result types (``rating``, ``textarea``, relations...) are counted as ignored.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from .._values import describe
from ..errors import SourceError
from ..registry import sources
from ..report import Report
from ..types import ID_KEY, Example, Origin, Span, parse_id, text_hash
from .base import OnError, existing, guarded, is_int

__all__ = ["LabelStudioSource", "task_example_id"]

_POLICIES = ("latest", "majority", "reject")
_META_KEYS = {
    "id",
    "annotator",
    "annotation_id",
    "created_at",
    "updated_at",
    "lead_time",
    "autonlp_al_id",
}


@sources.register("labelstudio.v1")
@attrs.define(kw_only=True)
class LabelStudioSource:
    """Examples from a Label Studio ``JSON`` or ``JSON-MIN`` export (detected per task).

    Args:
        path: the exported ``.json`` file (a JSON list).
        data_key: the task data field that holds the text (``$text`` in the labeling config).
        policy: several annotations on one task: ``latest``, ``majority`` or ``reject``.
        use_predictions: read a task's ``predictions`` when it has no annotation.
        encoding: the file's encoding.
        on_error: ``raise`` at the first bad task, or ``skip`` and count it.
    """

    path: Path = attrs.field(converter=Path)
    data_key: str = "text"
    policy: str = attrs.field(default="latest", validator=attrs.validators.in_(_POLICIES))
    use_predictions: bool = False
    encoding: str = "utf-8"
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)
    #: what origins name instead of ``path`` (a project's URL, when the tasks come from its API)
    where: str = ""

    def read(self) -> Iterator[Example]:
        yield from self.read_tasks(self._tasks(existing(self.path)))

    def read_tasks(self, tasks: Iterable[Any]) -> Iterator[Example]:
        """Examples from tasks already parsed (a webhook's payload, an SDK export), with the
        same checks, policy and counts as :meth:`read`; ``path`` names them in messages."""
        minimal: dict[Any, list[tuple[Origin, Mapping[str, Any]]]] = {}
        for number, task in enumerate(tasks, start=1):
            origin = Origin(f"{self.where or self.path}#task", number)
            self.report.count("tasks")
            if isinstance(task, Mapping) and "data" not in task and "annotations" not in task:
                minimal.setdefault(task.get("id", f"#{number}"), []).append((origin, task))
                continue
            example = guarded(self.on_error, self.report, origin, self._full, origin, task)
            if example is not None:
                self.report.count("examples")
                yield example
        for group in minimal.values():
            origin = group[0][0]
            example = guarded(self.on_error, self.report, origin, self._minimal, group)
            if example is not None:
                self.report.count("examples")
                yield example

    def _tasks(self, path: Path) -> list[Any]:
        try:
            tasks = json.loads(path.read_bytes().decode(self.encoding))
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{path}: bytes are not valid {self.encoding} at offset {exc.start}; pass the "
                f"file's encoding (--encoding ...)"
            ) from exc
        except (ValueError, RecursionError) as exc:
            raise SourceError(
                f"{path}: not a JSON file ({exc!r:.100}); export the project from Label Studio as "
                f"JSON or JSON-MIN"
            ) from exc
        if not isinstance(tasks, list):
            raise SourceError(
                f"{path}: a Label Studio export is a JSON list of tasks, got "
                f"{type(tasks).__name__}; export the project as JSON or JSON-MIN"
            )
        return tasks

    # -- JSON ---------------------------------------------------------------------------------

    def _full(self, origin: Origin, task: Any) -> Example | None:
        if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
            raise SourceError(f"{origin}: a task needs a 'data' object, got {describe(task)}")
        text = task["data"].get(self.data_key)
        if not isinstance(text, str):
            raise SourceError(
                f"{origin}: no text at data[{self.data_key!r}] (data keys: "
                f"{sorted(task['data'])}); pass data_key= (--data-key) with the key of $text"
            )
        answers = []
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            raise SourceError(
                f"{origin}: 'annotations' must be a list, got {describe(annotations)}"
            )
        for annotation in annotations:
            if not isinstance(annotation, Mapping):
                raise SourceError(
                    f"{origin}: an annotation must be an object: {describe(annotation)}"
                )
            if annotation.get("was_cancelled"):
                self.report.skip(
                    "cancelled annotation", origin, f"annotation {annotation.get('id')}"
                )
                continue
            answers.append(
                (annotation_order(annotation), self._result(origin, annotation.get("result")))
            )
        if not answers and self.use_predictions:
            for prediction in task.get("predictions") or []:
                if isinstance(prediction, Mapping):
                    answers.append(
                        (
                            annotation_order(prediction),
                            self._result(origin, prediction.get("result")),
                        )
                    )
        if not answers:
            self.report.skip("no annotation", origin, repr(text[:60]))
            return None
        spans, labels = self._decide(origin, answers, text)
        if spans is None:
            return None
        # autonlp_al_id: written by LabelStudioWriter, the id of the pool example asked about
        return _example(origin, text, spans, labels, task.get("id"), task["data"])

    def _result(self, origin: Origin, result: Any) -> tuple[frozenset[Span], tuple[str, ...]]:
        if result is None:
            return frozenset(), ()
        if not isinstance(result, list):
            raise SourceError(f"{origin}: 'result' must be a list, got {describe(result)}")
        spans: set[Span] = set()
        labels: list[str] = []
        for i, region in enumerate(result):
            if not isinstance(region, Mapping) or not isinstance(region.get("value"), Mapping):
                raise SourceError(
                    f"{origin}: result {i} needs a 'value' object: {describe(region)}"
                )
            kind, value = region.get("type"), region["value"]
            if kind == "labels" or (kind is None and "start" in value):
                spans.update(_spans(origin, i, value))
            elif kind == "choices" or (kind is None and "choices" in value):
                labels.extend(_strings(origin, i, value.get("choices"), "choices"))
            else:
                self.report.adjust("result type ignored", origin, f"result {i} type {kind!r}")
        return frozenset(spans), tuple(dict.fromkeys(labels))

    def _decide(
        self,
        origin: Origin,
        answers: list[tuple[tuple[str, str, int], tuple[frozenset[Span], tuple[str, ...]]]],
        text: str,
    ) -> tuple[Sequence[Span] | None, tuple[str, ...]]:
        votes = Counter((spans, frozenset(labels)) for _, (spans, labels) in answers)
        if len(votes) == 1:  # one annotation, or several that agree
            spans, labels = answers[0][1]
            return sorted(spans), labels
        if self.policy == "latest":
            self.report.adjust(
                "several annotations: the latest kept", origin, f"{len(answers)} annotations"
            )
            spans, labels = max(answers, key=lambda a: a[0])[1]
            return sorted(spans), labels
        (best, n), (_, runner_up) = votes.most_common(2)
        if self.policy == "majority" and runner_up < n:
            self.report.adjust(
                "several annotations: the majority kept", origin, f"{n} of {len(answers)}"
            )
            spans = best[0]
            labels = next(a[1][1] for a in answers if (a[1][0], frozenset(a[1][1])) == best)
            return sorted(spans), labels
        self.report.skip(
            "conflicting annotations",
            origin,
            f"{len(votes)} different answers from {len(answers)} annotations on {text[:40]!r}",
        )
        return None, ()

    # -- JSON-MIN -----------------------------------------------------------------------------

    def _minimal(self, group: list[tuple[Origin, Mapping[str, Any]]]) -> Example | None:
        origin, first = group[0]
        text = first.get(self.data_key)
        if not isinstance(text, str):
            raise SourceError(
                f"{origin}: no text at {self.data_key!r} (keys: {sorted(first)}); pass data_key= "
                f"(--data-key) with the key of $text"
            )
        answers = []
        for where, row in group:
            if row.get(self.data_key) != text:
                raise SourceError(f"{where}: same task id as {origin} but another text")
            spans: set[Span] = set()
            labels: list[str] = []
            for key, value in row.items():
                if key == self.data_key or key in _META_KEYS:
                    continue
                if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                    for i, item in enumerate(value):
                        spans.update(_spans(where, i, item))
                elif isinstance(value, str):
                    labels.append(value)
                elif isinstance(value, Mapping) and isinstance(value.get("choices"), list):
                    labels.extend(_strings(where, 0, value["choices"], key))
            answers.append(
                (
                    annotation_order(row, "annotation_id"),
                    (frozenset(spans), tuple(dict.fromkeys(labels))),
                )
            )
        spans_kept, labels_kept = self._decide(origin, answers, text)
        if spans_kept is None:
            return None
        return _example(origin, text, spans_kept, labels_kept, first.get("id"), first)


def _spans(origin: Origin, i: int, value: Mapping[str, Any]) -> list[Span]:
    start, end = value.get("start"), value.get("end")
    labels = _strings(origin, i, value.get("labels"), "labels")
    if not is_int(start) or not is_int(end):
        raise SourceError(
            f"{origin}: region {i} needs integer 'start' and 'end': {describe(dict(value))}"
        )
    if not 0 <= start < end:
        raise SourceError(
            f"{origin}: region {i} has start {start} and end {end}; need 0 <= start < end"
        )
    return [Span(start, end, label) for label in labels]


def _strings(origin: Origin, i: int, value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise SourceError(
            f"{origin}: result {i} {what!r} must be a list of names, got {describe(value)}"
        )
    return list(value)


def annotation_order(annotation: Mapping[str, Any], id_key: str = "id") -> tuple[str, str, int]:
    """What orders annotations from oldest to latest: update time, creation time, id."""
    number = annotation.get(id_key)
    return (
        str(annotation.get("updated_at") or ""),
        str(annotation.get("created_at") or ""),
        number if is_int(number) else 0,
    )


def task_example_id(text: str, data: Mapping[str, Any]) -> int:
    """The example a Label Studio task is about: the ``autonlp_al_id`` our tasks carry in
    ``data``, else the text's hash (the id a pool example of that text has)."""
    ours = parse_id(data.get(ID_KEY))
    return ours if ours is not None else text_hash(text)


def _short_id(task_id: Any) -> Any:
    """Label Studio's task id as it is when it is a short int or string (it always is from Label
    Studio), else its bounded description: a 1 MB id is not kept whole in every answer."""
    if isinstance(task_id, bool) or not isinstance(task_id, int | str):
        return describe(task_id, limit=100) if isinstance(task_id, Mapping | list) else task_id
    if isinstance(task_id, int):
        return task_id if task_id.bit_length() <= 256 else describe(task_id)
    return task_id if len(task_id) <= 200 else describe(task_id, limit=100)


def _example(
    origin: Origin,
    text: str,
    spans: Sequence[Span],
    labels: tuple[str, ...],
    task_id: Any,
    data: Mapping[str, Any],
) -> Example:
    """The example: its id the ``autonlp_al_id`` the task carries, else the text hash; Label
    Studio's task id in ``meta["id"]``."""
    return Example(
        text=text,
        id=task_example_id(text, data),
        spans=list(spans),
        labels=labels,
        meta={} if task_id is None else {"id": _short_id(task_id)},
        origin=origin,
    )
