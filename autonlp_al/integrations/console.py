"""Label a query's tasks in the terminal, for when no annotation tool is at hand (a first try, a
server over SSH). Reads the Prodigy task file ``query`` wrote and appends Prodigy-style answers
(``db-out`` JSONL) that ``update --from prodigy`` reads, so the loop is the same as with Prodigy.

Text classification: pick a number (Enter takes the model's guess). NER: Enter accepts the
model's entities as the complete annotation, ``e`` types them as ``phrase=LABEL; ...``. ``s``
skips a task (recorded as Prodigy's ``ignore``, counted as ``ignored``), ``q`` stops; a rerun
asks only what is left.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import srsly

from .._values import describe
from ..errors import AutoNLPALError, SourceError
from ..report import Report
from ..sources.base import iter_jsonl, parse_tokens, require_object
from ..sources.prodigy import task_id
from ..types import _str_tuple

__all__ = ["ConsoleAnnotator", "parse_entities"]


class _Quit(Exception):
    pass


def parse_entities(
    text: str, line: str, labels: Sequence[str], tokens: Sequence[Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    """``"Tim Cook=PERSON; Apple=ORG"`` as Prodigy spans: each phrase at its first occurrence
    not already taken, on token boundaries when the task has tokens. Raises ``ValueError`` with
    what to retype."""
    starts = {t["start"]: i for i, t in enumerate(tokens or ())}
    ends = {t["end"]: i for i, t in enumerate(tokens or ())}
    spans: list[dict[str, Any]] = []
    for item in filter(None, (part.strip() for part in line.split(";"))):
        phrase, sep, label = item.rpartition("=")
        phrase, label = phrase.strip(), label.strip()
        if not sep or not phrase:
            raise ValueError(f"{item!r}: write an entity as phrase=LABEL")
        if label not in labels:
            raise ValueError(f"{item!r}: {label!r} is not a label; labels: {', '.join(labels)}")
        at = 0
        while True:
            start = text.find(phrase, at)
            if start < 0:
                raise ValueError(f"{phrase!r} is not in the text (or every occurrence is taken)")
            end = start + len(phrase)
            taken = any(start < s["end"] and s["start"] < end for s in spans)
            if not taken and (tokens is None or (start in starts and end in ends)):
                break
            at = start + 1
        span: dict[str, Any] = {"start": start, "end": end, "label": label}
        if tokens is not None:
            span.update(token_start=starts[start], token_end=ends[end])
        spans.append(span)
    return sorted(spans, key=lambda s: s["start"])


@attrs.define(kw_only=True)
class ConsoleAnnotator:
    """Asks for an answer to each task in the terminal.

    Args:
        labels: the entity labels (NER); classification tasks carry their own ``options``.
        ask: reads one answer (``input`` by default; a test passes a script).
        show: prints one block of text.
        max_chars: longer texts are cut in the middle, showing the start and the end.
    """

    labels: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    ask: Callable[[str], str] = input
    show: Callable[[str], None] = print
    max_chars: int = 1500
    report: Report = attrs.field(factory=Report)

    def annotate(self, tasks: str | Path, answers: str | Path) -> Report:
        """Ask about every task of ``tasks`` not yet in ``answers``; append each answer at once
        (flushed to disk), so a stop loses nothing. Returns the counts."""
        tasks, answers = Path(tasks), Path(answers)
        todo = [_task(origin, value) for origin, value in iter_jsonl(_existing(tasks))]
        done = _answered(answers)
        left = [t for t in todo if task_id(t) not in done]
        if len(todo) > len(left):
            self.report.count("already answered", len(todo) - len(left))
        answers.parent.mkdir(parents=True, exist_ok=True)
        with answers.open("a", encoding="utf-8") as out:
            for number, task in enumerate(left, start=1):
                try:
                    answer = self._one(task, f"[{number}/{len(left)}]")
                except _Quit:
                    break
                out.write(srsly.json_dumps(answer) + "\n")
                out.flush()
                os.fsync(out.fileno())
                self.report.count("answered" if answer["answer"] == "accept" else "ignored")
        given = self.report.counts["answered"] + self.report.counts["ignored"]
        self.report.count("left", len(left) - given)
        return self.report

    # -- one task -----------------------------------------------------------------------------

    def _one(self, task: Mapping[str, Any], where: str) -> dict[str, Any]:
        score = task.get("meta", {}).get("score")
        self.show(f"\n{where}" + (f"  score {score:.3f}" if isinstance(score, float) else ""))
        self.show(self._cut(task["text"]))
        if task.get("options"):
            return self._choice(task)
        return self._entities(task)

    def _choice(self, task: Mapping[str, Any]) -> dict[str, Any]:
        options = [str(o["id"]) for o in task["options"]]
        guess = next((x for x in task.get("accept") or () if x in options), None)
        for i, option in enumerate(options, start=1):
            self.show(f"  {i}  {option}" + ("   <- the model's guess" if option == guess else ""))
        enter = f", Enter = {guess}" if guess else ""
        while True:
            reply = self._ask(f"1-{len(options)}{enter}, s = skip, q = quit > ")
            if reply == "s":
                return {**task, "answer": "ignore", "_view_id": "choice"}
            chosen = guess if reply == "" else None
            if reply.isdigit() and 1 <= int(reply) <= len(options):
                chosen = options[int(reply) - 1]
            if chosen:
                return {**task, "accept": [chosen], "answer": "accept", "_view_id": "choice"}
            self.show(
                f"  type a number from 1 to {len(options)}" + (" or press Enter" * bool(guess))
            )

    def _entities(self, task: Mapping[str, Any]) -> dict[str, Any]:
        if not self.labels:
            raise AutoNLPALError(
                "NER tasks need the label set: pass --labels (or answer inside a state folder, "
                "whose config.cfg names them)"
            )
        spans = list(task.get("spans") or ())
        marked = ", ".join(f"{task['text'][s['start'] : s['end']]}={s['label']}" for s in spans)
        self.show(f"  entities: {marked or '(none)'}")
        while True:
            reply = self._ask("Enter = these are right, e = type them, s = skip, q = quit > ")
            if reply == "s":
                return {**task, "answer": "ignore", "_view_id": "ner_manual"}
            if reply == "":
                return {**task, "spans": spans, "answer": "accept", "_view_id": "ner_manual"}
            if reply == "e":
                hint = f"labels: {', '.join(self.labels)}; nothing = no entities"
                line = self._ask(f"phrase=LABEL; ... ({hint}) > ")
                try:
                    spans = parse_entities(task["text"], line, self.labels, task.get("tokens"))
                except ValueError as exc:
                    self.show(f"  {exc}; try again")
                    continue
                return {**task, "spans": spans, "answer": "accept", "_view_id": "ner_manual"}

    def _ask(self, prompt: str) -> str:
        try:
            reply = self.ask(prompt).strip()
        except EOFError:  # input closed: stop as with q
            raise _Quit from None
        if reply == "q":
            raise _Quit
        return reply

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        half = self.max_chars // 2
        return f"{text[:half]}\n  [... {len(text) - 2 * half} characters ...]\n{text[-half:]}"


def _task(origin: Any, value: Any) -> Mapping[str, Any]:
    """A task as ``query`` writes it: ``text`` (and the example id in ``meta``), and ``options``
    (a list of ``{"id": ...}``) for classification; anything else is named with its file and
    line."""
    task = require_object(origin, value)
    options = task.get("options")
    if not isinstance(task.get("text"), str):
        problem = "needs a 'text' string"
    elif options is not None and not (
        isinstance(options, list) and all(isinstance(o, Mapping) and "id" in o for o in options)
    ):
        problem = f"'options' must be a list of {{'id': ...}} objects, got {describe(options)}"
    else:
        parse_tokens(origin, task.get("tokens"))  # NER entities are placed on these
        return task
    raise SourceError(
        f"{origin}: not a task as autonlp-al query writes it ({problem}); label the file query "
        f"wrote (DIR/queries/round-NNN.jsonl)"
    )


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise SourceError(f"{path}: no such task file; `autonlp-al query` writes one")
    return path


def _answered(path: Path) -> set[Any]:
    """The example id (:func:`~autonlp_al.sources.prodigy.task_id`) of every answer already in
    ``path``; a line torn by a kill is cut."""
    if not path.exists():
        return set()
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        path.write_bytes(raw[: raw.rfind(b"\n") + 1])
    done = set()
    for origin, value in iter_jsonl(path):
        done.add(task_id(require_object(origin, value)))
    return done
