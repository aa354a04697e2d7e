"""``autonlp-al train`` and ``autonlp-al evaluate`` on real files."""

from __future__ import annotations

import json
from pathlib import Path

from autonlp_al.cli import main
from autonlp_al.writers import AutoTrainWriter, ProdigyWriter
from tests.models import corpus


def test_train_then_evaluate_ner_from_files(tiny_bert, tmp_path: Path, capsys) -> None:
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    ProdigyWriter().write(corpus(400, 1, "ner"), train)  # what Prodigy's db-out gives
    AutoTrainWriter().write(corpus(100, 2, "ner"), test)  # tokens + tags
    out = tmp_path / "model"
    code = main(
        [
            "train",
            str(train),
            str(out),
            "--from",
            "prodigy",
            "--task",
            "ner",
            "--model",
            str(tiny_bert),
            "--labels",
            "PER,ORG,LOC",
            "--epochs",
            "10",
            "--lr",
            "3e-3",
            "--max-length",
            "64",
        ]
    )
    assert code == 0
    assert (out / "config.json").exists() and (out / "autonlp_al.json").exists()
    capsys.readouterr()
    assert main(["evaluate", str(out), str(test), "--from", "jsonl", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert scores["f1"] > 0.9
    assert main(["evaluate", str(out), str(test), "--from", "jsonl"]) == 0
    printed = capsys.readouterr().out
    assert "| PER |" in printed and "f1 0.9" in printed


def test_train_textcat_from_csv_with_eval(tiny_bert, tmp_path: Path, capsys) -> None:
    csv = tmp_path / "train.csv"
    rows = ["Text,Category"] + [f"{e.text},{e.labels[0]}" for e in corpus(300, 1, "textcat")]
    csv.write_text("\n".join(rows) + "\n")
    code = main(
        [
            "train",
            str(csv),
            str(tmp_path / "m"),
            "--from",
            "csv",
            "--task",
            "textcat",
            "--model",
            str(tiny_bert),
            "--labels",
            "business,sport,tech",
            "--epochs",
            "8",
            "--lr",
            "3e-3",
            "--eval",
            str(csv),
            "--text-column",
            "Text",
            "--label-column",
            "Category",
        ]
    )
    assert code == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("eval: "))
    assert float(line.split()[2].rstrip(",")) > 0.9  # "eval: accuracy 0.99, macro_f1 ..."


def test_errors_are_messages_not_tracebacks(tmp_path: Path, capsys) -> None:
    data = tmp_path / "x.jsonl"
    data.write_text('{"text": "a b"}\n')
    assert main(["evaluate", str(tmp_path), str(data), "--from", "jsonl"]) == 1
    assert "not a transformers model folder" in capsys.readouterr().err
