"""The local trainer on real data: all-MiniLM-L6-v2 fine-tuned on CoNLL-2003 English.

1. Random baseline: entity F1 on the full test set (3,453 sentences) after training on 70, 250 and
   1000 random train sentences (the numbers an active learner has to beat).
2. Pool scoring throughput over 3,000 train sentences, sentences/s: our ``token_marginals``; the
   transformers ``pipeline("token-classification")`` with defaults and with batch_size=32; a raw,
   length-sorted forward pass (batch 32) with no pre- or post-processing.

    python benchmarks/local_trainer.py [--part f1|speed|all] [--sizes 70,250,1000] [--seed 1]

Prints markdown tables with the machine description.
"""

from __future__ import annotations

import argparse
import random
import time

from _batches import raw_forward
from _corpora import conll2003, machine, minilm

from autonlp_al.metrics import evaluate
from autonlp_al.sources import ConllSource
from autonlp_al.trainers import TransformersTrainer

# steps like the measured baselines in shared/research/baselines.md: batch 16, AdamW 5e-5
EPOCHS = {70: 30, 250: 25, 1000: 6}
LABELS = ["PER", "ORG", "LOC", "MISC"]


def f1_part(sizes: list[int], seed: int) -> None:
    pool = list(ConllSource(path=conll2003("train")).read())
    test = list(ConllSource(path=conll2003("test")).read())
    print(f"\n## Random baseline, CoNLL-2003 test ({len(test):,} sentences), seed {seed}\n")
    print(
        "| n train | epochs | steps | F1 | P | R | train s | eval s |\n|---|---|---|---|---|---|---|---|"
    )
    for n in sizes:
        train = random.Random(seed).sample(pool, n)
        epochs = EPOCHS.get(n, 6)
        trainer = TransformersTrainer(
            model=minilm(), task="ner", epochs=epochs, seed=seed, max_length=128, progress=False
        )
        start = time.perf_counter()
        model = trainer.train(train, labels=LABELS)
        trained = time.perf_counter() - start
        scores = evaluate(model, test)
        evaluated = time.perf_counter() - start - trained
        steps = epochs * -(-n // 16)
        print(
            f"| {n} | {epochs} | {steps} | {scores.f1:.3f} | {scores.precision:.3f} | "
            f"{scores.recall:.3f} | {trained:.0f} | {evaluated:.0f} |",
            flush=True,
        )


def speed_part() -> None:
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from autonlp_al.converters.iob import ner_tags
    from autonlp_al.trainers import TransformersModel

    sentences = list(ConllSource(path=conll2003("train")).read())[:3000]
    texts = [s.text for s in sentences]
    tags = ner_tags(LABELS)
    hf = AutoModelForTokenClassification.from_pretrained(
        minilm(),
        num_labels=len(tags),
        id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)},
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(minilm())
    ours = TransformersModel(
        model=hf,
        tokenizer=tokenizer,
        task="ner",
        labels=LABELS,
        tags=tags,
        max_length=128,
        batch_size=32,
    )

    raw = raw_forward(tokenizer, hf, texts)

    tagger = pipeline("token-classification", model=hf, tokenizer=tokenizer, device=-1)
    runs = {
        "autonlp_al TransformersModel.token_marginals": lambda: ours.token_marginals(sentences),
        "transformers pipeline, defaults": lambda: list(tagger(texts)),
        "transformers pipeline, batch_size=32": lambda: list(tagger(texts, batch_size=32)),
        "raw forward, length-sorted, batch 32": raw,
    }
    print(
        f"\n## Pool scoring, {len(texts):,} CoNLL-2003 train sentences, "
        f"{torch.get_num_threads()} threads\n"
    )
    print("| method | seconds | sentences/s |\n|---|---|---|")
    raw()  # warm-up: torch builds its CPU kernels for each new shape on first use
    results = {}
    for name, run in runs.items():
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        results[name] = len(texts) / seconds
        print(f"| {name} | {seconds:.1f} | {results[name]:.1f} |", flush=True)
    names = list(results)
    print(
        f"\nours / pipeline batch 32: {results[names[0]] / results[names[2]]:.2f}x; "
        f"ours / raw: {results[names[0]] / results[names[3]]:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("f1", "speed", "all"), default="all")
    parser.add_argument("--sizes", default="70,250,1000")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.part in ("speed", "all"):
        speed_part()
    if args.part in ("f1", "all"):
        f1_part([int(n) for n in args.sizes.split(",")], args.seed)


if __name__ == "__main__":
    main()
