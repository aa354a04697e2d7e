"""The state folder: its layout, and the append-only event log that survives ``kill -9``.

:class:`Journal` is the only code that knows where things lie in a state folder
(``events.jsonl``, ``config.cfg``, ``models/``, ``queries/``) and the only code that reads or
writes events: the learner appends typed events through it and replays them from it; ``serve``,
``report``, ``label`` and ``push`` use its read-only views.

Each event is one JSON line, written with a single ``write`` of the whole line, then flushed and
fsynced before the call returns. A line cut off by a kill has no newline at its end: reading stops
before it, and the next append cuts it away first. So the log always reads as a prefix of what was
written, and an event is either wholly recorded or not at all.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from .._files import storage
from .._values import MAX_DEPTH, bounded, describe, nests_deeper
from ..errors import PoolChangedError, StateError
from ..types import Example, example_from_dict, example_to_dict
from .lock import claim
from .records import Final, OpenQuery, Round

__all__ = [
    "CONFIG_FILE",
    "EVENTS",
    "Annotated",
    "EventLog",
    "Finalized",
    "Journal",
    "Selected",
    "Trained",
    "is_state",
    "model_path",
]

#: The event log's file name inside a state folder.
EVENTS = "events.jsonl"
#: The loop config's file name inside a state folder.
CONFIG_FILE = "config.cfg"
#: The folder of query files inside a state folder (``round-NNN.jsonl``).
QUERIES = "queries"

# appends from two threads (a server recording answers while a round trains) must not interleave,
# nor one cut the other's line as a torn tail
_APPENDING = threading.Lock()

log = logging.getLogger("autonlp_al.loop.journal")


def _decode_deep(line: bytes) -> Any:
    """Decode a line that nests deeper than the caller's stack allows (a log written before
    values were bounded): in a thread of its own with a large stack and recursion limit."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def decode() -> None:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20_000))
        try:
            result.append(json.loads(line))
        except (ValueError, RecursionError) as exc:
            failure.append(exc)
        finally:
            sys.setrecursionlimit(limit)

    size = threading.stack_size(256 * 1024 * 1024)
    try:
        thread = threading.Thread(target=decode, name="autonlp_al-decode")
        thread.start()
    finally:
        threading.stack_size(size)
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


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
                yield self._decoded(line, number)

    def _decoded(self, line: bytes, number: int) -> dict[str, Any]:
        try:
            try:
                event = json.loads(line)
            except RecursionError:  # a value nested deeper than this stack can decode
                event = _decode_deep(line)
        except (ValueError, RecursionError) as exc:
            raise StateError(
                f"{self.path}:{number}: not a JSON event ({type(exc).__name__}: "
                f"{describe(str(exc), 80)}); the log was edited by hand or damaged: restore it, "
                f"or start a new state folder"
            ) from exc
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise StateError(
                f"{self.path}:{number}: not an event (found {describe(event)}); the log was "
                f"edited by hand or damaged: restore it, or start a new state folder"
            )
        if not nests_deeper(line):  # a line a 0.2 log may hold deeper is cut on the way in
            return event
        bounded_event, cut = bounded(event)  # written before values were bounded (0.2)
        if cut:
            log.warning("%s:%d: %d values nested over %d deep kept as their description",
                        self.path, number, cut, MAX_DEPTH)  # fmt: skip
        return bounded_event  # type: ignore[no-any-return]

    def rounds(self) -> list[dict[str, Any]]:
        """The round record of every ``trained`` event, in order."""
        return [e["round_record"] for e in self.read() if e["type"] == "trained"]

    def finals(self) -> list[dict[str, Any]]:
        """The record of every ``finalized`` event (a final model trained), in order."""
        return [e["final_record"] for e in self.read() if e["type"] == "finalized"]

    def append(self, event: Mapping[str, Any]) -> None:
        """Write ``event`` as one line, fsynced. Values from input nested over
        :data:`~autonlp_al._values.MAX_DEPTH` levels are kept as their description (and
        counted in a warning), so every line written can be read back from any stack."""
        event, cut = bounded(event)
        if cut:
            log.warning("%s: %d values nested over %d deep kept as their description",
                        self.path, cut, MAX_DEPTH)  # fmt: skip
        line = (json.dumps(event, sort_keys=True) + "\n").encode("utf-8")
        with _APPENDING, storage(self.path, needs=len(line)):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._drop_torn_tail()
            with self.path.open("ab") as f:  # a write cut short is a torn tail: cut next time
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


# -- typed events ----------------------------------------------------------------------------


@attrs.frozen
class Selected:
    """A batch was selected (and not yet answered)."""

    query: OpenQuery
    strategy: str
    seed: str


@attrs.frozen
class Annotated:
    """Answers were recorded: to the open query, or ``unasked`` (a tool's own choice of task)."""

    round: int
    examples: tuple[Example, ...]
    unasked: bool = False


@attrs.frozen
class Trained:
    """A round's model was trained and saved."""

    record: Round


@attrs.frozen
class Finalized:
    """A final model was trained and saved."""

    record: Final


Event = Selected | Annotated | Trained | Finalized


