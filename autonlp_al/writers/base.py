"""The writer interface, and atomic writes: a half-written file never appears under the final name."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

from .._files import atomic_write, atomic_write_bytes
from ..report import Report
from ..types import Example

__all__ = ["Writer", "atomic_write", "atomic_write_bytes"]


@runtime_checkable
class Writer(Protocol):
    """Writes examples to one file in one format; counts written and skipped in ``report``."""

    report: Report

    def write(self, examples: Iterable[Example], path: str | Path) -> Report:
        """Write every example to ``path`` atomically; return ``report``."""
        ...
