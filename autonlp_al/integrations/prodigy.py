"""Our model in Prodigy's loop: the recipes ``ner.al`` and ``textcat.al``.

Prodigy is commercial and is never needed to import this module or test it: the recipe's parts —
the stream, the update callback, the config — are plain Python (:class:`RecipeLoop`,
:func:`recipe_components`), and the ``@prodigy.recipe`` registration at the end is a thin layer
that only exists when Prodigy is installed::

    prodigy ner.al bbc_al ./state pool.jsonl ./minilm --label PERSON,ORG,PRODUCT,LOCATION \\
        -F autonlp_al/prodigy_recipes.py

The stream serves the learner's open query (pre-annotated by the current model); the update
callback collects answers and, once the whole batch (or ``retrain_every`` answers) is in, has the
learner train the next model in a background thread (the stream never blocks on training while
tasks are left to show); it returns the training loss of the latest model there is. The stream
then serves the next batch, picked by the new model. ``progress`` is the share of the pool
labelled. Stopping criteria end the stream.

The recipe arguments are declared with Prodigy's ``Arg`` (current Prodigy, type-hinted recipe
functions) where it exists, else as the older ``(help, kind, shortcut, type)`` tuples, so the same
file loads on both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

# absolute imports: `prodigy ... -F autonlp_al/integrations/prodigy.py` loads this file by its
# path, outside the package, where relative imports fail
from autonlp_al.loop.config import LoopConfig, Part, recommended_trainer_args
from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.loop.retrainer import Retrainer
from autonlp_al.sources.prodigy import ProdigySource, task_id
from autonlp_al.trainers.base import LossModel
from autonlp_al.writers.jsonl import ProdigyWriter

__all__ = ["RecipeLoop", "loop_config", "recipe_arguments", "recipe_components", "register"]


@attrs.define(eq=False)
class RecipeLoop:
    """Joins an :class:`ActiveLearner` to Prodigy's ``stream`` and ``update``."""

    learner: ActiveLearner
    retrain_every: int | None = None  # default: when every task of the open query is answered
    stop: Sequence[Any] = ()
    wait: float = 600.0  # seconds the stream waits for a retrain before it ends
    _answers: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    _open: set[int] = attrs.field(factory=set)
    _trained: threading.Event = attrs.field(factory=threading.Event)
    _batches: list[list[dict[str, Any]]] = attrs.field(factory=list)
    _retrainer: Retrainer = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._retrainer = Retrainer(
            lambda: bool(self._batches), self._retrain, name="autonlp_al-prodigy-retrain"
        )

    @property
    def errors(self) -> list[BaseException]:
        """What failed in the background; the stream ends after the first."""
        return self._retrainer.errors

    def stream(self) -> Iterator[dict[str, Any]]:
        """Tasks of the open query; after a batch, wait for the retrain, then the next batch."""
        while True:
            reason = next(
                (r for c in self.stop if (r := c.should_stop(self.learner.history))), None
            )
            if reason or not self.learner.remaining:
                return
            self._trained.clear()
            self.learner.train_pending()
            query = self.learner.query()
            options = self.learner.labels if query.task == "textcat" else ()
            writer = ProdigyWriter(options=options, with_answer=False)
            tasks = [writer.task(example) for example in query.tasks()]
            self._open = {task_id(t) for t in tasks}  # Prodigy adds its own hashes
            yield from tasks
            if not self._trained.wait(self.wait) or self.errors:
                return

    def update(self, answers: list[dict[str, Any]]) -> float | None:
        """Prodigy's update callback: keep the answers; retrain once enough are in (in the
        background). Returns the training loss of the latest model trained before this call,
        if it reports one (read first: a retrain started here may finish at once)."""
        model = self.learner.models.model
        for answer in answers:
            if task_id(answer) in self._open:  # our id, kept in meta through Prodigy
                self._answers[task_id(answer)] = answer
        enough = self.retrain_every or len(self._open)
        if self._answers and len(self._answers) >= min(enough, len(self._open)):
            self._batches.append(list(self._answers.values()))
            self._answers = {}
            self._retrainer.start()
        return model.train_loss if isinstance(model, LossModel) else None

    def progress(self, *args: Any, **kwargs: Any) -> float:
        """Prodigy's progress callback (called with the controller and ``update``'s return
        value): the share of the pool labelled so far, from 0 to 1."""
        done = len(self.learner.state.labeled_examples())
        left = self.learner.remaining
        return done / (done + left) if done + left else 1.0

    def _retrain(self) -> None:
        answers = self._batches.pop(0)
        try:  # merged exactly as a db-out file of these answers would be
            source = ProdigySource(path=Path("<prodigy answers>"))
            self.learner.update(list(source.read_tasks(answers)))
        finally:  # a failure is in errors (the Retrainer keeps it); the stream then ends
            self._trained.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a retrain in progress (tests, and a clean shutdown)."""
        self._retrainer.join(timeout)


def recipe_components(
    loop: RecipeLoop,
    *,
    dataset: str,
    view_id: str,
    labels: Sequence[str],
    batch_size: int = 10,
    multi_label: bool = False,
) -> dict[str, Any]:
    """What a Prodigy recipe returns: dataset, view, stream, update and progress callbacks,
    config (several choices at once with ``multi_label``)."""
    return {
        "dataset": dataset,
        "view_id": view_id,
        "stream": loop.stream(),
        "update": loop.update,
        "progress": loop.progress,
        "config": {
            "labels": list(labels),
            "batch_size": batch_size,
            "choice_style": "multiple" if multi_label else "single",
        },
    }


def loop_config(
    *,
    model: str,
    labels: str,
    task: str,
    strategy: str,
    batch_size: int = 10,
    lang: str = "en",
    multi_label: bool = False,
) -> LoopConfig:
    """The recipe's loop: the local trainer with the recommended round settings, ``strategy``
    by registry name (every registered strategy works, hybrid included); ``multi_label``:
    textcat with an independent sigmoid per class."""
    label_list = [label.strip() for label in labels.split(",") if label.strip()]
    trainer_args = {"model": model, "progress": False, **recommended_trainer_args(task)}
    if multi_label:
        trainer_args["multi_label"] = True
    return LoopConfig(
        task=task,
        labels=label_list,
        trainer=Part(kind="trainers", name="transformers.v1", args=trainer_args),
        strategy=Part(kind="strategies", name=strategy),
        batch_size=batch_size,
        lang=lang,
    )


def _build(
    state_dir: str,
    pool: str,
    model: str,
    labels: str,
    task: str,
    strategy: str,
    batch_size: int,
    multi_label: bool = False,
) -> RecipeLoop:
    config = loop_config(
        model=model,
        labels=labels,
        task=task,
        strategy=strategy,
        batch_size=batch_size,
        multi_label=multi_label,
    )
    source = Part(kind="sources", name="jsonl.v1", args={"path": str(Path(pool).absolute())})
    return RecipeLoop(config.evolve(pool=source).build(state_dir))


def recipe_arguments(arg: Any = None, *, task: str) -> dict[str, Any]:
    """The recipe's argument annotations: Prodigy's ``Arg`` objects when ``arg`` is that class
    (current Prodigy), else the older ``(help, kind, shortcut, type)`` tuples."""
    table: list[tuple[str, str, str, str | None, type]] = [
        ("dataset", "Dataset to save answers to", "positional", None, str),
        ("state_dir", "Learner state folder", "positional", None, str),
        ("pool", "Unlabelled texts (JSONL with 'text')", "positional", None, str),
        ("model", "Base model folder", "positional", None, str),
        ("label", "Comma-separated labels", "option", "l", str),
        ("strategy", "Query strategy", "option", "s", str),
        ("batch_size", "Examples per round", "option", "b", int),
    ]
    if task == "textcat":
        table.append(("multi_label", "Several labels per text", "flag", "M", bool))
    if arg is None:
        return {name: (text, kind, short, kind_of) for name, text, kind, short, kind_of in table}
    return {
        name: arg(help=text)
        if kind == "positional"
        else arg(f"--{name.replace('_', '-')}", f"-{short}", help=text)
        for name, text, kind, short, _ in table
    }


def _recipe(task: str, view_id: str, default_strategy: str) -> Any:
    if task == "ner":

        def ner_recipe(
            dataset: str,
            state_dir: str,
            pool: str,
            model: str,
            label: str = "",
            strategy: str = default_strategy,
            batch_size: int = 10,
        ) -> dict[str, Any]:
            loop = _build(state_dir, pool, model, label, task, strategy, batch_size)
            return recipe_components(
                loop, dataset=dataset, view_id=view_id, labels=loop.learner.labels,
                batch_size=batch_size,
            )  # fmt: skip

        return ner_recipe

    def textcat_recipe(
        dataset: str,
        state_dir: str,
        pool: str,
        model: str,
        label: str = "",
        strategy: str = default_strategy,
        batch_size: int = 10,
        multi_label: bool = False,
    ) -> dict[str, Any]:
        loop = _build(state_dir, pool, model, label, task, strategy, batch_size, multi_label)
        return recipe_components(
            loop, dataset=dataset, view_id=view_id, labels=loop.learner.labels,
            batch_size=batch_size, multi_label=multi_label,
        )  # fmt: skip

    return textcat_recipe


def register(prodigy: Any) -> tuple[Any, Any]:
    """Register ``ner.al`` and ``textcat.al`` with ``prodigy`` (the module)."""
    try:
        from prodigy.core import Arg  # current Prodigy: Arg objects and type hints
    except ImportError:  # older Prodigy: plac-style tuples
        Arg = None
    ner = prodigy.recipe("ner.al", **recipe_arguments(Arg, task="ner"))(
        _recipe("ner", "ner_manual", "total_token_entropy")
    )
    textcat = prodigy.recipe("textcat.al", **recipe_arguments(Arg, task="textcat"))(
        _recipe("textcat", "choice", "hybrid")
    )
    return ner, textcat


try:  # the thin layer: only with Prodigy installed
    import prodigy
except ImportError:  # pragma: no cover - Prodigy is not installable in CI
    prodigy = None

if prodigy is not None:  # pragma: no cover
    ner_al, textcat_al = register(prodigy)
