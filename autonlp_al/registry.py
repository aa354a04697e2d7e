"""Backends found by name: ``sources``, ``schemes``, ``writers``, ``trainers``, ``strategies``,
``stopping`` (criteria), ``encoders`` (frozen encoders for the cheap selection models), ``pools``
(unlabelled pools that stay on disk), ``scorers`` (where a selection's scoring runs).

Names carry a version (``"jsonl.v1"``); a bare name (``"jsonl"``) resolves to its newest version.
Third-party packages register through the entry-point groups ``autonlp_al_sources`` etc.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import catalogue

from .errors import RegistryError

__all__ = [
    "KINDS",
    "encoders",
    "get",
    "names",
    "of",
    "pools",
    "resolve",
    "schemes",
    "scorers",
    "short_names",
    "sources",
    "stopping",
    "strategies",
    "trainers",
    "writers",
]

sources = catalogue.create("autonlp_al", "sources", entry_points=True)
schemes = catalogue.create("autonlp_al", "schemes", entry_points=True)
writers = catalogue.create("autonlp_al", "writers", entry_points=True)
trainers = catalogue.create("autonlp_al", "trainers", entry_points=True)
strategies = catalogue.create("autonlp_al", "strategies", entry_points=True)
stopping = catalogue.create("autonlp_al", "stopping", entry_points=True)
encoders = catalogue.create("autonlp_al", "encoders", entry_points=True)
pools = catalogue.create("autonlp_al", "pools", entry_points=True)
scorers = catalogue.create("autonlp_al", "scorers", entry_points=True)

_REGISTRIES = {
    "sources": sources,
    "schemes": schemes,
    "writers": writers,
    "trainers": trainers,
    "strategies": strategies,
    "stopping": stopping,
    "encoders": encoders,
    "pools": pools,
    "scorers": scorers,
}
# The built-in backends register themselves when their module is imported: one module per backend
# (or family), imported here only when a registry is asked for names.
_BUILTIN_MODULES = {
    "sources": (
        "conll",
        "csv",
        "doccano",
        "folder",
        "hf",
        "jsonl",
        "labelstudio",
        "labelstudio_api",
        "prodigy",
    ),
    "schemes": ("iob", "bilou"),
    "writers": ("conll", "doccano", "hf", "jsonl", "labelstudio", "spacy"),
    "trainers": ("transformers.trainer", "autotrain.trainer", "frozen.embedding", "frozen.tfidf"),
    "strategies": ("random", "uncertainty", "diversity", "batches"),
    "stopping": ("stopping",),
    "encoders": ("frozen.encoder",),
    "pools": ("jsonl", "arrow"),
    "scorers": ("local", "ray"),
}
_PACKAGES = {
    "sources": "autonlp_al.sources",
    "schemes": "autonlp_al.converters",
    "writers": "autonlp_al.writers",
    "trainers": "autonlp_al.trainers",
    "strategies": "autonlp_al.strategies",
    "stopping": "autonlp_al",
    "encoders": "autonlp_al.trainers",
    "pools": "autonlp_al.pools",
    "scorers": "autonlp_al.scorers",
}
#: the kinds of backend, each a registry and an entry-point group ``autonlp_al_<kind>``
KINDS = tuple(_REGISTRIES)
_VERSIONED = re.compile(r"^(?P<base>.+)\.v(?P<version>\d+)$")


def _registry(kind: str) -> catalogue.Registry:
    try:
        registry = _REGISTRIES[kind]
    except KeyError:
        raise RegistryError(f"no registry {kind!r}; known: {sorted(_REGISTRIES)}") from None
    for module in _BUILTIN_MODULES[kind]:
        importlib.import_module(f"{_PACKAGES[kind]}.{module}")
    return registry


def of(kind: str) -> catalogue.Registry:
    """The catalogue registry of ``kind``, its built-in backends imported."""
    names(kind)
    return _registry(kind)


def names(kind: str) -> list[str]:
    """Every registered name of ``kind``, sorted."""
    return sorted(_registry(kind).get_all())


def get(kind: str, name: str) -> Any:
    """The object registered as ``name`` (``"jsonl"`` or ``"jsonl.v1"``) in registry ``kind``."""
    return _registry(kind).get_all()[resolve(kind, name)]


def resolve(kind: str, name: str) -> str:
    """The full registered name for ``name``: itself, or a bare name's newest version
    (``"jsonl"`` -> ``"jsonl.v1"``); what a saved config records, so it keeps its meaning."""
    available = _registry(kind).get_all()
    if name in available:
        return name
    versions = [
        (int(m["version"]), full)
        for full in available
        if (m := _VERSIONED.match(full)) and m["base"] == name
    ]
    if versions:
        return str(max(versions)[1])
    singular = kind[:-3] + "y" if kind.endswith("ies") else kind[:-1]  # strategies -> strategy
    raise RegistryError(f"no {singular} named {name!r}; available: {', '.join(short_names(kind))}")


def short_names(kind: str) -> list[str]:
    """The registered names of ``kind`` without their versions (what the CLI offers), sorted."""
    return sorted({_base(n) for n in _registry(kind).get_all()})


def _base(name: str) -> str:
    match = _VERSIONED.match(name)
    return match["base"] if match else name
