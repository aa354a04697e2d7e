"""Prodigy annotations: a Prodigy SQLite database (read-only) or a ``prodigy db-out`` JSONL file.

Prodigy is never imported. Every task is one annotation decision; decisions on the same input
(``_input_hash``) are merged into one :class:`Example`:

- manual NER (``ner_manual`` / ``spans_manual``, ``ner.manual`` and ``ner.correct``): the accepted
  spans are the complete annotation (``complete=True``); a later accept replaces an earlier one
  (counted as adjusted); a rejected manual task means "unusable" and is skipped (counted).
- binary NER (``ner``, ``ner.teach``): an accepted span joins ``spans``, a rejected one joins
  ``rejected_spans``; everything else stays unknown (``complete=False``).
- binary textcat (``classification``): ``label`` joins ``labels`` or ``rejected_labels``.
- choice (``choice``, ``textcat.manual``): the ``accept`` list is the labels.
- ``ignore`` answers are skipped and counted.
"""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import srsly

from .._values import describe
from ..errors import DatasetNotFoundError, SourceError
from ..registry import sources
from ..report import Report
from ..types import ID_KEY, Answer, Example, Origin, Span, parse_id, text_hash
from .base import (
    OnError,
    existing,
    guarded,
    iter_jsonl,
    jsonl_value,
    parse_spans,
    parse_tokens,
    require_object,
)
from .fastjson import input_hash_reader

