"""doccano JSONL: both sequence-labelling shapes, classes and cats, and a round trip."""

from __future__ import annotations

import pytest

from autonlp_al import Span
from autonlp_al.errors import SourceError
from autonlp_al.sources import DoccanoSource
from autonlp_al.writers import DoccanoWriter
from tests.conftest import write_jsonl


def test_list_form_entities_entities_form_classes_and_cats(tmp_path) -> None:
    path = write_jsonl(
        tmp_path / "export.jsonl",
        [
            {"id": 7, "text": "Tim Cook runs Apple.", "label": [[0, 8, "PER"], [14, 19, "ORG"]]},
            {
                "id": 8,
                "text": "Apple rose.",
                "entities": [{"id": 1, "start_offset": 0, "end_offset": 5, "label": "ORG"}],
                "relations": [{"id": 3, "from_id": 1, "to_id": 1, "type": "self"}],
            },
            {"text": "A match.", "label": ["sport", "uk"]},
            {"text": "Shares fell.", "cats": {"business": True, "sport": 0.1, "tech": 0.9}},
            {"text": "Nothing here.", "label": []},
        ],
    )
    source = DoccanoSource(path=path)
    first, second, third, fourth, fifth = source.read()
    assert first.spans == (Span(0, 8, "PER"), Span(14, 19, "ORG")) and first.meta == {"id": 7}
    assert second.spans == (Span(0, 5, "ORG"),) and first.complete
    assert third.labels == ("sport", "uk")
    assert fourth.labels == ("business", "tech") and fourth.rejected_labels == ("sport",)
    assert not fifth.spans and not fifth.labels and fifth.complete
    assert source.report.counts["examples"] == 5
    assert source.report.adjusted["relations ignored"] == 1  # counted, not silently dropped


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"text": "abc", "label": "PER"}, "'label' must be a list"),
        ({"text": "abc", "label": [[0, 2]]}, r"label 0 \[0, 2\] is neither a class name"),
        ({"text": "abc", "label": [[2, 1, "PER"]]}, r"entity 0 \[2, 1\)"),
        ({"text": "abc", "label": [[0, 9, "PER"]]}, "ends beyond the text"),
        ({"text": "abc", "entities": [{"start_offset": 0}]}, "needs 'start_offset'"),
        ({"text": "abc", "cats": ["x"]}, "'cats' must map class names"),
        ({"label": []}, "no 'text' field"),
    ],
)
def test_bad_records_name_the_line_and_the_value(tmp_path, record, message) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [{"text": "fine"}, record])
    with pytest.raises(SourceError, match=rf"bad\.jsonl:2: .*{message}"):
        list(DoccanoSource(path=path).read())
    source = DoccanoSource(path=path, on_error="skip")
    assert [e.text for e in source.read()] == ["fine"] and source.report.n_skipped == 1


def test_the_writer_round_trips_entities_and_classes(tmp_path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"text": "Tim Cook runs Apple.", "label": [[0, 8, "PER"], [14, 19, "ORG"]]},
            {"text": "Nothing here.", "label": []},
        ],
    )
    examples = list(DoccanoSource(path=path).read())
    DoccanoWriter().write(examples, tmp_path / "out.jsonl")
    again = list(DoccanoSource(path=tmp_path / "out.jsonl").read())
    assert [(e.text, e.spans) for e in again] == [(e.text, e.spans) for e in examples]
    classes = write_jsonl(tmp_path / "c.jsonl", [{"text": "A match.", "label": ["sport"]}])
    writer = DoccanoWriter()
    writer.write(DoccanoSource(path=classes).read(), tmp_path / "c-out.jsonl")
    (back,) = DoccanoSource(path=tmp_path / "c-out.jsonl").read()
    assert back.labels == ("sport",) and writer.report.counts["written"] == 1


def test_the_writer_skips_and_counts_partial_annotations(tmp_path) -> None:
    from autonlp_al import Example

    partial = Example(text="Apple rose.", spans=[Span(0, 5, "ORG")], complete=False)
    writer = DoccanoWriter(task="ner")
    writer.write([partial], tmp_path / "out.jsonl")
    assert writer.report.skipped == {"partial annotation (doccano would read it as complete)": 1}
    assert (tmp_path / "out.jsonl").read_text() == ""


def test_the_cli_converts_prodigy_answers_to_doccano_and_back(tmp_path, capsys) -> None:
    from autonlp_al.cli import main

    answers = write_jsonl(
        tmp_path / "answers.jsonl",
        [
            {
                "text": "Tim Cook",
                "spans": [{"start": 0, "end": 8, "label": "PER"}],
                "answer": "accept",
                "_input_hash": 1,
                "_view_id": "ner_manual",
            }
        ],
    )
    out = tmp_path / "doccano.jsonl"
    assert main(["convert", str(answers), str(out), "--from", "prodigy", "--to", "doccano"]) == 0
    conll = tmp_path / "back.conll"
    assert main(["convert", str(out), str(conll), "--from", "doccano", "--to", "conll"]) == 0
    assert conll.read_text().split() == ["Tim", "B-PER", "Cook", "I-PER"]
