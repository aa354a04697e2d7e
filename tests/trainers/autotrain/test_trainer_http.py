"""AutoTrainTrainer against the loopback stand-in Hub (real huggingface_hub client, real HTTP,
a fake AutoTrain that reads the parquet and publishes a tiny real model)."""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path

import pytest

pytest.importorskip("huggingface_hub")
pytest.importorskip("transformers")
pytest.importorskip("pyarrow")

from autonlp_al import Example, LabelError, Span
from autonlp_al.errors import (
    AutoTrainAuthError,
    AutoTrainConflictError,
    AutoTrainError,
    AutoTrainRunError,
    AutoTrainTimeoutError,
    BudgetError,
    DryRunFinished,
)
from autonlp_al.loop.learner import ActiveLearner, GoldOracle
from autonlp_al.strategies import MNLP
from autonlp_al.trainers import TransformersModel
from autonlp_al.trainers.autotrain.plan import project_name
from autonlp_al.trainers.autotrain.trainer import AutoTrainTrainer
from tests.hub_standin import Hub
from tests.models import corpus

TOKEN = "hf_s3cret_Token_4711"
NER_LABELS = ["PER", "ORG", "LOC"]
TOPICS = ["business", "sport", "tech"]


@pytest.fixture(autouse=True)
def _hub_env(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


@pytest.fixture
def model_files(tiny_bert, tmp_path):
    """What AutoTrain pushes: a transformers folder (config, weights, tokenizer) for ``names``."""

    def make(task: str, names: list[str]) -> dict[str, bytes]:
        from transformers import (
            AutoModelForSequenceClassification,
            AutoModelForTokenClassification,
            AutoTokenizer,
        )

        auto = (
            AutoModelForTokenClassification if task == "ner" else AutoModelForSequenceClassification
        )
        folder = tmp_path / f"published-{random.getrandbits(32):08x}"
        model = auto.from_pretrained(
            tiny_bert,
            num_labels=len(names),
            id2label=dict(enumerate(names)),
            label2id={n: i for i, n in enumerate(names)},
        )
        model.save_pretrained(folder)
        AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(folder)
        files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
        shutil.rmtree(folder)
        return files

    return make


def trainer(hub: Hub, **options) -> AutoTrainTrainer:
    settings = dict(
        task="ner",
        model="sentence-transformers/all-MiniLM-L6-v2",
        token=TOKEN,
        endpoint=hub.url,
        poll_interval=0.01,
        max_poll_interval=0.02,
        timeout=30,
        rng=random.Random(7),
        sleep=lambda seconds: None,
    )
    settings.update(options)
    return AutoTrainTrainer(**settings)


def ner_data(n: int = 12, seed: int = 3) -> list[Example]:
    return corpus(n, seed, "ner")


def textcat_data(n: int = 20) -> list[Example]:
    return corpus(n, 5, "textcat")


def paths(hub: Hub, method: str) -> list[str]:
    return [p for m, p in hub.requests if m == method]


def test_a_round_trains_on_autotrain_and_returns_the_downloaded_model(model_files) -> None:
    data = ner_data()
    with Hub(token=TOKEN, model_files=model_files) as hub:
        at = trainer(hub)
        model = at.train(data, labels=NER_LABELS)
        run = at.runs[0]
        space = run.space_repo
        # the Space: private docker on the asked hardware, AutoTrain's secrets, pinned version
        seen = hub.trained[0]
        assert set(seen["secrets"]) == {
            "HF_TOKEN",
            "AUTOTRAIN_USERNAME",
            "PROJECT_NAME",
            "TASK_ID",
            "PARAMS",
            "DATA_PATH",
            "MODEL",
        }
        assert seen["secrets"]["TASK_ID"] == "4" and seen["secrets"]["HF_TOKEN"] == TOKEN
        params = seen["params"]
        assert params["valid_split"] == "validation" and params["tags_column"] == "tags"
        assert params["model"] == "sentence-transformers/all-MiniLM-L6-v2"
        # the parquet decoded by the fake AutoTrain is exactly our data, tags via ClassLabel
        assert seen["names"] == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
        sent = {tuple(w) for w, _ in seen["train_rows"] + seen["validation_rows"]}
        assert len(sent) == len(data) and len(seen["validation_rows"]) == 1
        # cleanup: the Space and the data repo are gone, the model repo stays (private)
        assert f"spaces/{space}" in hub.deleted and f"datasets/{run.data_repo}" in hub.deleted
        assert hub.repo("model", run.model_repo)["private"] is True
        downloaded = [p for p in paths(hub, "GET") if "/resolve/" in p]
    assert run.project.startswith("autonlp-al-r0-") and run.stage == "PAUSED"
    assert not any("checkpoint-" in p or "/runs/" in p for p in downloaded)
    assert isinstance(model, TransformersModel) and model.task == "ner"
    assert model.labels == tuple(NER_LABELS)
    assert model.metrics == {
        "loss": 0.31,
        "precision": 0.5,
        "recall": 0.625,
        "f1": 0.5556,
        "accuracy": 0.9,
    }
    assert model.base_model == "sentence-transformers/all-MiniLM-L6-v2" and model.version
    prediction = model.predict(["anna cook said that apple was good ."])[0]
    assert prediction.spans is not None  # the download -> load -> predict path ran
    marginals = model.token_marginals(data[:2])
    assert marginals[0].shape[1] == 7


def test_space_and_data_repo_are_private_and_configured(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files) as hub:
        at = trainer(hub, hardware="spaces-a10g-small", cleanup=False)
        at.train(ner_data(), labels=NER_LABELS)
        run = at.runs[0]
        space = hub.repo("space", run.space_repo)
        data = hub.repo("dataset", run.data_repo)
    assert space["private"] and data["private"] and space["sdk"] == "docker"
    assert space["hardware"] == "a10g-small" and space["sleep_time"] == 7 * 24 * 3600
    assert b"autotrain-advanced==0.8.36" in space["files"]["Dockerfile"]
    assert b"sdk: docker" in space["files"]["README.md"]
    assert set(data["files"]) == {
        "data/train-00000-of-00001.parquet",
        "data/validation-00000-of-00001.parquet",
    }
    assert run.deleted == ()


def test_text_classification_keeps_every_class_in_validation(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files) as hub:
        at = trainer(hub, task="textcat", validation_fraction=0.2)
        model = at.train(textcat_data(), labels=TOPICS)
        seen = hub.trained[0]
    assert seen["secrets"]["TASK_ID"] == "2" and seen["names"] == TOPICS
    assert {label for _, label in seen["validation_rows"]} == set(TOPICS)
    assert model.task == "textcat" and model.labels == tuple(TOPICS)
    assert model.metrics["macro_f1"] == 0.8 and model.metrics["accuracy"] == 0.85
    assert model.class_probabilities(["market shares profit"]).shape == (1, 3)


def test_given_eval_examples_are_the_validation_split(model_files) -> None:
    data = ner_data(14)
    with Hub(token=TOKEN, model_files=model_files) as hub:
        trainer(hub).train(data[:10], eval=data[10:], labels=NER_LABELS)
        seen = hub.trained[0]
    assert len(seen["train_rows"]) == 10 and len(seen["validation_rows"]) == 4


def test_a_failure_discussion_is_a_run_error_with_logs_and_cleanup(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files, scenario="fail") as hub:
        at = trainer(hub)
        with pytest.raises(AutoTrainRunError) as info:
            at.train(ner_data(), labels=NER_LABELS)
        run = at.runs[0]
        assert f"spaces/{run.space_repo}" in hub.deleted
        assert f"datasets/{run.data_repo}" in hub.deleted
    assert "failed" in info.value.discussion and "training failed" in str(info.value)
    assert TOKEN not in str(info.value) and "HF_TOKEN=<HF_TOKEN>" in str(info.value)
    assert all(TOKEN not in line for line in info.value.logs)


def test_a_pause_without_a_model_is_a_run_error(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files, scenario="vanish") as hub:
        with pytest.raises(AutoTrainRunError, match="without a usable model") as info:
            trainer(hub).train(ner_data(), labels=NER_LABELS)
        assert any(k.startswith("spaces/") for k in hub.deleted)
    assert info.value.stage == "PAUSED" and info.value.discussion == ""


@pytest.mark.parametrize(
    ("scenario", "stage", "log_line"),
    [
        ("build_error", "BUILD_ERROR", "no space left"),
        ("runtime_error", "RUNTIME_ERROR", "CUDA out of memory"),
    ],
)
def test_a_failed_space_is_paused_and_reported(model_files, scenario, stage, log_line) -> None:
    with Hub(token=TOKEN, model_files=model_files, scenario=scenario) as hub:
        at = trainer(hub, cleanup=False)
        with pytest.raises(AutoTrainRunError) as info:
            at.train(ner_data(), labels=NER_LABELS)
        space = hub.repo("space", at.runs[0].space_repo)
    assert info.value.stage == stage and any(log_line in line for line in info.value.logs)
    assert space["paused_by_client"] is True and space["stage"] == "PAUSED"


def test_timeout_pauses_the_space_then_cleans_up(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files, scenario="hang") as hub:
        at = trainer(hub, timeout=0.3, poll_interval=0.02, sleep=__import__("time").sleep)
        with pytest.raises(AutoTrainTimeoutError, match="paused"):
            at.train(ner_data(), labels=NER_LABELS)
        space = at.runs[0].space_repo
        calls = hub.requests
    pause = calls.index(("POST", f"/api/spaces/{space}/pause"))
    delete = max(i for i, call in enumerate(calls) if call == ("DELETE", "/api/repos/delete"))
    assert pause < delete  # billing stopped first, then the cleanup
    assert f"spaces/{space}" in hub.deleted


def test_a_refused_token_is_an_auth_error_without_the_token(model_files) -> None:
    with (
        Hub(token="hf_the_right_one", model_files=model_files) as hub,
        pytest.raises(AutoTrainAuthError) as info,
    ):
        trainer(hub).train(ner_data(), labels=NER_LABELS)
    assert "HTTP 401" in str(info.value) and TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value.__cause__) and info.value.__suppress_context__


