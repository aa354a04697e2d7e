"""JSONL writers: tags (IOB/BILOU), the AutoNLP / AutoTrain formats, Prodigy tasks."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import srsly

from ..converters.base import MISSING
from ..converters.convert import Converter, spans_from_tags
from ..converters.tokenize import covering_tokens
from ..errors import ConversionError
from ..registry import writers
from ..report import Report
from ..types import ID_KEY, Example, _str_tuple, id_value
from .base import atomic_write
from .parallel import parallel_lines

__all__ = ["AutoTrainWriter", "ProdigyWriter", "TagsWriter"]


def _where(example: Example) -> str:
    return f"{example.origin}: " if example.origin else ""


@writers.register("tags.v1")
@attrs.define(kw_only=True)
class TagsWriter:
    """``{"id", "tokens": [...], "tags": [...]}`` per line, in the converter's scheme (``iob`` or
    ``bilou``). Unknown tokens of partial examples keep the ``-`` tag."""

    converter: Converter = attrs.field(factory=Converter)
    workers: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    report: Report = attrs.field(factory=Report)

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        with atomic_write(path) as f:
            reports = [self.report, self.converter.report]
            prepare = self.converter.prepare
            for line in parallel_lines(examples, self._line, reports, self.workers, prepare):
                f.write(f"{line}\n")
                self.report.count("written")
        return self.report

    def _line(self, example: Example) -> str:
        sentence = self.converter.convert(example)
        record = {"id": sentence.id, "tokens": list(sentence.words), "tags": list(sentence.tags)}
        return str(srsly.json_dumps(record))


@writers.register("autotrain.v1")
@attrs.define(kw_only=True)
class AutoTrainWriter:
    """The JSONL AutoNLP / AutoTrain upload by hand: ``{"tokens", "tags"}`` (IOB2 string tags) for
    token classification, ``{"text", "target"}`` for text classification.

    ``task="auto"`` picks from the first example: labels and no spans -> text classification.
    AutoTrain needs every token tagged, so a partial example raises unless the converter was made
    with ``unknown="outside"``.
    """

    converter: Converter = attrs.field(factory=Converter)
    task: str = attrs.field(
        default="auto", validator=attrs.validators.in_(("auto", "ner", "textcat"))
    )
    workers: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    report: Report = attrs.field(factory=Report)

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        stream = iter(examples)
        first = next(stream, None)
        task = self.task
        if task == "auto" and first is not None:
            task = "textcat" if first.labels and not first.spans else "ner"
        make = self._textcat if task == "textcat" else self._ner

        def line(example: Example) -> str | None:
            record = make(example)
            return None if record is None else str(srsly.json_dumps(record))

        everything = stream if first is None else itertools.chain([first], stream)
        with atomic_write(path) as f:
            reports = [self.report, self.converter.report]
            prepare = self.converter.prepare if make == self._ner else None
            for text in parallel_lines(everything, line, reports, self.workers, prepare):
                if text is not None:
                    f.write(f"{text}\n")
                    self.report.count("written")
        return self.report

    def _ner(self, example: Example) -> dict[str, Any]:
        sentence = self.converter.convert(example)
        if sentence.scheme != "iob":
            raise ConversionError(
                "AutoTrain token classification reads IOB2 tags; use scheme='iob'"
            )
        if MISSING in sentence.tags:
            raise ConversionError(
                f"{_where(example)}a partial annotation (e.g. ner.teach) leaves tokens unknown, but "
                f"AutoTrain needs a tag on every token; pass unknown='outside' (--unknown outside) "
                f"to tag them O, or convert only complete annotations"
            )
        return {"tokens": list(sentence.words), "tags": list(sentence.tags)}

    def _textcat(self, example: Example) -> dict[str, Any] | None:
        self.converter.check_labels(example)
        if not example.labels:
            self.report.skip("no class label", example.origin, f"{example.text[:60]!r}")
            return None
        if len(example.labels) > 1:
            raise ConversionError(
                f"{_where(example)}labels {list(example.labels)!r}: AutoTrain text classification "
                f"takes one class per text; split the data or choose one label"
            )
        return {"text": example.text, "target": example.labels[0]}


@writers.register("prodigy.v1")
@attrs.define(kw_only=True)
class ProdigyWriter:
    """Prodigy task JSONL that ``prodigy ner.manual`` / ``ner.correct`` / ``textcat.manual`` load
    (and ``db-in`` imports): text, tokens (with whitespace tokens, as spaCy makes them), spans with
    ``token_start`` / inclusive ``token_end``, and ``meta`` with the example id under
    ``autonlp_al_id``. No ``_input_hash`` / ``_task_hash``: Prodigy sets its own when it loads
    the tasks, so its ``exclude`` and dedup match its database; answers find their example by the
    id in ``meta`` (:func:`~autonlp_al.sources.prodigy.task_id`).

    ``options``: class labels to offer as choices; an example's labels become ``accept``.
    """

    converter: Converter = attrs.field(factory=Converter)
    options: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    with_answer: bool = True
    report: Report = attrs.field(factory=Report)

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        with atomic_write(path) as f:
            for example in examples:
                f.write(srsly.json_dumps(self.task(example)) + "\n")
                self.report.count("written")
        return self.report

    def task(self, example: Example) -> dict[str, Any]:
        """The Prodigy task for one example."""
        sentence = self.converter.convert(example)
        ours = self.converter.tokens(example)
        tokens = covering_tokens(example.text, ours)
        index = {t.start: i for i, t in enumerate(tokens)}
        end_index = {t.end: i for i, t in enumerate(tokens)}
        spans = []
        for start, end, label in spans_from_tags(ours, sentence.tags, sentence.scheme):
            spans.append(
                {
                    "start": start,
                    "end": end,
                    "token_start": index[start],
                    "token_end": end_index[end],
                    "label": label,
                }
            )
        task: dict[str, Any] = {
            "text": example.text,
            "tokens": [
                {"text": t.text, "start": t.start, "end": t.end, "id": i, "ws": t.ws}
                for i, t in enumerate(tokens)
            ],
            "spans": spans,
            "meta": {**example.meta, ID_KEY: id_value(example.id)},
        }
        if self.options:
            task["options"] = [{"id": label, "text": label} for label in self.options]
        if example.labels:
            task["accept"] = list(example.labels)
        if self.with_answer:
            task["answer"] = example.answer.value
        return task
