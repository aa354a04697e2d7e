"""The HTTP server on a real socket: routes, limits, auth, and hot swaps under load."""

from __future__ import annotations

import contextlib
import json
import socket
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
from autonlp_al.integrations._guard import guarded_protocol
from autonlp_al.integrations.serve import ModelSlot, ServeLimits, StateWatcher, create_app
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
def running(app: object, limits: ServeLimits | None = None) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1, with the connection limits of
    ``autonlp-al serve`` when ``limits`` are given; yields the base URL."""
    extra = {} if limits is None else {"http": guarded_protocol(limits)}
    instance = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **extra)
    )
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
    assert call(f"{url}/health") == (
        200,
        {"status": "ok", "model_class": "autonlp_al", "version": "v1"},
    )
    status, info = call(f"{url}/model")
    assert status == 200 and info["labels"] == ["PER", "LOC"] and info["task"] == "ner"


@pytest.mark.parametrize(
    "server",
    [{"limits": ServeLimits(max_batch=2, max_chars=50, max_total_chars=80, max_body=1000)}],
    indirect=True,
)
def test_limits_and_bad_requests_are_clear_4xx(server) -> None:
    url, _ = server
    status, body = call(f"{url}/predict", {"texts": ["a", "b", "c"]})
    assert status == 413 and "at most 2 per request" in body["error"]
    status, body = call(f"{url}/predict", {"texts": ["x" * 51]})
    assert status == 413 and "at most 50" in body["error"]
    status, body = call(f"{url}/predict", {"texts": ["x" * 50, "y" * 40]})
    assert status == 413 and "90 characters in all; at most 80" in body["error"]
    status, body = call(f"{url}/predict", b" " * 1001)
    assert status == 413 and "over 1000 bytes" in body["error"]
    assert call(f"{url}/predict", b"{not json")[0] == 400
    assert call(f"{url}/predict", {"text": "one"})[0] == 422
    assert call(f"{url}/predict", {"texts": [""]})[0] == 422


def test_deep_json_and_a_lone_surrogate_are_4xx_not_500(server) -> None:
    url, _ = server
    status, body = call(f"{url}/predict", b'{"texts": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert status == 400 and "nests too deep" in body["error"]
    status, body = call(f"{url}/predict", b'{"texts": ["Hi \\ud83d there"]}')
    assert status == 422 and "lone surrogate '\\ud83d' at offset 3" in body["error"]


def _raw(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _status(sock: socket.socket) -> int:
    return int(sock.recv(4096).split(b" ")[1])


@pytest.mark.parametrize("server", [{"limits": ServeLimits(max_body=1000)}], indirect=True)
def test_a_body_announced_too_large_is_refused_before_it_is_sent(server) -> None:
    url, _ = server
    with _raw(url) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n\r\n")
        assert _status(sock) == 413  # answered with none of the 200 MB sent


@pytest.mark.parametrize("server", [{"limits": ServeLimits(max_body=1000)}], indirect=True)
def test_a_chunked_body_is_cut_off_at_the_limit(server) -> None:
    url, _ = server
    with _raw(url) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        sock.sendall(b"400\r\n" + b" " * 1024 + b"\r\n")  # one 1 KiB chunk, and no end
        assert _status(sock) == 413


@pytest.mark.parametrize("server", [{"token": "s3cret"}], indirect=True)
def test_token_auth(server) -> None:
    url, _ = server
    assert call(f"{url}/predict", {"texts": [TEXT]})[0] == 401
    assert call(f"{url}/health", token="wrong")[0] == 401
    assert call(f"{url}/predict", {"texts": [TEXT]}, token="s3cret")[0] == 200


@pytest.mark.parametrize("server", [{"token": "s3cret"}], indirect=True)
def test_every_route_is_behind_the_one_bearer_check(server) -> None:
    """The check is middleware in front of the app, so no route (nor one added later) is left
    open: every route the app has, and a path it has not, answer 401 without the token."""
    from autonlp_al.integrations.serve import create_app

    url, slot = server
    paths = [route.path for route in create_app(slot, token="s3cret").routes]
    assert {"/health", "/predict", "/webhook", "/setup", "/labelstudio"} <= set(paths)
    for path in [*paths, "/not-a-route"]:
        assert call(f"{url}{path}", {"texts": [TEXT]})[0] == 401, path
        assert call(f"{url}{path}")[0] == 401, path
    assert call(f"{url}/health", token="s3cret")[0] == 200


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
    learner = ActiveLearner.create(
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
    slot = ModelSlot(trainer.load(learner.journal.model_path(learner.history[-1].model_dir)))
    watcher = StateWatcher(
        tmp_path,
        slot,
        load=lambda p: (
            trainer.load(learner.journal.model_path(learner.history[-1].model_dir)),
            {"version": learner.history[-1].model_version, "round": learner.history[-1].round},
        ),
    )
    assert watcher.check() is False  # nothing new yet
    learner.step()
    assert watcher.check() is True
    assert slot.get()[1] == {"version": learner.history[-1].model_version, "round": 1}
    assert slot.get()[0].version == learner.history[-1].model_version


GUARD = ServeLimits(max_connections=4, read_timeout=0.5)


@contextlib.contextmanager
def guarded() -> Iterator[str]:
    with running(create_app(ModelSlot(fake("v1", "PER")), limits=GUARD), GUARD) as url:
        yield url


def test_a_client_sending_headers_slowly_gets_408_and_is_closed() -> None:
    with guarded() as url, _raw(url) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        for _ in range(3):  # one header line every 0.2 s: never done within 0.5 s
            time.sleep(0.2)
            with contextlib.suppress(OSError):
                sock.sendall(b"X-Slow: 1\r\n")
        reply = sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 408") and b"within 0.5 s" in reply
        assert sock.recv(4096) == b""  # closed
        assert time.monotonic() - start < 3


def test_a_client_sending_its_body_slowly_is_closed() -> None:
    with guarded() as url, _raw(url) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        time.sleep(1.0)
        reply = sock.recv(4096)
        assert reply == b"" or not reply.startswith(b"HTTP/1.1 200")
        assert call(f"{url}/predict", {"texts": [TEXT]})[0] == 200  # the server is fine


def test_connections_over_the_limit_get_503_and_honest_ones_return_after_the_timeout() -> None:
    with guarded() as url:
        slow = [_raw(url) for _ in range(4)]
        for sock in slow:
            sock.sendall(b"GET /health HTTP/1.1\r\n")  # and never the rest
        time.sleep(0.1)
        with _raw(url) as extra:
            reply = extra.recv(4096)
            assert reply.startswith(b"HTTP/1.1 503") and b"retry-after: 1" in reply.lower()
        time.sleep(0.8)  # the slow ones are timed out and their places free
        assert call(f"{url}/predict", {"texts": [TEXT]})[0] == 200
        for sock in slow:
            assert sock.recv(4096).startswith(b"HTTP/1.1 408")
            sock.close()


class _Waiting:
    """A model that calls ``wait`` before each prediction."""

    def __init__(self, inner: FakeModel, wait) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.wait = inner, wait
        self.version, self.task, self.labels = inner.version, inner.task, inner.labels

    def predict(self, texts):  # type: ignore[no-untyped-def]
        self.wait()
        return self.inner.predict(texts)


def test_a_request_sent_whole_is_never_timed_out_while_it_is_answered() -> None:
    model = _Waiting(fake("v1", "PER"), lambda: time.sleep(1.0))  # twice the read timeout
    with running(create_app(ModelSlot(model), limits=GUARD), GUARD) as url:  # type: ignore[arg-type]
        assert call(f"{url}/predict", {"texts": [TEXT]})[0] == 200


def test_predictions_over_max_pending_get_503_with_retry_after() -> None:
    gate = threading.Event()
    model = _Waiting(fake("v1", "PER"), lambda: gate.wait(10))
    limits = ServeLimits(max_pending=1)
    with running(create_app(ModelSlot(model), limits=limits), limits) as url:  # type: ignore[arg-type]
        first: list[int] = []
        waiting = threading.Thread(
            target=lambda: first.append(call(f"{url}/predict", {"texts": [TEXT]})[0])
        )
        waiting.start()
        time.sleep(0.3)
        status, body = call(f"{url}/predict", {"texts": [TEXT]})
        gate.set()
        waiting.join()
    assert status == 503 and "1 predictions already waiting" in body["error"]
    assert first == [200]
