"""The main job (``nox -s demo``): two active-learning simulations on real data with the
two-model loop: a cheap selector picks every round (a linear head on frozen all-MiniLM-L6-v2
vectors, computed once and cached on disk), and the local trainer fine-tunes MiniLM as the final
model at the end of each run. Each strategy runs beside a random control from the same seed set,
and both end with a final model, so the picked set and the random set are compared through it.

1. BBC News classification (2,127 articles after dropping exact duplicates; a stratified 80/20
   split, seed 0): 10 labelled to start (2 per class), 9 rounds of 10 (100 labelled); the
   selector is TF-IDF plus MiniLM vectors (the first 256 word pieces); margin vs random.
2. CoNLL-2003 NER: the whole deduplicated train split (12,691 sentences) as the pool, scored
   every round; 20 labelled sentences to start, 6 rounds of 25 (170 labelled); the selector is a
   per-word head on MiniLM word vectors; MNLP vs random, scored on 1,000 test sentences (a
   seeded sample, for time).

    python benchmarks/demo.py [OUT_DIR]      # default out/demo; about 5 minutes on 2 CPU cores

Everything lands in OUT_DIR/<task>/: event logs, each round's selector, the final models,
report.md (the selector's curve and the final models) and curve.png. Re-running resumes:
finished rounds are not redone, and cached vectors are not computed again.
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
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.curves import finals_table, load_finals, load_runs, markdown, plot
from autonlp_al.loop.simulate import simulate
from autonlp_al.sources import ConllSource, FolderSource
from autonlp_al.trainers.frozen.encoder import FrozenEncoder

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
    encoder = FrozenEncoder(model=minilm(), max_length=256)
    start = time.perf_counter()
    encoder.embed(pool + test)
    print(
        f"MiniLM vectors of {len(pool) + len(test):,} articles: {time.perf_counter() - start:.0f} s"
    )
    config = LoopConfig(
        task="textcat",
        labels=BBC_CLASSES,
        trainer=_trainer(epochs=20, max_steps=40, lr=1e-4),
        selector=Part(kind="trainers", name="tfidf", args={"encoder": _encoder(256)}),
        strategy=Part(kind="strategies", name="margin"),
        batch_size=10,
        seed=0,
    )
    simulate(config, gold=pool, test=test, state_dir=out, seed_size=10, rounds=9)


def conll(out: Path) -> None:
    pool = dedupe(list(ConllSource(path=conll2003("train")).read()))
    test = random.Random(0).sample(list(ConllSource(path=conll2003("test")).read()), 1000)
    encoder = FrozenEncoder(model=minilm(), max_length=128)
    start = time.perf_counter()
    encoder.token_vectors(pool + test)
    print(f"MiniLM word vectors of {len(pool) + len(test):,} sentences: "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    config = LoopConfig(
        task="ner",
        labels=CONLL_LABELS,
        trainer=_trainer(epochs=30, max_steps=100, lr=1e-4),
        selector=Part(kind="trainers", name="embedding", args={"encoder": _encoder(128), "c": 1.0}),
        strategy=Part(kind="strategies", name="mnlp"),
        batch_size=25,
        seed=0,
    )
    simulate(config, gold=pool, test=test, state_dir=out, seed_size=20, rounds=6)


def _trainer(**args: object) -> Part:
    """MiniLM fine-tuned by the local trainer: the final model."""
    return Part(
        kind="trainers",
        name="transformers",
        args={"model": minilm(), "max_length": 128, "progress": False, **args},
    )


def _encoder(max_length: int) -> Part:
    """Frozen MiniLM vectors, cached on disk (the selectors' features)."""
    return Part(
        kind="encoders", name="transformers", args={"model": minilm(), "max_length": max_length}
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
        table = markdown(runs) + "\n\n" + finals_table(load_finals(out / name), runs)
        (out / name / "report.md").write_text(table + "\n")
        plot(runs, out / name / "curve.png", title=name)
        print(table)
        print(f"({time.perf_counter() - start:.0f} s; report and curve in {out / name})")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/demo"))
