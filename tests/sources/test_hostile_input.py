"""Inputs from the fuzzing report (issue 14): each is a typed error naming where, or a counted
skip under ``on_error="skip"``; none crashes untyped, hangs, or is lost silently."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from autonlp_al import Example
from autonlp_al.errors import SourceError
from autonlp_al.sources import FolderSource, JsonlSource, ProdigySource
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
