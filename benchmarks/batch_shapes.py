"""How a batch is drawn, on CoNLL-2003 NER (issue 31, items 1 to 3): per sentence and per token.

The whole deduplicated train split is the pool, the test split scores each round. The selector is
the cheap one of the two-model loop (a linear head on frozen all-MiniLM-L6-v2 word vectors,
refitted each round in about a second); it picks in batches of ``--batch`` from the same 100
random seed sentences per selection seed, up to ``--budget`` labelled sentences. For each way of
drawing the batch it reports the *selector's* test F1 (a proxy: the final model's F1 on the same
picks is what people get, and is not measured here), the tokens the labels hold, and the paired
difference to random per seed, at the sizes the issue names.

    python benchmarks/batch_shapes.py [--seeds 3] [--batch 100] [--budget 1900]
        [--strategies random,mnlp,total_token_entropy,...] [--features plain|shape|...]

``--features`` gives the selector's head word-shape features, the vectors of the words either
side, IOB-consistent marginals (``EmbeddingTrainer(shape=True, window=1, sequence=True)``), or
some of them; its runs are recorded as
``strategy [features]`` beside the plain ones; ``--encoder-layers N`` reads the mean of MiniLM's
last N layers instead of the last one. ``--final-at N`` also fine-tunes MiniLM with the loop's
final-training defaults on each run's first N labelled sentences (what people would get).

Vectors are cached (~/.cache/autonlp_al/embeddings, or $AUTONLP_AL_CACHE). Results go to
out/batch_shapes.json; the table is printed with the machine line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _corpora import PLAIN_HEAD, machine, minilm  # noqa: E402
from proxy_selection import conll_vectors, run_curve  # noqa: E402

from autonlp_al.loop.simulate import seed_set  # noqa: E402
from autonlp_al.metrics import evaluate  # noqa: E402
from autonlp_al.strategies import (  # noqa: E402
    MNLP,
    LengthBins,
    RandomSampling,
    Stochastic,
    TokenEntropy,
)
from autonlp_al.trainers import TransformersTrainer  # noqa: E402
from autonlp_al.trainers.frozen.embedding import EmbeddingTrainer  # noqa: E402

OUT = HERE.parent / "out" / "batch_shapes.json"
FEATURES = {  # the selector head's word features (all three on is its NER default)
    "plain": PLAIN_HEAD,
    "shape": {"window": 0, "shape": True, "sequence": False},
    "window": {"window": 1, "shape": False, "sequence": False},
    "window+shape": {"window": 1, "shape": True, "sequence": False},
    "sequence": {"window": 0, "shape": False, "sequence": True},
    "window+shape+sequence": {"window": 1, "shape": True, "sequence": True},
}
LABELS = ["PER", "ORG", "LOC", "MISC"]
SIZES = (700, 1300, 1900)  # the rounds nearest 5, 10, 15% of the pool (634, 1,269, 1,903)


def strategies() -> dict[str, Any]:
    total = TokenEntropy(reduction="sum")
    return {
        "random": RandomSampling(),
        "mnlp": MNLP(),
        "total_token_entropy": total,
        "tempered_token_entropy": TokenEntropy(reduction="tempered", alpha=0.5),
        "length_bins_total": LengthBins(base=total),
        "stochastic_total": Stochastic(base=total),
        "stochastic_mnlp": Stochastic(base=MNLP()),
    }


def at(rounds: list[dict[str, Any]], n: int) -> dict[str, Any] | None:
    """The first round with at least ``n`` labelled (batches of 100 from 100: n rounded up)."""
    return next((r for r in rounds if r["n"] >= n), None)


def tokens_for(rounds: list[dict[str, Any]], target: float) -> float | None:
    """Labelled tokens at which the selector's F1 first reaches ``target``, interpolated."""
    before = None
    for r in rounds:
        f1 = r["metrics"].get("f1", 0.0)
        if f1 >= target:
            if before is None:
                return float(r["tokens"])
            (t0, f0), t1 = before, r["tokens"]
            return t0 + (t1 - t0) * (target - f0) / (f1 - f0)
        before = (r["tokens"], f1)
    return None


def spread(values: list[float], digits: int = 3) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return (
        f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f} "
        f"[{min(values):.{digits}f}, {max(values):.{digits}f}]"
    )


def baseline(name: str) -> str:
    """The random run a run is paired with: random with the same selector features."""
    return "random" + name[name.index(" [") :] if " [" in name else "random"


