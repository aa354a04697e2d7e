"""The two-model loop: a cheap selector trains every round, the trainer makes the final model
(when asked, every k rounds, at the end of run); serve and push use the final model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autonlp_al import Example
from autonlp_al.cli import main
from autonlp_al.errors import StateError
from autonlp_al.integrations.serve import ModelSlot, StateWatcher, load_for_serving
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.learner import ActiveLearner, GoldOracle
from autonlp_al.loop.state import EventLog
from autonlp_al.strategies import KMeans, Margin
from autonlp_al.testing import FakeModel, ScriptedTrainer
from autonlp_al.trainers.frozen.encoder import FrozenEncoder
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
        **kwargs,
    }
    return ActiveLearner(**options)


def test_rounds_train_the_selector_and_run_ends_with_a_final_model(tmp_path) -> None:
    al = learner(tmp_path)
    rounds = al.run(rounds=3)
    assert isinstance(al.model, LinearModel)  # what selected
    assert [r.n_labeled for r in rounds] == [6, 11, 16]
    assert al.trainer.calls and [c["n"] for c in al.trainer.calls] == [16]  # once, at the end
    assert al.trainer.calls[0]["labels"] == TOPICS  # every label, seen by the selector or not
    assert isinstance(al.final_model, FakeModel) and al.served_model is al.final_model
    (final,) = al.finals
    assert final.n_labeled == 16 and final.rounds == 3 and "accuracy" in final.metrics
    assert (al.state_dir / final.model_dir).is_dir()
    al.run(rounds=0)
    assert len(al.finals) == 1  # nothing new labelled: no second final model


def test_final_every_k_rounds_and_a_resume_loads_both_models(tmp_path) -> None:
    al = learner(tmp_path, final_every=2)
    al.run(rounds=4, finalize=False)
    assert [f.rounds for f in al.finals] == [2, 4]
    again = learner(tmp_path, final_every=2)
    assert isinstance(again.model, LinearModel) and again.model.version == al.model.version
    assert again.final_model.version == al.final_model.version
    assert [f.index for f in again.finals] == [0, 1]


def test_finalize_warm_starts_from_the_last_final_model_when_asked(tmp_path) -> None:
    al = learner(tmp_path)
    al.run(rounds=1, finalize=False)
    first = al.finalize()
    al.finalize(warm_start=True)
    assert al.trainer.calls[0]["init"] is None
    assert al.trainer.calls[1]["init"].version == first.model_version


def test_without_a_selector_one_trainer_does_everything(tmp_path) -> None:
    al = learner(tmp_path, selector=None, trainer=ScriptedTrainer(task="textcat"))
    al.run(rounds=2)
    assert not al.finals and al.served_model is al.model
    assert [c["n"] for c in al.trainer.calls] == [6, 11]


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
    )
    gold = corpus(60, 3, "textcat")
    al = config.build(
        tmp_path / "state",
        pool=[Example(text=e.text) for e in gold[6:]],
        labeled=gold[:6],
        oracle=GoldOracle(gold),
    )
    al.run(rounds=1, finalize=False)
    model, info = load_for_serving(al.state_dir)
    assert model.version == al.model.version and info["strategy"] == "seed"
    slot = ModelSlot(model, info)
    watcher = StateWatcher(al.state_dir, slot, poll=60)
    al.finalize()
    assert watcher.check()
    served, info = slot.get()
    assert served.version == al.final_model.version and info["final"] == 0
    al.run(rounds=1, finalize=False)  # a newer round model does not replace the final one
    assert not watcher.check() and slot.get()[0].version == al.final_model.version


def test_a_kmeans_cold_start_on_the_encoder_picks_the_first_batch(tiny_bert, tmp_path) -> None:
    gold = corpus(80, 4, "textcat")
    encoder = FrozenEncoder(model=tiny_bert, cache_dir=tmp_path / "cache", max_length=64)
    al = learner(
        tmp_path,
        labeled=[],
        pool=[Example(text=e.text) for e in gold],
        oracle=GoldOracle(gold),
        cold_start=KMeans(embedder=encoder),
        selector=TfidfTrainer(encoder=encoder),
    )
    (record,) = al.run(rounds=1)
    assert record.strategy == "kmeans" and len(record.selected) == 5
    embedded = {e.text for e in gold} | {e.text for e in al.eval}  # each text once
    assert len(encoder.cache) == len(embedded)


def test_the_two_model_loop_from_the_command_line(tiny_bert, tmp_path, capsys) -> None:
    gold = {e.text: e for e in corpus(60, 5, "textcat")}
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": t}) + "\n" for t in gold))
    state = tmp_path / "loop"
    options = [
        "--task", "textcat", "--labels", ",".join(TOPICS), "--model", str(tiny_bert),
        "--selector", "embedding", "--encoder", str(tiny_bert), "--encoder-max-length", "64",
        "--cold-start", "kmeans", "--batch-size", "6", "--max-steps", "2", "--max-length", "64",
    ]  # fmt: skip
    assert main(["query", str(pool), "--from", "jsonl", "--state-dir", str(state), *options]) == 0
    saved = LoopConfig.from_state(state)
    assert saved.selector is not None and saved.selector.name == "embedding.v1"
    assert saved.cold_start.args["embedder"].kind == "encoders"
    tasks = [
        json.loads(x) for x in (state / "queries" / "round-000.jsonl").read_text().splitlines()
    ]
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "".join(
            json.dumps({**t, "answer": "accept", "accept": list(gold[t["text"]].labels)}) + "\n"
            for t in tasks
        )
    )
    assert main(["update", str(answers), "--from", "prodigy", "--state-dir", str(state)]) == 0
    assert main(["train-final", "--state-dir", str(state)]) == 0
    assert "final model 0: 6 labelled" in capsys.readouterr().out
    model, info = load_for_serving(state)
    assert info["final"] == 0 and type(model).__name__ == "TransformersModel"
    assert main(["query", "--state-dir", str(state)]) == 0  # the next batch, by the selector
    assert (state / "queries" / "round-001.jsonl").is_file()


def test_the_docs_config_for_a_two_model_loop_reads_and_builds(tiny_bert, tmp_path) -> None:
    page = Path(__file__).parents[2] / "docs" / "trainers" / "selector.md"
    (block,) = re.findall(r"^```ini\n(.*?)^```", page.read_text(), flags=re.M | re.S)
    text = block.replace("/models/minilm", str(tiny_bert))
    text = text.replace("/models/all-mpnet-base-v2", str(tiny_bert))
    config = LoopConfig.from_str(text)
    assert config.selector is not None and config.final_every == 5
    gold = corpus(40, 6, "textcat")
    learner = config.build(tmp_path / "state", pool=[Example(text=e.text) for e in gold])
    assert isinstance(learner.selector, TfidfTrainer)
    assert isinstance(learner.selector.encoder, FrozenEncoder)
    assert isinstance(learner.cold_start, KMeans) and learner.final_every == 5
    assert LoopConfig.from_state(tmp_path / "state") == config  # saved as read


def test_simulate_with_a_selector_ends_each_run_with_a_final_model(tiny_bert, tmp_path, capsys):
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    for path, examples in ((train, corpus(60, 7, "textcat")), (test, corpus(20, 8, "textcat"))):
        lines = [json.dumps({"text": e.text, "label": e.labels[0]}) + "\n" for e in examples]
        path.write_text("".join(lines))
    state = tmp_path / "sim"
    args = [
        "simulate", str(train), str(test), "--from", "jsonl", "--task", "textcat",
        "--labels", ",".join(TOPICS), "--model", str(tiny_bert), "--selector", "tfidf",
        "--strategy", "margin", "--rounds", "2", "--batch-size", "5", "--seed-size", "6",
        "--max-steps", "2", "--max-length", "64", "--state-dir", str(state),
    ]  # fmt: skip
    assert main(args) == 0
    report = (state / "report.md").read_text()
    assert "Final models" in report
    for run in ("margin", "random"):
        (final,) = EventLog.of(state / run).finals()
        assert final["n_labeled"] == 16 and "accuracy" in final["metrics"]
        assert f"| {run} | 0 | 2 | 16 |" in report
