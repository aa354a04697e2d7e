"""The final model's schedule fits the labelled set (issue 29): the CLI's documented two-model
loop trained its final MiniLM for the per-round 20 steps (83% on BBC beside a 98% selector)."""

from __future__ import annotations

import pytest

from autonlp_al.cli import parse
from autonlp_al.cli.simulate import plan
from autonlp_al.trainers import TransformersTrainer
from autonlp_al.trainers.autotrain.settings import Hyperparameters
from autonlp_al.trainers.transformers.schedule import steps


@pytest.mark.parametrize(("n", "expected"), [(1, 60), (10, 60), (96, 60), (170, 110),
                                             (1_000, 630), (1_900, 800), (50_000, 800)])  # fmt: skip
def test_the_default_schedule_is_ten_epochs_within_60_to_800_steps(n, expected) -> None:
    assert TransformersTrainer(model="m", task="textcat").steps(n) == expected


def test_given_steps_or_epochs_win_over_the_fitted_schedule() -> None:
    assert steps(170, 16, epochs=None, max_steps=20) == 20
    assert steps(170, 16, epochs=3, max_steps=None) == 33
    trainer = TransformersTrainer(model="m", task="ner")
    assert (trainer.epochs, trainer.max_steps, trainer.lr) == (None, None, 1e-4)


def test_autotrain_takes_the_same_schedule_in_whole_epochs() -> None:
    # AutoTrain's batch is 8: 170 rows are 22 batches an epoch, and 10 epochs (220 steps) fit
    assert Hyperparameters().params(170)["epochs"] == 10
    assert Hyperparameters().params(10)["epochs"] == 30  # 2 batches an epoch: 60 steps at least
    assert Hyperparameters().params(5_000)["epochs"] == 1  # 625 an epoch: 800 steps at most
    assert Hyperparameters(epochs=4).params(170)["epochs"] == 4


ARGS = ["simulate", "pool.jsonl", "test.jsonl", "--from", "jsonl", "--state-dir", "s",
        "--task", "textcat", "--labels", "a,b", "--model", "m"]  # fmt: skip


def test_with_a_selector_the_cli_leaves_the_final_model_its_own_schedule(tmp_path) -> None:
    alone = plan(parse(ARGS))["config"].trainer.args
    assert alone["max_steps"] == 20 and alone["lr"] == 1e-4  # every round's model: quick
    final = plan(parse([*ARGS, "--selector", "tfidf"]))["config"].trainer.args
    assert "max_steps" not in final and "epochs" not in final and "lr" not in final
    given = plan(parse([*ARGS, "--selector", "tfidf", "--max-steps", "7"]))["config"].trainer
    assert given.args["max_steps"] == 7
