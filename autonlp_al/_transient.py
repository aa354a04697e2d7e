"""Work whose inputs are not worth keeping: texts a server is asked to predict come from anyone
and never repeat, so caches (the frozen encoders' vectors on disk) read them but do not store
them while :func:`transient` holds; the cache would otherwise grow with every request."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

__all__ = ["is_transient", "transient"]

_TRANSIENT = contextvars.ContextVar("autonlp_al_transient", default=False)


@contextlib.contextmanager
def transient() -> Iterator[None]:
    """Within this block (in this thread or task), caches are read but not added to."""
    token = _TRANSIENT.set(True)
    try:
        yield
    finally:
        _TRANSIENT.reset(token)


def is_transient() -> bool:
    return _TRANSIENT.get()
