"""Driver memory of whole rounds over a pool kept on disk: 1M, 10M (and more) sentences.

Each size is a parquet file of synthetic sentences (topic words among filler words, each with its
row number, so every text is distinct), written once under ``--work`` (default ``out/pool_scale``,
ignored by git). Then, in a fresh process per size, an ``ActiveLearner`` runs whole rounds over it
with a ``ParquetPool``: select (margin over the whole pool, read batch by batch), annotate (an
oracle that labels by the topic rule), train (the tiny 1-layer model on the small labelled set),
record. The table gives the RSS once the model is loaded, the peak RSS during the rounds
(``VmHWM``, reset just before), and the seconds per selection round.

The model is a randomly initialised 1-layer, 64-wide BERT with MiniLM's tokenizer (the same as
``scoring_memory.py``): weights are a constant, so memory flatness does not depend on it.

    python benchmarks/pool_scale.py                         # 1M and 10M sentences, 2 rounds
    python benchmarks/pool_scale.py --sizes 30000000 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _corpora import machine, minilm

TOPICS = {
    "sport": ["match", "goal", "team", "league", "coach", "score", "players", "season"],
    "tech": ["software", "chip", "phone", "internet", "data", "computer", "app", "network"],
    "business": ["shares", "market", "profit", "bank", "investors", "sales", "economy", "deal"],
}
FILLER = [
    "said",
    "that",
    "the",
    "new",
    "plan",
    "was",
    "good",
    "today",
    "very",
    "and",
    "it",
    "a",
    "on",
    "for",
    "with",
    "report",
    "shows",
]
LABELS = sorted(TOPICS)


def sentence(rng: random.Random, row: int) -> str:
    topic = LABELS[row % 3]
    words = rng.sample(TOPICS[topic], 2) + rng.sample(FILLER, rng.randint(4, 12))
    rng.shuffle(words)
    return " ".join(words) + f" number {row}"


def label_of(text: str) -> str:
    words = set(text.split())
    return max(LABELS, key=lambda t: len(words & set(TOPICS[t])))


def make_pool(path: Path, size: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists():
        return
    rng = random.Random(size)
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(str(tmp), pa.schema([("text", pa.string())])) as writer:
        for start in range(0, size, 200_000):
            rows = range(start, min(size, start + 200_000))
            # row groups of 50k: readers (and Ray's read tasks) can split a file between them
            table = pa.table({"text": [sentence(rng, r) for r in rows]})
            writer.write_table(table, row_group_size=50_000)
    tmp.rename(path)


def tiny_model(folder: Path) -> Path:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    if (folder / "config.json").exists():
        return folder
    tokenizer = AutoTokenizer.from_pretrained(minilm())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=128,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (this script needs Linux)")


class RuleOracle:
    """Labels the open query's examples by the topic rule (no gold set held in memory)."""

    learner: Any = None

    def annotate(self, ids: Any) -> list[Any]:
        from autonlp_al import Example

        query = self.learner.state.open
        found = self.learner.picker.find(query.ids, query.ids) if query else {}
        return [Example(text=found[i].text, id=i, labels=[label_of(found[i].text)]) for i in ids]


def child(size: int, rounds: int, work: Path) -> None:
    import shutil

    from autonlp_al import Example
    from autonlp_al.loop.learner import ActiveLearner
    from autonlp_al.pools import ParquetPool
    from autonlp_al.strategies import Margin
    from autonlp_al.trainers import TransformersTrainer

    rng = random.Random(1)
    seed = [Example(text=(t := sentence(rng, -1 - i)), labels=[label_of(t)]) for i in range(30)]
    state = work / f"state-{size}"
    shutil.rmtree(state, ignore_errors=True)
    oracle = RuleOracle()
    learner = ActiveLearner.create(
        trainer=TransformersTrainer(
            model=str(tiny_model(work / "tiny")),
            task="textcat",
            max_steps=20,
            lr=1e-3,
            progress=False,
            threads=2,
        ),
        strategy=Margin(),
        pool=ParquetPool(work / f"pool-{size}.parquet"),
        labels=LABELS,
        state_dir=state,
        labeled=seed,
        batch_size=10,
        oracle=oracle,
    )
    oracle.learner = learner
    learner.train_pending()  # round 0: the seed set (model load, first allocations)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from here
    before = status_mb("VmRSS")
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        record = learner.step()
        seconds.append(time.perf_counter() - start)
        assert len(record.selected) == 10
    print(
        json.dumps(
            {
                "size": size,
                "before": before,
                "peak": status_mb("VmHWM"),
                "seconds": seconds,
                "select": [r.timings["select"] for r in learner.history[1:]],
                "labeled": len(learner.state.labeled_examples()),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--rounds", type=int, default=2, help="selection rounds per size")
    parser.add_argument("--work", type=Path, default=Path("out/pool_scale"))
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.child is not None:
        child(args.child, args.rounds, args.work)
        return
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}; margin, batch 10, {args.rounds} rounds per size")
    print(
        "\n| pool sentences | parquet MB | RSS before rounds MB | peak RSS in rounds MB | "
        "growth MB | seconds per round | sentences/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        path = args.work / f"pool-{size}.parquet"
        make_pool(path, size)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--work",
                str(args.work),
                "--rounds",
                str(args.rounds),
                "--child",
                str(size),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        per_round = sum(r["seconds"]) / len(r["seconds"])
        select = sum(r["select"]) / len(r["select"])
        print(
            f"| {size:,} | {path.stat().st_size / 1e6:,.0f} | {r['before']:.0f} | "
            f"{r['peak']:.0f} | {r['peak'] - r['before']:.0f} | {per_round:,.0f} | "
            f"{size / select:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
