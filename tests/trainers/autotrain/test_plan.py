"""The parts of an AutoTrain round that need no network: names, checks, parquet, PARAMS, card."""

from __future__ import annotations

import io
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("pyarrow")

from autonlp_al import Example
from autonlp_al.errors import AutoTrainError
from autonlp_al.trainers.autotrain.plan import (
    class_names,
    dockerfile,
    parquet_bytes,
    parse_card_metrics,
    project_name,
    split_validation,
    training_params,
)

AUTOTRAIN_CARD = """---
library_name: transformers
tags:
- autotrain
- token-classification
base_model: bert-base-uncased
widget:
- text: "I love AutoTrain"
---

# Model Trained Using AutoTrain

- Problem type: Token Classification

## Validation Metrics
loss: 0.0792

precision: 0.8706

recall: 0.9031

f1: 0.8865

accuracy: 0.9804
"""


def read(data: bytes):
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    return table, json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]


def test_project_names_are_fresh_and_valid() -> None:
    rng = random.Random(1)
    names = {project_name("bbc-ner", 3, rng) for _ in range(50)}
    assert len(names) == 50 and all(n.startswith("bbc-ner-r3-") and len(n) == 19 for n in names)


@pytest.mark.parametrize("prefix", ["bbc_ner", "a" * 45, "naïve"])
def test_invalid_project_names_are_refused(prefix: str) -> None:
    with pytest.raises(AutoTrainError, match="letters, digits and hyphens"):
        project_name(prefix, 0, random.Random(0))


def test_card_metrics_are_parsed_from_autotrains_format() -> None:
    assert parse_card_metrics(AUTOTRAIN_CARD) == {
        "loss": 0.0792,
        "precision": 0.8706,
        "recall": 0.9031,
        "f1": 0.8865,
        "accuracy": 0.9804,
    }
    text = "## Validation Metrics\nloss: 0.4\n\nf1_macro: 0.81\n\nauc: n/a\n\n## Other\nf1: 1\n"
    assert parse_card_metrics(text) == {"loss": 0.4, "macro_f1": 0.81}
    assert parse_card_metrics("# no metrics here\n") == {}


tags = st.sampled_from(class_names("ner", ["PER", "ORG", "LOC"]))
words = st.text(min_size=1, max_size=8).filter(lambda w: w.strip() == w and w)
ner_rows = st.lists(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.lists(words, min_size=n, max_size=n), st.lists(tags, min_size=n, max_size=n)
        )
    ),
    min_size=1,
    max_size=8,
)


@given(ner_rows)
def test_ner_parquet_round_trips_through_classlabel_ids(rows) -> None:
    names = class_names("ner", ["PER", "ORG", "LOC"])
    table, features = read(parquet_bytes("ner", rows, names))
    assert features["tags"] == {
        "feature": {"names": names, "_type": "ClassLabel"},
        "_type": "Sequence",
    }
    assert features["tokens"]["feature"] == {"dtype": "string", "_type": "Value"}
    decoded = [
        (w, [names[i] for i in t])
        for w, t in zip(
            table.column("tokens").to_pylist(), table.column("tags").to_pylist(), strict=True
        )
    ]
    assert decoded == [(list(w), list(t)) for w, t in rows]


@given(st.lists(st.tuples(st.text(min_size=1), st.sampled_from(["a", "b", "c"])), min_size=1))
def test_text_parquet_round_trips_through_classlabel_ids(rows) -> None:
    table, features = read(parquet_bytes("textcat", rows, ["a", "b", "c"]))
    assert features["target"] == {"names": ["a", "b", "c"], "_type": "ClassLabel"}
    assert table.column("text").to_pylist() == [t for t, _ in rows]
    assert [["a", "b", "c"][i] for i in table.column("target").to_pylist()] == [c for _, c in rows]


@given(st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=40), st.floats(0.05, 0.5))
def test_validation_split_loses_nothing_and_keeps_classes(classes, fraction) -> None:
    examples = [Example(text=f"t{i}", labels=[c]) for i, c in enumerate(classes)]
    train, held = split_validation("textcat", examples, fraction, random.Random(0))
    assert sorted(e.text for e in train + held) == sorted(e.text for e in examples)
    for c in set(classes):
        if classes.count(c) >= 2:
            assert any(e.labels[0] == c for e in held) and any(e.labels[0] == c for e in train)


