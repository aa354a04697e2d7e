"""The learner's state on disk: an append-only event log that survives ``kill -9``.

Each event is one JSON line, written with a single ``write`` of the whole line, then flushed and
fsynced before the call returns. A line cut off by a kill has no newline at its end: reading stops
before it, and the next append cuts it away first. So the log always reads as a prefix of what was
written, and an event is either wholly recorded or not at all.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import StateError
from ..types import Answer, Example, Span, Token

__all__ = [
    "EVENTS",
    "EventLog",
    "example_from_dict",
    "example_to_dict",
    "is_state",
    "model_path",
]

#: The event log's file name inside a state folder.
EVENTS = "events.jsonl"

# appends from two threads (a server recording answers while a round trains) must not interleave,
# nor one cut the other's line as a torn tail
_APPENDING = threading.Lock()


def example_to_dict(example: Example) -> dict[str, Any]:
    """Every field of an example (origin as a string), for the log."""
    return {
        "text": example.text,
        "id": example.id,
        "labels": list(example.labels),
        "rejected_labels": list(example.rejected_labels),
        "spans": [[s.start, s.end, s.label] for s in example.spans],
        "rejected_spans": [[s.start, s.end, s.label] for s in example.rejected_spans],
        "tokens": None
        if example.tokens is None
        else [[t.text, t.start, t.end, t.ws] for t in example.tokens],
        "complete": example.complete,
        "answer": example.answer.value,
        "meta": dict(example.meta),
    }


def example_from_dict(data: Mapping[str, Any]) -> Example:
    tokens = data.get("tokens")
    return Example(
        text=data["text"],
        id=data["id"],
        labels=data["labels"],
        rejected_labels=data["rejected_labels"],
        spans=[Span(*s) for s in data["spans"]],
        rejected_spans=[Span(*s) for s in data["rejected_spans"]],
        tokens=None if tokens is None else [Token(*t) for t in tokens],
        complete=data["complete"],
        answer=Answer(data["answer"]),
        meta=data["meta"],
    )


def is_state(path: str | Path) -> bool:
    """Whether ``path`` is a learner's state folder (it holds an event log)."""
    return (Path(path) / EVENTS).exists()


def model_path(state_dir: str | Path, model_dir: str) -> Path:
    """Where a round's ``model_dir`` is. Rounds record it relative to the state folder, so a run
    resumed, served or pushed from any working directory loads that run's own model. Logs written
    before that recorded it relative to the working directory of the run; such a path is used as
    it is when no folder of that name is inside the state folder."""
    path = Path(model_dir)
    if path.is_absolute():
        return path
    inside = Path(state_dir) / path
    if inside.exists() or not path.exists():
        return inside
    return path


class EventLog:
    """``events.jsonl`` in a state folder (the only code that parses it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, state_dir: str | Path) -> EventLog:
        """The log of the state folder ``state_dir``."""
        return cls(Path(state_dir) / EVENTS)

    def read(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open("rb") as f:
            for number, line in enumerate(f, start=1):
                if not line.endswith(b"\n"):
                    return  # the tail of an append cut off by a kill
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise StateError(
                        f"{self.path}:{number}: not a JSON event ({exc}); the log was edited "
                        f"by hand or damaged: restore it, or start a new state folder"
                    ) from exc

    def rounds(self) -> list[dict[str, Any]]:
        """The round record of every ``trained`` event, in order."""
        return [e["round_record"] for e in self.read() if e["type"] == "trained"]

    def finals(self) -> list[dict[str, Any]]:
        """The record of every ``finalized`` event (a final model trained), in order."""
        return [e["final_record"] for e in self.read() if e["type"] == "finalized"]

    def append(self, event: Mapping[str, Any]) -> None:
        line = (json.dumps(event, sort_keys=True) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _APPENDING:
            self._drop_torn_tail()
            with self.path.open("ab") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())

    def _drop_torn_tail(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("r+b") as f:
            end = f.seek(0, os.SEEK_END)
            if end == 0:
                return
            f.seek(end - 1)
            if f.read(1) == b"\n":
                return
            position = end
            while position > 0:  # scan back, a block at a time, to the last whole line
                start = max(0, position - 65536)
                f.seek(start)
                block = f.read(position - start)
                newline = block.rfind(b"\n")
                if newline >= 0:
                    f.truncate(start + newline + 1)
                    return
                position = start
            f.truncate(0)