def _typed(event: Mapping[str, Any]) -> Event:
    kind = event["type"]
    if kind == "selected":
        return Selected(
            OpenQuery(event["round"], event["ids"], event["scores"]),
            event.get("strategy", ""),
            event.get("seed", ""),
        )
    if kind == "annotated":
        examples = tuple(example_from_dict(data) for data in event["examples"])
        return Annotated(event["round"], examples, bool(event.get("unasked")))
    if kind == "trained":
        return Trained(Round(**event["round_record"]))
    if kind == "finalized":
        return Finalized(Final(**event["final_record"]))
    raise StateError(f"unknown event type {kind!r}; the log was written by a newer version")


class Journal:
    """A state folder: where its files lie, its events (typed), and read-only views of them."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.log = EventLog.of(self.root)

    # -- layout --------------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    def query_path(self, round_: int) -> Path:
        """Where ``query`` writes round ``round_``'s tasks."""
        return self.root / QUERIES / f"round-{round_:03d}.jsonl"

    def model_folder(self, name: str) -> Path:
        """The folder a model named ``round-NNN`` or ``final-NNN`` is saved in."""
        return self.root / "models" / name

    def model_path(self, model_dir: str) -> Path:
        """Where a record's ``model_dir`` is (see :func:`model_path`)."""
        return model_path(self.root, model_dir)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    @classmethod
    def of_query_file(cls, tasks: str | Path) -> Journal | None:
        """The state folder whose ``queries/`` holds the task file ``tasks``, if it is one."""
        folder = Path(tasks).absolute().parent
        if folder.name == QUERIES and is_state(folder.parent):
            return cls(folder.parent)
        return None

    # -- events --------------------------------------------------------------------------------

    def config(self) -> dict[str, Any] | None:
        """The config event's settings (the first event), or ``None`` for a new folder."""
        for event in self.log.read():
            return {k: v for k, v in event.items() if k != "type"}
        return None

    def open(self, settings: Mapping[str, Any], *, pool_uri: str) -> bool:
        """Start a new folder with ``settings``, or check a folder's settings are these; ``True``
        when there are events to replay. Raises :class:`StateError` naming the settings that
        differ (:class:`~autonlp_al.errors.PoolChangedError` when only a pool on disk's files
        did). The folder is this process's to write from now on
        (:func:`~autonlp_al.loop.lock.claim`): :class:`~autonlp_al.errors.StateLockedError`
        names the process that writes it, if another does."""
        claim(self, self.root)
        stored = self.config()
        if stored is None:
            self.start(settings)
            return False
        if stored != settings:
            differ = sorted(k for k in settings if stored.get(k) != settings[k])
            if differ == ["pool"] and "pool_uri" in settings:
                raise PoolChangedError(
                    f"{pool_uri}: the pool's files changed since {self.root} was made (size, "
                    f"time or sampled bytes differ), so its ids may name other rows; restore the "
                    f"files, or start a new state folder for the new pool"
                )
            raise StateError(
                f"{self.root} was made by another configuration (differs in: "
                f"{', '.join(differ)}); resume with the same parts, or use a new state_dir"
            )
        return True

    def replay(self) -> Iterator[Event]:
        """Every event after the config, typed, in the order written."""
        events = self.log.read()
        next(events, None)
        for event in events:
            yield _typed(event)

    def start(self, config: Mapping[str, Any]) -> None:
        self.log.append({"type": "config", **config})

    def selected(self, query: OpenQuery, *, strategy: str, seed: str) -> None:
        self.log.append(
            {
                "type": "selected",
                "round": query.round,
                "ids": list(query.ids),
                "scores": list(query.scores),
                "strategy": strategy,
                "seed": seed,
            }
        )

    def annotated(self, round_: int, examples: Any, *, unasked: bool = False) -> None:
        event: dict[str, Any] = {
            "type": "annotated",
            "round": round_,
            "examples": [example_to_dict(e) for e in examples],
        }
        if unasked:
            event["unasked"] = True
        self.log.append(event)

    def trained(self, record: Round) -> None:
        self.log.append(
            {"type": "trained", "round": record.round, "round_record": record.to_dict()}
        )

    def finalized(self, record: Final) -> None:
        self.log.append({"type": "finalized", "final_record": record.to_dict()})

    # -- read-only views -----------------------------------------------------------------------

    def rounds(self) -> list[dict[str, Any]]:
        """The round record of every ``trained`` event, in order."""
        return self.log.rounds()

    def finals(self) -> list[dict[str, Any]]:
        """The record of every ``finalized`` event, in order."""
        return self.log.finals()

    def served(self) -> dict[str, Any] | None:
        """What this folder serves and pushes, the one rule: its latest final model (its record
        with ``"final": True`` and the round it followed) when that checkpoint chose it, else
        its latest round's model (with ``"shipped_at"``: the final checkpoint that chose the
        selector); ``None`` before any. One pass over the log (``serve`` polls it)."""
        last_round = last_final = None
        for event in self.log.read():
            if event["type"] == "trained":
                last_round = event["round_record"]
            elif event["type"] == "finalized":
                last_final = event["final_record"]
        shipped = ((last_final or {}).get("choice") or {}).get("winner", "final")
        if last_final is not None and (shipped == "final" or last_round is None):
            return {**last_final, "final": True, "round": last_final["rounds"] - 1}
        if last_final is not None and last_round is not None:  # it chose the selector
            return {**last_round, "shipped_at": last_final["index"]}
        return last_round
