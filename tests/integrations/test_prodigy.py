"""The recipe's parts, run the way Prodigy runs them, without Prodigy."""

from __future__ import annotations

import pytest

from autonlp_al import ConfigError, Example, Part, Span, registry
from autonlp_al.integrations.prodigy import RecipeLoop, loop_config, recipe_components
from autonlp_al.loop.config import strategy_tasks
from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.stopping import LowUncertainty
from autonlp_al.strategies import MNLP
from autonlp_al.testing import ScriptedTrainer

NAMES = ["anna", "omar", "lena", "raj"]


def gold(n: int) -> dict[str, Example]:
    out = {}
    for i in range(n):
        name = NAMES[i % 4]
        text = f"{name} visited plant {i} today"
        out[text] = Example(text=text, spans=[Span(0, len(name), "PER")])
    return out


def answer(task: dict, truth: dict[str, Example]) -> dict:
    spans = [{"start": s.start, "end": s.end, "label": s.label} for s in truth[task["text"]].spans]
    return {**task, "spans": spans, "answer": "accept", "_view_id": "ner_manual"}


def ner_learner(truth: dict[str, Example], state_dir, trainer) -> ActiveLearner:  # type: ignore[no-untyped-def]
    """A PER learner over ``truth``'s texts, MNLP, batches of 4."""
    return ActiveLearner.create(
        trainer=trainer,
        strategy=MNLP(),
        pool=[Example(text=t) for t in truth],
        labels=["PER"],
        state_dir=state_dir,
        batch_size=4,
    )


def test_stream_update_retrain_next_batch(tmp_path) -> None:
    truth = gold(40)
    learner = ner_learner(truth, tmp_path, ScriptedTrainer())
    loop = RecipeLoop(learner, wait=30)
    components = recipe_components(
        loop, dataset="bbc_al", view_id="ner_manual", labels=["PER"], batch_size=4
    )
    assert components["config"]["labels"] == ["PER"] and components["view_id"] == "ner_manual"
    stream, update = components["stream"], components["update"]
    first = [next(stream) for _ in range(4)]
    assert {t["meta"]["round"] for t in first} == {0}
    update([answer(t, truth) for t in first[:2]])  # a partial batch: no retrain yet
    assert learner.history == []
    update([answer(t, truth) for t in first[2:]])
    loop.join(30)
    assert len(learner.history) == 1 and learner.history[0].n_labeled == 4
    second = [next(stream) for _ in range(4)]  # picked by the new model
    assert {t["meta"]["round"] for t in second} == {1}
    assert not {t["meta"]["autonlp_al_id"] for t in second} & {
        t["meta"]["autonlp_al_id"] for t in first
    }
    assert all("tokens" in t for t in second)
    assert loop.errors == []


def test_stopping_criteria_end_the_stream(tmp_path) -> None:
    truth = gold(20)
    learner = ner_learner(truth, tmp_path, ScriptedTrainer())
    # MNLP scores are below 10 for any batch, so this fires after the first retrain
    loop = RecipeLoop(learner, stop=[LowUncertainty(threshold=10.0)], wait=30)
    stream = loop.stream()
    batch = [next(stream) for _ in range(4)]
    loop.update([answer(t, truth) for t in batch])
    loop.join(30)
    assert list(stream) == []  # the criterion fired: no more tasks
    assert len(learner.history) == 1


def test_a_failed_retrain_ends_the_stream_and_is_reported(tmp_path) -> None:
    truth = gold(20)
    learner = ner_learner(truth, tmp_path, ScriptedTrainer(fail_on=1))
    loop = RecipeLoop(learner, wait=30)
    stream = loop.stream()
    batch = [next(stream) for _ in range(4)]
    loop.update([answer(t, truth) for t in batch])
    loop.join(30)
    assert list(stream) == []
    assert "scripted failure" in str(loop.errors[0])
    assert len(learner.state.labeled_examples()) == 4  # the answers were kept