def test_no_token_anywhere_is_an_auth_error_before_any_request(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files) as hub:
        with pytest.raises(AutoTrainAuthError, match="HF_TOKEN"):
            trainer(hub, token=None).train(ner_data(), labels=NER_LABELS)
        assert hub.requests == []


def test_the_token_can_come_from_hf_token(model_files, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with Hub(token=TOKEN, model_files=model_files) as hub:
        trainer(hub, token=None, namespace="acme").train(ner_data(), labels=NER_LABELS)
        assert hub.trained[0]["params"]["username"] == "acme"


def test_a_name_in_use_is_a_conflict_and_nothing_else_is_created(model_files) -> None:
    name = project_name("autonlp-al", 0, random.Random(7))  # what the trainer will pick
    with Hub(token=TOKEN, model_files=model_files) as hub:
        hub._new_repo("dataset", f"user/autotrain-data-{name}", True)
        with pytest.raises(AutoTrainConflictError, match="409"):
            trainer(hub).train(ner_data(), labels=NER_LABELS)
        assert not any(k.startswith("spaces/") for k in hub.repos)


def test_429_and_5xx_are_retried(model_files) -> None:
    waits: list[float] = []
    with Hub(token=TOKEN, model_files=model_files) as hub:
        hub.faults += [
            ("POST", "/api/repos/create", 503),
            ("POST", "/commit/", 500),
            ("GET", "/runtime", 429),
            ("GET", "/runtime", 502),
            ("GET", "/discussions", 504),
        ]
        model = trainer(hub, sleep=waits.append).train(ner_data(), labels=NER_LABELS)
        assert hub.faults == []
    assert model.metrics["f1"] == 0.5556
    assert sum(1 for w in waits if w >= 1.0) == 5  # one backoff per fault


def test_a_create_whose_answer_was_lost_is_not_a_conflict_on_retry(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files) as hub:
        hub.faults_after += [("POST", "/api/repos/create", 502)]  # created, answer lost
        model = trainer(hub).train(ner_data(), labels=NER_LABELS)
        assert hub.faults_after == []
    assert model.metrics["f1"] == 0.5556


def test_a_same_named_repo_of_someone_else_is_never_configured_or_deleted(model_files) -> None:
    name = project_name("autonlp-al", 0, random.Random(7))
    space = f"user/autotrain-{name}"
    with Hub(token=TOKEN, model_files=model_files) as hub:
        # the Space create fails with no answer; meanwhile someone else has that name
        hub.faults_body += [("POST", '"type":"space"', 502)]
        hub._new_repo("space", space, True, author="someone-else", secrets={}, stage="RUNNING")
        with pytest.raises(AutoTrainConflictError, match=r"not provably this run's.*someone-else"):
            trainer(hub).train(ner_data(), labels=NER_LABELS)
        assert hub.repo("space", space)["secrets"] == {}  # the token was never written there
        assert f"spaces/{space}" not in hub.deleted
        assert not any(p.startswith(f"/api/spaces/{space}/") for m, p in hub.requests if m != "GET")


def test_hub_library_retries_are_not_multiplied_by_ours(monkeypatch) -> None:
    import huggingface_hub.utils._http as hub_http

    from autonlp_al.trainers.autotrain.hub import HfHubClient

    monkeypatch.setattr(hub_http.time, "sleep", lambda seconds: None)  # its own backoff waits
    with Hub(token=TOKEN) as hub:
        hub._new_repo("model", "user/m", True)
        hub.faults += [("POST", "/preupload/", 503)] * 50
        client = HfHubClient(token=TOKEN, endpoint=hub.url, retries=3, sleep=lambda s: None)
        with pytest.raises(AutoTrainError, match="through huggingface_hub's own retries"):
            client.upload("user/m", kind="model", files={"a.txt": b"x"}, message="m")
        assert len(hub.requests) == 6  # its 1 + 5, not 3 x 6


def test_a_download_that_cannot_reach_the_hub_is_an_autotrain_error(tmp_path) -> None:
    from autonlp_al.trainers.autotrain.hub import HfHubClient

    with Hub(token=TOKEN) as hub:
        hub._new_repo("model", "user/m", True)
        hub.faults += [("GET", "/api/models/user/m", 503)] * 50
        client = HfHubClient(token=TOKEN, endpoint=hub.url, retries=2, sleep=lambda s: None)
        with pytest.raises(AutoTrainError, match="downloading user/m: the Hub kept failing"):
            client.download("user/m", tmp_path, allow=["*"], ignore=[])


def test_a_hub_that_keeps_failing_gives_up_with_a_clear_error(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files) as hub:
        hub.faults += [("POST", "/api/repos/create", 503)] * 3
        with pytest.raises(AutoTrainError, match="after 3 attempts"):
            trainer(hub, retries=3).train(ner_data(), labels=NER_LABELS)


def test_keep_model_false_deletes_the_model_repo_after_download(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files) as hub:
        at = trainer(hub, keep_model=False)
        model = at.train(ner_data(), labels=NER_LABELS)
        assert f"models/{at.runs[0].model_repo}" in hub.deleted
        assert not hub.repos  # nothing of the round is left on the Hub
    assert model.labels == tuple(NER_LABELS)


def test_the_budget_guard_refuses_a_round_before_creating_anything(model_files) -> None:
    with Hub(token=TOKEN, model_files=model_files) as hub:
        at = trainer(hub, hardware="a10g-large", timeout=3600, max_usd=1.0)
        with pytest.raises(BudgetError, match=r"\$1\.50"):
            at.train(ner_data(), labels=NER_LABELS)
        assert not hub.repos


def test_spent_money_is_counted_per_round(model_files) -> None:
    ticks = iter(range(0, 10_000, 600))  # every clock read is 10 minutes later
    with Hub(token=TOKEN, model_files=model_files) as hub:
        at = trainer(hub, hourly_usd=0.6, timeout=1e6, clock=lambda: float(next(ticks)))
        at.train(ner_data(), labels=NER_LABELS)
    assert at.runs[0].usd > 0 and at.spent_usd == pytest.approx(at.runs[0].usd)


def test_a_round_that_fails_after_the_space_exists_is_billed_from_its_create(model_files) -> None:
    ticks = iter(range(0, 10_000, 600))  # every clock read is 10 minutes later
    with Hub(token=TOKEN, model_files=model_files) as hub:
        hub.faults += [("POST", "/secrets", 400)]  # after the Space's create, before its start
        at = trainer(hub, hourly_usd=0.6, timeout=1e6, clock=lambda: float(next(ticks)))
        with pytest.raises(AutoTrainError, match="HTTP 400"):
            at.train(ner_data(), labels=NER_LABELS)
    run = at.runs[0]
    assert run.stage == "NOT_STARTED" and run.seconds == 600 and run.usd == 0.1
    assert at.spent_usd == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("task", "data", "labels", "message"),
    [
        (
            "ner",
            [Example(text="anna cook said", spans=[Span(0, 9, "PER")], complete=False)],
            NER_LABELS,
            "no tag",
        ),
        (
            "ner",
            [Example(text="anna cook said", spans=[Span(0, 9, "HERO")])],
            NER_LABELS,
            "HERO",
        ),  # LabelError
        (
            "textcat",
            [Example(text=f"a{i}", labels=["sport"]) for i in range(4)],
            TOPICS,
            "at least 2",
        ),
        (
            "textcat",
            [Example(text=f"t{i}", labels=[lab]) for i, lab in enumerate(["sport"] * 4 + ["tech"])],
            TOPICS,
            "validation split lacks",
        ),
        ("textcat", [Example(text="x", labels=["sport", "tech"])], TOPICS, "exactly one"),
    ],
)
def test_bad_data_fails_before_anything_is_sent(model_files, task, data, labels, message) -> None:
    with Hub(token=TOKEN, model_files=model_files) as hub:
        with pytest.raises((AutoTrainError, LabelError), match=message):
            trainer(hub, task=task, validation_fraction=0.5).train(data, labels=labels)
        assert not hub.repos