__all__ = ["ProdigySource", "task_id", "task_kind"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_MANUAL_VIEWS = {"ner_manual", "spans_manual"}


def task_kind(task: Mapping[str, Any]) -> str:
    """``manual``, ``binary`` (NER), ``classification`` or ``choice``, from ``_view_id`` or shape."""
    view = task.get("_view_id")
    if view in _MANUAL_VIEWS:
        return "manual"
    if view in ("ner", "classification", "choice"):
        return "binary" if view == "ner" else str(view)
    if isinstance(task.get("accept"), list):
        return "choice"
    if "spans" in task:
        return "manual" if task.get("tokens") is not None else "binary"
    if "label" in task:
        return "classification"
    return "manual"  # a bare text: an accepted manual task with no entities


@sources.register("prodigy.v1")
@attrs.define(kw_only=True)
class ProdigySource:
    """Merged examples from Prodigy.

    Args:
        path: a Prodigy SQLite database (``prodigy.db``) or a ``db-out`` JSONL file.
        dataset: the dataset to read; required for a database.
        sessions: only tasks whose ``_session_id`` is one of these (others counted as skipped).
        answers: which answers to use; ``ignore`` is always skipped.
        on_error: ``raise`` at the first bad task, or ``skip`` and count it.
    """

    path: Path = attrs.field(converter=Path)
    dataset: str | None = None
    sessions: frozenset[str] | None = attrs.field(
        default=None, converter=attrs.converters.optional(frozenset)
    )
    answers: frozenset[str] = attrs.field(default=("accept", "reject"), converter=frozenset)
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)

    def read(self) -> Iterator[Example]:
        path = existing(self.path)
        with path.open("rb") as f:
            is_db = f.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
        if not is_db:
            yield from self._merged(self._jsonl_tasks(path), self._jsonl_counts(path))
            return
        with _database_errors(path):
            dataset_id = self._dataset_id(path)
            counts, tasks = self._db_counts(path, dataset_id), self._db_tasks(path, dataset_id)
            yield from self._merged(tasks, counts)

    def read_tasks(self, tasks: Sequence[Mapping[str, Any]]) -> Iterator[Example]:
        """Merge tasks already in memory (e.g. the answers Prodigy hands a recipe's ``update``)
        exactly as :meth:`read` merges a file's; origins are ``<path>:<position>``."""
        items = [_task(Origin(str(self.path), n), t) for n, t in enumerate(tasks, start=1)]
        yield from self._merged(items, Counter(_input_hash(t) for _, t in items))

    # -- reading tasks ------------------------------------------------------------------------

    # Two passes: first count the decisions per input, so that an input with one decision (the
    # usual case) streams straight through and only inputs with several wait for their last one.

    def _jsonl_counts(self, path: Path) -> Counter[int]:
        counts: Counter[int] = Counter()
        read_keys = input_hash_reader()
        if read_keys is not None:  # most lines: the key without parsing the task
            return _counted_keys(path, read_keys)
        for origin, value in iter_jsonl(path):
            task = guarded(OnError.SKIP, Report(), origin, require_object, origin, value)
            if task is not None:
                counts[_input_hash(task)] += 1
        return counts

    def _jsonl_tasks(self, path: Path) -> Iterator[tuple[Origin, Mapping[str, Any]] | None]:
        for origin, value in iter_jsonl(path):
            yield guarded(self.on_error, self.report, origin, _task, origin, value)

    def _db_counts(self, path: Path, dataset_id: int) -> Counter[int]:
        counts: Counter[int] = Counter()
        for _, content in _rows(path, dataset_id):
            with contextlib.suppress(SourceError):  # the second pass reports it
                counts[_input_hash(_db_task(Origin(str(path)), content)[1])] += 1
        return counts

    def _db_tasks(
        self, path: Path, dataset_id: int
    ) -> Iterator[tuple[Origin, Mapping[str, Any]] | None]:
        for row_id, content in _rows(path, dataset_id):
            origin = Origin(f"{path}#{self.dataset}", row_id)
            yield guarded(self.on_error, self.report, origin, _db_task, origin, content)

    def _dataset_id(self, path: Path) -> int:
        if self.dataset is None:
            raise SourceError(
                f"{path}: a Prodigy database holds many datasets; pass dataset= "
                f"(--dataset) with one of: {', '.join(_datasets(path))}"
            )
        with _readonly(path) as connection:
            row = connection.execute(
                "SELECT id FROM dataset WHERE name = ?", (self.dataset,)
            ).fetchone()
        if row is None:
            raise DatasetNotFoundError(
                f"{path}: no dataset {self.dataset!r}; available: {', '.join(_datasets(path))}. "
                f"Check the name given to --dataset (Prodigy's `prodigy stats -l` lists them)"
            )
        return int(row[0])

    # -- merging decisions --------------------------------------------------------------------

    def _merged(
        self, tasks: Iterable[tuple[Origin, Mapping[str, Any]] | None], counts: Counter[int]
    ) -> Iterator[Example]:
        pending: dict[int, list[tuple[Origin, Mapping[str, Any]]]] = {}
        for item in tasks:
            if item is None:  # a bad task, already counted under on_error=skip
                continue
            origin, task = item
            self.report.count("tasks")
            key = _input_hash(task)
            counts[key] -= 1
            if self._wanted(origin, task):
                pending.setdefault(key, []).append((origin, task))
            if counts[key] > 0 or key not in pending:
                continue
            group = pending.pop(key)
            example = guarded(self.on_error, self.report, group[0][0], self._merge, group)
            if example is not None:
                self.report.count("examples")
                yield example
        for group in pending.values():  # only if the counts were off (a file changed while read)
            example = guarded(self.on_error, self.report, group[0][0], self._merge, group)
            if example is not None:
                self.report.count("examples")
                yield example

    def _wanted(self, origin: Origin, task: Mapping[str, Any]) -> bool:
        answer = task.get("answer", "accept")
        session = task.get("_session_id")
        reason = None
        problem = None
        if not isinstance(answer, str) or answer not in ("accept", "reject", "ignore"):
            problem = f"answer {describe(answer)} is not accept, reject or ignore"
        elif session is not None and not isinstance(session, str):
            problem = f"'_session_id' must be a string, got {describe(session)}"
        if problem is not None:  # raised, or counted under on_error=skip, like any bad task
            guarded(self.on_error, self.report, origin, _refuse, problem)
            return False
        if answer == "ignore":
            reason = "answer ignore"
        elif answer not in self.answers:
            reason = f"answer {answer} not requested"
        elif self.sessions is not None and session not in self.sessions:
            reason = "other session"
        if reason is None:
            return True
        self.report.skip(reason, origin, f"{str(task.get('text', ''))[:60]!r}")
        return False

    def _merge(self, group: list[tuple[Origin, Mapping[str, Any]]]) -> Example | None:
        first_origin, first = group[0]
        text = first.get("text")
        if not isinstance(text, str):
            raise SourceError(f"{first_origin}: task has no 'text' string (keys: {sorted(first)})")
        manual: tuple[Origin, list[Span], Any] | None = None
        spans: dict[Span, Origin] = {}
        rejected: dict[Span, Origin] = {}
        labels: list[str] = []
        rejected_labels: list[str] = []
        tokens = None
        binary_seen = False
        for origin, task in group:
            if task.get("text") != text:
                raise SourceError(f"{origin}: same _input_hash as {first_origin} but another text")
            kind = task_kind(task)
            accepted = task.get("answer", "accept") == "accept"
            task_tokens = parse_tokens(origin, task.get("tokens"))
            tokens = task_tokens or tokens
            if kind == "manual":
                if not accepted:
                    self.report.skip("rejected manual annotation", origin, f"{text[:60]!r}")
                    continue
                if manual is not None:
                    self.report.adjust(
                        "a later manual answer replaced an earlier one",
                        origin,
                        f"earlier at {manual[0]}",
                    )
                manual = (origin, parse_spans(origin, task.get("spans"), task_tokens), task_tokens)
            elif kind == "binary":
                binary_seen = True
                label = task.get("label")
                for span in parse_spans(
                    origin,
                    task.get("spans"),
                    task_tokens,
                    label=label if isinstance(label, str) else None,
                ):
                    (spans if accepted else rejected)[span] = origin
                    (rejected if accepted else spans).pop(span, None)
            elif kind == "classification":
                label = task.get("label")
                if not isinstance(label, str) or not label:
                    raise SourceError(f"{origin}: classification task without a 'label' string")
                (labels if accepted else rejected_labels).append(label)
            else:  # choice
                if not accepted:
                    self.report.skip("rejected choice task", origin, f"{text[:60]!r}")
                    continue
                chosen = task.get("accept") or []
                if not isinstance(chosen, list) or not all(
                    isinstance(c, str | int) for c in chosen
                ):
                    raise SourceError(
                        f"{origin}: 'accept' must list option ids, got {describe(chosen)}"
                    )
                labels = [str(c) for c in chosen]
                if not chosen:  # "none of these apply": a negative for every option offered
                    options = _option_ids(origin, task.get("options"))
                    if not options:
                        self.report.skip(_NO_OPTIONS, origin, repr(text[:60]))
                        continue
                    rejected_labels = options
                    self.report.adjust(_NONE_CHOSEN, origin, repr(text[:60]))
        if manual is not None:
            if binary_seen:
                self.report.adjust(
                    "binary answers superseded by a manual annotation", manual[0], f"{text[:60]!r}"
                )
            span_list, complete, tokens = manual[1], True, manual[2]
        else:
            span_list, complete = list(spans), not binary_seen
            if not binary_seen and not labels and not rejected_labels:
                return None  # every decision was skipped, and each one counted
        return Example(
            text=text,
            id=task_id(first),
            labels=tuple(dict.fromkeys(labels)),
            rejected_labels=tuple(dict.fromkeys(rejected_labels)),
            spans=span_list,
            rejected_spans=list(rejected) if manual is None else [],
            tokens=tokens,
            complete=complete,
            answer=Answer.ACCEPT,
            meta=dict(first["meta"]) if isinstance(first.get("meta"), Mapping) else {},
            origin=first_origin,
        )