def test_the_recipe_function_builds_the_components(tmp_path, monkeypatch) -> None:
    import json

    import autonlp_al.integrations.prodigy as recipes

    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": t}) + "\n" for t in gold(12)))
    built = []

    def fake_build(state_dir, pool_path, model, label, task, strategy, batch_size, multi=False):
        learner = ActiveLearner.create(
            trainer=ScriptedTrainer(task=task),
            strategy=MNLP(),
            pool=[Example(text=t) for t in gold(12)],
            labels=label.split(","),
            state_dir=state_dir,
            batch_size=batch_size,
        )
        built.append((task, strategy, batch_size))
        return RecipeLoop(learner)

    monkeypatch.setattr(recipes, "_build", fake_build)
    components = recipes._recipe("ner", "ner_manual", "mnlp")(
        "bbc_al", str(tmp_path / "state"), str(pool), "model", label="PER,ORG", batch_size=3
    )
    assert built == [("ner", "mnlp", 3)]
    assert components["dataset"] == "bbc_al" and components["view_id"] == "ner_manual"
    assert components["config"]["labels"] == ["PER", "ORG"]
    assert len([next(components["stream"]) for _ in range(3)]) == 3


VIEWS = {"ner": "ner_manual", "textcat": "choice"}
PAIRS = [
    (name, task)
    for name in registry.short_names("strategies")
    for task in strategy_tasks(Part(kind="strategies", name=name))
]


def test_a_strategy_for_another_task_is_refused_up_front() -> None:
    with pytest.raises(ConfigError, match="'margin' scores textcat, not ner; strategies for ner"):
        loop_config(model="m", labels="PER", task="ner", strategy="margin")


@pytest.mark.parametrize(("strategy", "task"), PAIRS)
def test_every_registered_strategy_runs_in_the_recipe(tmp_path, strategy, task) -> None:
    """``prodigy ner.al ... --strategy NAME`` builds through LoopConfig for every strategy (hybrid
    used to raise TypeError); two rounds are served, the second picked by the trained model."""
    truth = gold(24)
    if task == "textcat":
        truth = {t: Example(text=t, labels=[t.split()[0]]) for t in truth}
    labels = "PER" if task == "ner" else ",".join(NAMES)
    config = loop_config(model="m", labels=labels, task=task, strategy=strategy, batch_size=3)
    loop = RecipeLoop(
        config.build(
            tmp_path, pool=[Example(text=t) for t in truth], trainer=ScriptedTrainer(task=task)
        ),
        wait=30,
    )
    components = recipe_components(loop, dataset="d", view_id=VIEWS[task], labels=config.labels)
    stream = components["stream"]
    first = [next(stream) for _ in range(3)]
    if task == "textcat":
        assert [o["id"] for o in first[0]["options"]] == NAMES
        answers = [{**t, "accept": [t["text"].split()[0]], "answer": "accept"} for t in first]
    else:
        answers = [answer(t, truth) for t in first]
    components["update"](answers)
    loop.join(30)
    assert loop.errors == []
    second = [next(stream) for _ in range(3)]
    assert {t["meta"]["round"] for t in second} == {1}
    assert len(loop.learner.state.labeled_examples()) == 3


def test_the_recipe_file_loads_by_path_as_prodigy_f_does() -> None:
    """``prodigy ner.al ... -F autonlp_al/integrations/prodigy.py`` imports the file by its path,
    outside the package (it failed with relative imports)."""
    import importlib.util
    from pathlib import Path

    import autonlp_al.integrations.prodigy as packaged

    spec = importlib.util.spec_from_file_location("recipes_from_file", packaged.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.loop_config) and Path(packaged.__file__).name == "prodigy.py"


