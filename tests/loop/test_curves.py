"""Simulation helpers and reports on event logs (scripted trainer: no torch needed)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from autonlp_al import Example, Span
from autonlp_al.errors import StateError
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.curves import labels_to_reach, load_runs, markdown, plot
from autonlp_al.loop.simulate import adopt_seed_round, seed_set, simulate
from autonlp_al.strategies import MNLP
from autonlp_al.testing import ScriptedTrainer


def loop(labels: list[str], *, task: str = "ner", batch_size: int = 5) -> LoopConfig:
    """An MNLP loop whose trainer each test replaces with a scripted one."""
    return LoopConfig(
        task=task,
        labels=labels,
        trainer=Part(kind="trainers", name="transformers.v1", args={"model": "unused"}),
        strategy=Part(kind="strategies", name="mnlp" if task == "ner" else "margin"),
        batch_size=batch_size,
    )


def test_seed_set_is_stratified_for_classification() -> None:
    gold = [Example(text=f"text {i}", labels=[f"c{i % 5}"]) for i in range(100)]
    picked = seed_set(gold, 10, random.Random(0))
    assert Counter(e.labels[0] for e in picked) == {f"c{i}": 2 for i in range(5)}
    assert seed_set(gold, 10, random.Random(0)) == picked


def test_labels_to_reach() -> None:
    points = [(10, 0.5), (20, 0.8), (30, 0.79), (40, 0.9)]
    assert labels_to_reach(points, 0.8) == 20
    assert labels_to_reach(points, 0.95) is None


def gold(n: int) -> list[Example]:
    names = ["anna", "omar", "lena", "raj"]
    return [
        Example(text=f"{names[i % 4]} went to site {i}", spans=[Span(0, len(names[i % 4]), "PER")])
        for i in range(n)
    ]


def simulated(tmp_path, trainer: ScriptedTrainer, *, rounds: int) -> dict:
    """An MNLP simulation (with the random control) on 80 gold examples, batches of 5."""
    return simulate(
        loop(["PER"]),
        trainer=trainer,
        gold=gold(80),
        test=gold(80)[:20],
        state_dir=tmp_path,
        seed_size=5,
        rounds=rounds,
    )


def test_simulate_runs_the_strategy_and_a_random_control(tmp_path) -> None:
    runs = simulated(tmp_path, ScriptedTrainer(), rounds=3)
    assert list(runs) == ["mnlp", "random"]
    for history in runs.values():
        assert [r.n_labeled for r in history] == [5, 10, 15, 20]
    assert runs["mnlp"][0].selected == runs["random"][0].selected == ()
    # the same seed set, different picks afterwards
    assert runs["mnlp"][1].selected != runs["random"][1].selected
    loaded = load_runs(tmp_path)
    assert list(loaded) == ["mnlp", "random"] and len(loaded["mnlp"]) == 4
    table = markdown(loaded, reference=1.0)
    assert table.splitlines()[0] == "| labelled | mnlp f1 | random f1 | mnlp - random |"
    assert "| 20 |" in table and "Labels needed to reach" in table
    pytest.importorskip("matplotlib")  # the plot extra; absent on the core install
    png = plot(loaded, tmp_path / "curve.png", reference=1.0)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a second call resumes: nothing is retrained
    trainer = ScriptedTrainer()
    simulated(tmp_path, trainer, rounds=3)
    assert trainer.calls == []


def test_load_runs_needs_a_state_folder(tmp_path) -> None:
    with pytest.raises(StateError, match=r"no events\.jsonl"):
        load_runs(tmp_path)


def test_the_random_control_adopts_the_seed_model_instead_of_training_it_again(tmp_path) -> None:
    trainer = ScriptedTrainer()
    runs = simulated(tmp_path, trainer, rounds=2)
    sizes = [call["n"] for call in trainer.calls]
    assert sizes == [5, 10, 15, 10, 15]  # the seed round once, then two rounds per run
    control = runs["random"][0]
    assert control.timings == {"adopted": 0.0} and control.metrics == runs["mnlp"][0].metrics
    assert (tmp_path / "random" / control.model_dir).is_dir()  # its own copy, not a link
    # the adopted round resumes like a trained one
    again = ScriptedTrainer()
    simulated(tmp_path, again, rounds=2)
    assert again.calls == []


def test_adopt_refuses_a_round_that_is_not_this_runs_seed_round(tmp_path) -> None:
    from autonlp_al.loop.learner import ActiveLearner
    from autonlp_al.strategies import RandomSampling

    runs = simulate(
        loop(["PER"]),
        trainer=ScriptedTrainer(),
        gold=gold(40),
        test=[],
        state_dir=tmp_path / "sim",
        seed_size=5,
        rounds=1,
        control=False,
    )
    first = runs["mnlp"][1]  # a selection round, not a seed round
    learner = ActiveLearner.create(
        trainer=ScriptedTrainer(),
        strategy=RandomSampling(),
        pool=gold(40)[5:],
        labels=["PER"],
        state_dir=tmp_path / "other",
        labeled=gold(40)[:5],
    )
    with pytest.raises(StateError, match="not a seed round"):
        adopt_seed_round(learner, first, tmp_path / "sim" / "mnlp" / first.model_dir)


def test_a_label_set_that_misses_the_gold_labels_fails_before_any_training(tmp_path) -> None:
    from autonlp_al.errors import LabelError

    trainer = ScriptedTrainer()
    gold_cats = [Example(text=f"match {i}", labels=["sports"]) for i in range(20)]
    with pytest.raises(LabelError, match="'sports' is not in the label set"):
        simulate(
            loop(["sport"], task="textcat"),
            trainer=trainer,
            gold=gold_cats,
            test=[],
            state_dir=tmp_path,
        )
    assert trainer.calls == [] and not (tmp_path / "margin").exists()


def test_a_run_without_an_evaluation_set_reports_its_rounds_not_an_empty_curve(tmp_path) -> None:
    from autonlp_al.loop.learner import ActiveLearner, GoldOracle

    examples = gold(30)
    learner = ActiveLearner.create(
        trainer=ScriptedTrainer(),
        strategy=MNLP(),
        pool=examples,
        labels=["PER"],
        state_dir=tmp_path,
        batch_size=5,
        oracle=GoldOracle(examples),
    )
    learner.run(rounds=2)
    table = markdown(load_runs(tmp_path))
    assert table.splitlines()[0] == "| run | round | labelled | picked by | model | train s |"
    assert f"| {tmp_path.name} | 1 | 10 | mnlp |" in table and "autonlp-al evaluate" in table
    pytest.importorskip("matplotlib")
    with pytest.raises(StateError, match="no round was scored"):
        plot(load_runs(tmp_path), tmp_path / "curve.png")
