"""The HTTP server on a real socket: routes, limits, auth, and hot swaps under load."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
import uvicorn

from autonlp_al import Example, Span
from autonlp_al.integrations.serve import ModelSlot, StateWatcher, create_app
from autonlp_al.testing import FakeModel

TEXT = "anna went to berlin"


def fake(version: str, label: str) -> FakeModel:
    return FakeModel(
        task="ner",
        labels=["PER", "LOC"],
        version=version,
        memory={TEXT: Example(text=TEXT, spans=[Span(0, 4, label)])},
    )


@contextlib.contextmanager
def running(app: object) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1; yields the base URL."""
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not instance.started and time.time() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{instance.servers[0].sockets[0].getsockname()[1]}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(request) -> Iterator[tuple[str, ModelSlot]]:
    slot = ModelSlot(fake("v1", "PER"))
    with running(create_app(slot, **getattr(request, "param", {}))) as url:
        yield url, slot


def call(url: str, body: object | None = None, token: str | None = None) -> tuple[int, dict]:
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_predict_health_and_model(server) -> None:
    url, _ = server
    status, body = call(f"{url}/predict", {"texts": [TEXT, "nothing known here"]})
    assert status == 200 and body["version"] == "v1"
    assert body["predictions"][0]["spans"] == [
        {"start": 0, "end": 4, "label": "PER", "score": 1.0, "text": "anna"}
    ]
    assert body["predictions"][1]["spans"] == []
    assert call(f"{url}/health") == (200, {"status": "ok", "version": "v1"})
    status, info = call(f"{url}/model")
    assert status == 200 and info["labels"] == ["PER", "LOC"] and info["task"] == "ner"


@pytest.mark.parametrize("server", [{"max_batch": 2, "max_chars": 50}], indirect=True)
def test_limits_and_bad_requests_are_clear_4xx(server) -> None:
    url, _ = server
    status, body = call(f"{url}/predict", {"texts": ["a", "b", "c"]})
    assert status == 413 and "at most 2 per request" in body["error"]
    status, body = call(f"{url}/predict", {"texts": ["x" * 51]})
    assert status == 413 and "at most 50" in body["error"]
    assert call(f"{url}/predict", b"{not json")[0] == 400
    assert call(f"{url}/predict", {"text": "one"})[0] == 422
    assert call(f"{url}/predict", {"texts": [""]})[0] == 422


@pytest.mark.parametrize("server", [{"token": "s3cret"}], indirect=True)
def test_token_auth(server) -> None:
    url, _ = server
    assert call(f"{url}/predict", {"texts": [TEXT]})[0] == 401
    assert call(f"{url}/health", token="wrong")[0] == 401
    assert call(f"{url}/predict", {"texts": [TEXT]}, token="s3cret")[0] == 200


def test_hot_swap_never_fails_or_mixes_models(server) -> None:
    url, slot = server
    models = [fake("v1", "PER"), fake("v2", "LOC")]
    expected = {"v1": "PER", "v2": "LOC"}
    failures: list[object] = []
    seen: set[str] = set()

    def client() -> None:
        for _ in range(40):
            status, body = call(f"{url}/predict", {"texts": [TEXT] * 3})
            if status != 200:
                failures.append(body)
                continue
            labels = {s["label"] for p in body["predictions"] for s in p["spans"]}
            seen.add(body["version"])
            if labels != {expected[body["version"]]}:  # one model for the whole request
                failures.append(body)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    swaps = 0
    while any(t.is_alive() for t in threads):
        slot.swap(models[swaps % 2])
        swaps += 1
        time.sleep(0.002)
    for thread in threads:
        thread.join()
    assert failures == []
    assert seen == {"v1", "v2"} and swaps > 10


def test_state_watcher_swaps_in_each_new_round(tmp_path: Path) -> None:
    from autonlp_al.loop.learner import ActiveLearner, GoldOracle
    from autonlp_al.strategies import RandomSampling
    from autonlp_al.testing import ScriptedTrainer

    gold = [Example(text=f"anna saw plant {i}", spans=[Span(0, 4, "PER")]) for i in range(30)]
    trainer = ScriptedTrainer()
    learner = ActiveLearner(
        trainer=trainer,
        strategy=RandomSampling(),
        pool=[Example(text=e.text) for e in gold[5:]],
        labels=["PER"],
        state_dir=tmp_path,
        labeled=gold[:5],
        oracle=GoldOracle(gold),
        batch_size=5,
    )
    learner.step()
    slot = ModelSlot(trainer.load(learner.model_path(learner.history[-1])))
    watcher = StateWatcher(
        tmp_path,
        slot,
        load=lambda p: (
            trainer.load(learner.model_path(learner.history[-1])),
            {"version": learner.history[-1].model_version, "round": learner.history[-1].round},
        ),
    )
    assert watcher.check() is False  # nothing new yet
    learner.step()
    assert watcher.check() is True
    assert slot.get()[1] == {"version": learner.history[-1].model_version, "round": 1}
    assert slot.get()[0].version == learner.history[-1].model_version