def test_update_returns_the_loss_and_progress_counts_the_pool(tmp_path) -> None:
    import attrs

    from autonlp_al.testing import FakeModel

    @attrs.define(kw_only=True, eq=False)
    class LossyModel(FakeModel):
        train_loss: float | None = None

    class LossyTrainer(ScriptedTrainer):
        def train(self, train, **kwargs):  # type: ignore[no-untyped-def]
            model = super().train(train, **kwargs)
            return LossyModel(
                task=model.task, labels=model.labels, version=model.version,
                memory=model.memory, train_loss=1.0 / len(train),
            )  # fmt: skip

    truth = gold(20)
    learner = ner_learner(truth, tmp_path, LossyTrainer())
    loop = RecipeLoop(learner, wait=30)
    components = recipe_components(
        loop, dataset="d", view_id="ner_manual", labels=["PER"], batch_size=4
    )
    assert components["progress"](None, None) == 0.0
    stream = components["stream"]
    batch = [next(stream) for _ in range(4)]
    assert components["update"]([answer(t, truth) for t in batch]) is None  # no model yet
    loop.join(30)
    assert components["progress"](None, None) == 4 / 20
    second = [next(stream) for _ in range(4)]
    assert components["update"]([answer(t, truth) for t in second[:1]]) == 1.0 / 4


class _FakeProdigy:
    """A stand-in for the ``prodigy`` module: records what ``@prodigy.recipe`` is given."""

    def __init__(self) -> None:
        self.recipes: dict[str, tuple[dict, object]] = {}

    def recipe(self, name: str, **arguments: object):  # type: ignore[no-untyped-def]
        def register(function):  # type: ignore[no-untyped-def]
            self.recipes[name] = (arguments, function)
            return function

        return register


def test_recipes_register_with_current_prodigy_args_and_with_older_tuples(
    tmp_path, monkeypatch
) -> None:
    import sys
    import types

    import autonlp_al.integrations.prodigy as recipes

    class Arg:  # prodigy.core.Arg's shape: flags, then help
        def __init__(self, *flags: str, help: str = "") -> None:
            self.flags, self.help = flags, help

    # current Prodigy: prodigy.core.Arg exists
    core = types.ModuleType("prodigy.core")
    core.Arg = Arg  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "prodigy.core", core)
    current = _FakeProdigy()
    recipes.register(current)
    ner_args, _ = current.recipes["ner.al"]
    textcat_args, textcat = current.recipes["textcat.al"]
    assert ner_args["label"].flags == ("--label", "-l") and ner_args["dataset"].flags == ()
    assert textcat_args["multi_label"].flags == ("--multi-label", "-M")
    assert "multi_label" not in ner_args
    # the functions are type-hinted, as current Prodigy reads them
    import typing

    assert typing.get_type_hints(textcat)["multi_label"] is bool
    # older Prodigy: no prodigy.core.Arg, plac tuples
    monkeypatch.setitem(sys.modules, "prodigy.core", None)
    older = _FakeProdigy()
    recipes.register(older)
    assert older.recipes["ner.al"][0]["label"] == ("Comma-separated labels", "option", "l", str)
    assert older.recipes["textcat.al"][0]["multi_label"][1:] == ("flag", "M", bool)

    # --multi-label: several choices at once, and a multi-label trainer
    built = []

    def fake_build(state_dir, pool, model, label, task, strategy, batch_size, multi=False):
        built.append(multi)
        learner = ActiveLearner.create(
            trainer=ScriptedTrainer(task=task), strategy=MNLP(),
            pool=[Example(text=t) for t in gold(6)], labels=label.split(","),
            state_dir=state_dir, batch_size=batch_size,
        )  # fmt: skip
        return RecipeLoop(learner)

    monkeypatch.setattr(recipes, "_build", fake_build)
    components = textcat("d", str(tmp_path / "s"), "pool", "m", label="a,b", multi_label=True)
    assert built == [True] and components["config"]["choice_style"] == "multiple"
    config = recipes.loop_config(
        model="m", labels="a,b", task="textcat", strategy="margin", multi_label=True
    )
    assert config.trainer.args["multi_label"] is True
