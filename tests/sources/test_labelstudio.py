"""Label Studio JSON and JSON-MIN exports: spans, choices, several annotators, cancelled ones."""

from __future__ import annotations

import json

import pytest

from autonlp_al import Span
from autonlp_al.errors import SourceError
from autonlp_al.sources import LabelStudioSource

TEXT = "Tim Cook runs Apple."


def _region(start: int, end: int, label: str) -> dict:
    return {
        "id": f"r{start}",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]},
    }


def _choice(*names: str) -> dict:
    return {
        "from_name": "topic",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": list(names)},
    }


def _annotation(result: list, id: int = 1, updated: str = "2026-11-29T10:00:00Z", **extra) -> dict:
    return {"id": id, "result": result, "was_cancelled": False, "updated_at": updated, **extra}


def _export(tmp_path, tasks: list) -> LabelStudioSource:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    return LabelStudioSource(path=path)


def test_json_export_spans_and_choices(tmp_path) -> None:
    source = _export(
        tmp_path,
        [
            {
                "id": 7,
                "data": {"text": TEXT},
                "annotations": [_annotation([_region(0, 8, "PER"), _region(14, 19, "ORG")])],
            },
            {
                "id": 8,
                "data": {"text": "A match."},
                "annotations": [_annotation([_choice("sport")])],
            },
        ],
    )
    ner, textcat = source.read()
    assert ner.spans == (Span(0, 8, "PER"), Span(14, 19, "ORG")) and ner.meta == {"id": 7}
    assert textcat.labels == ("sport",) and not textcat.spans
    assert source.report.counts["examples"] == 2


def test_cancelled_and_missing_annotations_are_counted_predictions_only_when_asked(tmp_path):
    tasks = [
        {"id": 1, "data": {"text": TEXT},
         "annotations": [{**_annotation([_region(0, 8, "PER")]), "was_cancelled": True}]},
        {"id": 2, "data": {"text": "Apple rose."}, "annotations": [],
         "predictions": [{"result": [_region(0, 5, "ORG")], "model_version": "v1"}]},
    ]  # fmt: skip
    source = _export(tmp_path, tasks)
    assert list(source.read()) == []
    assert source.report.skipped == {"cancelled annotation": 1, "no annotation": 2}
    source = _export(tmp_path, tasks)
    source.use_predictions = True
    (predicted,) = source.read()
    assert predicted.spans == (Span(0, 5, "ORG"),)


@pytest.mark.parametrize(
    ("policy", "kept", "skipped"),
    [("latest", ("tech",), 0), ("majority", ("sport",), 0), ("reject", None, 1)],
)
def test_several_annotations_per_task_follow_the_policy(tmp_path, policy, kept, skipped) -> None:
    annotations = [
        _annotation([_choice("sport")], id=1, updated="2026-11-29T09:00:00Z"),
        _annotation([_choice("sport")], id=2, updated="2026-11-29T09:30:00Z"),
        _annotation([_choice("tech")], id=3, updated="2026-11-29T10:00:00Z"),
    ]
    source = _export(tmp_path, [{"id": 1, "data": {"text": "A chip."}, "annotations": annotations}])
    source.policy = policy
    examples = list(source.read())
    assert [e.labels for e in examples] == ([] if kept is None else [kept])
    assert source.report.skipped.get("conflicting annotations", 0) == skipped


def test_a_majority_tie_is_a_counted_conflict(tmp_path) -> None:
    annotations = [_annotation([_choice("sport")], id=1), _annotation([_choice("tech")], id=2)]
    source = _export(tmp_path, [{"id": 1, "data": {"text": "A chip."}, "annotations": annotations}])
    source.policy = "majority"
    assert list(source.read()) == [] and source.report.skipped["conflicting annotations"] == 1


def test_json_min_rows_are_annotations_merged_per_task(tmp_path) -> None:
    rows = [
        {"id": 5, "text": TEXT, "label": [{"start": 0, "end": 8, "text": "Tim Cook", "labels": ["PER"]}],
         "annotator": 1, "annotation_id": 11, "updated_at": "2026-11-29T09:00:00Z"},
        {"id": 5, "text": TEXT, "label": [{"start": 14, "end": 19, "text": "Apple", "labels": ["ORG"]}],
         "annotator": 2, "annotation_id": 12, "updated_at": "2026-11-29T10:00:00Z"},
        {"id": 6, "text": "A match.", "topic": "sport", "annotator": 1, "annotation_id": 13},
    ]  # fmt: skip
    source = _export(tmp_path, rows)
    ner, textcat = source.read()
    assert ner.spans == (Span(14, 19, "ORG"),)  # the latest of the two annotators
    assert source.report.adjusted["several annotations: the latest kept"] == 1
    assert textcat.labels == ("sport",)


def test_other_result_types_are_counted_not_read(tmp_path) -> None:
    rating = {"type": "rating", "from_name": "stars", "to_name": "text", "value": {"rating": 4}}
    source = _export(
        tmp_path, [{"id": 1, "data": {"text": TEXT}, "annotations": [_annotation([rating])]}]
    )
    (example,) = source.read()
    assert not example.spans and source.report.adjusted["result type ignored"] == 1


BACKWARDS = {"type": "labels", "value": {"start": 3, "end": 1, "labels": ["X"]}}


