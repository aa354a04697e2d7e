"""JSON lines decoded with msgspec when it is installed (``autonlp_al[fast]``), else with srsly.

msgspec decodes a line about twice as fast as srsly's ujson, and can read one top-level key of a
line without building the rest (what counting Prodigy's decisions per ``_input_hash`` needs).
Nothing here changes what a line means: a line msgspec refuses (bad bytes, a lone surrogate
escape, a number out of range, a byte-order mark...) is handed back as ``None``, and the caller
parses it the old way, with the old error messages. The one difference is an integer over 64
bits, which msgspec reads and ujson refuses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["fast_loads", "input_hash_reader"]


@functools.cache
def fast_loads() -> Callable[[bytes], Any] | None:
    """A ``bytes -> value`` decoder for UTF-8 JSON that raises ``ValueError`` on a line it
    refuses; ``None`` without msgspec."""
    try:
        import msgspec
    except ImportError:
        return None
    decode = msgspec.json.Decoder().decode

    def loads(raw: bytes) -> Any:
        try:
            return decode(raw)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ValueError(str(exc)) from exc

    return loads


@functools.cache
def input_hash_reader() -> Callable[[bytes], tuple[Any, Any] | None] | None:
    """A ``bytes -> (_input_hash, text)`` reader for a line holding a JSON object (fields absent
    come as ``None``), which builds neither the other fields nor the object; it answers ``None``
    where the line needs the full parse. ``None`` without msgspec."""
    try:
        import msgspec
    except ImportError:
        return None

    class _Keys(msgspec.Struct):
        # the field names are the JSON keys; any other key is skipped unparsed
        _input_hash: Any = None
        text: Any = None

    decode = msgspec.json.Decoder(type=_Keys).decode

    def read(raw: bytes) -> tuple[Any, Any] | None:
        try:
            keys = decode(raw)
        except (msgspec.DecodeError, RecursionError):
            return None
        return keys._input_hash, keys.text

    return read