def test_params_name_autotrains_columns_and_carry_hyperparameters() -> None:
    params = training_params(
        task="ner",
        project="p-r0-00000000",
        namespace="acme",
        data_repo="acme/autotrain-data-p-r0-00000000",
        base_model="bert-base-uncased",
        token="hf_x",
        hyperparameters={"epochs": 5, "lr": 3e-5},
        has_validation=False,
    )
    assert params["tokens_column"] == "tokens" and params["tags_column"] == "tags"
    assert params["valid_split"] is None and params["push_to_hub"] is True
    assert params["epochs"] == 5 and params["username"] == "acme"
    assert "autotrain-advanced==0.9.0 " in dockerfile("0.9.0")


def test_redaction_finds_a_token_that_json_escapes() -> None:
    import json

    from autonlp_al.trainers.autotrain.plan import RoundPlan

    token = 'hf_a"b\\\\c'
    params = json.dumps({"token": token, "nested": [f"Bearer {token}"]})
    plan = RoundPlan(
        task="ner", project="p", namespace="acme", data_repo="d", space_repo="s",
        model_repo="m", hardware="t4-small", sleep_time=1, data_files={}, space_files={},
        secrets={"HF_TOKEN": token, "PARAMS": params},
    )  # fmt: skip
    shown = json.dumps(plan.redacted())
    assert token not in shown and json.dumps(token)[1:-1] not in shown  # raw or escaped
    assert "hf_a" not in shown
    params_shown = json.loads(plan.redacted()["secrets"]["PARAMS"])
    assert params_shown == {"token": "<HF_TOKEN>", "nested": ["Bearer <HF_TOKEN>"]}


@pytest.mark.parametrize("task", ["ner", "textcat"])
def test_the_autotrain_parquet_reads_back_as_the_datasets_writer_features(tmp_path, task) -> None:
    """The AutoTrain parquet keeps its hand-written schema (``Sequence``, which every datasets
    version reads; datasets >= 4 writes ``List``, which an older datasets in the AutoTrain Space
    could not), and it must mean exactly what the ``datasets`` writer's ClassLabel features mean."""
    datasets = pytest.importorskip("datasets")
    from autonlp_al import Example, Span
    from autonlp_al.converters.convert import Converter
    from autonlp_al.writers import HFDatasetWriter

    if task == "ner":
        examples = [Example(text="Tim Cook", spans=[Span(0, 8, "PER")])]
        rows, labels = [(["Tim", "Cook"], ["B-PER", "I-PER"])], ["ORG", "PER"]
        renames = {"tags": "ner_tags"}
    else:
        examples = [Example(text="a goal", labels=("sport",))]
        rows, labels = [("a goal", "sport")], ["sport", "tech"]
        renames = {"target": "label"}
    path = tmp_path / "train.parquet"
    path.write_bytes(parquet_bytes(task, rows, class_names(task, labels)))
    ours = datasets.Dataset.from_parquet(str(path)).rename_columns(renames)
    writer = HFDatasetWriter(converter=Converter(labels=labels), task=task, labels=labels)
    writer.write(examples, tmp_path / "ds")
    written = datasets.load_from_disk(str(tmp_path / "ds"))
    assert ours.features == written.features
    assert ours.to_list() == written.to_list()


def test_ner_rows_are_tokenised_in_the_loops_language() -> None:
    from autonlp_al import Span
    from autonlp_al.loop.config import Part
    from autonlp_al.trainers.autotrain.plan import check_examples

    example = Example(text="Anna kam z.B. nach Bonn", spans=[Span(0, 4, "PER")])
    (german,) = check_examples("ner", [example], [], ["PER"], lang="de")
    (english,) = check_examples("ner", [example], [], ["PER"])
    assert german[0] == ["Anna", "kam", "z.B.", "nach", "Bonn"]  # one word in German
    assert "z.B." not in english[0] and german[1][0] == english[1][0] == "B-PER"
    # a loop's lang reaches the hosted trainer as it reaches the local one
    trainer = Part(kind="trainers", name="autotrain", args={"model": "m"})
    assert trainer.build({"task": "ner", "lang": "de", "seed": 0}).lang == "de"
