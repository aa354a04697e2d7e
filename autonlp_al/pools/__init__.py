"""Pools: the unlabelled candidates a learner selects from.

``base`` holds the interface; :class:`ListPool` keeps a small pool in memory; :class:`JsonlPool`,
:class:`ParquetPool` and :class:`DatasetFolderPool` stream a pool on disk in batches, so a pool of
10^8 texts never sits in memory.
"""

from typing import TYPE_CHECKING

from .._lazy import attach
from .base import CHUNK, Pool, TablePool, take
from .memory import ListPool, as_pool

if TYPE_CHECKING:
    from .arrow import DatasetFolderPool, ParquetPool
    from .jsonl import JsonlPool

__all__ = [
    "CHUNK",
    "DatasetFolderPool",
    "JsonlPool",
    "ListPool",
    "ParquetPool",
    "Pool",
    "TablePool",
    "as_pool",
    "take",
]

__getattr__, __dir__ = attach(
    __name__,
    {"DatasetFolderPool": ".arrow", "ParquetPool": ".arrow", "JsonlPool": ".jsonl"},
)
