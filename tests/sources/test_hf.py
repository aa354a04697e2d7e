"""Hugging Face datasets in and out: ClassLabel features, splits, parquet, a round trip."""

from __future__ import annotations

import pytest

from autonlp_al import Example, Span
from autonlp_al.errors import ConversionError, SourceError
from autonlp_al.sources import HFDatasetSource
from autonlp_al.writers import HFDatasetWriter

datasets = pytest.importorskip("datasets")

NER = datasets.Features(
    {
        "tokens": datasets.List(datasets.Value("string")),
        "ner_tags": datasets.List(datasets.ClassLabel(names=["O", "B-PER", "I-PER", "B-ORG"])),
    }
)
TOPICS = datasets.Features(
    {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["sport", "tech"])}
)


def _ner_dict(tmp_path):  # type: ignore[no-untyped-def]
    train = datasets.Dataset.from_dict(
        {"tokens": [["Tim", "Cook", "runs", "Apple"]], "ner_tags": [[1, 2, 0, 3]]}, features=NER
    )
    test = datasets.Dataset.from_dict({"tokens": [["EU"]], "ner_tags": [[3]]}, features=NER)
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(tmp_path / "conll"))
    return tmp_path / "conll"


def test_ner_with_classlabel_tags_from_a_split(tmp_path) -> None:
    folder = _ner_dict(tmp_path)
    (example,) = HFDatasetSource(path=folder, split="train").read()
    assert example.text == "Tim Cook runs Apple"
    assert example.spans == (Span(0, 8, "PER"), Span(14, 19, "ORG"))
    assert str(example.origin) == f"{folder}[train]:1"
    with pytest.raises(SourceError, match=r"splits \['train', 'test'\]; pass split="):
        list(HFDatasetSource(path=folder).read())


def test_text_classification_and_the_hubs_minus_one_label(tmp_path) -> None:
    rows = {"text": ["A match.", "A chip.", "Unlabelled."], "label": [0, 1, -1]}
    datasets.Dataset.from_dict(rows, features=TOPICS).save_to_disk(str(tmp_path / "topics"))
    source = HFDatasetSource(path=tmp_path / "topics")
    examples = list(source.read())
    assert [e.labels for e in examples] == [("sport",), ("tech",), ()]
    assert source.report.adjusted["no label (-1)"] == 1


def test_parquet_keeps_the_features_and_an_in_memory_dataset_reads_too(tmp_path) -> None:
    dataset = datasets.Dataset.from_dict(
        {"tokens": [["Tim", "Cook"]], "ner_tags": [[1, 2]]}, features=NER
    )
    dataset.to_parquet(str(tmp_path / "train.parquet"))
    (from_file,) = HFDatasetSource(path=tmp_path / "train.parquet").read()
    (in_memory,) = HFDatasetSource.from_dataset(dataset).read()
    assert from_file.spans == in_memory.spans == (Span(0, 8, "PER"),)


def test_columns_can_be_named_and_bad_ones_are_named_back(tmp_path) -> None:
    rows = {"body": ["A match."], "topic": ["sport"]}
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "renamed"))
    source = HFDatasetSource(path=tmp_path / "renamed", text_column="body", label_column="topic")
    assert [e.labels for e in source.read()] == [("sport",)]
    with pytest.raises(
        SourceError, match=r"no 'tokens' or 'text' column \(columns: \['body', 'topic'\]\)"
    ):
        list(HFDatasetSource(path=tmp_path / "renamed").read())
    (tmp_path / "junk").mkdir()
    with pytest.raises(SourceError, match="not a dataset saved with save_to_disk"):
        list(HFDatasetSource(path=tmp_path / "junk").read())


