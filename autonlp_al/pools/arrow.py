"""Pools in Arrow files on disk: parquet (a file or a folder of them) and a Hugging Face
``datasets`` folder (``Dataset.save_to_disk``), read record batch by record batch with pyarrow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from .._optional import require
from ..errors import PoolError
from ..registry import pools
from ..report import Report
from ..types import Example
from .base import CHUNK, file_fingerprint, files_of, row_examples

__all__ = ["DatasetFolderPool", "ParquetPool"]


@attrs.define(eq=False)
class _ArrowPool:
    path: Path = attrs.field(converter=Path)
    text: str = "text"
    id_column: str | None = None
    report: Report = attrs.field(factory=Report)
    files: tuple[Path, ...] = attrs.field(init=False)

    format = ""

    @property
    def uri(self) -> str:
        return f"{self.format}://{self.path.resolve()}"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.text,) if self.id_column is None else (self.text, self.id_column)

    def fingerprint(self) -> str:
        return file_fingerprint(self.files, extra=f"{self.format}\0{self.text}\0{self.id_column}")

    def batches(self, size: int = CHUNK) -> Iterator[list[Example]]:
        self.report = Report()
        for path in self.files:
            row = 0
            for batch in self._record_batches(path, size):
                for start in range(0, batch.num_rows, size):
                    part = batch.slice(start, size)
                    yield self._rows(part, source=str(path), first_row=row)
                    row += part.num_rows

    def examples(self, table: Any, *, where: str = "") -> list[Example]:
        """The examples of one Arrow table or record batch with this pool's columns."""
        return self._rows(table, source=where or self.uri, first_row=0)

    def _rows(self, table: Any, *, source: str, first_row: int) -> list[Example]:
        names = list(table.schema.names)
        missing = [c for c in self.columns if c not in names]
        if missing:
            raise PoolError(
                f"{source}: no column {missing[0]!r}; the columns are {names}; name the text "
                f"column with text= (and the id column with id_column=)"
            )
        texts = table.column(self.text).to_pylist()
        ids = table.column(self.id_column).to_pylist() if self.id_column is not None else None
        return row_examples(texts, ids, source=source, first_row=first_row, report=self.report)

    def _record_batches(self, path: Path, size: int) -> Iterator[Any]:
        raise NotImplementedError

    def _unreadable(self, path: Path, exc: Exception) -> PoolError:
        return PoolError(
            f"{path}: not a readable {self.format} file ({type(exc).__name__}: {exc}); it is "
            f"truncated or of another format: write it again, or move it out of the pool folder"
        )


@pools.register("parquet.v1")
@attrs.define(eq=False)
class ParquetPool(_ArrowPool):
    """A parquet file, or a folder of them (read in name order). The text is in column ``text``;
    ``id_column`` names a stable integer id per row (by default the id is 96 bits of the text's
    hash). A distributed scorer reads the files itself (``ray.data.read_parquet``)."""

    format = "parquet"

    def __attrs_post_init__(self) -> None:
        self.files = files_of(self.path, (".parquet",), "parquet file")

    def __len__(self) -> int:
        """Rows, from the files' footers (no pass over the data)."""
        return sum(self._file(path).metadata.num_rows for path in self.files)

    def _file(self, path: Path) -> Any:
        pq = require("pyarrow.parquet", "pool")
        try:
            # pre_buffer (pyarrow's default) keeps every range it read for the reader's life:
            # 32 MB more per million short rows, 250 MB over a 10M-row file
            return pq.ParquetFile(str(path), pre_buffer=False)
        except FileNotFoundError:
            raise PoolError(f"{path}: the pool file is gone; restore it") from None
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a broken footer
            raise self._unreadable(path, exc) from exc

    def _record_batches(self, path: Path, size: int) -> Iterator[Any]:
        reader = self._file(path)
        names = list(reader.schema_arrow.names)
        missing = [c for c in self.columns if c not in names]
        if missing:
            raise PoolError(
                f"{path}: no column {missing[0]!r}; the columns are {names}; name the text "
                f"column with text= (and the id column with id_column=)"
            )
        try:
            yield from reader.iter_batches(batch_size=size, columns=list(self.columns))
        except Exception as exc:  # a row group cut short by a truncated copy
            raise self._unreadable(path, exc) from exc


@pools.register("hf_disk.v1")
@attrs.define(eq=False)
class DatasetFolderPool(_ArrowPool):
    """A folder written by ``datasets``' ``save_to_disk``: a ``Dataset`` folder, or a
    ``DatasetDict`` folder with ``split`` (default ``train``). Its Arrow files are read record
    batch by record batch; ``datasets`` itself is not needed."""

    split: str = "train"
    format = "arrow"

    def __attrs_post_init__(self) -> None:
        folder = files_of(self.path, ("state.json", "dataset_dict.json"), "datasets folder")
        root = self.path
        if (root / "dataset_dict.json").exists():
            root = root / self.split
            if not (root / "state.json").exists():
                splits = sorted(p.name for p in self.path.iterdir() if (p / "state.json").exists())
                raise PoolError(
                    f"{self.path}: a DatasetDict without split {self.split!r}; its splits are "
                    f"{splits}: pass split="
                )
        state = root / "state.json"
        if not state.exists():
            raise PoolError(
                f"{self.path}: no state.json (found {[p.name for p in folder][:3]}); point the "
                f"pool at a folder written by Dataset.save_to_disk"
            )
        try:
            names = [f["filename"] for f in json.loads(state.read_text())["_data_files"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise PoolError(f"{state}: not a datasets state file ({exc})") from exc
        self.files = tuple(root / name for name in names)

    def __len__(self) -> int:
        """Rows (a pass over the files' record batches)."""
        return sum(batch.num_rows for path in self.files for batch in self._stream(path))

    def _stream(self, path: Path) -> Iterator[Any]:
        # read batch by batch from a plain file: a memory map would leave every page touched
        # resident in this process, so its RSS would grow to the size of the pool
        pa = require("pyarrow", "pool")
        try:
            with pa.OSFile(str(path)) as source:
                yield from pa.ipc.open_stream(source)
        except FileNotFoundError:
            raise PoolError(f"{path}: the pool file is gone; restore it") from None
        except Exception as exc:
            raise self._unreadable(path, exc) from exc

    def _record_batches(self, path: Path, size: int) -> Iterator[Any]:
        yield from self._stream(path)
