"""Hugging Face ``datasets``: a ``save_to_disk`` folder (``Dataset`` or ``DatasetDict``), a parquet
file, or a ``Dataset`` object, read in Arrow batches (extra ``hf``).

What the rows hold is read from the features, as the datasets on the Hub lay them out:

- NER: a list-of-strings ``tokens`` column and a ``ner_tags`` (or ``tags``) column of
  ``ClassLabel`` ids (or tag strings) in ``scheme``;
- text classification: a string ``text`` column and a ``label`` column, a ``ClassLabel`` (ids
  become names; ``-1``, the Hub's "no label", becomes no label and is counted) or strings.

Every column name can be given instead of detected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from .._optional import require
from ..converters.base import Scheme
from ..converters.convert import _scheme
from ..converters.iob import IOB
from ..errors import SourceError
from ..registry import sources
from ..report import Report
from ..types import Example, Origin
from .base import OnError, existing, guarded
from .jsonl import example_from_words

__all__ = ["HFDatasetSource"]

_BATCH = 1000
_TAG_COLUMNS = ("ner_tags", "tags", "labels")
_LABEL_COLUMNS = ("label", "labels", "target", "category")


@sources.register("datasets.v1")
@attrs.define(kw_only=True)
class HFDatasetSource:
    """Examples from a Hugging Face dataset.

    Args:
        path: a ``save_to_disk`` folder or a ``.parquet`` file.
        split: which split of a ``DatasetDict`` (the only one if there is one).
        text_column / label_column / tokens_column / tags_column: column names; ``None`` detects
            them from the features (see the module docstring).
        scheme: the tag scheme of string or ``ClassLabel`` tags (``iob`` reads IOB2, and IOB1).
        on_error: ``raise`` at the first bad row, or ``skip`` and count it.
    """

    path: Path = attrs.field(converter=Path)
    split: str | None = None
    text_column: str | None = None
    label_column: str | None = None
    tokens_column: str | None = None
    tags_column: str | None = None
    scheme: Scheme = attrs.field(factory=IOB, converter=_scheme)
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)
    _in_memory: Any = attrs.field(init=False, default=None, repr=False)

    @classmethod
    def from_dataset(cls, dataset: Any, **options: Any) -> HFDatasetSource:
        """A source over a ``datasets.Dataset`` (or ``DatasetDict``) already in memory."""
        source = cls(path=Path(f"<{type(dataset).__name__}>"), **options)
        source._in_memory = dataset
        return source

    def read(self) -> Iterator[Example]:
        dataset, where = self._open()
        features = dataset.features
        read_row = self._reader(features, where)
        number = 0
        for batch in _batches(dataset, where):
            columns = list(batch)
            for values in zip(*(batch[c] for c in columns), strict=True):
                number += 1
                origin = Origin(where, number)
                self.report.count("read")
                row = dict(zip(columns, values, strict=True))
                example = guarded(self.on_error, self.report, origin, read_row, origin, row)
                if example is not None:
                    self.report.count("examples")
                    yield example

    def _open(self) -> tuple[Any, str]:
        datasets = require("datasets", "hf")
        if self._in_memory is not None:
            return self._pick(self._in_memory, str(self.path)), str(self.path)
        path = existing(self.path, "dataset folder or parquet file")
        if path.is_file():
            return _parquet(datasets, path), str(path)
        try:
            loaded = datasets.load_from_disk(str(path))
        except (OSError, ValueError, KeyError, TypeError) as exc:  # missing or damaged files
            raise SourceError(
                f"{path}: not a dataset saved with save_to_disk ({exc}); pass the folder "
                f"Dataset.save_to_disk wrote, or a parquet file"
            ) from exc
        dataset = self._pick(loaded, str(path))
        split = self.split or (next(iter(loaded)) if hasattr(loaded, "keys") else None)
        return dataset, f"{path}[{split}]" if split else str(path)

    def _pick(self, loaded: Any, where: str) -> Any:
        if not hasattr(loaded, "keys"):  # a Dataset
            return loaded
        splits = list(loaded.keys())
        if self.split is None and len(splits) == 1:
            return loaded[splits[0]]
        if self.split not in splits:
            raise SourceError(
                f"{where}: a DatasetDict with splits {splits}; pass split= (--split) with one"
                + ("" if self.split is None else f", not {self.split!r}")
            )
        return loaded[self.split]

    def _reader(self, features: Any, where: str) -> Any:
        names = list(features)
        tokens = self.tokens_column or ("tokens" if "tokens" in names else None)
        if tokens is not None:
            tags = self.tags_column or next((c for c in _TAG_COLUMNS if c in names), None)
            _require(names, where, tokens, "tokens")
            if tags is not None:
                _require(names, where, tags, "tags")
            tag_names = _class_names(features[tags]) if tags is not None else None
            return lambda origin, row: self._tokens_row(origin, row, tokens, tags, tag_names)
        text = self.text_column or ("text" if "text" in names else None)
        if text is None:
            raise SourceError(
                f"{where}: no 'tokens' or 'text' column (columns: {names}); name them with "
                f"text_column= / tokens_column= (--text-column / --tokens-column)"
            )
        _require(names, where, text, "text")
        label = self.label_column or next((c for c in _LABEL_COLUMNS if c in names), None)
        if label is not None:
            _require(names, where, label, "label")
        label_names = _class_names(features[label]) if label is not None else None
        return lambda origin, row: self._text_row(origin, row, text, label, label_names)

    def _tokens_row(
        self,
        origin: Origin,
        row: dict[str, Any],
        tokens: str,
        tags: str | None,
        names: Sequence[str] | None,
    ) -> Example:
        words = row[tokens]
        values = row[tags] if tags is not None else None
        if values is not None and names is not None:
            values = [_name(origin, names, v, "tag") for v in values]
        return example_from_words(origin, words, values, self.scheme)

    def _text_row(
        self,
        origin: Origin,
        row: dict[str, Any],
        text: str,
        label: str | None,
        names: Sequence[str] | None,
    ) -> Example:
        value = row[label] if label is not None else None
        values = value if isinstance(value, list) else [] if value is None else [value]
        labels = []
        for v in values:
            if names is not None and v == -1:
                self.report.adjust("no label (-1)", origin, repr(str(row[text])[:60]))
                continue
            labels.append(_name(origin, names, v, "label") if names is not None else str(v))
        return Example(text=row[text], labels=tuple(labels), origin=origin)


def _batches(dataset: Any, where: str) -> Iterator[dict[str, list[Any]]]:
    """The dataset's rows in Arrow batches; data Arrow cannot decode is a :class:`SourceError`."""
    batches = dataset.iter(batch_size=_BATCH)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except SourceError:
            raise
        except Exception as exc:  # pyarrow's ArrowInvalid / ArrowIOError, datasets' casts
            raise SourceError(
                f"{where}: the data cannot be decoded ({type(exc).__name__}: {exc!s:.100}); the "
                f"file is damaged, or was not written by datasets / pyarrow"
            ) from exc
        yield batch


