"""The main job (``nox -s demo``): two short active-learning simulations on real data with the
local trainer and all-MiniLM-L6-v2, each strategy against a random control, then the reports.

1. BBC News classification (2,127 articles after dropping exact duplicates; a stratified 80/20
   split, seed 0): 10 labelled to start (2 per class), 2 rounds of 10; hybrid (the 50 best by
   margin, then k-means to 10) vs random.
2. CoNLL-2003 NER: 20 labelled train sentences to start, 2 rounds of 25 (20 -> 70 labelled, the
   seed workflow's retraining points); hybrid (the 125 best by MNLP, then k-means to 25) vs
   random, scored on 1,000 test sentences (a seeded sample, for time); each round scores a
   2,000-sentence sample of the pool.

Why hybrid: with 10-20 labels the model's uncertainty is poor, and pure uncertainty sampling piles
up similar examples (docs/demo.md shows what pure margin and MNLP did here).

    python benchmarks/demo.py [OUT_DIR]      # default out/demo; about 10 minutes on 2 CPU cores

Everything lands in OUT_DIR/<task>/: event logs, each round's model, report.md and curve.png.
Re-running resumes: finished rounds are not redone.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from _corpora import bbc_news, conll2003, machine, minilm

from autonlp_al import Example
from autonlp_al.loop.curves import load_runs, markdown, plot
from autonlp_al.loop.simulate import simulate
from autonlp_al.sources import ConllSource, FolderSource
from autonlp_al.strategies import MNLP, Hybrid, Margin
from autonlp_al.trainers import TransformersTrainer

BBC_CLASSES = ["business", "entertainment", "politics", "sports", "tech"]
CONLL_LABELS = ["PER", "ORG", "LOC", "MISC"]


def stratified_split(examples: list[Example], test_fraction: float, seed: int):
    by_class: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_class[example.labels[0]].append(example)
    rng = random.Random(seed)
    train, test = [], []
    for label in sorted(by_class):
        members = by_class[label]
        rng.shuffle(members)
        cut = round(len(members) * test_fraction)
        test += members[:cut]
        train += members[cut:]
    return train, test


def bbc(out: Path) -> None:
    source = FolderSource(path=bbc_news(), dedupe=True)
    articles = list(source.read())
    report = source.report
    print(
        f"BBC News: {report.counts['read']:,} files, {report.skipped['duplicate text']} exact "
        f"duplicates left out, {len(articles):,} articles"
    )
    pool, test = stratified_split(articles, 0.2, seed=0)
    trainer = TransformersTrainer(
        model=minilm(), task="textcat", epochs=20, lr=1e-4, max_length=128, progress=False
    )
    simulate(
        trainer=trainer,
        strategy=Hybrid(uncertainty=Margin()),
        gold=pool,
        test=test,
        labels=BBC_CLASSES,
        state_dir=out,
        seed_size=10,
        batch_size=10,
        rounds=2,
        seed=0,
    )


def conll(out: Path) -> None:
    pool = list(ConllSource(path=conll2003("train")).read())
    test = random.Random(0).sample(list(ConllSource(path=conll2003("test")).read()), 1000)
    trainer = TransformersTrainer(
        model=minilm(), task="ner", epochs=30, max_length=128, progress=False
    )
    simulate(
        trainer=trainer,
        strategy=Hybrid(uncertainty=MNLP()),
        gold=dedupe(pool),
        test=test,
        labels=CONLL_LABELS,
        state_dir=out,
        seed_size=20,
        batch_size=25,
        rounds=2,
        seed=0,
        pool_sample=2000,
    )


def dedupe(examples: list[Example]) -> list[Example]:
    """CoNLL repeats some sentences ("-- ", scores); an id names one text, so keep the first."""
    seen: set[int] = set()
    kept = [e for e in examples if not (e.id in seen or seen.add(e.id))]
    print(
        f"CoNLL-2003 train: {len(examples):,} sentences, {len(examples) - len(kept):,} exact "
        f"repeats left out, {len(kept):,} in the pool"
    )
    return kept


def main(out: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    logging.getLogger("autonlp_al.trainers").setLevel(logging.WARNING)
    print(f"machine: {machine()}")
    for name, job in (("bbc", bbc), ("conll", conll)):
        start = time.perf_counter()
        print(f"\n== {name} ==")
        job(out / name)
        runs = load_runs(out / name)
        table = markdown(runs)
        (out / name / "report.md").write_text(table + "\n")
        plot(runs, out / name / "curve.png", title=name)
        print(table)
        print(f"({time.perf_counter() - start:.0f} s; report and curve in {out / name})")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/demo"))
