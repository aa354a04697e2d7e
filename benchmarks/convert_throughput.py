"""Conversion throughput: Prodigy db-out JSONL -> AutoTrain JSONL, records/s, against a plain loop
over spaCy's ``offsets_to_biluo_tags`` + ``biluo_to_iob`` on the same records.

The input is synthesised from CoNLL-2003 train (sentences as ner.manual tasks with character spans)
into a temporary folder; nothing is written into the repository.

    python benchmarks/convert_throughput.py [--limit N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _corpora import conll2003, machine

from autonlp_al.sources import ConllSource, ProdigySource
from autonlp_al.writers import AutoTrainWriter


def make_tasks(path: Path, limit: int) -> int:
    n = 0
    with path.open("w") as f:
        for n, ex in enumerate(ConllSource(path=conll2003("train")).read(), start=1):
            spans = [{"start": s.start, "end": s.end, "label": s.label} for s in ex.spans]
            f.write(
                json.dumps(
                    {
                        "text": ex.text,
                        "spans": spans,
                        "answer": "accept",
                        "_view_id": "ner_manual",
                        "_input_hash": n,
                    }
                )
                + "\n"
            )
            if n == limit:
                break
    return n


def ours(src: Path, out: Path) -> int:
    writer = AutoTrainWriter()
    writer.write(ProdigySource(path=src).read(), out)
    return writer.report.counts["written"]


def spacy_loop(src: Path, out: Path) -> int:
    import spacy
    from spacy.training import biluo_to_iob, offsets_to_biluo_tags

    nlp = spacy.blank("en")
    n = 0
    with src.open() as f, out.open("w") as o:
        for line in f:
            task = json.loads(line)
            doc = nlp.make_doc(task["text"])
            tags = biluo_to_iob(
                offsets_to_biluo_tags(
                    doc, [(s["start"], s["end"], s["label"]) for s in task["spans"]]
                )
            )
            o.write(json.dumps({"tokens": [t.text for t in doc], "tags": tags}) + "\n")
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=14041)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "tasks.jsonl"
        n = make_tasks(src, args.limit)
        rows = []
        for name, fn in (
            ("autonlp_al ProdigySource -> AutoTrainWriter", ours),
            ("spaCy offsets_to_biluo_tags loop", spacy_loop),
        ):
            best = min(_timed(fn, src, Path(tmp) / "out.jsonl") for _ in range(args.repeat))
            rows.append((name, best))
        print(f"\n{n:,} Prodigy ner.manual tasks (CoNLL-2003 train), best of {args.repeat}\n")
        print("| pipeline | seconds | records/s |\n|---|---|---|")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.2f} | {n / seconds:,.0f} |")


def _timed(fn, src: Path, out: Path) -> float:
    start = time.perf_counter()
    fn(src, out)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
