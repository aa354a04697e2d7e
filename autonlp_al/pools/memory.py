"""The in-memory pool: a list of examples (small pools, and every pool before 0.2)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import attrs

from ..report import Report
from ..types import Example
from .base import CHUNK

__all__ = ["ListPool", "as_pool", "ids_fingerprint"]


def ids_fingerprint(ids: Iterable[int]) -> str:
    """BLAKE2b of the ids in order: how a state folder recognises a list pool or a seed set."""
    return hashlib.blake2b(json.dumps(list(ids)).encode(), digest_size=8).hexdigest()


def _listed(values: Iterable[Example]) -> list[Example]:
    return list(values)


@attrs.define(eq=False)
class ListPool(Sequence[Example]):
    """A pool held in memory; also a ``Sequence`` of its examples."""

    examples: list[Example] = attrs.field(converter=_listed)
    uri: str = "memory:"
    report: Report = attrs.field(factory=Report)
    _index: dict[int, Example] | None = attrs.field(init=False, default=None, repr=False)

    def by_id(self) -> dict[int, Example]:
        """The examples by id (the first of a repeated id), built once."""
        if self._index is None:
            index: dict[int, Example] = {}
            for example in self.examples:
                index.setdefault(example.id, example)
            self._index = index
        return self._index

    def __len__(self) -> int:
        return len(self.examples)

    @overload
    def __getitem__(self, index: int) -> Example: ...
    @overload
    def __getitem__(self, index: slice) -> list[Example]: ...
    def __getitem__(self, index: int | slice) -> Example | list[Example]:
        return self.examples[index]

    def __iter__(self) -> Iterator[Example]:
        return iter(self.examples)

    def batches(self, size: int = CHUNK) -> Iterator[list[Example]]:
        for start in range(0, len(self.examples), size):
            yield self.examples[start : start + size]

    def fingerprint(self) -> str:
        """A hash of every id in order (what state folders before 0.2 recorded)."""
        return ids_fingerprint(e.id for e in self.examples)


def as_pool(value: object) -> object:
    """A pool as it is; any other iterable of examples becomes a :class:`ListPool`."""
    from .base import Pool

    if isinstance(value, Pool):
        return value
    assert isinstance(value, Iterable)
    return ListPool(list(value))
