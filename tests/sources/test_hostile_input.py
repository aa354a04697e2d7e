"""Inputs from the fuzzing report (issue 14): each is a typed error naming where, or a counted
skip under ``on_error="skip"``; none crashes untyped, hangs, or is lost silently."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from autonlp_al import Example
from autonlp_al.errors import SourceError
from autonlp_al.sources import ConllSource, CsvSource, FolderSource, JsonlSource, ProdigySource
from tests.conftest import write_jsonl

DEEP = "[" * 5000 + "]" * 5000


def test_a_prodigy_db_path_with_a_hash_opens_that_file_not_a_prefix(prodigy_db, tmp_path) -> None:
    built = prodigy_db({"bbc": [{"text": "Real one.", "answer": "accept", "_input_hash": 1}]})
    odd = tmp_path / "a#1.db"
    built.rename(odd)
    (tmp_path / "a").write_bytes(b"not this one")  # the file a bare URI opened instead
    (example,) = ProdigySource(path=odd, dataset="bbc").read()
    assert example.text == "Real one."
    assert (tmp_path / "a").read_bytes() == b"not this one"


def test_deeply_nested_json_is_a_bad_line_not_a_recursion_error(tmp_path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps({"text": "fine"}) + "\n" + DEEP + "\n")
    with pytest.raises(SourceError, match=r"deep\.jsonl:2: invalid JSON"):
        list(JsonlSource(path=path).read())
    source = JsonlSource(path=path, on_error="skip")
    assert [e.text for e in source.read()] == ["fine"] and source.report.n_skipped == 1
    prodigy = ProdigySource(path=path, on_error="skip")
    assert [e.text for e in prodigy.read()] == ["fine"] and prodigy.report.n_skipped == 1


def test_deeply_nested_json_in_a_prodigy_db_row(prodigy_db) -> None:
    path = prodigy_db({"bbc": [{"text": "fine", "answer": "accept", "_input_hash": 1}]})
    con = sqlite3.connect(path)
    con.execute("UPDATE example SET content = ?", (DEEP.encode(),))
    con.commit()
    con.close()
    with pytest.raises(SourceError, match="not valid JSON"):
        list(ProdigySource(path=path, dataset="bbc").read())


def test_undecodable_bytes_are_skipped_and_counted_under_skip(tmp_path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(b'{"text": "fine"}\n{"text": "caf\xe9"}\n{"text": "also fine"}\n')
    with pytest.raises(SourceError, match=r"bytes\.jsonl:2: bytes b'\\xe9' are not valid utf-8"):
        list(JsonlSource(path=path).read())
    source = JsonlSource(path=path, on_error="skip")  # it aborted the whole read before
    assert [e.text for e in source.read()] == ["fine", "also fine"]
    assert source.report.n_skipped == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer", "maybe", "answer 'maybe' is not accept, reject or ignore"),
        ("answer", ["accept"], "is not accept, reject or ignore"),
        ("_session_id", ["a"], "'_session_id' must be a string"),
    ],
)
def test_bad_prodigy_answers_raise_or_are_counted(tmp_path, field, value, message) -> None:
    tasks = [
        {"text": "fine", "answer": "accept", "_input_hash": 1},
        {"text": "odd", "answer": "accept", "_input_hash": 2, field: value},
    ]
    path = write_jsonl(tmp_path / "answers.jsonl", tasks)
    with pytest.raises(SourceError, match=message):
        list(ProdigySource(path=path, sessions=["a"]).read())
    source = ProdigySource(path=path, on_error="skip")  # the unknown answer aborted it before
    assert [e.text for e in source.read()] == ["fine"]
    assert source.report.skipped["invalid record"] == 1


def test_folder_entries_that_are_not_files_are_counted_and_a_fifo_never_read(tmp_path) -> None:
    sport = tmp_path / "sport"
    sport.mkdir()
    (sport / "001.txt").write_text("A match.")
    (sport / "002.txt").mkdir()
    (sport / "003.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(sport / "004.txt")  # opening it for reading would block forever
    source = FolderSource(path=tmp_path)
    assert [e.text for e in source.read()] == ["A match."]
    assert source.report.skipped["not a regular file"] == 3
    kinds = sorted(i.detail for i in source.report.issues)
    assert kinds == ["a FIFO (named pipe)", "a broken symbolic link", "a folder"]


def test_a_lone_surrogate_is_a_source_error_naming_it(tmp_path) -> None:
    with pytest.raises(SourceError, match=r"lone surrogate '\\ud83d' at offset 3"):
        Example(text="Hi \ud83d there")
    path = tmp_path / "s.jsonl"
    path.write_text('{"text": "ok"}\n{"text": "Hi \\ud83d there"}\n')  # a JSON escape
    with pytest.raises(SourceError, match=r"s\.jsonl:2: .*lone surrogate"):
        list(JsonlSource(path=path).read())
    source = JsonlSource(path=path, on_error="skip")
    assert [e.text for e in source.read()] == ["ok"] and source.report.n_skipped == 1


def _many_tasks(prodigy_db, n: int):  # type: ignore[no-untyped-def]
    tasks = [
        {"text": f"Article {i}. " + "words " * 30, "answer": "accept", "_input_hash": i}
        for i in range(n)
    ]
    return prodigy_db({"bbc": tasks})


def test_a_damaged_prodigy_db_is_a_source_error_with_the_next_step(prodigy_db) -> None:
    path = _many_tasks(prodigy_db, 300)
    raw = bytearray(path.read_bytes())
    raw[5 * 4096 : 5 * 4096 + 8] = b"\xff" * 8  # a table page's header, as a bad disk leaves it
    path.write_bytes(raw)
    with pytest.raises(SourceError, match=r"damaged or not a Prodigy database.*integrity_check"):
        list(ProdigySource(path=path, dataset="bbc", on_error="skip").read())


def test_a_locked_prodigy_db_says_locked_not_not_a_database(prodigy_db) -> None:
    path = _many_tasks(prodigy_db, 3)
    writer = sqlite3.connect(path, timeout=0)
    writer.execute("BEGIN EXCLUSIVE")  # Prodigy in the middle of a commit
    try:
        with pytest.raises(SourceError, match=r"locked by another process.*retry"):
            list(ProdigySource(path=path, dataset="bbc").read())
    finally:
        writer.rollback()
        writer.close()


def test_a_slowly_consumed_read_never_blocks_prodigys_commit(prodigy_db) -> None:
    path = _many_tasks(prodigy_db, 1200)  # more than two pages
    examples = ProdigySource(path=path, dataset="bbc").read()
    first = next(examples)
    writer = sqlite3.connect(path, timeout=0)  # no waiting: a held read lock fails at once
    writer.execute("UPDATE dataset SET meta = ? WHERE name = 'bbc'", (b'{"saved": 1}',))
    writer.commit()  # "database is locked" while one long SELECT was open
    writer.close()
    assert first.text.startswith("Article 0.")
    assert len([first, *examples]) == 1200


def test_a_wal_mode_prodigy_db_reads_while_prodigy_writes(prodigy_db) -> None:
    path = _many_tasks(prodigy_db, 3)
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=wal")
    writer.execute("UPDATE dataset SET meta = ? WHERE name = 'bbc'", (b"{}",))
    writer.commit()
    try:
        assert len(list(ProdigySource(path=path, dataset="bbc").read())) == 3
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("source", "name", "data", "line", "texts", "reason"),
    [
        (
            ConllSource,
            "in.conll",
            b"EU B-ORG\nrejects O\n\nCaf\xe9 O\nbar O\n\nPeter B-PER\n",
            4,
            ["EU rejects", "Peter"],
            "malformed line",  # the whole sentence, never a sentence less a line
        ),
        (
            CsvSource,
            "in.csv",
            b"text,label\nfine,a\ncaf\xe9,b\nalso fine,c\n",
            3,
            ["fine", "also fine"],
            "invalid record",
        ),
    ],
    ids=["conll", "csv"],
)
def test_undecodable_bytes_skip_only_their_record_under_skip(
    tmp_path, source, name, data, line, texts, reason
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    pattern = rf"{name.replace('.', '[.]')}:{line}: bytes b'\\xe9' are not valid utf-8"
    with pytest.raises(SourceError, match=pattern):
        list(source(path=path).read())
    skipping = source(path=path, on_error="skip")  # it aborted the whole read before
    assert [e.text for e in skipping.read()] == texts
    assert skipping.report.skipped[reason] == 1


def test_a_db_row_whose_text_is_not_utf8_is_that_rows_error_alone(prodigy_db) -> None:
    path = _many_tasks(prodigy_db, 3)
    con = sqlite3.connect(path)
    con.execute("UPDATE example SET content = CAST(x'7b227465787422ff' AS TEXT) WHERE id = 2")
    con.commit()
    con.close()
    with pytest.raises(SourceError, match=r"prodigy\.db#bbc:2: the task content is not valid JSON"):
        list(ProdigySource(path=path, dataset="bbc").read())
    source = ProdigySource(path=path, dataset="bbc", on_error="skip")
    assert len(list(source.read())) == 2 and source.report.skipped["invalid record"] == 1


@pytest.mark.parametrize(
    "exc",
    [IndexError("list index out of range"), OverflowError("int too large"), RecursionError("deep")],
)
def test_guarded_turns_any_bad_value_error_into_a_source_error_or_a_counted_skip(exc) -> None:
    from autonlp_al.report import Report
    from autonlp_al.sources.base import OnError, guarded
    from autonlp_al.types import Origin

    def build() -> None:
        raise exc

    origin = Origin("in.jsonl", 7)
    with pytest.raises(SourceError, match=r"in\.jsonl:7: ") as raised:
        guarded(OnError.RAISE, Report(), origin, build)
    assert raised.value.__cause__ is exc
    report = Report()
    assert guarded(OnError.SKIP, report, origin, build) is None
    assert report.skipped["invalid record"] == 1