def test_dry_run_writes_the_exact_payloads_and_sends_nothing(tmp_path, model_files) -> None:
    data = ner_data()
    with Hub(token=TOKEN, model_files=model_files) as hub:
        at = trainer(hub, dry_run=tmp_path / "dry", namespace="acme")
        with pytest.raises(DryRunFinished) as info:
            at.train(data, labels=NER_LABELS)
        assert hub.requests == []
    folder = Path(info.value.folder)
    plan = json.loads((folder / "plan.json").read_text())
    assert plan["params"]["token"] == "<HF_TOKEN>" and plan["secrets"]["HF_TOKEN"] == "<HF_TOKEN>"
    assert plan["space_repo"] == f"acme/autotrain-{plan['project']}"
    assert (folder / "space" / "Dockerfile").read_text().startswith("FROM huggingface/")
    import pyarrow.parquet as pq

    table = pq.read_table(folder / "data" / "train-00000-of-00001.parquet")
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert features["tags"]["feature"]["_type"] == "ClassLabel"
    assert table.num_rows + plan["counts"]["validation"] == len(data)
    for file in folder.rglob("*"):
        assert not file.is_file() or TOKEN.encode() not in file.read_bytes()


def test_two_learner_rounds_run_on_autotrain_like_on_the_local_trainer(
    tmp_path, model_files, caplog
) -> None:
    gold = ner_data(40, seed=11)
    caplog.set_level(logging.DEBUG)
    with Hub(token=TOKEN, model_files=model_files) as hub:
        at = trainer(hub)
        learner = ActiveLearner.create(
            trainer=at,
            strategy=MNLP(),
            pool=gold[10:],
            labeled=gold[:10],
            labels=NER_LABELS,
            state_dir=tmp_path / "state",
            eval=gold[:5],
            batch_size=5,
            oracle=GoldOracle(gold),
        )
        learner.run(rounds=3)  # the seed round, then two selected rounds
        assert len(hub.trained) == 3 and [r.round for r in at.runs] == [0, 1, 2]
        assert len({r.project for r in at.runs}) == 3
        assert [len(t["train_rows"]) + len(t["validation_rows"]) for t in hub.trained] == [
            10,
            15,
            20,
        ]
        assert not [k for k in hub.repos if not k.startswith("models/")]
    history = learner.history
    assert [r.n_labeled for r in history] == [10, 15, 20]
    assert [r.strategy for r in history] == ["seed", "mnlp", "mnlp"]
    assert all("f1" in r.metrics for r in history)
    resumed = ActiveLearner.resume(
        tmp_path / "state",
        trainer=at,
        strategy=MNLP(),
        pool=gold[10:],
        labeled=gold[:10],
        labels=NER_LABELS,
        eval=gold[:5],
        batch_size=5,
        oracle=GoldOracle(gold),
    )
    assert len(resumed.history) == 3 and resumed.models.model is not None
    for file in tmp_path.rglob("*"):  # the state folder and the huggingface_hub home
        assert not file.is_file() or TOKEN.encode() not in file.read_bytes()
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert any("AutoTrain round 1" in record.getMessage() for record in caplog.records)