def _parquet(datasets: Any, path: Path) -> Any:
    """A parquet file as a Dataset, memory-mapped through pyarrow (no copy into a cache folder),
    with the features datasets stored in its schema, if any."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, memory_map=True)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid / OSError kinds
        raise SourceError(f"{path}: not a readable parquet file ({exc})") from exc
    features = None
    stored = (table.schema.metadata or {}).get(b"huggingface")
    if stored:
        try:
            features = datasets.Features.from_dict(json.loads(stored)["info"]["features"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise SourceError(
                f"{path}: the Hugging Face features stored in this parquet file are damaged "
                f"({exc!r:.80}); write the file again with Dataset.to_parquet"
            ) from exc
    from datasets.table import InMemoryTable

    try:
        info = datasets.DatasetInfo(features=features)
        return datasets.Dataset(InMemoryTable(table), info=info)
    except (ValueError, KeyError, TypeError) as exc:  # features that do not fit the columns
        raise SourceError(
            f"{path}: the Hugging Face features stored in this parquet file do not match its "
            f"columns ({exc!s:.120}); write the file again with Dataset.to_parquet"
        ) from exc


def _class_names(feature: Any) -> list[str] | None:
    """The names of a ``ClassLabel``, or of a list of them; ``None`` for anything else."""
    inner = getattr(feature, "feature", feature)  # List(ClassLabel) / Sequence(ClassLabel)
    names = getattr(inner, "names", None)
    return list(names) if names else None


def _name(origin: Origin, names: Sequence[str], value: Any, what: str) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(names):
        raise SourceError(
            f"{origin}: {what} {value!r} is not a class id of {len(names)} names ({names[:8]}...)"
        )
    return names[value]


def _require(names: list[str], where: str, column: str, role: str) -> None:
    if column not in names:
        raise SourceError(
            f"{where}: no {role} column {column!r} (columns: {names}); pass --{role}-column / "
            f"{role}_column= with one of them"
        )
