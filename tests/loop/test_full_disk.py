"""A full disk or a read-only folder is a typed error naming the path and the space needed, and
the state folder resumes once it can be written (issue 30: 16 of 16 CLI failures were raw
``OSError: [Errno 28]``, and webhooks got a plain-text 500)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from autonlp_al import Example, Span
from autonlp_al._files import atomic_write
from autonlp_al.errors import StorageError
from autonlp_al.loop.journal import EventLog
from tests.loop.scripted import TEXTS, learner

_open = Path.open


class Disk:
    """Makes writes to files whose name contains ``name`` fail with ``code`` (after writing
    half of what they were given, as a full disk does) while ``full``."""

    def __init__(self, monkeypatch, name: str, code: int = errno.ENOSPC) -> None:
        self.full, self.name, self.code = True, name, code
        disk = self

        def opened(path: Path, mode: str = "r", *args, **kwargs):
            handle = _open(path, mode, *args, **kwargs)
            if not (disk.full and disk.name in path.name and ("a" in mode or "w" in mode)):
                return handle
            write = handle.write

            def half(data):
                write(data[: len(data) // 2])
                raise OSError(disk.code, "No space left on device" if disk.code == errno.ENOSPC
                              else "Read-only file system")  # fmt: skip

            handle.write = half
            return handle

        monkeypatch.setattr(Path, "open", opened)


def test_an_event_append_on_a_full_disk_names_the_log_and_the_bytes(tmp_path, monkeypatch) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    log.append({"type": "config"})
    disk = Disk(monkeypatch, "events.jsonl")
    with pytest.raises(StorageError, match=r"events.jsonl: no space left .*needs about \d+ bytes"):
        log.append({"type": "selected", "ids": list(range(100))})
    disk.full = False  # space freed: the torn half line is cut, the log goes on
    log.append({"type": "selected", "ids": [1]})
    assert [e["type"] for e in log.read()] == ["config", "selected"]


def test_update_on_a_full_disk_is_typed_and_the_folder_resumes(tmp_path, monkeypatch) -> None:
    state = tmp_path / "state"
    al = learner(state)
    query = al.query()
    answers = [Example(text=e.text, id=e.id, spans=[Span(0, 4, "PER")]) for e in query.examples]
    disk = Disk(monkeypatch, "events.jsonl")
    with pytest.raises(StorageError, match="free some space and run the command again"):
        al.update(answers)
    disk.full = False
    resumed = learner(state)  # a new process after space was freed
    assert resumed.state.open is not None
    assert resumed.state.open.ids == tuple(e.id for e in query.examples)
    round_ = resumed.update(answers)
    assert round_ is not None and round_.n_labeled == 3 and len(learner(state).history) == 1


def test_a_read_only_file_says_so(tmp_path, monkeypatch) -> None:
    def read_only(*_, **__):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("autonlp_al._files.tempfile.mkstemp", read_only)
    with (
        pytest.raises(StorageError, match=r"out.txt: cannot be written .*write access"),
        atomic_write(tmp_path / "out.txt") as f,
    ):
        f.write("hello")
    assert not list(tmp_path.iterdir())


def test_a_webhook_on_a_full_disk_is_a_507_never_said_recorded(tmp_path, monkeypatch) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from autonlp_al.integrations.labelstudio import LabelStudioBackend
    from autonlp_al.integrations.serve import ModelSlot, create_app

    al = learner(tmp_path / "state")
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=al, retrain_every=99)
    app = create_app(ModelSlot(None), labelstudio=backend, state_dir=tmp_path / "state")
    payload = {
        "action": "ANNOTATION_CREATED",
        "annotation": {"id": 1, "task": 7, "result": [], "was_cancelled": False},
        "task": {"id": 7, "data": {"text": TEXTS[0]}},
    }
    payload["annotation"]["result"] = [
        {"from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 4, "labels": ["PER"], "text": "anna"}}
    ]  # fmt: skip
    Disk(monkeypatch, "events.jsonl")
    with TestClient(app) as client:
        reply = client.post("/webhook", json=payload)
    assert reply.status_code == 507 and "no space left" in reply.json()["error"]
    assert al.state.n_untrained == 0  # nothing is said recorded that is not on disk
    assert not any(json.loads(line).get("type") == "annotated"
                   for line in (tmp_path / "state" / "events.jsonl").read_text().splitlines()
                   if line.endswith("}"))  # fmt: skip


def test_a_model_save_on_a_full_disk_keeps_no_half_model_and_resumes(tmp_path, monkeypatch) -> None:
    from autonlp_al.testing import FakeModel

    state = tmp_path / "state"
    al = learner(state)
    query = al.query()
    answers = [Example(text=e.text, id=e.id, spans=[Span(0, 4, "PER")]) for e in query.examples]
    save = FakeModel.save

    def full(self, path):
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "half").write_text("x")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FakeModel, "save", full)
    with pytest.raises(StorageError, match=r"models/round-000: no space left"):
        al.update(answers)
    assert not list((state / "models").glob("*"))  # no half model folder left
    monkeypatch.setattr(FakeModel, "save", save)
    resumed = learner(state)  # the answers were recorded: they wait for training
    assert resumed.state.n_untrained == 3
    round_ = resumed.train_pending()
    assert round_ is not None and round_.n_labeled == 3
