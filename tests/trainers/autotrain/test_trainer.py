"""AutoTrainTrainer through the public FakeHub: the round's logic (outcomes, polling, pausing,
cleanup, money) without HTTP. The real client's HTTP behaviour is tested against the loopback
Hub in test_autotrain.py."""

from __future__ import annotations

import itertools

import pytest

from autonlp_al.errors import (
    AutoTrainConflictError,
    AutoTrainRunError,
    AutoTrainTimeoutError,
    ConfigError,
)
from autonlp_al.loop.config import parameters
from autonlp_al.testing import FakeHub
from autonlp_al.trainers import AutoTrainTrainer
from autonlp_al.trainers.autotrain.hub import HubClient
from autonlp_al.trainers.autotrain.settings import Budget, Hub, Hyperparameters, Polling
from tests.models import corpus
from tests.trainers.autotrain.test_trainer_http import TOKEN, model_files  # noqa: F401  (the fixture)

pytest.importorskip("pyarrow")
LABELS = ["PER", "ORG", "LOC"]


def trainer(hub: FakeHub, **options) -> AutoTrainTrainer:
    settings = dict(
        task="ner",
        model="base/model",
        token=TOKEN,
        client=hub,
        poll_interval=0.0,
        sleep=lambda seconds: None,
        rng=__import__("random").Random(3),
    )
    settings.update(options)
    return AutoTrainTrainer(**settings)


def test_the_fake_is_a_hub_client() -> None:
    assert isinstance(FakeHub(), HubClient)


def test_a_round_trains_downloads_and_cleans_up(model_files) -> None:  # noqa: F811
    hub = FakeHub(model_files=model_files)
    at = trainer(hub)
    model = at.train(corpus(20, 1, "ner"), labels=LABELS)
    (seen,) = hub.trained
    assert seen["names"] == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    assert seen["train_rows"] == 18  # 10% held out for validation
    run = at.runs[0]
    assert run.stage == "PAUSED" and model.metrics == {"f1": 0.5, "accuracy": 0.9}
    assert sorted(hub.deleted) == [f"datasets/{run.data_repo}", f"spaces/{run.space_repo}"]
    assert [k for k in hub.repos] == [("model", run.model_repo)]  # the model is kept


@pytest.mark.parametrize(
    ("scenario", "stage", "message"),
    [
        ("fail", "PAUSED", "reported 'Your training has failed'"),
        ("vanish", "PAUSED", "paused without a usable model"),
        ("build_error", "BUILD_ERROR", "stopped with BUILD_ERROR"),
        ("runtime_error", "RUNTIME_ERROR", "stopped with RUNTIME_ERROR"),
    ],
)
def test_a_failed_run_is_a_run_error_and_is_cleaned_up(scenario, stage, message) -> None:
    hub = FakeHub(scenario=scenario)
    ticks = itertools.count(0, 600)
    at = trainer(hub, hourly_usd=1.0, clock=lambda: float(next(ticks)))
    with pytest.raises(AutoTrainRunError, match=message) as info:
        at.train(corpus(20, 1, "ner"), labels=LABELS)
    assert info.value.stage == stage and at.runs[0].stage == stage
    # a failed run is billed too, from the Space's start (it used to count as 0 s)
    assert at.runs[0].seconds > 0 and at.runs[0].usd > 0
    assert at.spent_usd == pytest.approx(at.runs[0].usd, abs=1e-4)
    assert not [k for k in hub.repos if k[0] != "model"]  # Space and data deleted


def test_a_hung_space_is_paused_at_the_timeout_and_costs_what_it_ran() -> None:
    hub = FakeHub(scenario="hang")
    ticks = itertools.count(0, 600)  # every clock read is 10 minutes later
    at = trainer(hub, timeout=3600, hourly_usd=1.0, clock=lambda: float(next(ticks)))
    with pytest.raises(AutoTrainTimeoutError, match="it was paused so billing stopped"):
        at.train(corpus(20, 1, "ner"), labels=LABELS)
    run = at.runs[0]
    # billed from the start of the Space to the timeout (the budget counts failed runs too)
    assert run.stage == "TIMEOUT" and run.seconds >= 3600
    assert run.usd == pytest.approx(run.seconds / 3600, abs=1e-4)
    assert at.spent_usd == pytest.approx(run.usd, abs=1e-4)
    assert not hub.repos  # paused, then deleted


def test_a_name_in_use_is_a_conflict(model_files) -> None:  # noqa: F811
    hub = FakeHub(model_files=model_files)
    trainer(hub, cleanup=False).train(corpus(20, 1, "ner"), labels=LABELS)
    before = set(hub.repos)
    again = trainer(hub)  # the same rng: the same project name
    with pytest.raises(AutoTrainConflictError, match="already exists"):
        again.train(corpus(20, 1, "ner"), labels=LABELS)
    assert set(hub.repos) == before  # nothing new was created


def test_settings_are_grouped_in_records_and_flat_keywords_still_work() -> None:
    flat = AutoTrainTrainer(task="ner", model="m", epochs=5, timeout=60, namespace="me")
    grouped = AutoTrainTrainer(
        task="ner",
        model="m",
        hyperparameters=Hyperparameters(epochs=5),
        budget={"timeout": 60},  # a config's [trainer.budget] section arrives as a dict
        hub=Hub(namespace="me"),
    )
    for one in (flat, grouped):
        assert one.hyperparameters == Hyperparameters(epochs=5)
        assert one.budget == Budget(timeout=60) and one.hub.namespace == "me"
        assert one.polling == Polling()
    assert flat.hyperparameters.params(100)["max_seq_length"] == 128
    # the CLI and the config see the flat names
    assert {"epochs", "timeout", "poll_interval", "hub", "lang"} <= parameters(AutoTrainTrainer)
    assert "token=" not in repr(AutoTrainTrainer(task="ner", model="m", token="hf_secret"))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"epoch": 3}, "unknown setting 'epoch'"),
        ({"hyperparameters": Hyperparameters(), "lr": 1e-4}, "hyperparameters= and 'lr' too"),
        ({"polling": {"every": 3}}, "polling: .*takes poll_interval"),
    ],
)
def test_a_setting_that_fits_no_record_is_refused(settings, message) -> None:
    with pytest.raises(ConfigError, match=message):
        AutoTrainTrainer(task="ner", model="m", **settings)
