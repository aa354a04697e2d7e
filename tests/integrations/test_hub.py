"""push_to_hub against a loopback Hub stand-in, with the real huggingface_hub client."""

from __future__ import annotations

import pytest

pytest.importorskip("huggingface_hub")

from autonlp_al import AutoNLPALError
from autonlp_al.integrations.hub import model_card, push_to_hub
from autonlp_al.testing import FakeModel
from tests.hub_standin import Hub


@pytest.fixture(autouse=True)
def _isolated_hub_home(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def model() -> FakeModel:
    return FakeModel(task="ner", labels=["PERSON", "ORG"], version="fake-1", metrics={"f1": 0.8123})


def test_model_card_names_labels_metrics_and_data() -> None:
    card = model_card(model(), details={"labelled examples": 70, "strategy": "hybrid"})
    assert card.startswith(
        '---\nlibrary_name: "transformers"\npipeline_tag: "token-classification"\n'
    )
    assert "`PERSON`, `ORG`" in card and "| f1 | 0.8123 |" in card
    assert "- labelled examples: 70" in card and "- strategy: hybrid" in card


class _Based(FakeModel):
    base_model = "sentence-transformers/all-MiniLM-L6-v2"


def test_the_card_metadata_is_what_huggingface_hub_reads_back() -> None:
    from huggingface_hub import ModelCard

    based = _Based(task="ner", labels=["PER"], version="v", metrics={"f1": 0.8123, "recall": 0.8})
    card = ModelCard(model_card(based, name="bbc-ner", datasets=["eriktks/conll2003"]))
    data = card.data.to_dict()
    assert data["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert (
        data["datasets"] == ["eriktks/conll2003"] and data["pipeline_tag"] == "token-classification"
    )
    results = [
        (r.task_type, r.dataset_type, r.metric_type, r.metric_value) for r in card.data.eval_results
    ]
    assert results == [
        ("token-classification", "eriktks/conll2003", "f1", 0.8123),
        ("token-classification", "eriktks/conll2003", "recall", 0.8),
    ]
    local = _Based(task="ner", labels=["PER"], version="v")
    local.base_model = "/home/me/models/minilm"  # type: ignore[misc]  # a folder: not a Hub id
    assert "base_model" not in ModelCard(model_card(local)).data.to_dict()


def test_push_uploads_the_model_and_its_card_privately(tmp_path) -> None:
    with Hub(token="hf_secret_token") as hub:
        url = push_to_hub(
            model(),
            "acme/bbc-ner",
            token="hf_secret_token",
            endpoint=hub.url,
            details={"labelled examples": 70},
        )
        repo = hub.repo("model", "acme/bbc-ner")
    assert repo["private"] is True
    assert set(repo["files"]) == {"README.md", "fake_model.json"}
    assert b"| f1 | 0.8123 |" in repo["files"]["README.md"]
    assert b"hf_secret_token" not in repo["files"]["README.md"]
    assert url.startswith(f"{hub.url}/acme/bbc-ner/commit/")


def test_a_bad_token_is_a_clear_error_without_the_token(tmp_path) -> None:
    with Hub(token="hf_right") as hub, pytest.raises(AutoNLPALError) as info:
        push_to_hub(model(), "acme/x", token="hf_wrong_token", endpoint=hub.url)
    assert "HTTP 401" in str(info.value) and "HF_TOKEN" in str(info.value)
    assert "hf_wrong_token" not in str(info.value)


def test_a_datasets_folder_is_pushed_as_parquet_and_loads_back_with_its_class_labels(
    tmp_path, monkeypatch
) -> None:
    datasets = pytest.importorskip("datasets")
    from huggingface_hub import hf_hub_download

    from autonlp_al import Example, Span
    from autonlp_al.cli import main
    from autonlp_al.writers import HFDatasetWriter

    examples = [
        Example(text="Tim Cook visited Apple", spans=[Span(0, 8, "PER"), Span(17, 22, "ORG")]),
        Example(text="Nobody went home", spans=[]),
    ]
    HFDatasetWriter().write(examples, tmp_path / "ner-ds")
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token")  # as huggingface_hub looks it up
    with Hub(token="hf_secret_token") as hub:
        code = main(["push", str(tmp_path / "ner-ds"), "acme/bbc-ner-data", "--endpoint", hub.url])
        assert code == 0
        repo = hub.repo("dataset", "acme/bbc-ner-data")
        assert repo["private"] is True
        assert set(repo["files"]) == {"README.md", "data/train-00000-of-00001.parquet"}
        card = repo["files"]["README.md"].decode()
        assert '"path": "data/train-*.parquet"' in card and "`B-PER`" in card
        local = hf_hub_download(
            "acme/bbc-ner-data",
            "data/train-00000-of-00001.parquet",
            repo_type="dataset",
            endpoint=hub.url,
            token="hf_secret_token",
            cache_dir=tmp_path / "cache",
        )
    back = datasets.Dataset.from_parquet(local)
    saved = datasets.load_from_disk(str(tmp_path / "ner-ds"))
    assert back.features == saved.features
    assert back.features["ner_tags"].feature.names == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert back.to_list() == saved.to_list()


def test_pushing_a_folder_that_is_no_dataset_is_a_clear_error(tmp_path) -> None:
    pytest.importorskip("datasets")
    from autonlp_al.integrations.hub import push_dataset

    (tmp_path / "empty").mkdir()
    with pytest.raises(AutoNLPALError, match="not a datasets folder"):
        push_dataset(tmp_path / "empty", "acme/x", endpoint="http://127.0.0.1:9")
