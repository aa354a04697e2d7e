"""The two-model loop: a cheap selector trains every round, the trainer makes the final model
(when asked, every k rounds, at the end of run); with ``ship="final"`` serve and push use the
final model (which model ships by default, decided on held-out data: test_choice.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autonlp_al import Example
from autonlp_al.cli import main
from autonlp_al.errors import StateError
from autonlp_al.integrations.serve import ModelSlot, StateWatcher, load_for_serving
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.learner import ActiveLearner, GoldOracle
from autonlp_al.strategies import Margin
from autonlp_al.testing import FakeModel, ScriptedTrainer
from autonlp_al.trainers.frozen.model import LinearModel
from autonlp_al.trainers.frozen.tfidf import TfidfTrainer
from tests.models import corpus

TOPICS = ["business", "sport", "tech"]


def learner(tmp_path: Path, **kwargs) -> ActiveLearner:
    gold = corpus(120, 1, "textcat")
    options = {
        "trainer": ScriptedTrainer(task="textcat"),
        "selector": TfidfTrainer(),
        "strategy": Margin(),
        "pool": [Example(text=e.text) for e in gold[6:]],
        "labels": TOPICS,
        "state_dir": tmp_path / "state",
        "labeled": gold[:6],
        "eval": corpus(30, 2, "textcat"),
        "batch_size": 5,
        "oracle": GoldOracle(gold),
        "ship": "final",
        **kwargs,  # test_choice.py gives its own seed set, batch and ship
    }
    return ActiveLearner.create(**options)


def test_rounds_train_the_selector_and_run_ends_with_a_final_model(tmp_path) -> None:
    al = learner(tmp_path)
    rounds = al.run(rounds=3)
    assert isinstance(al.models.model, LinearModel)  # what selected
    assert [r.n_labeled for r in rounds] == [6, 11, 16]
    assert al.training.trainer.calls and [c["n"] for c in al.training.trainer.calls] == [
        16
    ]  # once, at the end
    assert (
        al.training.trainer.calls[0]["labels"] == TOPICS
    )  # every label, seen by the selector or not
    assert (
        isinstance(al.models.final_model, FakeModel) and al.models.served is al.models.final_model
    )
    (final,) = al.state.finals
    assert final.n_labeled == 16 and final.rounds == 3 and "accuracy" in final.metrics
    assert (al.journal.root / final.model_dir).is_dir()
    al.run(rounds=0)
    assert len(al.state.finals) == 1  # nothing new labelled: no second final model


def test_final_every_k_rounds_and_a_resume_loads_both_models(tmp_path) -> None:
    al = learner(tmp_path, final_every=2)
    al.run(rounds=4, finalize=False)
    assert [f.rounds for f in al.state.finals] == [2, 4]
    again = learner(tmp_path, final_every=2)
    assert (
        isinstance(again.models.model, LinearModel)
        and again.models.model.version == al.models.model.version
    )
    assert again.models.final_model.version == al.models.final_model.version
    assert [f.index for f in again.state.finals] == [0, 1]


def test_finalize_warm_starts_from_the_last_final_model_when_asked(tmp_path) -> None:
    al = learner(tmp_path)
    al.run(rounds=1, finalize=False)
    first = al.finalize()
    al.finalize(warm_start=True)
    assert al.training.trainer.calls[0]["init"] is None
    assert al.training.trainer.calls[1]["init"].version == first.model_version


def test_without_a_selector_one_trainer_does_everything(tmp_path) -> None:
    al = learner(tmp_path, selector=None, trainer=ScriptedTrainer(task="textcat"))
    al.run(rounds=2)
    assert not al.state.finals and al.models.served is al.models.model
    assert [c["n"] for c in al.training.trainer.calls] == [6, 11]


def test_finalize_with_nothing_labelled_is_refused(tmp_path) -> None:
    al = learner(tmp_path, labeled=[])
    with pytest.raises(StateError, match="nothing is labelled yet"):
        al.finalize()


def test_a_state_folder_serves_its_final_model_and_swaps_to_a_newer_one(tmp_path) -> None:
    config = LoopConfig(
        task="textcat",
        labels=TOPICS,
        trainer=Part(kind="trainers", name="tfidf", args={"c": 1.0}),
        selector=Part(kind="trainers", name="tfidf"),
        strategy=Part(kind="strategies", name="margin"),
        ship="final",
    )
    gold = corpus(60, 3, "textcat")
    al = config.build(
        tmp_path / "state",
        pool=[Example(text=e.text) for e in gold[6:]],
        labeled=gold[:6],
        oracle=GoldOracle(gold),
    )
    al.run(rounds=1, finalize=False)
    model, info = load_for_serving(al.journal.root)
    assert model.version == al.models.model.version and info["strategy"] == "seed"
    slot = ModelSlot(model, info)
    watcher = StateWatcher(al.journal.root, slot, poll=60)
    al.finalize()
    assert watcher.check()
    served, info = slot.get()
    assert served.version == al.models.final_model.version and info["final"] == 0
    al.run(rounds=1, finalize=False)  # a newer round model does not replace the final one
    assert not watcher.check() and slot.get()[0].version == al.models.final_model.version


def test_the_tfidf_selector_learns_its_vocabulary_from_the_whole_pool(tmp_path) -> None:
    al = learner(tmp_path, selector=TfidfTrainer(pool_vocabulary=True))
    al.run(rounds=2, finalize=False)
    vocabulary = al.models.model.features.tfidf.vocabulary_
    labelled = {w for e in al.state.labeled_examples() for w in e.text.split()}
    pool_only = {w for e in al.picker.unlabeled(al.state.done()) for w in e.text.split()} - labelled
    assert pool_only and pool_only <= set(vocabulary)  # words no labelled text has
    assert (
        al.models.model.features.tfidf is al.training.selector._pool_vectorizer
    )  # one vocabulary, all rounds


def test_a_resumed_tfidf_loop_picks_what_an_unbroken_one_picks(tmp_path) -> None:
    def make(folder: str) -> ActiveLearner:
        return learner(tmp_path / folder, selector=TfidfTrainer(pool_vocabulary=True))

    unbroken = make("a")
    unbroken.run(rounds=3, finalize=False)
    make("b").run(rounds=2, finalize=False)
    resumed = make("b")  # a new process, in effect: a new, unfitted selector
    resumed.run(rounds=1, finalize=False)
    assert [r.selected for r in resumed.history] == [r.selected for r in unbroken.history]
    assert resumed.models.model.version == unbroken.models.model.version


def test_by_default_the_tfidf_vocabulary_is_the_training_texts(tmp_path) -> None:
    al = learner(tmp_path)
    al.run(rounds=1, finalize=False)
    words = [e.text.split() for e in al.state.labeled_examples()]
    grams = {w for ws in words for w in ws} | {
        " ".join(ws[i : i + 2]) for ws in words for i in range(len(ws))
    }
    assert set(al.models.model.features.tfidf.vocabulary_) <= grams


def test_a_query_is_pre_annotated_by_the_final_model_once_there_is_one(tmp_path) -> None:
    al = learner(tmp_path, oracle=None)
    al.train_pending()
    before = al.query()
    assert before.predictions is not None  # the selector's guesses, before any final model
    al.finalize()
    after = al.query()  # the same open batch, now with the final model's guesses
    assert after.examples == before.examples
    assert [p.cats for p in after.predictions] == [
        p.cats for p in al.models.final_model.predict(after.examples)
    ]
    assert [p.cats for p in after.predictions] != [p.cats for p in before.predictions]


def test_a_selector_that_needs_an_encoder_asks_for_one_by_flag(tmp_path, capsys) -> None:
    args = ["query", "--state-dir", str(tmp_path / "s"), "--task", "textcat", "--labels", "a,b"]
    assert main([*args, "--model", str(tmp_path), "--selector", "embedding"]) == 1
    assert "--selector embedding needs --encoder PATH" in capsys.readouterr().err
