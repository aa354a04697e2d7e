"""Kill ``autonlp-al serve --learn`` with SIGKILL at random points while clients post Label
Studio answers and updates, restart it, and check the event log against the replies.

A delivery is *acknowledged* when the server answered it with a 2xx (``recorded`` or
``redelivered``). A client whose delivery got no 2xx (the server died, or refused it) sends it
again once the server is back, before that task's next answer, as Label Studio's retry or a
person's "Submit" again would. At the end, with the server up again and every delivery
acknowledged, the harness counts:

- ``lost``: an acknowledged delivery that is not in the log;
- ``duplicated``: a delivery (annotation id, ``updated_at``) logged more than once;
- ``stale``: a task whose answer in the state is not the latest one its client sent;
- ``untrained``: answers the server has not trained once it is idle after the last restart;
- ``untyped``: a 500, or a traceback in the server's log;
- ``hangs``: a request unanswered within its timeout while the server ran, or a server that did
  not come up.

:func:`cache_crashes` does the same to an encoder filling its vector cache.

Used by ``tests/integrations/test_crash.py`` (a few kills on every test run) and
``benchmarks/crash_table.py`` (many, printed as issue 30's table).
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

LABELS = ("sport", "tech", "business")
TEXTS = [f"story {i}: the {w} of plant {i}" for i, w in enumerate(["match", "chip", "bank"] * 14)]


def state_folder(folder: Path) -> Path:
    """A text classification loop (TF-IDF trainer, so a retrain takes milliseconds) over a JSONL
    pool, saved as ``autonlp-al init`` would; returns the state folder."""
    from autonlp_al.loop.config import LoopConfig, Part

    pool = folder / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS), encoding="utf-8")
    config = LoopConfig(
        task="textcat",
        labels=list(LABELS),
        trainer=Part(kind="trainers", name="tfidf.v1"),
        strategy=Part(kind="strategies", name="margin.v1"),
        pool=Part(kind="sources", name="jsonl.v1", args={"path": str(pool)}),
        batch_size=2,
    )
    config.build(folder / "state")
    gc.collect()  # the learner built there is gone: its claim on the folder's lock with it
    return folder / "state"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``python -m autonlp_al serve STATE --learn`` on a loopback port, logging to a file."""

    def __init__(self, state: Path, log: Path, port: int) -> None:
        self.state, self.log, self.port = state, log, port
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60.0) -> bool:
        """Start it and wait for ``/health``; ``False`` when it did not come up in time."""
        env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
        with self.log.open("a") as log:
            log.write(f"--- start {self.starts}\n")
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "autonlp_al", "serve", str(self.state), "--learn",
                 "--port", str(self.port)],
                stdout=log, stderr=log, env=env,
            )  # fmt: skip
        self.starts += 1
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if request(self.port, "GET", "/health", timeout=2)[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tracebacks(self) -> int:
        """Tracebacks in its log that end in an exception other than the project's own (a
        typed error, such as a retrain refused for a full disk, is logged with its trace)."""
        lines = self.log.read_text(errors="replace").splitlines()
        untyped = 0
        for n, line in enumerate(lines):
            if not line.startswith("Traceback (most recent call last)"):
                continue
            rest = [x for x in lines[n + 1 :] if x and not x[0].isspace()]
            if len(rest) > 1 and rest[1].startswith(("The above exception", "During handling")):
                continue  # a cause: the chain's last traceback names what was raised
            untyped += not (rest and rest[0].startswith("autonlp_al.errors."))
        return untyped


def request(
    port: int, method: str, path: str, body: Any = None, timeout: float = 10.0
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body)
        connection.request(method, path, data, {"Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode("utf-8", "replace")
    finally:
        connection.close()


def payload(task: int, annotation: int, version: int, label: str) -> dict[str, Any]:
    """An ``ANNOTATION_CREATED`` (version 0) or ``ANNOTATION_UPDATED`` webhook for one task."""
    return {
        "action": "ANNOTATION_CREATED" if version == 0 else "ANNOTATION_UPDATED",
        "project": {"id": 1},
        "task": {"id": 1000 + task, "data": {"text": TEXTS[task]}},
        "annotation": {
            "id": annotation,
            "task": 1000 + task,
            "updated_at": f"2026-12-07T10:{version // 60:02d}:{version % 60:02d}.000000Z",
            "was_cancelled": False,
            "result": [
                {
                    "id": "c",
                    "type": "choices",
                    "from_name": "choice",
                    "to_name": "text",
                    "value": {"choices": [label]},
                }
            ],
        },
    }


class Client(threading.Thread):
    """Answers its own tasks: a new annotation, then updates of it with other labels; a delivery
    without a 2xx is sent again before the task's next answer."""

    def __init__(self, port: int, tasks: list[int], seed: int, stop: threading.Event,
                 server: Server) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.port, self.tasks, self.stop, self.server = port, tasks, stop, server
        self.random = random.Random(seed)
        self.versions: dict[int, int] = {}
        self.sent: dict[int, str] = {}  # task -> the label of its latest delivery
        self.acknowledged: list[tuple[str, str]] = []  # (annotation id, updated_at)
        self.pending: dict[str, Any] | None = None
        self.tally: Counter[str] = Counter()

    def deliver(self, body: dict[str, Any]) -> bool:
        alive = self.server.alive()
        try:
            status, reply = request(self.port, "POST", "/webhook", body, timeout=20)
        except TimeoutError:
            self.tally["hangs"] += alive and self.server.alive()
            return False
        except (OSError, http.client.HTTPException):  # refused, reset or cut: down or killed
            return False
        if status >= 500 and status != 507:
            self.tally["untyped"] += 1
        if status // 100 != 2 or not isinstance(reply, dict):
            return False
        if reply.get("recorded", 0) + reply.get("redelivered", 0) != 1:
            self.tally["refused"] += 1  # a 2xx that did not take the answer: a defect too
            return False
        annotation = body["annotation"]
        self.acknowledged.append((str(annotation["id"]), annotation["updated_at"]))
        self.tally["acknowledged"] += 1
        return True

    def next_delivery(self) -> dict[str, Any]:
        task = self.random.choice(self.tasks)
        version = self.versions.get(task, -1) + 1
        self.versions[task] = version
        label = self.random.choice([x for x in LABELS if x != self.sent.get(task)])
        self.sent[task] = label
        return payload(task, 5000 + task, version, label)

    def run(self) -> None:
        while not self.stop.is_set():
            self.pending = self.pending or self.next_delivery()
            if self.deliver(self.pending):
                self.pending = None
            else:
                time.sleep(0.05)
            time.sleep(self.random.uniform(0, 0.03))

    def finish(self, deadline: float) -> bool:
        """Deliver what is pending (the server is up); ``False`` when it is not taken in time."""
        while self.pending is not None and time.time() < deadline:
            if self.deliver(self.pending):
                self.pending = None
            else:
                time.sleep(0.1)
        return self.pending is None


def logged_deliveries(state: Path) -> Counter[tuple[str, str]]:
    """(annotation id, updated_at) of every answer in the event log, counted."""
    seen: Counter[tuple[str, str]] = Counter()
    for line in (state / "events.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line torn by a kill: the log's reader drops it too
        if event.get("type") != "annotated":
            continue
        for example in event.get("examples", []):
            meta = example.get("meta") or {}
            if "annotation_id" in meta:
                seen[(str(meta["annotation_id"]), str(meta.get("updated_at", "")))] += 1
    return seen


def webhook_crashes(
    folder: Path, *, kills: int, clients: int = 3, seed: int = 0, interval: tuple[float, float]
    = (0.05, 0.8), settle: float = 60.0
) -> Counter[str]:  # fmt: skip
    """One trial: ``kills`` SIGKILLs at random moments while ``clients`` post; returns the
    counts named in the module docstring (plus ``acknowledged`` and ``kills``)."""
    rng = random.Random(seed)
    state = state_folder(folder)
    server = Server(state, folder / "server.log", free_port())
    tally: Counter[str] = Counter()
    if not server.start():
        tally["hangs"] += 1
        return tally
    stop = threading.Event()
    tasks = list(range(len(TEXTS)))
    rng.shuffle(tasks)
    workers = [
        Client(server.port, tasks[n::clients], seed * 100 + n, stop, server) for n in range(clients)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(*interval))
            server.kill()
            tally["kills"] += 1
            if not server.start():
                tally["hangs"] += 1
                return tally
        time.sleep(rng.uniform(*interval))
        stop.set()
        for worker in workers:
            worker.join(30)
            tally["hangs"] += worker.is_alive()
        deadline = time.time() + settle
        for worker in workers:
            tally["hangs"] += not worker.finish(deadline)
        tally["untrained"] = wait_idle(server.port, deadline)
    finally:
        stop.set()
        server.kill()
    for worker in workers:
        tally.update(worker.tally)
    logged = logged_deliveries(state)
    acknowledged = [key for worker in workers for key in worker.acknowledged]
    tally["lost"] = sum(1 for key in set(acknowledged) if logged[key] == 0)
    tally["duplicated"] = sum(1 for count in logged.values() if count > 1)
    tally["stale"] = stale_tasks(state, {t: w.sent[t] for w in workers for t in w.sent})
    tally["untyped"] += server.tracebacks()
    return tally


def wait_idle(port: int, deadline: float) -> int:
    """Wait until the server trained every answer and no retrain runs; the answers left."""
    status: dict[str, Any] = {}
    while time.time() < deadline:
        try:
            code, status = request(port, "GET", "/labelstudio", timeout=5)
        except OSError:
            time.sleep(0.1)
            continue
        if code == 200 and status["untrained"] == 0 and not status["retraining"]:
            return 0
        time.sleep(0.1)
    return int(status.get("untrained", -1))


def stale_tasks(state: Path, latest: dict[int, str]) -> int:
    """Tasks whose answer in the resumed state is not the last label their client sent."""
    from autonlp_al.loop.config import LoopConfig

    learner = LoopConfig.from_state(state).build(state, save=False)
    answers = {e.text: e.labels for e in learner.state.labeled_examples()}
    del learner
    gc.collect()
    return sum(1 for task, label in latest.items() if answers.get(TEXTS[task]) != (label,))


# -- the vector cache ------------------------------------------------------------------------

EMBEDDER = """
import json, sys
import numpy as np
from autonlp_al.trainers.frozen.encoder import FrozenEncoder
model, cache, texts, out = sys.argv[1:5]
texts = json.loads(open(texts, encoding="utf-8").read())
encoder = FrozenEncoder(model=model, cache_dir=cache, max_length=64, threads=1)
done = []
for start in range(0, len(texts), 8):  # a user's rounds: one embed call, one part, at a time
    encoder.embed(texts[start:start + 8])
    print(min(start + 8, len(texts)), flush=True)  # these are returned: on disk
np.save(out, encoder.embed(texts))
"""


def embed_run(model: Path, cache: Path, texts: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen(
        [sys.executable, "-c", EMBEDDER, str(model), str(cache), str(texts), str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def cache_crashes(
    folder: Path, model: Path, texts: list[str], *, kills: int, seed: int = 0,
    interval: tuple[float, float] = (0.0, 1.5),
) -> Counter[str]:  # fmt: skip
    """SIGKILL an encoder ``kills`` times while it fills its vector cache, reopening the cache
    after each kill; then let one run finish and compare its vectors with a fresh cache's.
    Counts ``acknowledged`` (rows whose ``embed`` call had returned before a kill), ``lost``
    (of those, rows missing when the cache is reopened, or whose final vector differs from a
    fresh one by more than 1e-5), ``duplicated`` (rows stored in two parts), ``untyped`` (a
    reopen or a run that raised) and ``hangs``."""
    import numpy as np

    from autonlp_al.trainers.frozen.cache import VectorCache, key_of

    rng = random.Random(seed)
    source = folder / "texts.json"
    source.write_text(json.dumps(texts), encoding="utf-8")
    cache = folder / "cache"
    tally: Counter[str] = Counter()
    returned = 0
    for _ in range(kills):
        process = embed_run(model, cache, source, folder / "out.npy")
        assert process.stdout is not None
        first = process.stdout.readline()  # the model is loaded and one part is on disk
        if not first:  # it died on its own
            tally["untyped"] += 1
            process.communicate()
            continue
        returned = max(returned, int(first))
        time.sleep(rng.uniform(*interval))
        os.kill(process.pid, signal.SIGKILL)
        rest = process.communicate()[0].split()
        returned = max([returned, *map(int, rest)])
        tally["kills"] += 1
        try:
            meta = json.loads((cache / "meta.json").read_text(encoding="utf-8"))
            reopened = VectorCache.open(cache, fingerprint=meta["encoder"], dim=meta["dim"])
        except Exception:  # anything but a reopened cache is what is counted
            tally["untyped"] += 1
            continue
        tally["lost"] += sum(1 for t in texts[:returned] if key_of("text", t) not in reopened)
    tally["acknowledged"] = returned
    finals = []
    for where in (cache, folder / "fresh"):
        process = embed_run(model, where, source, folder / f"{where.name}.npy")
        try:
            process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            process.kill()
            tally["hangs"] += 1
            return tally
        if process.returncode != 0:
            tally["untyped"] += 1
            return tally
        finals.append(np.load(folder / f"{where.name}.npy"))
    differ = np.abs(finals[0] - finals[1]).max(axis=1) > 1e-5
    tally["lost"] += int(differ[:returned].sum())
    tally["wrong"] = int(differ.sum())
    keys: Counter[bytes] = Counter()
    for line in (cache / "parts.jsonl").read_text(encoding="utf-8").splitlines():
        name = json.loads(line)["name"]  # committed parts only: a kill's orphan is not read
        keys.update(bytes(row) for row in np.load(cache / f"{name}.keys.npy"))
    tally["duplicated"] = sum(1 for n in keys.values() if n > 1)
    return tally
