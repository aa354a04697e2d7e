"""Oracles: who answers a simulation's queries (a gold set already labelled)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import attrs

from ..errors import AnswerError
from ..types import Example, wide_text_hash

__all__ = ["GoldOracle", "Oracle"]


class Oracle(Protocol):
    """Gives the annotation of examples by id (a simulation's stand-in for annotators)."""

    def annotate(self, ids: Sequence[int]) -> list[Example]: ...


def _by_id(gold: Mapping[int, Example] | Iterable[Example]) -> Mapping[int, Example]:
    return gold if isinstance(gold, Mapping) else {e.id: e for e in gold}


@attrs.define
class GoldOracle:
    """Answers with gold examples already labelled (simulation on a labelled corpus)."""

    gold: Mapping[int, Example] = attrs.field(converter=_by_id)

    @classmethod
    def wide(cls, gold: Iterable[Example]) -> GoldOracle:
        """Gold examples under the 96-bit text ids a pool on disk gives its rows (when the pool
        has no id column), so a simulation can run on a pool file made from the same texts."""
        return cls([attrs.evolve(e, id=wide_text_hash(e.text)) for e in gold])

    def annotate(self, ids: Sequence[int]) -> list[Example]:
        missing = [i for i in ids if i not in self.gold]
        if missing:
            raise AnswerError(
                f"the gold set has no example with id {missing[0]} "
                f"({len(missing)} missing); the pool and gold set differ"
            )
        return [self.gold[i] for i in ids]
