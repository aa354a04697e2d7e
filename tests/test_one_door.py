"""One door: ``simulate`` builds each of its runs through ``LoopConfig.build``, as ``query`` does,
so an option the config records is the option the run used. Regression tests for the options
``simulate`` used to accept and ignore (issue 28): ``--scorer``, a ``tfidf`` trainer's
``--encoder``, and the loop's tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

from autonlp_al import registry
from autonlp_al.cli import main
from autonlp_al.loop.config import LoopConfig
from autonlp_al.loop.journal import Journal
from autonlp_al.scorers.local import LocalScorer
from autonlp_al.testing import ScriptedTrainer
from tests.models import TOPICS as MODEL_TOPICS
from tests.models import corpus

TOPICS = ",".join(sorted(MODEL_TOPICS))


def textcat_files(tmp_path: Path) -> tuple[Path, Path]:
    gold = corpus(60, 3, "textcat")
    lines = [json.dumps({"text": e.text, "label": e.labels[0]}) for e in gold]
    pool, test = tmp_path / "pool.jsonl", tmp_path / "test.jsonl"
    pool.write_text("\n".join(lines[:45]) + "\n")
    test.write_text("\n".join(lines[45:]) + "\n")
    return pool, test


def simulate(tmp_path: Path, pool: Path, test: Path, *options: str) -> Path:
    state = tmp_path / "sim"
    args = ["simulate", str(pool), str(test), "--from", "jsonl", "--state-dir", str(state)]
    assert main([*args, "--seed-size", "6", "--batch-size", "5", "--rounds", "2", *options]) == 0
    return state


def test_simulate_scores_through_the_scorer_it_was_given(tmp_path) -> None:
    calls: list[int] = []

    class Counting(LocalScorer):
        name = "counting"

        def top(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            return super().top(*args, **kwargs)

    registry.scorers.register("counting.v1", func=Counting)
    pool, test = textcat_files(tmp_path)
    state = simulate(
        tmp_path, pool, test, "--task", "textcat", "--labels", TOPICS, "--trainer", "tfidf",
        "--strategy", "margin", "--scorer", "counting", "--no-control",
    )  # fmt: skip
    assert LoopConfig.from_state(state).scorer.name == "counting.v1"
    assert len(calls) == 2  # rounds 1 and 2 picked through it (round 0 trains the seed set)


def test_simulate_gives_a_tfidf_trainer_the_encoder(tiny_bert, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTONLP_AL_CACHE", str(tmp_path / "cache"))
    pool, test = textcat_files(tmp_path)
    state = simulate(
        tmp_path, pool, test, "--task", "textcat", "--labels", TOPICS, "--trainer", "tfidf",
        "--encoder", str(tiny_bert), "--encoder-max-length", "32", "--strategy", "margin",
        "--no-control",
    )  # fmt: skip
    encoder = LoopConfig.from_state(state).trainer.args["encoder"]
    assert encoder.kind == "encoders" and encoder.args["max_length"] == 32
    assert any((tmp_path / "cache").rglob("*"))  # the encoder embedded the texts


def test_simulate_tokenises_like_the_loop_it_builds(tmp_path) -> None:
    registry.trainers.register("scripted.v1", func=ScriptedTrainer)
    gold = [
        {"text": f"Anna kam z.B. nach Bonn {i}", "spans": [{"start": 0, "end": 4, "label": "PER"}]}
        for i in range(30)
    ]
    pool, test = tmp_path / "pool.jsonl", tmp_path / "test.jsonl"
    pool.write_text("".join(json.dumps(g) + "\n" for g in gold))
    test.write_text("".join(json.dumps(g) + "\n" for g in gold[:3]))
    state = simulate(
        tmp_path, pool, test, "--task", "ner", "--labels", "PER", "--trainer", "scripted",
        "--lang", "de", "--strategy", "random", "--no-control",
    )  # fmt: skip
    answered = [
        token[0]
        for event in Journal(state / "random").log.read()
        if event["type"] == "annotated"
        for example in event["examples"]
        for token in example["tokens"]
    ]
    assert "z.B." in answered  # German tokens ("z.B." is one), not a whitespace split
