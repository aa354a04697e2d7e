"""Serving a real saved model, and a learner's state folder, over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")

from autonlp_al.integrations.serve import ModelSlot, create_app, load_for_serving
from tests.integrations.test_serve import call, running
from tests.models import corpus
from tests.trainers.transformers.test_trainer import NER_LABELS, ner_trainer


def test_a_saved_model_is_served_with_spans_at_the_right_offsets(tiny_bert, tmp_path) -> None:
    model = ner_trainer(tiny_bert).train(corpus(400, 1, "ner"), labels=NER_LABELS)
    folder = model.save(tmp_path / "model")
    loaded, info = load_for_serving(folder)
    assert info["version"] == model.version and info["labels"] == NER_LABELS
    text = "tim cook said the new plan for apple in london was good ."
    with running(create_app(ModelSlot(loaded, info))) as url:
        status, body = call(f"{url}/predict", {"texts": [text]})
    assert status == 200 and body["version"] == model.version
    assert [(s["text"], s["label"]) for s in body["predictions"][0]["spans"]] == [
        ("tim cook", "PER"),
        ("apple", "ORG"),
        ("london", "LOC"),
    ]


def test_a_state_folder_serves_its_latest_round(tiny_bert, tmp_path: Path) -> None:
    from autonlp_al.loop.learner import ActiveLearner, GoldOracle
    from autonlp_al.strategies import RandomSampling

    gold = corpus(60, 5, "ner")
    learner = ActiveLearner.create(
        trainer=ner_trainer(tiny_bert, epochs=2),
        strategy=RandomSampling(),
        pool=gold[10:],
        labels=NER_LABELS,
        state_dir=tmp_path,
        labeled=gold[:10],
        oracle=GoldOracle(gold),
        batch_size=5,
    )
    learner.run(rounds=2)
    model, info = load_for_serving(tmp_path)
    assert info["round"] == 1 and info["n_labeled"] == 15
    assert model.version == learner.history[-1].model_version


def test_the_serve_command_binds_to_localhost_and_answers(tiny_bert, tmp_path) -> None:
    import socket
    import subprocess
    import sys
    import time

    folder = (
        ner_trainer(tiny_bert, epochs=1)
        .train(corpus(20, 1, "ner"), labels=NER_LABELS)
        .save(tmp_path / "m")
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token_file = tmp_path / "token"
    token_file.write_text("t0ken\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autonlp_al",
            "serve",
            str(folder),
            "--port",
            str(port),
            "--token-file",
            str(token_file),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                status, body = call(f"{url}/health", token="t0ken")
                break
            except OSError:
                assert time.time() < deadline and process.poll() is None, "server did not start"
                time.sleep(0.3)
        assert status == 200 and body["status"] == "ok"
        assert call(f"{url}/model")[0] == 401
        status, info = call(f"{url}/model", token="t0ken")
        assert info["labels"] == NER_LABELS and info["task"] == "ner"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_push_command_uploads_a_real_round_with_its_card(
    tiny_bert, tmp_path, monkeypatch, capsys
) -> None:
    from autonlp_al.cli import main
    from autonlp_al.loop.learner import ActiveLearner, GoldOracle
    from autonlp_al.strategies import RandomSampling
    from tests.hub_standin import Hub

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_TOKEN", "hf_env_token")
    gold = corpus(40, 6, "ner")
    learner = ActiveLearner.create(
        trainer=ner_trainer(tiny_bert, epochs=1),
        strategy=RandomSampling(),
        pool=gold[10:],
        labels=NER_LABELS,
        state_dir=tmp_path / "state",
        labeled=gold[:10],
        eval=gold[:10],
        oracle=GoldOracle(gold),
        batch_size=5,
    )
    learner.run(rounds=2)
    with Hub(token="hf_env_token") as hub:
        push = ["push", str(tmp_path / "state"), "acme/ner", "--endpoint", hub.url]
        assert main([*push, "--datasets", "eriktks/conll2003"]) == 0
        files = hub.repo("model", "acme/ner")["files"]
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "autonlp_al.json",
        "README.md",
    } <= set(files)
    card = files["README.md"].decode()
    assert "- labelled examples: 15" in card and "- strategy: random" in card
    assert "| f1 |" in card and "hf_env_token" not in card
    from huggingface_hub import ModelCard

    results = ModelCard(card).data.eval_results  # the scores as the Hub's model page reads them
    assert {r.metric_type for r in results} >= {"f1"} and results[
        0
    ].dataset_type == "eriktks/conll2003"
    assert "pushed" in capsys.readouterr().out


def test_the_serve_token_comes_from_a_file_or_the_environment_never_the_command_line(
    tmp_path, monkeypatch, capsys
) -> None:
    from autonlp_al import cli

    seen: dict[str, object] = {}
    monkeypatch.setattr("autonlp_al.integrations.serve.serve", lambda path, **kw: seen.update(kw))
    assert cli.main(["serve", str(tmp_path), "--token", "s3cret"]) != 0
    assert "`ps` shows it" in capsys.readouterr().err and seen == {}
    (tmp_path / "token").write_text("from-file\n")
    assert cli.main(["serve", str(tmp_path), "--token-file", str(tmp_path / "token")]) == 0
    assert seen["token"] == "from-file"
    monkeypatch.setenv("AUTONLP_AL_TOKEN", "from-env")
    assert cli.main(["serve", str(tmp_path)]) == 0
    assert seen["token"] == "from-env"
    assert cli.main(["serve", str(tmp_path), "--max-batch", "0"]) != 0
    assert "--max-batch 0: must be above 0" in capsys.readouterr().err
    assert cli.main(["serve", str(tmp_path), "--read-timeout", "2.5"]) == 0
    assert seen["limits"].read_timeout == 2.5  # type: ignore[attr-defined]


def test_a_pushed_model_loads_back_from_the_hub_by_its_repo_id(tiny_bert, tmp_path, monkeypatch):
    from autonlp_al.errors import ModelLoadError
    from autonlp_al.integrations.hub import push_to_hub
    from autonlp_al.trainers import load_model
    from tests.hub_standin import Hub

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    model = ner_trainer(tiny_bert, epochs=4).train(corpus(150, 3, "ner"), labels=NER_LABELS)
    texts = [e.text for e in corpus(5, 9, "ner")]
    with Hub(token="hf_t", model_files=None) as hub:
        monkeypatch.setenv("HF_TOKEN", "hf_t")
        push_to_hub(model, "acme/ner", endpoint=hub.url)
        loaded = load_model("acme/ner", endpoint=hub.url)
        with pytest.raises(ModelLoadError, match="acme/missing: no such local folder"):
            load_model("acme/missing", endpoint=hub.url)
        # transformers' own pipeline loads the pushed repo by its id too (it reads HF_ENDPOINT
        # when imported, so in a process of its own)
        script = (
            "import json, sys\n"
            "from transformers import pipeline\n"
            "tagger = pipeline('token-classification', model='acme/ner',"
            " aggregation_strategy='first')\n"
            "found = tagger(json.loads(sys.argv[1]))\n"
            "print(json.dumps([[[e['start'], e['end'], e['entity_group']] for e in r] for r in found]))\n"
        )
        env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_t", "NO_PROXY": "127.0.0.1"}
        ran = subprocess.run(
            [sys.executable, "-c", script, json.dumps(texts)],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr[-2000:]
        tagged = json.loads(ran.stdout.strip().splitlines()[-1])
    assert loaded.version == model.version and loaded.labels == model.labels
    assert [p.spans for p in loaded.predict(texts)] == [p.spans for p in model.predict(texts)]
    ours = [[[s.start, s.end, s.label] for s in p.spans] for p in model.predict(texts)]
    assert sum(map(len, ours)) >= 5  # a model that finds entities, so the check means something
    assert tagged == ours
