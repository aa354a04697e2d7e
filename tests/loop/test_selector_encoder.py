"""The two-model loop with a frozen encoder (the tiny BERT; needs torch): a k-means cold start
on its vectors, the loop from the command line, the docs' config, simulate with a selector."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autonlp_al import Example, errors
from autonlp_al.cli import main
from autonlp_al.integrations.serve import load_for_serving
from autonlp_al.loop.config import LoopConfig
from autonlp_al.loop.journal import Journal
from autonlp_al.loop.learner import GoldOracle
from autonlp_al.strategies import KMeans
from autonlp_al.trainers.frozen.encoder import FrozenEncoder
from autonlp_al.trainers.frozen.tfidf import TfidfTrainer
from tests.loop.test_selector import TOPICS, learner
from tests.models import answer_textcat, corpus


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
    embedded = {e.text for e in gold} | {e.text for e in al.training.eval}  # each text once
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
        "--ship", "final",
    ]  # fmt: skip
    assert main(["query", str(pool), "--from", "jsonl", "--state-dir", str(state), *options]) == 0
    saved = LoopConfig.from_state(state)
    assert saved.selector is not None and saved.selector.name == "embedding.v1"
    assert saved.cold_start.args["embedder"].kind == "encoders"
    answers = tmp_path / "answers.jsonl"
    answer_textcat(state / "queries" / "round-000.jsonl", gold, answers)
    assert main(["update", str(answers), "--from", "prodigy", "--state-dir", str(state)]) == 0
    assert main(["train-final", "--state-dir", str(state)]) == 0
    assert "final model 0: 6 labelled" in capsys.readouterr().out
    assert LoopConfig.from_state(state).ship == "final"
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
    assert isinstance(learner.training.selector, TfidfTrainer)
    assert isinstance(learner.training.selector.encoder, FrozenEncoder)
    assert isinstance(learner.picker.cold_start, KMeans) and learner.checkpoints.final_every == 5
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
    assert "Final checkpoints" in report and "| ships | held-out (selector / final) |" in report
    for run in ("margin", "random"):
        (final,) = Journal(state / run).finals()
        assert final["n_labeled"] == 16 and "accuracy" in final["metrics"]
        assert f"| {run} | 0 | 2 | 16 |" in report
        # the default ship = "best": both candidates scored on the same 5 folds of 16 labels
        held = {c["name"]: c for c in final["choice"]["candidates"]}
        assert set(held) == {"selector", "final"} and held["final"]["n_heldout"] == 16
        assert f"| {final['choice']['winner']} |" in report


def test_encoder_layers_reach_the_saved_encoder_part() -> None:
    """``--encoder-layers`` (issue 31, item 4) is saved with the encoder it applies to."""
    from autonlp_al.cli import parse
    from autonlp_al.cli.loop import loop_config

    base = ["query", "pool.jsonl", "--from", "jsonl", "--state-dir", "d", "--task", "ner",
            "--labels", "PER", "--model", "m", "--selector", "embedding", "--encoder", "enc"]  # fmt: skip
    default = loop_config(parse(base)).selector.args["encoder"]
    assert "layers" not in default.args  # a config saved before reads the same
    four = loop_config(parse([*base, "--encoder-layers", "4"])).selector.args["encoder"]
    assert four.args["layers"] == 4
    with pytest.raises(errors.ConfigError, match="no part of this loop takes an encoder"):
        loop_config(parse([*base[:-4], "--encoder-layers", "4"]))
