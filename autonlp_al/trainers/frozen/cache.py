"""``VectorCache``: vectors of texts computed once, kept on disk, memory-mapped when read back.

A cache is a folder written for one encoder (``meta.json`` names its fingerprint; a cache of
another encoder is refused, never reused). Each input is keyed by a 128-bit hash of what was
encoded (the text, or the text and its words), so a vector is only ever returned for the very
same input. An input has a block of rows: one row for a text's pooled vector, one per word for
token vectors.

Vectors are added in parts: three ``.npy`` files written under temporary names, renamed, and
then committed by one line appended to ``parts.jsonl``. A kill leaves either a committed part or
files no line names (deleted on the next open); a committed part whose files were damaged since
is dropped, counted in ``rebuilt``, and its inputs are encoded again on demand.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._files import storage
from ..._optional import require
from ...errors import CacheError

__all__ = ["VectorCache", "key_of"]

log = logging.getLogger("autonlp_al.trainers.frozen")

FORMAT = 1
_MANIFEST = "parts.jsonl"
_META = "meta.json"
_FILES = ("keys", "offsets", "vectors")
_STALE_S = 60.0


def key_of(*fields: str | Sequence[str]) -> bytes:
    """The 16-byte key of an input: a hash of its fields (a text, or a list of words)."""
    digest = hashlib.blake2b(digest_size=16)
    for field in fields:
        data = field if isinstance(field, str) else "\x1f".join(field)
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data.encode("utf-8", "surrogatepass"))
    return digest.digest()


@attrs.define(eq=False)
class _Part:
    name: str
    offsets: Any  # (n + 1,) int64
    vectors: Any  # (rows, dim) float32, memory-mapped


@attrs.define(eq=False)
class VectorCache:
    """The cache in ``folder`` for the encoder with ``fingerprint`` (vectors of ``dim``)."""

    folder: Path
    fingerprint: str
    dim: int
    #: committed parts dropped on open because their files were damaged
    rebuilt: int = 0
    hits: int = 0
    misses: int = 0
    _parts: list[_Part] = attrs.field(factory=list)
    _index: dict[bytes, tuple[int, int]] = attrs.field(factory=dict)

    @classmethod
    def open(cls, folder: str | Path, *, fingerprint: str, dim: int) -> VectorCache:
        """Open (or create) the cache in ``folder``; :class:`CacheError` if another encoder
        wrote it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta_path = folder / _META
        meta = {"format": FORMAT, "encoder": fingerprint, "dim": dim}
        if meta_path.is_file():
            try:
                stored = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = None
            if stored is None:  # a kill while it was first written: nothing depends on it yet
                log.warning("%s: unreadable, so the cache is started again", meta_path)
            elif stored != meta:
                raise CacheError(
                    f"{folder}: this embedding cache was written by encoder "
                    f"{stored.get('encoder')!r} (dim {stored.get('dim')}), not {fingerprint!r} "
                    f"(dim {dim}); point cache_dir at another folder, or delete this one"
                )
        if not meta_path.is_file() or stored is None:
            tmp = meta_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(tmp, meta_path)
        cache = cls(folder, fingerprint, dim)
        cache._load()
        return cache

    def _load(self) -> None:
        np = require("numpy", "local")
        committed: list[str] = []
        manifest = self.folder / _MANIFEST
        if manifest.is_file():
            for line in manifest.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    committed.append(str(json.loads(line)["name"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut by a kill: its part was never committed
        names = set(committed)
        now = time.time()
        for path in self.folder.glob("part-*"):
            # written but never committed (a kill), and old enough not to be another process's
            # part being written right now
            if path.name.split(".")[0] not in names and now - path.stat().st_mtime > _STALE_S:
                path.unlink(missing_ok=True)
        kept: list[str] = []
        for name in dict.fromkeys(committed):
            try:
                keys = np.load(self._file(name, "keys"))
                offsets = np.load(self._file(name, "offsets"))
                vectors = np.load(self._file(name, "vectors"), mmap_mode="r")
                if (
                    keys.ndim != 2
                    or keys.shape[1] != 2
                    or offsets.shape != (len(keys) + 1,)
                    or vectors.ndim != 2
                    or vectors.shape[1] != self.dim
                    or int(offsets[-1]) != len(vectors)
                ):
                    raise ValueError("inconsistent shapes")
            except (OSError, ValueError, EOFError) as exc:
                log.warning(
                    "%s: part %s is damaged (%s); its vectors are encoded again",
                    self.folder,
                    name,
                    exc,
                )
                self.rebuilt += 1
                for kind in _FILES:
                    self._file(name, kind).unlink(missing_ok=True)
                continue
            self._add_part(name, keys, offsets, vectors)
            kept.append(name)
        if len(kept) != len(committed):
            self._rewrite_manifest(kept)

    def _file(self, name: str, kind: str) -> Path:
        return self.folder / f"{name}.{kind}.npy"

    def _add_part(self, name: str, keys: Any, offsets: Any, vectors: Any) -> None:
        number = len(self._parts)
        self._parts.append(_Part(name, offsets, vectors))
        raw = keys.tobytes()
        for i in range(len(keys)):
            self._index[raw[16 * i : 16 * i + 16]] = (number, i)

    def _rewrite_manifest(self, names: Sequence[str]) -> None:
        manifest = self.folder / _MANIFEST
        tmp = manifest.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps({"name": n}) + "\n" for n in names), encoding="utf-8")
        os.replace(tmp, manifest)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key: bytes) -> bool:
        return key in self._index

    def get(self, key: bytes) -> Any:
        """The rows stored for ``key`` (a read-only view), or ``None``."""
        where = self._index.get(key)
        if where is None:
            self.misses += 1
            return None
        self.hits += 1
        part = self._parts[where[0]]
        return part.vectors[int(part.offsets[where[1]]) : int(part.offsets[where[1] + 1])]

    def add(self, keys: Sequence[bytes], blocks: Sequence[Any]) -> None:
        """Store one block of rows per key as one committed part."""
        np = require("numpy", "local")
        fresh = [(k, b) for k, b in zip(keys, blocks, strict=True) if k not in self._index]
        if not fresh:
            return
        key_array = np.frombuffer(b"".join(k for k, _ in fresh), dtype=np.uint64).reshape(-1, 2)
        sizes = [len(b) for _, b in fresh]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        vectors = np.concatenate([np.asarray(b, dtype=np.float32) for _, b in fresh]).reshape(
            -1, self.dim
        )
        name = f"part-{uuid.uuid4().hex[:12]}"
        needs = key_array.nbytes + offsets.nbytes + vectors.nbytes
        with storage(self.folder / name, needs=needs):  # a part is whole in the manifest, or not
            for kind, array in zip(_FILES, (key_array, offsets, vectors), strict=True):
                final = self._file(name, kind)
                tmp = final.with_name(final.name + ".tmp")
                with tmp.open("wb") as f:
                    np.save(f, array)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, final)
            with (self.folder / _MANIFEST).open("a", encoding="utf-8") as f:
                f.write(json.dumps({"name": name, "n": len(fresh)}) + "\n")
                f.flush()
                os.fsync(f.fileno())
        self._add_part(
            name, key_array, offsets, np.load(self._file(name, "vectors"), mmap_mode="r")
        )