def table(results: dict[str, Any]) -> str:
    runs = results["runs"]
    names = list(runs)
    seeds = sorted({int(s) for r in runs.values() for s in r})
    lines = [f"machine: {results['machine']}", f"pool {results['pool']:,} sentences, "
             f"test {results['test']:,}; selection seeds {seeds}; batches of {results['batch']}",
             ""]  # fmt: skip
    head = "| strategy | " + " | ".join(f"F1 at {n:,} | tokens at {n:,}" for n in SIZES)
    lines += [head + " | tokens / sentence | F1 - random at " + " / ".join(map(str, SIZES)) + " |"]
    lines.append("|---" * (2 + 2 * len(SIZES) + 1) + "|")
    for name in names:
        cells = []
        for n in SIZES:
            f1 = [r["metrics"]["f1"] for s in runs[name].values() if (r := at(s, n))]
            tokens = [float(r["tokens"]) for s in runs[name].values() if (r := at(s, n))]
            cells += [spread(f1), spread(tokens, 0)]
        last = [at(s, SIZES[-1]) for s in runs[name].values()]
        per = [r["tokens"] / r["n"] for r in last if r]
        diffs = []
        for n in SIZES:
            paired = [
                a["metrics"]["f1"] - b["metrics"]["f1"]
                for seed, rounds in runs[name].items()
                if seed in runs.get(baseline(name), {})
                and (a := at(rounds, n))
                and (b := at(runs[baseline(name)][seed], n))
            ]
            diffs.append(
                f"{statistics.mean(paired):+.3f}" if paired and name != baseline(name) else "-"
            )
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {spread(per, 1)} | {' / '.join(diffs)} |"
        )
    target = results.get("target")
    if target:
        lines += ["", f"Labelled tokens for selector F1 {target} (interpolated, per seed):", ""]
        for name in names:
            got = [tokens_for(s, target) for s in runs[name].values()]
            shown = ", ".join("not reached" if t is None else f"{t:,.0f}" for t in got)
            lines.append(f"- {name}: {shown}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--budget", type=int, default=SIZES[-1])
    parser.add_argument("--strategies", type=lambda s: s.split(","), default=list(strategies()))
    parser.add_argument("--target", type=float, default=0.5, help="selector F1 for tokens_for")
    parser.add_argument("--features", choices=FEATURES, default="plain")
    parser.add_argument("--out", type=Path, default=OUT, help="results file (runs there are kept)")
    parser.add_argument("--encoder-layers", type=int, default=1, help="mean of the last N layers")
    parser.add_argument(
        "--final-at",
        type=lambda v: [int(x) for x in v.split(",") if x],
        default=[],
        help="also fine-tune MiniLM (the loop's final-training defaults) on the first N picks",
    )
    args = parser.parse_args()
    pool, test, encoder = conll_vectors(args.encoder_layers)
    results: dict[str, Any] = {
        "machine": machine(), "pool": len(pool), "test": len(test), "batch": args.batch,
        "target": args.target, "runs": {},
    }  # fmt: skip
    if args.out.is_file():  # resume: runs (and final models) already measured are kept
        saved = json.loads(args.out.read_text())
        results["runs"] = saved.get("runs", {})
        results["finals"] = saved.get("finals", {})
    built = strategies()
    for seed in range(args.seeds):
        seeds = seed_set(pool, 100, random.Random(f"{seed}-seed-set"))
        for strategy in args.strategies:
            name = strategy if args.features == "plain" else f"{strategy} [{args.features}]"
            if args.encoder_layers != 1:
                name = f"{name} [last {args.encoder_layers} layers]"
            if str(seed) in results["runs"].get(name, {}):
                continue
            start = time.perf_counter()
            rounds, labelled = run_curve(
                gold=pool, test=test, labels=LABELS,
                selector=EmbeddingTrainer(
                    encoder=encoder, task="ner", c=1.0, **FEATURES[args.features]
                ),
                strategy=built[strategy], seeds=seeds, batch=args.batch, budget=args.budget,
                seed=seed,
            )  # fmt: skip
            results["runs"].setdefault(name, {})[str(seed)] = rounds
            for n in args.final_at:  # what people get from these picks
                begun = time.perf_counter()
                final = TransformersTrainer(
                    model=minilm(), task="ner", max_length=128, threads=2, progress=False
                ).train(labelled[:n], labels=LABELS)
                f1 = evaluate(final, test).as_dict()["f1"]
                results.setdefault("finals", {}).setdefault(name, {}).setdefault(str(seed), {})[
                    str(n)
                ] = {"f1": f1, "tokens": sum(len(e.tokens or ()) for e in labelled[:n]),
                     "seconds": time.perf_counter() - begun}  # fmt: skip
                print(f"seed {seed} {name}: final MiniLM on the first {n} picks: f1 {f1:.3f} "
                      f"({time.perf_counter() - begun:.0f} s)", flush=True)  # fmt: skip
            last = rounds[-1]
            print(f"seed {seed} {name}: {last['n']} labelled, {last['tokens']:,} tokens, "
                  f"selector f1 {last['metrics'].get('f1', 0):.3f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
