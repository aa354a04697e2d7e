"""A Hugging Face ``datasets`` folder (``save_to_disk``) with proper ``ClassLabel`` features
(extra ``hf``): what ``load_from_disk`` / ``Trainer`` / the Hub expect."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from .._optional import require
from ..converters.base import MISSING
from ..converters.convert import Converter
from ..converters.iob import ner_tags
from ..errors import ConversionError
from ..registry import writers
from ..report import Report
from ..types import Example, _str_tuple

__all__ = ["HFDatasetWriter"]


@writers.register("datasets.v1")
@attrs.define(kw_only=True)
class HFDatasetWriter:
    """A ``datasets.Dataset`` saved with ``save_to_disk`` at ``path`` (a folder).

    NER: ``tokens`` (``List(Value("string"))``) and ``ner_tags`` (``List(ClassLabel)``, IOB2
    names ``O, B-X, I-X, ...``). Text classification: ``text`` and ``label`` (``ClassLabel``).
    ``labels`` fixes the ClassLabel order (``--labels``, in the order given: the label map);
    without it the labels are sorted, so the same data always gives the same ids.
    ``task="auto"`` picks from the first example, as the AutoTrain writer does; a partial
    annotation raises unless the converter tags unknown tokens ``O`` (``unknown="outside"``), and
    a text with several classes raises (one ``ClassLabel``).

    The folder appears whole or not at all: the dataset is saved beside it, then renamed over it.
    """

    converter: Converter = attrs.field(factory=Converter)
    task: str = attrs.field(
        default="auto", validator=attrs.validators.in_(("auto", "ner", "textcat"))
    )
    labels: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    report: Report = attrs.field(factory=Report)

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        datasets = require("datasets", "hf")
        rows: dict[str, list[Any]] = {}
        task = self.task
        seen: list[str] = []
        for example in examples:
            if task == "auto":
                task = "textcat" if example.labels and not example.spans else "ner"
            if task == "ner":
                words, tags = self._ner(example)
                rows.setdefault("tokens", []).append(words)
                rows.setdefault("ner_tags", []).append(tags)
                seen.extend(t[2:] for t in tags if t != "O")
            else:
                rows.setdefault("text", []).append(example.text)
                rows.setdefault("label", []).append(self._label(example))
                seen.append(rows["label"][-1])
        # a label map, never a set's order (that changes from run to run)
        labels = list(self.labels) or sorted(self.converter.labels or set(seen))
        if task == "textcat":
            features = datasets.Features(
                {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=labels)}
            )
        else:
            names = ner_tags(labels)
            features = datasets.Features(
                {
                    "tokens": datasets.List(datasets.Value("string")),
                    "ner_tags": datasets.List(datasets.ClassLabel(names=names)),
                }
            )
        dataset = datasets.Dataset.from_dict(rows or {c: [] for c in features}, features=features)
        _save_whole(dataset, Path(path))
        self.report.count("written", len(dataset))
        return self.report

    def _ner(self, example: Example) -> tuple[list[str], list[str]]:
        sentence = self.converter.convert(example)
        if MISSING in sentence.tags:
            where = f"{example.origin}: " if example.origin else ""
            raise ConversionError(
                f"{where}a partial annotation (e.g. ner.teach) leaves tokens unknown, but a "
                f"ClassLabel needs a tag on every token; pass unknown='outside' (--unknown "
                f"outside) to tag them O, or write only complete annotations"
            )
        return list(sentence.words), list(sentence.tags)

    def _label(self, example: Example) -> str:
        self.converter.check_labels(example)
        if len(example.labels) != 1:
            where = f"{example.origin}: " if example.origin else ""
            raise ConversionError(
                f"{where}labels {list(example.labels)!r}: a ClassLabel column holds exactly one "
                f"class per text; label it, split the data, or choose one label"
            )
        return example.labels[0]


def _save_whole(dataset: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    old = None
    try:
        dataset.save_to_disk(str(tmp))
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not path.exists():
            os.replace(old, path)  # put the previous folder back
        raise
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