def test_a_tag_id_outside_the_classlabel_is_that_rows_error(tmp_path) -> None:
    plain = datasets.Features(
        {
            "tokens": datasets.List(datasets.Value("string")),
            "ner_tags": datasets.List(datasets.Value("int64")),
        }
    )
    rows = {"tokens": [["Tim"], ["Cook"]], "ner_tags": [[1], [0]]}
    dataset = datasets.Dataset.from_dict(rows, features=plain).cast(NER)  # ids inside: fine
    assert len(list(HFDatasetSource.from_dataset(dataset).read())) == 2
    bad = datasets.Dataset.from_dict({"tokens": [["Tim"]], "ner_tags": [["B-PER", "O"]]})
    source = HFDatasetSource.from_dataset(bad, on_error="skip")  # string tags, one too many
    assert list(source.read()) == [] and source.report.n_skipped == 1


def test_the_writer_round_trips_with_classlabel_features(tmp_path) -> None:
    examples = [
        Example(text="Tim Cook runs Apple", spans=[Span(0, 8, "PER"), Span(14, 19, "ORG")]),
        Example(text="Nothing here"),
    ]
    writer = HFDatasetWriter()
    writer.write(examples, tmp_path / "out")
    loaded = datasets.load_from_disk(str(tmp_path / "out"))
    assert loaded.features["ner_tags"].feature.names == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert writer.report.counts["written"] == 2
    back = list(HFDatasetSource(path=tmp_path / "out").read())
    assert [(e.text, e.spans) for e in back] == [(e.text, e.spans) for e in examples]
    topics = [Example(text="A match.", labels=["sport"]), Example(text="A chip.", labels=["tech"])]
    HFDatasetWriter().write(topics, tmp_path / "out")  # over the old folder, whole
    loaded = datasets.load_from_disk(str(tmp_path / "out"))
    assert loaded.features["label"].names == ["sport", "tech"] and loaded["label"] == [0, 1]


def test_the_writer_refuses_what_a_classlabel_cannot_hold(tmp_path) -> None:
    with pytest.raises(ConversionError, match="exactly one class per text"):
        HFDatasetWriter(task="textcat").write(
            [Example(text="x", labels=["a", "b"])], tmp_path / "out"
        )
    partial = Example(text="Apple rose", spans=[Span(0, 5, "ORG")], complete=False)
    with pytest.raises(ConversionError, match="unknown='outside'"):
        HFDatasetWriter().write([partial], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_cli_converts_a_dataset_split_to_autotrain(tmp_path, capsys) -> None:
    from autonlp_al.cli import main

    folder = _ner_dict(tmp_path)
    out = tmp_path / "train.jsonl"
    args = ["convert", str(folder), str(out), "--from", "datasets", "--split", "test"]
    assert main([*args, "--to", "autotrain"]) == 0
    assert out.read_text().strip() == '{"tokens":["EU"],"tags":["B-ORG"]}'


def test_the_writers_classlabel_order_is_a_label_map_not_a_sets_order(tmp_path) -> None:
    """The class order came from a frozenset (Converter.labels), so the ids of the same data
    could change with PYTHONHASHSEED from one run to the next."""
    import subprocess
    import sys

    script = (
        "import sys, datasets\n"
        "from autonlp_al import Example\n"
        "from autonlp_al.converters.convert import Converter\n"
        "from autonlp_al.writers import HFDatasetWriter\n"
        "labels = ['sport', 'tech', 'business', 'politics', 'film']\n"
        "HFDatasetWriter(converter=Converter(labels=labels), task='textcat').write(\n"
        "    [Example(text='a goal', labels=('sport',))], sys.argv[1])\n"
        "print(datasets.load_from_disk(sys.argv[1]).features['label'].names)\n"
    )
    orders = set()
    for seed in range(6):
        out = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / f"ds{seed}")],
            env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        )
        orders.add(out.stdout.strip())
    assert orders == {"['business', 'film', 'politics', 'sport', 'tech']"}
    # --labels (or labels=) gives the label map's own order
    from autonlp_al import Example
    from autonlp_al.writers import HFDatasetWriter

    HFDatasetWriter(labels=["tech", "sport"]).write(
        [Example(text="a goal", labels=("sport",))], tmp_path / "given"
    )
    assert datasets.load_from_disk(str(tmp_path / "given")).features["label"].names == [
        "tech",
        "sport",
    ]
