import pytest

from autonlp_al import registry
from autonlp_al.converters import BILOU, IOB
from autonlp_al.errors import RegistryError
from autonlp_al.sources import ConllSource, CsvSource, FolderSource, JsonlSource, ProdigySource
from autonlp_al.writers import AutoTrainWriter, ConllWriter, DocBinWriter, ProdigyWriter, TagsWriter


def test_builtin_names_carry_a_version() -> None:
    assert registry.names("sources") == [
        "conll.v1",
        "csv.v1",
        "datasets.v1",
        "doccano.v1",
        "folder.v1",
        "jsonl.v1",
        "labelstudio.v1",
        "labelstudio_api.v1",
        "prodigy.v1",
    ]
    assert registry.names("schemes") == ["bilou.v1", "iob.v1"]
    assert registry.names("trainers") == [
        "autotrain.v1",
        "embedding.v1",
        "tfidf.v1",
        "transformers.v1",
    ]
    assert registry.names("encoders") == ["transformers.v1"]
    assert set(registry.names("writers")) == {
        "autotrain.v1",
        "conll.v1",
        "datasets.v1",
        "doccano.v1",
        "labelstudio.v1",
        "prodigy.v1",
        "spacy.v1",
        "tags.v1",
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("prodigy", ProdigySource),
        ("jsonl.v1", JsonlSource),
        ("csv", CsvSource),
        ("conll", ConllSource),
        ("folder", FolderSource),
    ],
)
def test_bare_and_versioned_source_names_resolve(name: str, expected: type) -> None:
    assert registry.get("sources", name) is expected


def test_schemes_and_writers_resolve() -> None:
    assert registry.get("schemes", "iob") is IOB
    assert registry.get("schemes", "bilou.v1") is BILOU
    assert {
        registry.get("writers", n) for n in ("autotrain", "conll", "prodigy", "spacy", "tags")
    } == {AutoTrainWriter, ConllWriter, ProdigyWriter, DocBinWriter, TagsWriter}


def test_trainer_resolves() -> None:
    from autonlp_al.trainers import TransformersTrainer

    assert registry.get("trainers", "transformers") is TransformersTrainer


def test_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(RegistryError, match=r"no source named 'excel'; available: conll, csv"):
        registry.get("sources", "excel")
    with pytest.raises(RegistryError, match="no registry"):
        registry.names("nope")


def test_newest_version_wins_for_a_bare_name() -> None:
    class V2:
        pass

    registry.schemes.register("iob.v2", func=V2)
    try:
        assert registry.get("schemes", "iob") is V2
        assert registry.get("schemes", "iob.v1") is IOB
    finally:
        registry.schemes.get_all().pop("iob.v2", None)
        from catalogue import REGISTRY

        REGISTRY.pop(("autonlp_al", "schemes", "iob.v2"), None)
    assert registry.get("schemes", "iob") is IOB