def _one(data: dict, result: list | None = None) -> str:
    return json.dumps([{"data": data, "annotations": [_annotation(result or [])]}])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "a JSON list of tasks"),
        ("[{", "not a JSON file"),
        (_one({"body": TEXT}), r"data\['text'\].*--data-key"),
        (_one({"text": TEXT}, [BACKWARDS]), "need 0 <= start < end"),
        (_one({"text": TEXT}, [_region(0, 99, "PER")]), "ends beyond the text"),
    ],
)
def test_bad_exports_are_source_errors_naming_the_task(tmp_path, content, message) -> None:
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(SourceError, match=message):
        list(LabelStudioSource(path=path).read())


def test_a_bad_task_is_skipped_and_counted_under_skip(tmp_path) -> None:
    tasks = [
        {"id": 1, "data": {"text": "A match."}, "annotations": [_annotation([_choice("sport")])]},
        {"id": 2, "data": {"text": TEXT}, "annotations": "nope"},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    with pytest.raises(SourceError, match=r"export\.json#task:2: 'annotations' must be a list"):
        list(LabelStudioSource(path=path).read())
    source = LabelStudioSource(path=path, on_error="skip")
    assert [e.text for e in source.read()] == ["A match."]
    assert source.report.skipped["invalid record"] == 1


def test_the_cli_reads_an_export_with_a_policy(tmp_path, capsys) -> None:
    from autonlp_al.cli import main

    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "data": {"body": TEXT},
                                 "annotations": [_annotation([_region(0, 8, "PER")])]}]))  # fmt: skip
    out = tmp_path / "out.conll"
    args = ["convert", str(path), str(out), "--from", "labelstudio", "--to", "conll"]
    assert main([*args, "--data-key", "body", "--policy", "majority"]) == 0
    assert out.read_text().split()[:4] == ["Tim", "B-PER", "Cook", "I-PER"]
    assert main([*args, "--data-key", "body", "--policy", "vote"]) != 0
    assert "policy" in capsys.readouterr().err


def test_tasks_with_predictions_go_in_and_the_answers_come_back_with_the_pool_ids(tmp_path):
    from autonlp_al import Example
    from autonlp_al.writers import LabelStudioWriter

    picked = [
        Example(text=TEXT, id=42, spans=[Span(0, 8, "PER")], meta={"score": 0.73, "round": 2}),
        Example(text="A match.", id=43, labels=["sport"], meta={"score": 0.5}),
        Example(text="No guess yet.", id=44),
    ]
    writer = LabelStudioWriter(model_version="round-2")
    writer.write(picked, tmp_path / "tasks.json")
    tasks = json.loads((tmp_path / "tasks.json").read_text())
    assert writer.report.counts["written"] == 3
    assert tasks[0]["data"] == {"text": TEXT, "autonlp_al_id": 42}
    (prediction,) = tasks[0]["predictions"]
    assert prediction["model_version"] == "round-2" and prediction["score"] == 0.73
    assert prediction["result"][0]["value"] == {
        "start": 0, "end": 8, "text": "Tim Cook", "labels": ["PER"]
    }  # fmt: skip
    assert tasks[1]["predictions"][0]["result"][0]["value"] == {"choices": ["sport"]}
    assert "predictions" not in tasks[2]
    # Label Studio adds the annotators' answers and exports; the ids are the pool's again
    for task in tasks:
        task["annotations"] = [_annotation(task.get("predictions", [{"result": []}])[0]["result"])]
    (tmp_path / "export.json").write_text(json.dumps(tasks))
    back = list(LabelStudioSource(path=tmp_path / "export.json").read())
    assert [(e.id, e.spans, e.labels) for e in back] == [
        (42, (Span(0, 8, "PER"),), ()),
        (43, (), ("sport",)),
        (44, (), ()),
    ]


def test_the_cli_turns_query_tasks_into_label_studio_tasks(tmp_path) -> None:
    from autonlp_al import Example
    from autonlp_al.cli import main
    from autonlp_al.writers import ProdigyWriter

    query = tmp_path / "round-001.jsonl"  # what `autonlp-al query` writes
    ProdigyWriter().write(
        [Example(text=TEXT, id=42, spans=[Span(0, 8, "PER")], meta={"score": 0.9, "round": 1})],
        query,
    )
    out = tmp_path / "tasks.json"
    assert main(["convert", str(query), str(out), "--from", "prodigy", "--to", "labelstudio"]) == 0
    (task,) = json.loads(out.read_text())
    assert task["data"]["autonlp_al_id"] == 42 and task["predictions"][0]["score"] == 0.9


def test_each_region_carries_the_models_confidence_from_the_query(tmp_path) -> None:
    """Per-region scores were not written: the tasks a query makes did not carry them."""
    from autonlp_al import Example
    from autonlp_al.loop.learner import Query
    from autonlp_al.types import Prediction, ScoredSpan
    from autonlp_al.writers import LabelStudioWriter

    examples = [Example(text=TEXT, id=42), Example(text="A match.", id=43)]
    query = Query(
        round=3,
        task="ner",
        examples=examples,
        scores=[0.7, 0.2],
        predictions=[
            Prediction(id=42, text=TEXT, spans=[ScoredSpan(0, 8, "PER", 0.91)]),
            Prediction(id=43, text="A match.", cats={"sport": 0.8, "tech": 0.2}),
        ],
    )
    LabelStudioWriter().write(query.tasks(), tmp_path / "tasks.json")
    first, second = (t["predictions"][0] for t in json.loads((tmp_path / "tasks.json").read_text()))
    assert first["score"] == 0.7 and first["result"][0]["score"] == 0.91
    assert second["result"][0]["value"] == {"choices": ["sport"]}
    assert second["result"][0]["score"] == 0.8
