"""The loop from the command line on the tiny BERT: simulate + report, query + update."""

from __future__ import annotations

import json
from pathlib import Path

from autonlp_al.cli import main
from autonlp_al.writers import AutoTrainWriter
from tests.models import corpus


def test_simulate_writes_a_report_with_the_random_control(
    tiny_bert, tmp_path: Path, capsys
) -> None:
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    AutoTrainWriter().write(corpus(200, 1, "ner"), train)
    AutoTrainWriter().write(corpus(60, 2, "ner"), test)
    state = tmp_path / "sim"
    code = main(
        [
            "simulate",
            str(train),
            str(test),
            "--from",
            "jsonl",
            "--task",
            "ner",
            "--model",
            str(tiny_bert),
            "--labels",
            "PER,ORG,LOC",
            "--strategy",
            "mnlp",
            "--rounds",
            "2",
            "--batch-size",
            "10",
            "--seed-size",
            "10",
            "--epochs",
            "5",
            "--lr",
            "3e-3",
            "--max-length",
            "64",
            "--state-dir",
            str(state),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "| labelled | mnlp f1 | random f1 | mnlp - random |" in printed
    assert (state / "report.md").exists() and (state / "curve.png").exists()
    rows = [
        line for line in (state / "report.md").read_text().splitlines() if line.startswith("| 30 |")
    ]
    assert rows  # three rounds: 10, 20, 30 labelled
    assert main(["report", str(state), "--reference", "0.9"]) == 0
    assert "Labels needed to reach" in capsys.readouterr().out


def test_query_then_update_from_the_command_line(tiny_bert, tmp_path: Path, capsys) -> None:
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": e.text}) + "\n" for e in corpus(80, 3, "ner")))
    state = tmp_path / "loop"
    common = [
        "--task",
        "ner",
        "--model",
        str(tiny_bert),
        "--labels",
        "PER,ORG,LOC",
        "--strategy",
        "random",
        "--batch-size",
        "5",
        "--epochs",
        "2",
        "--max-length",
        "64",
    ]
    assert main(["query", str(pool), "--from", "jsonl", "--state-dir", str(state), *common]) == 0
    assert "round 0: wrote" in capsys.readouterr().out
    tasks = [
        json.loads(x) for x in (state / "queries" / "round-000.jsonl").read_text().splitlines()
    ]
    assert len(tasks) == 5
    gold = {e.text: e for e in corpus(80, 3, "ner")}
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "".join(
            json.dumps(
                {
                    **task,
                    "answer": "accept",
                    "_view_id": "ner_manual",
                    "spans": [
                        {"start": s.start, "end": s.end, "label": s.label}
                        for s in gold[task["text"]].spans
                    ],
                }
            )
            + "\n"
            for task in tasks
        )
    )
    assert main(["update", str(answers), "--state-dir", str(state), "--from", "prodigy"]) == 0
    assert "round 0: 5 labelled" in capsys.readouterr().out
    assert main(["query", str(pool), "--from", "jsonl", "--state-dir", str(state), *common]) == 0
    second = [
        json.loads(x) for x in (state / "queries" / "round-001.jsonl").read_text().splitlines()
    ]
    assert not {t["meta"]["autonlp_al_id"] for t in second} & {
        t["meta"]["autonlp_al_id"] for t in tasks
    }


def test_simulate_takes_dedupe_for_a_pool_that_repeats_texts(
    tiny_bert, tmp_path: Path, capsys
) -> None:
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    examples = corpus(60, 1, "ner")
    AutoTrainWriter().write([*examples, examples[0], examples[1]], train)  # two repeats
    AutoTrainWriter().write(corpus(20, 2, "ner"), test)
    common = ["simulate", str(train), str(test), "--from", "jsonl", "--task", "ner",
              "--model", str(tiny_bert), "--labels", "PER,ORG,LOC", "--rounds", "1",
              "--no-control", "--max-steps", "2", "--max-length", "64"]  # fmt: skip
    assert main([*common, "--state-dir", str(tmp_path / "refused")]) == 1
    assert "--dedupe" in capsys.readouterr().err
    assert main([*common, "--state-dir", str(tmp_path / "sim"), "--dedupe"]) == 0
    printed = capsys.readouterr().out
    assert "skipped 2 (duplicate text)" in printed and "| 20 |" in printed


def test_a_trainer_without_a_base_model_needs_no_model_option(tmp_path: Path, capsys) -> None:
    """``--trainer tfidf`` has no base model: a query without ``--model`` used to be refused."""
    import pytest

    pytest.importorskip("sklearn")
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": e.text}) + "\n" for e in corpus(30, 0, "textcat")))
    state = tmp_path / "state"
    args = ["query", str(pool), "--from", "jsonl", "--state-dir", str(state), "--task", "textcat"]
    assert main([*args, "--labels", "sport,tech,business", "--trainer", "tfidf"]) == 0
    assert '@trainers = "tfidf.v1"' in (state / "config.cfg").read_text()
    # a trainer that has a base model still asks for it
    assert main([*args, "--labels", "a,b", "--state-dir", str(tmp_path / "other")]) == 1
    assert "--model is required" in capsys.readouterr().err
