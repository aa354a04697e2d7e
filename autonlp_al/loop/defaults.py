"""A loop config with every part's defaults written out, by confection's ``fill`` over our
registries: what ``autonlp-al init config`` writes, so a person sees every knob there is."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

import attrs

from .. import registry
from .config import LoopConfig

__all__ = ["filled"]

# loop values handed to the parts that take them: never written into a part, so [loop] rules
_SHARED = {"task", "lang", "seed"}


def _confection_registry() -> Any:
    import confection

    class Registry(confection.registry):
        """confection's view of our catalogue registries."""

    for kind in registry.KINDS:
        setattr(Registry, kind, registry.of(kind))
    return Registry


def _literal(value: Any) -> tuple[bool, Any]:
    """``(True, value as a config can hold it)`` or ``(False, None)`` for a default that is an
    object (a factory, a report): such an argument is left to the part."""
    if isinstance(value, enum.Enum):
        value = value.value
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False, None
    return True, value


def _made(section: Mapping[str, Any]) -> set[str]:
    """The arguments of a section's part whose default is made per object (an attrs
    ``Factory``: a report, a name derived from other arguments): not a setting to write."""
    key = next((k for k in section if str(k).startswith("@")), None)
    if key is None:
        return set()
    factory = registry.get(key[1:], section[key])
    if not attrs.has(factory):
        return set()
    return {
        f.alias or f.name.lstrip("_")
        for f in attrs.fields(factory)
        if isinstance(f.default, attrs.Factory)  # type: ignore[arg-type]
    }


def _clean(section: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    made = _made(section)
    for key, value in section.items():
        if isinstance(value, Mapping):
            out[key] = _clean(value, given.get(key) or {})
            continue
        if (key in _SHARED or key in made) and key not in given:
            continue
        ok, value = _literal(value)
        if ok:
            out[key] = value
    return out


def filled(config: LoopConfig) -> LoopConfig:
    """``config`` with each part's arguments completed by its defaults (literal ones)."""
    from confection import Config

    data = config.to_dict()
    parts = {k: v for k, v in data.items() if k != "loop"}
    full = _confection_registry().fill(Config(parts), validate=False)
    cleaned = {key: _clean(full[key], parts[key]) for key in parts}
    return LoopConfig.from_dict({"loop": data["loop"], **cleaned})
