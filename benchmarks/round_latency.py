"""Round latency: annotations in -> the next batch queued, for a warm-started NER model.

CoNLL-2003 train (exact repeats dropped: 12,691 sentences) is the pool; 1,000 random sentences
are the seed set, trained first (not timed: that is the warm start). Then one round as it runs
with people, through the public API:

1. ``query()`` writes the batch as Prodigy tasks; the gold answers are written as a Prodigy
   db-out JSONL file (the annotator's part, not timed);
2. **convert**: reading that file with ``ProdigySource`` (validation, token alignment, merge);
3. **train**: ``update()`` fine-tunes the previous round's model on all labelled sentences
   (1,000 + the batch), ``epochs`` passes, and saves it;
4. **score** + **select**: the next ``query()`` scores every unlabelled sentence (the model's
   ``token_marginals``, timed through a proxy), picks the batch (MNLP), pre-annotates it and
   writes the task file.

With ``--selector``, the rounds train a cheap selector instead (issue 13): a per-word linear head
on frozen MiniLM word vectors (``EmbeddingTrainer``), computed once for the pool and cached on disk
before the timed round (the first run embeds; later runs read the cache). MiniLM fine-tuning is
then the final model, trained only when asked, so it is not part of a round.

    python benchmarks/round_latency.py [--batch 50] [--epochs 1] [--selector] [--out DIR]
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import time
from pathlib import Path
from typing import Any

from _corpora import PLAIN_HEAD, conll2003, machine, minilm

from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.sources import ConllSource, ProdigySource
from autonlp_al.strategies import MNLP
from autonlp_al.testing import InMemorySource
from autonlp_al.trainers import TransformersTrainer
from autonlp_al.trainers.frozen.embedding import EmbeddingTrainer
from autonlp_al.trainers.frozen.encoder import FrozenEncoder
from autonlp_al.writers import ProdigyWriter

LABELS = ["PER", "ORG", "LOC", "MISC"]
SCORING = ("token_marginals", "class_probabilities", "embed", "mc_class_probabilities")


class TimedModel:
    """Passes everything to ``model``; adds up the seconds spent in its scoring methods."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._model, name)
        if name not in SCORING:
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


class TimedStrategy:
    """``strategy``, with the model it is given wrapped in :class:`TimedModel`."""

    def __init__(self, strategy: Any) -> None:
        self.strategy = strategy
        self.name = strategy.name
        self.score_seconds = 0.0

    def select(self, model: Any, pool: Any, n: int, **kwargs: Any) -> Any:
        timed = TimedModel(model)
        try:
            return self.strategy.select(timed, pool, n, **kwargs)
        finally:
            self.score_seconds += timed.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seed-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--selector", action="store_true", help="a cheap selector for rounds")
    parser.add_argument("--out", type=Path, default=Path("out/round_latency"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    shutil.rmtree(args.out, ignore_errors=True)

    train = list(ConllSource(path=conll2003("train")).read())
    seen: set[int] = set()
    pool = [e for e in train if not (e.id in seen or seen.add(e.id))]
    gold = {e.id: e for e in pool}
    seed = random.Random(0).sample(pool, args.seed_size)
    strategy = TimedStrategy(MNLP())
    selector = None
    if args.selector:
        encoder = FrozenEncoder(model=minilm(), max_length=128)
        start = time.perf_counter()
        encoder.token_vectors(pool)
        print(f"MiniLM word vectors of the pool (cached, not part of the round): "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        selector = EmbeddingTrainer(encoder=encoder, task="ner", c=1.0, **PLAIN_HEAD)
    learner = ActiveLearner.create(
        selector=selector,
        trainer=TransformersTrainer(
            model=minilm(), task="ner", epochs=args.epochs, max_length=128, progress=False
        ),
        strategy=strategy,
        pool=[e for e in pool if e.id not in {s.id for s in seed}],
        labeled=seed,
        labels=LABELS,
        state_dir=args.out / "state",
        batch_size=args.batch,
    )
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}")
    print(
        f"pool {len(learner.pool):,} unlabelled sentences, {len(seed):,} labelled, batch "
        f"{args.batch}, "
        + (
            "a linear head on frozen MiniLM word vectors per round"
            if args.selector
            else f"{args.epochs} epoch(s) of MiniLM-L6 per round"
        )
        + f", strategy {strategy.name}"
    )

    start = time.perf_counter()
    learner.train_pending()  # the seed model (the warm start)
    query = learner.query()  # the first batch
    warm = time.perf_counter() - start
    print(f"warm start (seed model + first query, not part of the round): {warm:.1f} s")

    # the annotator: gold answers for the queried tasks, as Prodigy db-out JSONL
    asked = [e.id for e in query.examples]
    answers = args.out / "answers.jsonl"
    ProdigyWriter().write([gold[i] for i in asked], answers)

    rows: list[tuple[str, float]] = []
    start = time.perf_counter()
    examples = list(ProdigySource(path=answers).read())
    rows.append(("convert (Prodigy JSONL -> examples)", time.perf_counter() - start))
    start = time.perf_counter()
    record = learner.update(InMemorySource(examples))
    update = time.perf_counter() - start
    assert record is not None
    train_s = record.timings["train"]
    what = "selector" if args.selector else "warm start"
    rows.append((f"train ({what}, {record.n_labeled:,} sentences)", train_s))
    rows.append(("save the round's model + log", update - train_s))
    strategy.score_seconds = 0.0
    start = time.perf_counter()
    ProdigyWriter().write(learner.query().tasks(), args.out / "query.jsonl")
    query_s = time.perf_counter() - start
    rows.append(
        (
            f"score ({len(learner.picker.unlabeled(learner.state.done())):,} sentences)",
            strategy.score_seconds,
        )
    )
    rows.append(("select + pre-annotate + write the batch", query_s - strategy.score_seconds))
    total = sum(s for _, s in rows)
    print("\n| step | seconds | share |\n|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / total:.0%} |")
    print(f"| **annotations in -> next batch queued** | **{total:.2f}** | |")


if __name__ == "__main__":
    main()
