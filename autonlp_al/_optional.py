"""Importing optional heavy dependencies with a message that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingDependencyError` naming ``autonlp_al[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        hint = (
            " (install torch==2.13.0 or your platform's build first)" if module == "torch" else ""
        )
        raise MissingDependencyError(
            f"{module} is needed here but is not installed; pip install 'autonlp_al[{extra}]'{hint}"
        ) from exc
