"""``autonlp-al convert`` end to end on real files (run as a real subprocess where it matters)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from autonlp_al.cli import main
from tests.conftest import write_jsonl

TEXT = "Apple hired Tim Cook in London."
TOKENS = [
    {
        "text": w,
        "start": TEXT.index(w),
        "end": TEXT.index(w) + len(w),
        "id": i,
        "ws": w not in ("London", "."),
    }
    for i, w in enumerate(["Apple", "hired", "Tim", "Cook", "in", "London", "."])
]
TASKS = [
    {
        "text": TEXT,
        "tokens": TOKENS,
        "_view_id": "ner_manual",
        "answer": "accept",
        "_input_hash": 1,
        "spans": [
            {"start": 0, "end": 5, "token_start": 0, "token_end": 0, "label": "ORG"},
            {"start": 12, "end": 20, "token_start": 2, "token_end": 3, "label": "PERSON"},
        ],
    },
    {
        "text": "Sony makes the PlayStation.",
        "_view_id": "ner_manual",
        "answer": "accept",
        "_input_hash": 2,
        "spans": [{"start": 15, "end": 26, "label": "PRODUCT"}],
    },
    {"text": "Skip me", "_view_id": "ner_manual", "answer": "ignore", "_input_hash": 3},
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autonlp_al", *args], capture_output=True, text=True
    )


def test_db_out_to_autotrain_jsonl(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "bbc.jsonl", TASKS)
    out = tmp_path / "train.jsonl"
    result = run(
        "convert",
        str(src),
        str(out),
        "--from",
        "prodigy",
        "--to",
        "autotrain",
        "--labels",
        "PERSON,ORG,PRODUCT,LOCATION",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines == [
        {
            "tokens": ["Apple", "hired", "Tim", "Cook", "in", "London", "."],
            "tags": ["B-ORG", "O", "B-PERSON", "I-PERSON", "O", "O", "O"],
        },
        {
            "tokens": ["Sony", "makes", "the", "PlayStation", "."],
            "tags": ["O", "O", "O", "B-PRODUCT", "O"],
        },
    ]
    assert "skipped 1 (answer ignore)" in result.stdout
    assert "written: 2" in result.stdout and "total skipped: 1" in result.stdout


def test_sqlite_db_to_conll_and_docbin(tmp_path: Path, prodigy_db) -> None:
    db = prodigy_db({"bbc": TASKS})
    conll = tmp_path / "out.conll"
    assert (
        main(
            [
                "convert",
                str(db),
                str(conll),
                "--from",
                "prodigy",
                "--to",
                "conll",
                "--dataset",
                "bbc",
                "--scheme",
                "bilou",
            ]
        )
        == 0
    )
    assert conll.read_text().splitlines()[:4] == [
        "Apple U-ORG",
        "hired O",
        "Tim B-PERSON",
        "Cook L-PERSON",
    ]
    docbin = tmp_path / "train.spacy"
    assert (
        main(
            [
                "convert",
                str(db),
                str(docbin),
                "--from",
                "prodigy",
                "--to",
                "spacy",
                "--dataset",
                "bbc",
            ]
        )
        == 0
    )
    docs = list(DocBin().from_disk(docbin).get_docs(spacy.blank("en").vocab))
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [
        [("Apple", "ORG"), ("Tim Cook", "PERSON")],
        [("PlayStation", "PRODUCT")],
    ]


def test_bbc_csv_to_text_classification_jsonl(tmp_path: Path, capsys) -> None:
    csv = tmp_path / "BBC_News_Train.csv"
    csv.write_text(
        "ArticleId,Text,Category\n1833,worldcom ex-boss launches defence,business\n"
        "154,german business confidence slides,business\n1101,england win,sport\n"
    )
    out = tmp_path / "text.jsonl"
    code = main(
        [
            "convert",
            str(csv),
            str(out),
            "--from",
            "csv",
            "--to",
            "autotrain",
            "--text-column",
            "Text",
            "--label-column",
            "Category",
            "--id-column",
            "ArticleId",
        ]
    )
    assert code == 0
    assert [json.loads(x)["target"] for x in out.read_text().splitlines()] == [
        "business",
        "business",
        "sport",
    ]
    assert "examples: 3" in capsys.readouterr().out


@pytest.mark.parametrize("target", ["iob", "bilou", "prodigy"])
def test_conll_to_tag_jsonl_and_prodigy(tmp_path: Path, target: str) -> None:
    src = tmp_path / "in.conll"
    src.write_text("Peter B-PER\nBlackburn I-PER\n\nBRUSSELS B-LOC\n")
    out = tmp_path / "out.jsonl"
    assert main(["convert", str(src), str(out), "--from", "conll", "--to", target]) == 0
    first = json.loads(out.read_text().splitlines()[0])
    expected = {"iob": ["B-PER", "I-PER"], "bilou": ["B-PER", "L-PER"]}
    if target == "prodigy":
        assert first["spans"][0]["label"] == "PER" and first["text"] == "Peter Blackburn"
    else:
        assert first["tags"] == expected[target]


def test_errors_exit_non_zero_with_the_message(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "bbc.jsonl", TASKS)
    result = run(
        "convert",
        str(src),
        str(tmp_path / "o.jsonl"),
        "--from",
        "prodigy",
        "--to",
        "autotrain",
        "--labels",
        "ORG",
    )
    assert result.returncode == 1
    assert f"error: {src}:1: span [12, 20) 'Tim Cook' has label 'PERSON'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.jsonl").exists()  # nothing half-written

    result = run(
        "convert",
        str(tmp_path / "nope.csv"),
        str(tmp_path / "o.jsonl"),
        "--from",
        "csv",
        "--to",
        "autotrain",
    )
    assert result.returncode == 1 and "nope.csv: no such input file" in result.stderr

    result = run(
        "convert", str(src), "o", "--from", "prodigy", "--to", "conll", "--text-column", "x"
    )
    assert (
        result.returncode == 1 and "--text-column does not apply to --from prodigy" in result.stderr
    )

    assert run("convert", str(src), "o", "--from", "excel", "--to", "conll").returncode == 2


def test_lenient_options_skip_and_count(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"text": "Apple Inc", "spans": [{"start": 0, "end": 3, "label": "ORG"}]}\n{broken\n'
    )
    out = tmp_path / "o.jsonl"
    assert (
        main(
            [
                "convert",
                str(src),
                str(out),
                "--from",
                "jsonl",
                "--to",
                "iob",
                "--alignment",
                "expand",
                "--on-error",
                "skip",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "skipped 1 (invalid record)" in printed
    assert "adjusted 1 (span expanded to tokens)" in printed
    assert json.loads(out.read_text())["tags"] == ["B-ORG", "O"]