def _annotations(path: Path, examples: list[Example]) -> Path:
    records = [
        {
            "text": e.text,
            "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in e.spans],
        }
        for e in examples
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def cli_train(tmp_path, *options: str) -> list[str]:
    """``autonlp-al train`` of the NER data on AutoTrain, plus ``options``."""
    data = _annotations(tmp_path / "train.jsonl", ner_data())
    return ["train", str(data), str(tmp_path / "model"), "--from", "jsonl", "--task", "ner",
            "--model", "bert-base-cased", "--labels", "PER,ORG,LOC", "--trainer", "autotrain",
            *options]  # fmt: skip


def test_cli_train_with_autotrain_dry_run_writes_the_payloads(tmp_path, capsys) -> None:
    from autonlp_al.cli import main

    code = main(cli_train(tmp_path, "--namespace", "acme", "--dry-run", str(tmp_path / "dry")))
    assert code == 0 and "nothing was sent" in capsys.readouterr().out
    (plan,) = (tmp_path / "dry").glob("round-000-*/plan.json")
    assert json.loads(plan.read_text())["params"]["model"] == "bert-base-cased"
    assert not (tmp_path / "model").exists()


def test_cli_train_with_autotrain_saves_the_returned_model(
    tmp_path, model_files, monkeypatch, capsys
) -> None:
    from autonlp_al.cli import main

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with Hub(token=TOKEN, model_files=model_files) as hub:
        code = main(cli_train(tmp_path, "--hub-endpoint", hub.url, "--poll-interval", "0.01"))
    out = capsys.readouterr().out
    assert code == 0 and "f1 0.5556" in out and TOKEN not in out
    assert TransformersModel.load(tmp_path / "model").labels == tuple(NER_LABELS)


def test_cli_takes_the_timeout_and_hourly_price_the_budget_error_names(
    tmp_path, monkeypatch, capsys
) -> None:
    from autonlp_al.cli import main

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    common = cli_train(tmp_path, "--namespace", "acme", "--hub-endpoint", "http://127.0.0.1:9")
    assert main([*common, "--max-usd", "0.01"]) == 1
    err = capsys.readouterr().err
    assert "over max_usd=$0.01" in err and "--timeout SECONDS" in err  # a flag that now exists
    # 36 s at $1/h is at most $0.01: both flags reach the trainer's budget check
    assert main([*common, "--max-usd", "0.005", "--timeout", "36", "--hourly-usd", "1"]) == 1
    assert "could cost up to $0.01 (t4-small at $1.00/h for the 0.0 h timeout)" in (
        capsys.readouterr().err
    )
