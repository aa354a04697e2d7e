"""Label Studio's ML backend protocol, served by ``autonlp-al serve STATE_DIR --labelstudio``.

Connect the server as a project's model in Label Studio (Settings → Model → Connect model, with
the server's URL). Label Studio then calls:

- ``GET /health`` and ``POST /setup``: the project's labeling config is read here (which
  ``<Text>``, ``<Labels>`` and ``<Choices>`` tags to answer with); the reply names the model
  version.
- ``POST /predict`` with ``{"tasks": [...]}``: one prediction per task in Label Studio's result
  format, per-region scores, and the task ``score`` = the loop strategy's score of the task (so
  Label Studio can sort tasks by it). The reply is streamed a chunk of tasks at a time, so a bulk
  request over thousands of tasks keeps the connection busy instead of running into Label
  Studio's read timeout.
- ``POST /webhook`` (Label Studio makes this webhook when the model is connected):
  ``ANNOTATION_CREATED`` / ``ANNOTATIONS_CREATED`` / ``ANNOTATION_UPDATED`` answers are written
  to the learner's event log before the reply; a background thread trains the next round and
  the served model is swapped in place. Anything it cannot use (a cancelled annotation, a
  missing ``annotation``, a label outside the label set, an unknown action, a deleted task) is
  logged, counted in ``GET /labelstudio``, and kept in ``labelstudio-skipped.jsonl`` in the state
  folder: a 200, never a 500 that loses the annotation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import attrs

from .._files import storage
from .._transient import transient
from .._values import bounded, describe
from ..errors import AutoNLPALError, ConfigError, StorageError
from ..loop.journal import Annotated
from ..loop.retrainer import Retrainer
from ..report import Report
from ..sources.base import OnError
from ..sources.labelstudio import LabelStudioSource, annotation_order, task_example_id
from ..strategies.base import ScoringStrategy
from ..strategies.diversity import Hybrid, default_uncertainty
from ..trainers.base import Model
from ..types import Example, Prediction
from ..writers.labelstudio import choices_region, labels_region
from .slot import served

__all__ = ["LabelStudioBackend", "LabelingConfig"]

log = logging.getLogger("autonlp_al.integrations.labelstudio")

#: the webhook actions that carry answers
ANSWERS = ("ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED")
SKIPPED_FILE = "labelstudio-skipped.jsonl"


@attrs.frozen(kw_only=True)
class LabelingConfig:
    """What a prediction must name: the ``<Text>`` tag (and the task data key of its
    ``$value``), the ``<Labels>`` tag for spans, the ``<Choices>`` tag for classes."""

    to_name: str = "text"
    data_key: str = "text"
    labels_name: str = "label"
    choices_name: str = "choice"
    multiple: bool = False

    @classmethod
    def from_xml(cls, xml: str) -> LabelingConfig:
        """Read a project's labeling config; :class:`ConfigError` when it has no text to label."""
        try:
            root = ElementTree.fromstring(xml)
        except ElementTree.ParseError as exc:
            raise ConfigError(
                f"the labeling config is not XML ({exc}); check the project's Labeling Interface"
            ) from exc
        text = next(
            (e for e in root.iter() if e.tag in ("Text", "HyperText") and e.get("name")), None
        )
        if text is None:
            raise ConfigError(
                'the labeling config has no <Text name="..." value="$..."/> tag; autonlp_al '
                "labels text: add one to the project's Labeling Interface"
            )
        name = str(text.get("name"))
        value = text.get("value", "$text")
        labels = next((e for e in root.iter("Labels") if e.get("toName") == name), None)
        choices = next((e for e in root.iter("Choices") if e.get("toName") == name), None)
        return cls(
            to_name=name,
            data_key=value[1:] if value.startswith("$") else value,
            labels_name=labels.get("name", "label") if labels is not None else "label",
            choices_name=choices.get("name", "choice") if choices is not None else "choice",
            multiple=choices is not None and choices.get("choice") == "multiple",
        )

    def result(self, prediction: Prediction) -> list[dict[str, Any]]:
        """A prediction as Label Studio result regions, each with its score."""
        regions = [
            labels_region(
                i,
                prediction.text,
                s,
                from_name=self.labels_name,
                to_name=self.to_name,
                score=s.score,
            )
            for i, s in enumerate(prediction.spans)
        ]
        if prediction.cats:
            ranked = sorted(prediction.cats.items(), key=lambda kv: -kv[1])
            chosen = [k for k, p in ranked if p >= 0.5] if self.multiple else []
            chosen = chosen or [ranked[0][0]]
            regions.append(
                choices_region(
                    chosen,
                    from_name=self.choices_name,
                    to_name=self.to_name,
                    score=min(prediction.cats[k] for k in chosen),
                )
            )
        return regions


