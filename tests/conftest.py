"""Shared fixtures: a clean environment, and a Prodigy SQLite database builder."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.models import tiny_bert  # noqa: F401  (the fixture, for every test folder)

# Speed is measured by benchmarks/, never by a test: hypothesis' per-example deadline failed tests
# on a machine busy with another job (2 cores), so it is off.
settings.register_profile("autonlp_al", deadline=None)
settings.load_profile("autonlp_al")

# On the core install (nox -s tests_core: no `local` extra) what needs torch and transformers
# cannot run; it is not collected there.
if not (importlib.util.find_spec("torch") and importlib.util.find_spec("transformers")):
    collect_ignore_glob = [
        "trainers/transformers/*",
        "trainers/autotrain/*",
        "trainers/test_contract.py",
        "trainers/frozen/*",
        "loop/test_selector_encoder.py",
        "integrations/test_serve_real.py",
        "test_cli_loop.py",
        "test_cli_train.py",
        "test_docs.py",
    ]

# The Prodigy schema (peewee models Dataset, Example, Link), as Prodigy creates it in SQLite.
PRODIGY_SCHEMA = """
CREATE TABLE dataset (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE,
                      created INTEGER NOT NULL, meta BLOB NOT NULL, session INTEGER NOT NULL);
CREATE TABLE example (id INTEGER NOT NULL PRIMARY KEY, input_hash INTEGER NOT NULL,
                      task_hash INTEGER NOT NULL, content BLOB NOT NULL);
CREATE TABLE link (id INTEGER NOT NULL PRIMARY KEY, example_id INTEGER NOT NULL,
                   dataset_id INTEGER NOT NULL,
                   FOREIGN KEY (example_id) REFERENCES example (id),
                   FOREIGN KEY (dataset_id) REFERENCES dataset (id));
"""

ProdigyDB = Callable[[Mapping[str, Iterable[Mapping[str, Any]]]], Path]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_TOKEN", "HF_ENDPOINT", "HF_HUB_OFFLINE", "PRODIGY_HOME", "AUTONLP_AL_TOKEN",
                 "LABEL_STUDIO_API_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    """The CLI quiets the trainers' logger (a process-wide setting, right for a command); a test
    that runs the CLI must not leave that to the tests after it."""
    import logging

    loggers = [logging.getLogger(n) for n in ("autonlp_al", "autonlp_al.trainers")]
    levels = [logger.level for logger in loggers]
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    root.handlers[:] = handlers
    root.setLevel(root_level)


@pytest.fixture(autouse=True)
def _clean_registries() -> Iterator[None]:
    """Whatever a test registers (a plugin stand-in) is gone after it. The built-in backends are
    imported first, so they are in the snapshot and stay registered."""
    import catalogue

    from autonlp_al import registry

    for kind in registry.KINDS:
        registry.names(kind)
    ours = {k: v for k, v in catalogue.REGISTRY.items() if k[0] == "autonlp_al"}
    yield
    for key in [k for k in catalogue.REGISTRY if k[0] == "autonlp_al"]:
        del catalogue.REGISTRY[key]
    catalogue.REGISTRY.update(ours)


@pytest.fixture
def prodigy_db(tmp_path: Path) -> ProdigyDB:
    """Build a Prodigy database: ``{dataset name: [task, ...]}``; each task is also linked to a
    session dataset named after its ``_session_id``, as Prodigy does."""

    def build(datasets: Mapping[str, Iterable[Mapping[str, Any]]]) -> Path:
        path = tmp_path / "prodigy.db"
        db = sqlite3.connect(path)
        db.executescript(PRODIGY_SCHEMA)
        ids: dict[str, int] = {}

        def dataset_id(name: str, session: bool) -> int:
            if name not in ids:
                cursor = db.execute(
                    "INSERT INTO dataset (name, created, meta, session) VALUES (?, ?, ?, ?)",
                    (name, 1700000000, b"{}", int(session)),
                )
                ids[name] = int(cursor.lastrowid or 0)
            return ids[name]

        for name, tasks in datasets.items():
            dataset_id(name, False)
            for task in tasks:
                cursor = db.execute(
                    "INSERT INTO example (input_hash, task_hash, content) VALUES (?, ?, ?)",
                    (
                        task.get("_input_hash", 0),
                        task.get("_task_hash", 0),
                        json.dumps(task).encode("utf-8"),
                    ),
                )
                example_id = cursor.lastrowid
                db.execute(
                    "INSERT INTO link (example_id, dataset_id) VALUES (?, ?)",
                    (example_id, ids[name]),
                )
                if "_session_id" in task:
                    db.execute(
                        "INSERT INTO link (example_id, dataset_id) VALUES (?, ?)",
                        (example_id, dataset_id(task["_session_id"], True)),
                    )
        db.commit()
        db.close()
        return path

    return build


def write_jsonl(path: Path, records: Iterable[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
