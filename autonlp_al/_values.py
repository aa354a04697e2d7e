"""Values that came from input (a file, a request), handled without walking them recursively.

A JSON value from a Prodigy database or a Label Studio webhook may nest a thousand levels deep:
``repr`` or ``json.dumps`` of it recurses, and so fails (``RecursionError``) from a deep enough
stack. :func:`describe` says what such a value is for a message, and :func:`bounded` cuts it to a
depth the event log can always read back; neither recurses.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_DEPTH", "bounded", "depth", "describe", "nests_deeper"]

#: How deep a recorded value may nest (an event's own levels included); deeper parts are kept as
#: their description (:func:`describe`), and counted.
MAX_DEPTH = 48


def depth(value: Any, limit: int = 1_000_000) -> int:
    """How many levels of lists and mappings ``value`` nests (a scalar: 0), counted up to
    ``limit + 1`` and no further."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_OTHER = bytes(b for b in range(256) if b not in b"[]{}")


def nests_deeper(line: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text ``line`` nests lists and objects deeper than ``limit``, found at C
    speed (strings dropped, brackets kept, one innermost level removed a pass) without decoding
    it: a line it clears needs no :func:`bounded`."""
    brackets = _STRING.sub(b"", line).translate(_BRACKETS, _OTHER)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


def describe(value: Any, limit: int = 40) -> str:
    """A short, safe description of ``value`` for a message: a bounded preview (strings cut at
    ``limit`` characters, containers shown three levels down and a few items wide), with the
    size or depth where the preview leaves things out. Never walks the whole value."""
    if isinstance(value, str):
        shown = repr(value[:limit])
        return shown if len(value) <= limit else f"{shown}... ({len(value):,} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an int of {value.bit_length()} bits"
    if isinstance(value, (Mapping, list, tuple)):
        preview = _preview(value, limit)
        levels = depth(value, limit=100)
        if levels > _PREVIEW.maxlevel:
            return f"{preview} (nested {levels if levels <= 100 else 'over 100'} deep)"
        return preview
    return _preview(value, limit)


def _preview(value: Any, limit: int) -> str:
    try:
        text = _PREVIEW.repr(value)
    except (ValueError, RecursionError):  # an int too long to print inside a container
        text = f"a {type(value).__name__}"
    return text if len(text) <= 2 * limit else text[: 2 * limit] + "..."


class _Preview(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        return f"<int of {x.bit_length()} bits>" if x.bit_length() > 64 else repr(x)

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:  # in the file's order, unsorted
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}" for k, v in
                 list(x.items())[: self.maxdict]]  # fmt: skip
        return "{" + ", ".join(items) + (", ..." if len(x) > self.maxdict else "") + "}"


_PREVIEW = _Preview()
_PREVIEW.maxlevel = 3
_PREVIEW.maxstring = 30
_PREVIEW.maxother = 30


def bounded(value: Any, max_depth: int = MAX_DEPTH) -> tuple[Any, int]:
    """``value`` with every list or mapping below ``max_depth`` levels replaced by its
    :func:`describe` string, and how many were replaced. Built without recursion; a value within
    the bound comes back as it is (the same object)."""
    if depth(value, limit=max_depth) <= max_depth:
        return value, 0
    cut = 0
    root: list[Any] = [None]
    # (the value to copy, its depth, the container to put the copy in, the key or index there)
    stack: list[tuple[Any, int, Any, Any]] = [(value, 1, root, 0)]
    while stack:
        item, level, parent, key = stack.pop()
        container = isinstance(item, (Mapping, list, tuple))
        if container and level > max_depth:
            parent[key] = describe(item)
            cut += 1
        elif isinstance(item, Mapping):
            copy: dict[Any, Any] = {}
            parent[key] = copy
            for k, v in item.items():
                copy[k] = None
                stack.append((v, level + 1, copy, k))
        elif isinstance(item, (list, tuple)):
            items: list[Any] = [None] * len(item)
            parent[key] = items
            stack.extend((v, level + 1, items, i) for i, v in enumerate(item))
        else:
            parent[key] = item
    return root[0], cut
