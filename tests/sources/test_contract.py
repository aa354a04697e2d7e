"""One suite over every source: each case only supplies how to build it on a small valid input."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autonlp_al import AutoNLPALError, Example
from autonlp_al.errors import DatasetNotFoundError, InputFileNotFoundError, SourceError
from autonlp_al.sources import (
    ConllSource,
    CsvSource,
    DoccanoSource,
    FolderSource,
    HFDatasetSource,
    JsonlSource,
    LabelStudioProjectSource,
    LabelStudioSource,
    ProdigySource,
    Source,
)

Build = Callable[[Path], Source]


def _jsonl(tmp: Path) -> Source:
    path = tmp / "in.jsonl"
    path.write_text(
        json.dumps({"text": "Tim Cook", "spans": [{"start": 0, "end": 8, "label": "P"}]})
        + "\n"
        + json.dumps({"text": "Other"})
        + "\n"
    )
    return JsonlSource(path=path)


def _prodigy(tmp: Path) -> Source:
    path = tmp / "db-out.jsonl"
    path.write_text(
        json.dumps({"text": "Tim Cook", "label": "x", "answer": "accept"})
        + "\n"
        + json.dumps({"text": "Other", "label": "x", "answer": "reject"})
        + "\n"
    )
    return ProdigySource(path=path)


def _doccano(tmp: Path) -> Source:
    path = tmp / "doccano.jsonl"
    path.write_text(
        json.dumps({"id": 1, "text": "Tim Cook", "label": [[0, 8, "PER"]]})
        + "\n"
        + json.dumps({"id": 2, "text": "Other", "label": []})
        + "\n"
    )
    return DoccanoSource(path=path)


def _labelstudio(tmp: Path) -> Source:
    path = tmp / "export.json"
    region = {"type": "labels", "value": {"start": 0, "end": 8, "labels": ["P"]}}
    path.write_text(
        json.dumps(
            [
                {"id": 1, "data": {"text": "Tim Cook"}, "annotations": [{"result": [region]}]},
                {"id": 2, "data": {"text": "Other"}, "annotations": [{"result": []}]},
            ]
        )
    )
    return LabelStudioSource(path=path)


def _datasets(tmp: Path) -> Source:
    datasets = pytest.importorskip("datasets")  # the hf extra; absent from the core install
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["P", "Q"])}
    )
    rows = {"text": ["Tim Cook", "Other"], "label": [0, 1]}
    datasets.Dataset.from_dict(rows, features=features).save_to_disk(str(tmp / "ds"))
    return HFDatasetSource(path=tmp / "ds")


def _csv(tmp: Path) -> Source:
    path = tmp / "in.csv"
    path.write_text("text,label\nTim Cook,a\nOther,b\n")
    return CsvSource(path=path, label_column="label")


def _conll(tmp: Path) -> Source:
    path = tmp / "in.conll"
    path.write_text("Tim B-PER\nCook I-PER\n\nOther O\n")
    return ConllSource(path=path)


def _folder(tmp: Path) -> Source:
    for label, text in (("a", "Tim Cook"), ("b", "Other")):
        (tmp / "root" / label).mkdir(parents=True)
        (tmp / "root" / label / "1.txt").write_text(text)
    return FolderSource(path=tmp / "root")


def _labelstudio_api_over(body: bytes) -> Source:
    from tests.sources.ls_standin import LEGACY, shared

    os.environ["AUTONLP_AL_TEST_LS_KEY"] = LEGACY
    return LabelStudioProjectSource(path=shared().add(body), token_env="AUTONLP_AL_TEST_LS_KEY")


def _labelstudio_api(tmp: Path) -> Source:
    """The same project as ``_labelstudio``, live behind a loopback Label Studio API."""
    _labelstudio(tmp)
    return _labelstudio_api_over((tmp / "export.json").read_bytes())


BUILDERS = {
    "jsonl": _jsonl,
    "prodigy": _prodigy,
    "csv": _csv,
    "conll": _conll,
    "doccano": _doccano,
    "labelstudio": _labelstudio,
    "labelstudio_api": _labelstudio_api,
    "datasets": _datasets,
    "folder": _folder,
}
builders = pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())


@builders
def test_reads_every_record_as_an_example_with_its_origin(tmp_path: Path, build: Build) -> None:
    source = build(tmp_path)
    assert isinstance(source, Source)
    examples = list(source.read())
    assert [e.text for e in examples] == ["Tim Cook", "Other"]
    assert all(isinstance(e, Example) and e.origin is not None for e in examples)
    assert source.report.counts["examples"] == 2
    assert source.report.n_skipped == 0


@builders
def test_reading_twice_gives_the_same_examples(tmp_path: Path, build: Build) -> None:
    source = build(tmp_path)
    assert list(source.read()) == list(source.read())


@builders
def test_a_missing_input_is_a_typed_error(tmp_path: Path, build: Build) -> None:
    source = build(tmp_path)
    missing = type(source)(path=tmp_path / "does-not-exist")  # type: ignore[call-arg]
    if isinstance(source, LabelStudioProjectSource):  # a URL, not a file: a project not there
        with pytest.raises(SourceError, match="not a Label Studio project URL"):
            list(missing.read())
        gone = attrs.evolve(source, path=source.path.replace("/projects/", "/projects/999"))
        with pytest.raises(DatasetNotFoundError, match="no project 999"):
            list(gone.read())
        return
    with pytest.raises(InputFileNotFoundError, match="does-not-exist: no such"):
        list(missing.read())


@builders
def test_read_is_lazy(tmp_path: Path, build: Build) -> None:
    source = build(tmp_path)
    iterator = source.read()
    assert next(iter(iterator)).text == "Tim Cook"


FILE_SOURCES = {
    "jsonl": lambda p: JsonlSource(path=p),
    "prodigy": lambda p: ProdigySource(path=p),
    "csv": lambda p: CsvSource(path=p),
    "conll": lambda p: ConllSource(path=p),
    "doccano": lambda p: DoccanoSource(path=p),
    "labelstudio": lambda p: LabelStudioSource(path=p),
    "labelstudio_api": lambda p: _labelstudio_api_over(p.read_bytes()),
}


@pytest.mark.parametrize("make", FILE_SOURCES.values(), ids=FILE_SOURCES.keys())
@given(
    data=st.one_of(
        st.binary(max_size=200),
        st.lists(
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                lambda c: (
                    st.lists(c, max_size=3)
                    | st.dictionaries(
                        st.sampled_from(
                            [
                                "text",
                                "spans",
                                "tokens",
                                "label",
                                "start",
                                "end",
                                "answer",
                                "tags",
                                "accept",
                                "_input_hash",
                            ]
                        ),
                        c,
                        max_size=4,
                    )
                ),
                max_leaves=10,
            ),
            max_size=4,
        ).map(lambda rows: "\n".join(json.dumps(r) for r in rows).encode()),
    )
)
@settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
def test_arbitrary_input_raises_only_our_errors(tmp_path: Path, make, data: bytes) -> None:
    path = tmp_path / "fuzz"
    path.write_bytes(data)
    for on_error in ("raise", "skip"):
        source = make(path)
        source.on_error = on_error
        try:
            for example in source.read():
                assert isinstance(example, Example)
        except AutoNLPALError:
            # Our typed errors are the allowed outcome (whole-file problems such as undecodable
            # bytes raise under on_error=skip too); anything else propagates and fails the test.
            continue


def test_every_registered_source_has_a_case(tmp_path: Path) -> None:
    """The case list is checked against the registry: a newly registered source fails here until
    it supplies a small valid input, and then runs the whole suite."""
    import importlib.util

    from autonlp_al import registry

    assert set(registry.short_names("sources")) == set(BUILDERS)
    for name, build in BUILDERS.items():
        if name == "datasets" and importlib.util.find_spec("datasets") is None:
            continue  # the hf extra is not installed (nox -s tests_core)
        folder = tmp_path / name
        folder.mkdir()
        assert registry.get("sources", name) is type(build(folder))