def _project(payload: Mapping[str, Any]) -> str:
    """A project's key: Label Studio sends ``"<id>.<created timestamp>"`` or a project object."""
    project = payload.get("project")
    if isinstance(project, Mapping):
        project = project.get("id")
    project = _key(project)
    return _short(project).split(".")[0] if project is not None else ""


@attrs.define(eq=False, kw_only=True)
class LabelStudioBackend:
    """The learner behind Label Studio's ML backend routes (see the module docstring).

    Args:
        slot: the served model (a :class:`~autonlp_al.integrations.serve.ModelSlot`); swapped
            after each retrain.
        learner: records the answers and trains; ``None`` serves predictions only.
        retrain_every: answers to wait for before a retrain (more arriving during a retrain
            join the next one).
        chunk: tasks predicted per streamed piece of a ``/predict`` reply.
        max_chars: a task text longer than this gets an empty prediction (counted).
    """

    slot: Any
    learner: Any = None
    retrain_every: int = 1
    chunk: int = 64
    max_chars: int = 20_000
    report: Report = attrs.field(factory=Report)
    _configs: dict[str, LabelingConfig] = attrs.field(factory=dict)
    _retrainer: Retrainer = attrs.field(init=False)
    _leftover: bool = attrs.field(init=False, default=False)
    _keys: set[tuple[str, str, str]] | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        self._retrainer = Retrainer(
            self._wanted, self._retrain, name="autonlp_al-labelstudio-retrain"
        )
        # answers a stopped server recorded and never trained: trained at the first start,
        # however few (retrain_every counts the answers that arrive from now on)
        self._leftover = self.learner is not None and self.learner.state.n_untrained > 0

    # -- setup ----------------------------------------------------------------------------------

    def setup(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        schema = payload.get("schema") or payload.get("label_config")
        if isinstance(schema, str) and schema.strip():
            self._configs[_project(payload)] = LabelingConfig.from_xml(schema)
        return {"model_version": self.version}

    @property
    def version(self) -> str:
        return str(self.slot.get()[1]["version"])

    def config(self, payload: Mapping[str, Any]) -> LabelingConfig:
        """The labeling config of the payload's project: the one it carries, else the one
        ``/setup`` gave (the only one, for a payload naming no project), else the defaults
        (``$text``, ``label``, ``choice``)."""
        project = payload.get("project")
        schema = payload.get("label_config")
        if schema is None and isinstance(project, Mapping):
            schema = project.get("label_config")
        if isinstance(schema, str) and schema.strip():
            config = LabelingConfig.from_xml(schema)
            self._configs[_project(payload)] = config
            return config
        key = _project(payload)
        if key not in self._configs and len(self._configs) == 1:  # one project: it is that one
            return next(iter(self._configs.values()))
        return self._configs.get(key, LabelingConfig())

    # -- predict --------------------------------------------------------------------------------

    def predict(self, payload: Mapping[str, Any]) -> Iterator[bytes]:
        """The ``/predict`` reply, as JSON pieces: a chunk of tasks is predicted per piece.
        The request is checked here, before the reply begins: :class:`ConfigError` for a body
        without a task list or with a labeling config that cannot be read."""
        tasks = payload.get("tasks")
        if not isinstance(tasks, list):
            raise ConfigError('a Label Studio /predict body needs "tasks": a list of tasks')
        config = self.config(payload)
        model, info = self.slot.get()  # one model for the whole reply, whatever is swapped
        return self._pieces(tasks, config, model, str(info["version"]))

    def _pieces(
        self, tasks: list[Any], config: LabelingConfig, model: Model | None, version: str
    ) -> Iterator[bytes]:
        yield f'{{"model_version": {json.dumps(version)}, "results": ['.encode()
        for start in range(0, len(tasks), self.chunk):
            part = tasks[start : start + self.chunk]
            results = self._predict(model, version, config, part)
            text = ", ".join(json.dumps(r) for r in results)
            yield (", " if start else "").encode() + text.encode()
        yield b"]}"

    def _predict(
        self, model: Model | None, version: str, config: LabelingConfig, tasks: Sequence[Any]
    ) -> list[dict[str, Any]]:
        texts: dict[int, Example] = {}
        for i, task in enumerate(tasks):
            data = task.get("data") if isinstance(task, Mapping) else None
            if not isinstance(data, Mapping):
                data = {}
            text = data.get(config.data_key)
            if not isinstance(text, str) or not text.strip():
                self.report.skip(
                    "predict: task without text",
                    None,
                    f"task {_task_id(task)}: no data.{config.data_key}",
                )
            elif len(text) > self.max_chars:
                self.report.skip(
                    "predict: text too long", None, f"task {_task_id(task)}: {len(text)} characters"
                )
            else:
                try:
                    texts[i] = self._example(text, data)
                except (AutoNLPALError, ValueError) as exc:  # e.g. a lone surrogate
                    self.report.skip("predict: bad text", None, f"task {_task_id(task)}: {exc}")
        predictions: dict[int, Prediction] = {}
        scores: dict[int, float] = {}
        if model is not None and texts:
            examples = list(texts.values())
            try:  # the reply is under way: a chunk that fails gets empty predictions, counted
                with transient():  # tasks' texts are read from the cache, never added to it
                    predictions = dict(zip(texts, model.predict(examples), strict=True))
                    scores = dict(zip(texts, self._scores(examples), strict=True))
            except Exception as exc:
                log.exception("predicting %d Label Studio tasks failed", len(examples))
                self.report.skip("predict: failed", None, f"{type(exc).__name__}: {exc}")
                predictions, scores = {}, {}
        self.report.count("predicted", len(predictions))
        return [
            {
                "result": config.result(predictions[i]) if i in predictions else [],
                "score": scores.get(i, 0.0),
                "model_version": version,
            }
            for i in range(len(tasks))
        ]

    def _example(self, text: str, data: Mapping[str, Any]) -> Example:
        example = Example(text=text, id=task_example_id(text, data))
        return self.learner.picker.tokenised(example) if self.learner is not None else example

    def _scores(self, examples: list[Example]) -> list[float]:
        """The loop strategy's score of each task, from the learner's round model (0 without)."""
        model = self.learner.models.model if self.learner is not None else None
        if model is None:
            return [0.0] * len(examples)
        strategy = self.learner.picker.strategy
        if isinstance(strategy, Hybrid) and isinstance(strategy.uncertainty, ScoringStrategy):
            strategy = strategy.uncertainty
        if not isinstance(strategy, ScoringStrategy):  # random, k-means...: the default uncertainty
            strategy = default_uncertainty(model)
        assert isinstance(strategy, ScoringStrategy)
        try:
            return strategy.scores(model, examples)
        except AutoNLPALError as exc:  # a model without the capability: no score, still predictions
            self.report.skip("predict: no score", None, str(exc))
            return [0.0] * len(examples)

    # -- webhook --------------------------------------------------------------------------------

    def webhook(self, payload: Any, *, state_dir: Path | None = None) -> dict[str, Any]:
        """Record the answers a webhook carries; start a retrain. Never raises for bad input:
        what is not used is counted, logged and kept in ``labelstudio-skipped.jsonl``."""
        action = payload.get("action") if isinstance(payload, Mapping) else None
        if action not in ANSWERS:
            name = (
                "?"
                if not isinstance(action, str)
                else action
                if len(action) <= 60
                else (describe(action, limit=60))
            )
            self.report.count(f"webhook {name}")
            if isinstance(action, str) and "DELETED" in action:
                # an answer already recorded stays recorded: the learner never unlearns
                self._skip(
                    payload, "deleted in Label Studio; answers recorded before stay", state_dir
                )
            return {"recorded": 0, "ignored": name if isinstance(action, str) else None}
        tasks = self._tasks(payload)
        if not tasks:
            self._skip(payload, "no annotation in the payload", state_dir)
            return {"recorded": 0, "skipped": 1}
        try:
            config = self.config(payload)
        except AutoNLPALError as exc:  # a config that cannot be read must not cost the answer
            self._skip(payload, f"labeling config ignored: {exc}", state_dir)
            config = self._configs.get(_project(payload), LabelingConfig())
        report = Report()
        source = LabelStudioSource(
            path=Path("<label studio webhook>"),
            data_key=config.data_key,
            on_error=OnError.SKIP,
            report=report,
        )
        examples = []
        for task in tasks:  # one by one, so each example keeps its annotation's delivery key
            for example in source.read_tasks([task]):
                key = delivery(task["annotations"][0])
                examples.append(attrs.evolve(example, meta={**example.meta, **key}))
        if report.n_skipped:  # counted by the source; the payload is kept once, with why
            self._skip(payload, "; ".join(map(str, report.issues)), state_dir, quiet=True)
        self.report.merge(report)
        if self.learner is None:
            self._skip(payload, "no learner: serve a state folder to learn", state_dir)
            return {"recorded": 0, "skipped": len(tasks)}
        recorded = duplicates = 0
        for example in examples:  # one by one: one bad label must not cost the others
            if self.learner.training.trainer.task == "textcat" and not example.labels:
                self._skip(payload, "an empty result (no class chosen): not recorded", state_dir)
                continue
            found = _delivery_key(example)
            with self.learner.state.lock:  # two deliveries of one annotation at once: one wins
                if found is not None and found in self._delivered():
                    duplicates += 1  # a redelivery: on disk already, once
                    continue
                try:
                    recorded += self.learner.record([example])
                except StorageError:
                    raise  # not on disk: the reply must not say recorded (serve answers 507)
                except AutoNLPALError as exc:
                    self._skip(payload, str(exc), state_dir)
                    continue
                if found is not None:  # known once on disk: a retry after a 507 is recorded
                    self._delivered().add(found)
        self.report.count("recorded", recorded)
        self.report.count("redelivered", duplicates)
        if recorded:
            self.start()
        reply = {"recorded": recorded, "skipped": len(tasks) - recorded - duplicates}
        return {**reply, "redelivered": duplicates} if duplicates else reply

    def _delivered(self) -> set[tuple[str, str, str]]:
        """The delivery keys of every answer in the log (read once, then kept in step), so a
        redelivery is known across restarts, and so is an older version of an annotation
        delivered again after its update."""
        if self._keys is None:
            self._keys = {
                key
                for event in self.learner.journal.replay()
                if isinstance(event, Annotated)
                for e in event.examples
                if (key := _delivery_key(e)) is not None
            }
        return self._keys

    def _tasks(self, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Label Studio JSON tasks, one annotation each, from a webhook payload."""
        annotations = payload.get("annotation")
        tasks = payload.get("task")
        if isinstance(annotations, Mapping):
            annotations, tasks = [annotations], [tasks]
        if not isinstance(annotations, list) or not isinstance(tasks, list):
            return []
        by_id: dict[int | str | None, Any] = {
            key: t
            for t in tasks
            if isinstance(t, Mapping) and (key := _key(t.get("id"))) is not None
        }
        out = []
        for n, annotation in enumerate(annotations):
            if not isinstance(annotation, Mapping):
                continue
            task = annotation.get("task")
            task = by_id.get(_key(task.get("id") if isinstance(task, Mapping) else task))
            if task is None and n < len(tasks) and isinstance(tasks[n], Mapping):
                task = tasks[n]
            if task is None:
                continue
            out.append(
                {"id": task.get("id"), "data": task.get("data"), "annotations": [annotation]}
            )
        # the latest answer to a task wins anyway: one request records one answer a task, so
        # what it writes is bounded by its tasks (1,000 annotations of one task wrote 360x
        # the request), and the rest are counted
        latest: dict[Any, dict[str, Any]] = {}
        for one in out:
            key = _key(one["id"]) if _key(one["id"]) is not None else id(one)
            if key not in latest or annotation_order(one["annotations"][0]) >= annotation_order(
                latest[key]["annotations"][0]
            ):
                latest[key] = one
        if len(latest) < len(out):
            self.report.count("webhook: older annotations of a task", len(out) - len(latest))
        return list(latest.values())

    def _skip(
        self, payload: Any, reason: str, state_dir: Path | None, *, quiet: bool = False
    ) -> None:
        if not quiet:
            self.report.skip(f"webhook: {reason.split(';')[0][:60]}", None, reason)
        log.warning("Label Studio webhook: %s", reason)
        if state_dir is not None:
            kept, _ = bounded(payload)  # as the event log keeps values: 48 levels at most
            try:
                line = json.dumps(
                    {"time": time.time(), "reason": reason, "payload": kept}, default=str
                )
            except ValueError:  # an int too long to print
                line = json.dumps({"time": time.time(), "reason": reason,
                                   "payload": describe(payload, limit=2000)})  # fmt: skip
            path = state_dir / SKIPPED_FILE
            with storage(path, needs=len(line)), path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")

    # -- retraining -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start a retrain in the background unless one runs (it looks again when it ends)."""
        self._retrainer.start()

    def _wanted(self) -> bool:
        state = self.learner.state
        waiting = state.n_untrained
        return bool(
            state.seed_untrained or waiting >= self.retrain_every or (self._leftover and waiting)
        )

    def _retrain(self) -> None:
        self._leftover = False
        self.learner.train_pending()
        self.slot.swap(*served(self.learner))

    def join(self, timeout: float | None = None) -> None:
        """Wait for a retrain in progress (tests, and a clean shutdown)."""
        self._retrainer.join(timeout)

    def status(self) -> dict[str, Any]:
        """``GET /labelstudio``: what arrived, what was recorded, trained and skipped."""
        learner = self.learner
        return {
            "version": self.version,
            "counts": dict(self.report.counts),
            "skipped": dict(self.report.skipped),
            "untrained": learner.state.n_untrained if learner is not None else 0,
            "rounds": len(learner.history) if learner is not None else 0,
            "labelled": len(learner.state.labeled_examples()) if learner is not None else 0,
            "retraining": self._retrainer.running,
            "retrains": self._retrainer.retrains,
            "errors": [f"{type(e).__name__}: {e}" for e in self._retrainer.errors[-5:]],
        }


def _key(value: Any) -> int | str | None:
    """A task id usable as a key: an id of another type (a list, an object) names no task."""
    return value if isinstance(value, int | str) and not isinstance(value, bool) else None


def _task_id(task: Any) -> str:
    """A task's id for a message: described, so an id of any size or depth costs little."""
    return describe(task.get("id") if isinstance(task, Mapping) else None)


#: the longest annotation id or ``updated_at`` kept as a delivery key
KEY_CHARS = 100


def _short(value: int | str) -> str:
    """``value`` as a string of at most :data:`KEY_CHARS` characters, or ``""`` (an int too
    long to print in a few digits, or a long string: names nothing Label Studio sends)."""
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 256 else ""
    return value if len(value) <= KEY_CHARS else ""


def delivery(annotation: Mapping[str, Any]) -> dict[str, str]:
    """The delivery key of a Label Studio annotation (its id and ``updated_at``), for ``meta``;
    none for an annotation whose id is not a short int or string (it is recorded, but a
    redelivery of it cannot be told apart). An ``updated_at`` that is not a short string is
    left out: the answer's digest still tells an update apart."""
    key = _key(annotation.get("id"))
    name = _short(key) if key is not None else ""
    if not name:
        return {}
    stamp = annotation.get("updated_at")
    return {"annotation_id": name, "updated_at": _short(stamp) if isinstance(stamp, str) else ""}


def _delivery_key(example: Example) -> tuple[str, str, str] | None:
    """An answer's annotation id and ``updated_at``, and the answer it gave (an update sent
    without a new ``updated_at`` is still an update); ``None`` for one not from a webhook."""
    meta = example.meta
    if "annotation_id" not in meta:
        return None
    answer = repr((sorted((s.start, s.end, s.label) for s in example.spans), example.labels))
    digest = hashlib.blake2b(answer.encode("utf-8"), digest_size=8).hexdigest()
    return str(meta["annotation_id"]), str(meta.get("updated_at") or ""), digest