def _refuse(problem: str) -> None:
    raise SourceError(problem)


_NONE_CHOSEN = "nothing selected: every option recorded as rejected"
_NO_OPTIONS = "accepted choice with nothing selected and no options"


def _option_ids(origin: Origin, options: Any) -> list[str]:
    """The ids of a choice task's ``options`` (``[{"id": ..., "text": ...}, ...]``)."""
    if options is None:
        return []
    if not isinstance(options, list) or not all(
        isinstance(o, Mapping) and isinstance(o.get("id"), str | int) for o in options
    ):
        raise SourceError(
            f"{origin}: 'options' must be a list of {{'id': ..., 'text': ...}}, got {describe(options)}"
        )
    return [str(o["id"]) for o in options]


def task_id(task: Mapping[str, Any]) -> int:
    """The example a Prodigy task is about: the id we wrote in ``meta["autonlp_al_id"]``, else
    the task's ``_input_hash``, else the text's hash."""
    meta = task.get("meta")
    ours = parse_id(meta.get(ID_KEY)) if isinstance(meta, Mapping) else None
    if ours is not None:
        return ours
    return _input_hash(task)


def _input_hash(task: Mapping[str, Any]) -> int:
    value = task.get("_input_hash")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = task.get("text", "")
    return text_hash(text if isinstance(text, str) else describe(text))


