"""ProdigySource on a real SQLite database built with Prodigy's schema, and on db-out JSONL."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from autonlp_al import Span
from autonlp_al.errors import DatasetNotFoundError, SourceError
from autonlp_al.sources import ProdigySource
from tests.conftest import write_jsonl

TEXT = "Apple hired Tim Cook in London."
TOKENS = [
    {"text": "Apple", "start": 0, "end": 5, "id": 0, "ws": True},
    {"text": "hired", "start": 6, "end": 11, "id": 1, "ws": True},
    {"text": "Tim", "start": 12, "end": 15, "id": 2, "ws": True},
    {"text": "Cook", "start": 16, "end": 20, "id": 3, "ws": True},
    {"text": "in", "start": 21, "end": 23, "id": 4, "ws": True},
    {"text": "London", "start": 24, "end": 30, "id": 5, "ws": False},
    {"text": ".", "start": 30, "end": 31, "id": 6, "ws": False},
]


def manual(text=TEXT, spans=(), answer="accept", h=1, session="bbc-alice", **extra):
    return {
        "text": text,
        "tokens": TOKENS if text == TEXT else None,
        "spans": list(spans),
        "_input_hash": h,
        "_task_hash": h * 10 + len(spans),
        "_view_id": "ner_manual",
        "answer": answer,
        "_session_id": session,
        **extra,
    }


def teach(start, end, label, answer, h=2):
    return {
        "text": TEXT,
        "spans": [{"start": start, "end": end, "label": label}],
        "_input_hash": h,
        "_task_hash": h * 100 + start,
        "_view_id": "ner",
        "answer": answer,
        "meta": {"score": 0.5},
    }


# ner.manual uses token indices with an inclusive token_end ("Tim Cook" = tokens 2..3)
PERSON = {"start": 12, "end": 20, "token_start": 2, "token_end": 3, "label": "PERSON"}
ORG = {"start": 0, "end": 5, "token_start": 0, "token_end": 0, "label": "ORG"}


def test_reads_manual_teach_and_textcat_from_a_database(prodigy_db) -> None:
    db = prodigy_db(
        {
            "bbc": [
                manual(spans=[PERSON, ORG]),
                teach(24, 30, "LOCATION", "accept"),
                teach(0, 5, "PERSON", "reject"),
                {
                    "text": "Sport news",
                    "label": "sport",
                    "answer": "accept",
                    "_input_hash": 3,
                    "_view_id": "classification",
                },
                {
                    "text": "Sport news",
                    "label": "tech",
                    "answer": "reject",
                    "_input_hash": 3,
                    "_view_id": "classification",
                },
                {
                    "text": "Choice text",
                    "options": [{"id": "tech"}],
                    "accept": ["tech"],
                    "answer": "accept",
                    "_input_hash": 4,
                    "_view_id": "choice",
                },
            ],
            "other": [manual(text="Not this one", h=9)],
        }
    )
    source = ProdigySource(path=db, dataset="bbc")
    examples = {e.id: e for e in source.read()}
    assert sorted(examples) == [1, 2, 3, 4]
    first = examples[1]
    assert first.spans == (Span(0, 5, "ORG"), Span(12, 20, "PERSON")) and first.complete
    assert first.tokens is not None and len(first.tokens) == 7
    assert str(first.origin) == f"{db}#bbc:1"
    binary = examples[2]
    assert binary.spans == (Span(24, 30, "LOCATION"),)
    assert binary.rejected_spans == (Span(0, 5, "PERSON"),)
    assert not binary.complete
    assert binary.meta == {"score": 0.5}
    assert examples[3].labels == ("sport",) and examples[3].rejected_labels == ("tech",)
    assert examples[4].labels == ("tech",)
    assert source.report.counts["tasks"] == 6 and source.report.counts["examples"] == 4


def test_duplicate_answers_merge_and_the_last_manual_wins(prodigy_db) -> None:
    db = prodigy_db(
        {
            "bbc": [
                manual(spans=[ORG]),
                manual(spans=[ORG, PERSON]),
                teach(24, 30, "LOCATION", "accept", h=1),
            ]
        }
    )
    source = ProdigySource(path=db, dataset="bbc")
    (example,) = source.read()
    assert example.spans == (Span(0, 5, "ORG"), Span(12, 20, "PERSON"))
    assert source.report.adjusted["a later manual answer replaced an earlier one"] == 1
    assert source.report.adjusted["binary answers superseded by a manual annotation"] == 1


def test_ignored_and_rejected_manual_answers_are_counted_not_lost(prodigy_db) -> None:
    db = prodigy_db(
        {
            "bbc": [
                manual(spans=[ORG], answer="ignore"),
                manual(text="Rejected text", answer="reject", h=5),
                manual(text="Kept text", h=6),
            ]
        }
    )
    source = ProdigySource(path=db, dataset="bbc")
    assert [e.text for e in source.read()] == ["Kept text"]
    assert source.report.skipped == {"answer ignore": 1, "rejected manual annotation": 1}
    assert "skipped 1 (answer ignore)" in source.report.summary()


def test_session_and_answer_filters(prodigy_db) -> None:
    db = prodigy_db(
        {
            "bbc": [
                manual(spans=[ORG]),
                manual(text="Bob's text", h=7, session="bbc-bob"),
                teach(0, 5, "PERSON", "reject"),
            ]
        }
    )
    source = ProdigySource(path=db, dataset="bbc", sessions=["bbc-alice"], answers=["accept"])
    assert [e.id for e in source.read()] == [1]
    assert source.report.skipped == {"other session": 1, "answer reject not requested": 1}


def test_missing_dataset_lists_the_available_ones(prodigy_db) -> None:
    db = prodigy_db({"bbc": [manual()], "ner_news": [manual()]})
    with pytest.raises(DatasetNotFoundError, match=r"no dataset 'bcc'; available: bbc, ner_news"):
        list(ProdigySource(path=db, dataset="bcc").read())
    with pytest.raises(SourceError, match="pass dataset="):
        list(ProdigySource(path=db).read())


def test_database_is_opened_read_only_and_never_blocked_by_a_writer(prodigy_db) -> None:
    db = prodigy_db({"bbc": [manual(spans=[ORG])]})
    before = (db.read_bytes(), os.stat(db).st_mtime_ns)
    writer = sqlite3.connect(db)
    writer.execute("BEGIN IMMEDIATE")  # a running Prodigy in the middle of saving answers
    try:
        assert len(list(ProdigySource(path=db, dataset="bbc").read())) == 1
    finally:
        writer.rollback()
        writer.close()
    assert (db.read_bytes(), os.stat(db).st_mtime_ns) == before
    assert not Path(f"{db}-journal").exists()


def test_not_a_prodigy_database(tmp_path) -> None:
    path = tmp_path / "x.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(SourceError, match="not a Prodigy database"):
        list(ProdigySource(path=path, dataset="bbc").read())


def test_bad_task_content_names_the_row(prodigy_db) -> None:
    db = prodigy_db({"bbc": [manual(spans=[ORG])]})
    connection = sqlite3.connect(db)
    connection.execute("UPDATE example SET content = ?", (b"{not json",))
    connection.commit()
    connection.close()
    with pytest.raises(SourceError, match=r"#bbc:1: the task content is not valid JSON"):
        list(ProdigySource(path=db, dataset="bbc").read())
    source = ProdigySource(path=db, dataset="bbc", on_error="skip")
    assert list(source.read()) == []
    assert source.report.skipped["invalid record"] == 1


def test_db_out_jsonl_streams_and_merges_like_the_database(tmp_path, prodigy_db) -> None:
    tasks = [
        manual(spans=[ORG]),
        teach(24, 30, "LOCATION", "accept"),
        manual(text="Solo", h=8),
        teach(0, 5, "PERSON", "reject"),
        manual(spans=[PERSON], h=1),
    ]
    from_jsonl = list(ProdigySource(path=write_jsonl(tmp_path / "bbc.jsonl", tasks)).read())
    from_db = list(ProdigySource(path=prodigy_db({"bbc": tasks}), dataset="bbc").read())
    assert from_jsonl == from_db
    # an input with one decision is yielded as soon as it is read; merged ones after their last
    assert [e.id for e in from_jsonl] == [8, 2, 1]
    assert from_jsonl[2].spans == (Span(12, 20, "PERSON"),)


def test_jsonl_without_hashes_merges_by_text(tmp_path) -> None:
    tasks = [
        {"text": TEXT, "spans": [{"start": 0, "end": 5, "label": "ORG"}], "answer": "accept"},
        {"text": TEXT, "spans": [{"start": 12, "end": 20, "label": "PER"}], "answer": "reject"},
    ]
    (example,) = ProdigySource(path=write_jsonl(tmp_path / "t.jsonl", tasks)).read()
    assert example.spans == (Span(0, 5, "ORG"),)
    assert example.rejected_spans == (Span(12, 20, "PER"),)


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"text": TEXT, "answer": "maybe"}, "answer 'maybe' is not accept, reject or ignore"),
        (
            {"text": TEXT, "spans": [{"start": 0, "end": 99, "label": "X"}], "tokens": TOKENS},
            "ends beyond the text",
        ),
        (
            {
                "text": TEXT,
                "spans": [{"token_start": 0, "token_end": 9, "label": "X"}],
                "tokens": TOKENS,
            },
            "outside the 7 tokens",
        ),
        (
            {"text": TEXT, "spans": [{"start": 0, "end": 5}], "_view_id": "ner_manual"},
            "has no label",
        ),
        ({"spans": []}, "no 'text' string"),
        ({"text": 5}, "no 'text' string"),
    ],
)
def test_bad_tasks_name_file_line_and_value(tmp_path, task, message) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [manual(text="Fine", h=5), task])
    with pytest.raises(SourceError, match=message) as info:
        list(ProdigySource(path=path).read())
    assert f"{path}:2" in str(info.value)


def test_an_accepted_choice_with_nothing_selected_is_a_negative_for_every_option(tmp_path) -> None:
    options = [{"id": "sport", "text": "sport"}, {"id": "tech", "text": "tech"}]
    tasks = [
        {"text": "A recipe for soup.", "options": options, "accept": [], "answer": "accept",
         "_view_id": "choice", "_input_hash": 1},
        {"text": "No options here.", "accept": [], "answer": "accept", "_view_id": "choice",
         "_input_hash": 2},
    ]  # fmt: skip
    source = ProdigySource(path=write_jsonl(tmp_path / "answers.jsonl", tasks))
    (example,) = source.read()  # neither was returned nor counted before
    assert example.labels == () and example.rejected_labels == ("sport", "tech")
    assert source.report.adjusted["nothing selected: every option recorded as rejected"] == 1
    assert source.report.skipped["accepted choice with nothing selected and no options"] == 1
    assert source.report.counts["tasks"] == 2 and source.report.counts["examples"] == 1