def _counted_keys(path: Path, read_keys: Callable[[bytes], tuple[Any, Any] | None]) -> Counter[int]:
    """Decisions per input key, as :func:`_input_hash` would key each parsed task; a line the
    quick reader cannot key is parsed whole, and a line that is no task is not counted."""
    counts: Counter[int] = Counter()
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            keys = read_keys(raw)
            if keys is not None:
                value, text = keys
                if type(value) is int:
                    counts[value] += 1
                    continue
                if value is None and type(text) is str:
                    counts[text_hash(text)] += 1
                    continue
            task = jsonl_value(Origin(str(path), number), raw)
            if isinstance(task, Mapping):
                counts[_input_hash(task)] += 1
    return counts


def _task(origin: Origin, value: Any) -> tuple[Origin, Mapping[str, Any]]:
    return origin, require_object(origin, value)


def _db_task(origin: Origin, content: Any) -> tuple[Origin, Mapping[str, Any]]:
    return _task(origin, _loads(origin, content))


def _loads(origin: Origin, content: Any) -> Any:
    try:
        raw = content.decode("utf-8") if isinstance(content, bytes) else str(content)
        return srsly.json_loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SourceError(f"{origin}: the task content is not valid JSON ({exc!r:.80})") from exc


def _datasets(path: Path) -> list[str]:
    try:
        with _readonly(path) as connection:
            rows = connection.execute(
                "SELECT name FROM dataset WHERE session = 0 OR session IS NULL ORDER BY name"
            ).fetchall()
    except sqlite3.DatabaseError:
        return []
    return [bytes(name).decode("utf-8", "replace") for (name,) in rows]


@contextlib.contextmanager
def _readonly(path: Path) -> Iterator[sqlite3.Connection]:
    # mode=ro: this reader can never write to, or hold a write lock on, a running Prodigy's DB.
    # The path is percent-quoted: in a bare URI `a#1.db` would open (read-write) the file `a`.
    uri = f"file:{urllib.parse.quote(str(path.absolute()))}?mode=ro"
    connection = sqlite3.connect(uri, uri=True)
    # bytes: a text value that is not UTF-8 (a damaged row) fails in _loads for that row alone,
    # instead of inside sqlite3 for the whole read
    connection.text_factory = bytes
    try:
        yield connection
    finally:
        connection.close()


# Rows are read in pages, each page a statement run to its end: SQLite holds a reader's shared
# lock only while a statement is open, so a slowly consumed read() never blocks Prodigy's commits
# for longer than one page takes to fetch.
_PAGE = 500


def _rows(path: Path, dataset_id: int) -> Iterator[tuple[int, Any]]:
    """``(example id, content)`` of the dataset's tasks in id order, one short read per page."""
    after = -1
    with _readonly(path) as connection:
        while True:
            page = connection.execute(
                "SELECT e.id, e.content FROM example e JOIN link l ON l.example_id = e.id "
                "WHERE l.dataset_id = ? AND e.id > ? ORDER BY e.id LIMIT ?",
                (dataset_id, after, _PAGE),
            ).fetchall()
            yield from page
            if len(page) < _PAGE:
                return
            after = page[-1][0]


@contextlib.contextmanager
def _database_errors(path: Path) -> Iterator[None]:
    """SQLite's errors as :class:`SourceError` s that say which of the usual causes it is."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if "locked" in message or "busy" in message:
            raise SourceError(
                f"{path}: the database is locked by another process ({message}); "
                f"retry when Prodigy has finished saving"
            ) from exc
        if "no such table" in message or "no such column" in message:
            raise SourceError(
                f"{path}: not a Prodigy database ({message}); expected the tables dataset, "
                f"example and link that Prodigy creates"
            ) from exc
        raise SourceError(
            f"{path}: cannot read the database ({message}); check that the file is readable, "
            f"and its folder too (SQLite opens journal files beside it)"
        ) from exc
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # corrupt, encrypted, not SQLite
        raise SourceError(
            f"{path}: the database is damaged or not a Prodigy database ({exc}); check it with "
            f"`sqlite3 {path} 'PRAGMA integrity_check'`, or export with `prodigy db-out` and "
            f"read the JSONL file"
        ) from exc
