"""A cheap selector apart from the final model (issue 13), on the real corpora.

BBC News (the committed split, 1,701 pool / 426 test): each selector (a linear head on TF-IDF,
on frozen all-mpnet-base-v2 vectors, or on both) picks with margin sampling from 10 labels (2 per
class) in batches of 10, against random picks from the same seed set, for several seeds; the
selector's accuracy is read at 30 / 50 / 100 / 170 labels. Then the final model, MiniLM fine-tuned
(head+tail 128 word pieces, 100 steps), is trained on the selector's set and on the random set of the same
size: the transfer question (Lowell et al. 2019).

CoNLL-2003 (the whole deduplicated train split as the pool, the test split): a linear head on
frozen MiniLM word vectors picks with MNLP in batches of ``--batch`` up to 15% of the pool; its
curve, the round latency (answers in -> selector trained -> next batch picked), and the final
MiniLM fine-tuned on the selected 5 / 10 / 15% against random sets of the same sizes.

    python benchmarks/proxy_selection.py bbc [--seeds 3] [--final-at 50,170] [--final-seeds 1]
    python benchmarks/proxy_selection.py conll [--batch 100] [--final-at 5,10,15]
        [--strategies mnlp,random] [--add]    # --add: beside the strategies already recorded

Vectors are cached (~/.cache/autonlp_al/embeddings), so a second run embeds nothing. Results go
to out/proxy/<corpus>.json; tables are printed with the machine line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _corpora import PLAIN_HEAD, machine, minilm, mpnet  # noqa: E402
from label_efficiency import bbc_data, conll_data  # noqa: E402

from autonlp_al import Example  # noqa: E402
from autonlp_al.loop.learner import ActiveLearner, GoldOracle  # noqa: E402
from autonlp_al.loop.simulate import seed_set  # noqa: E402
from autonlp_al.metrics import evaluate  # noqa: E402
from autonlp_al.strategies import MNLP, Margin, RandomSampling, TokenEntropy  # noqa: E402
from autonlp_al.trainers import TransformersTrainer  # noqa: E402
from autonlp_al.trainers.frozen.embedding import EmbeddingTrainer  # noqa: E402
from autonlp_al.trainers.frozen.encoder import FrozenEncoder  # noqa: E402
from autonlp_al.trainers.frozen.tfidf import TfidfTrainer  # noqa: E402

OUT = HERE.parent / "out" / "proxy"
BBC_LABELS = ["business", "entertainment", "politics", "sports", "tech"]
CONLL_LABELS = ["PER", "ORG", "LOC", "MISC"]


def run_curve(
    *,
    gold: Sequence[Example],
    test: Sequence[Example],
    labels: Sequence[str],
    selector: Any,
    strategy: Any,
    seeds: Sequence[Example],
    batch: int,
    budget: int,
    seed: int,
) -> tuple[list[dict[str, Any]], list[Example]]:
    """One selector-driven run: the per-round records and the labelled set in labelling order."""
    seed_ids = {e.id for e in seeds}
    pool = [Example(text=e.text, id=e.id, tokens=e.tokens) for e in gold if e.id not in seed_ids]
    with tempfile.TemporaryDirectory() as state:
        learner = ActiveLearner.create(
            trainer=selector,
            strategy=strategy,
            pool=pool,
            labels=labels,
            state_dir=state,
            labeled=seeds,
            eval=test,
            batch_size=batch,
            seed=seed,
            oracle=GoldOracle(gold),
            cold_start=RandomSampling(),
            stability_sample=0,
        )
        learner.run(budget=budget, finalize=False)
        rounds = [
            {
                "n": r.n_labeled,
                "tokens": r.n_tokens,
                "metrics": dict(r.metrics),
                "timings": dict(r.timings),
            }
            for r in learner.history
        ]
        return rounds, learner.state.labeled_examples()


def score_at(rounds: list[dict[str, Any]], n: int, metric: str) -> float | None:
    hits = [r["metrics"][metric] for r in rounds if r["n"] == n]
    return hits[0] if hits else None


def cell(values: Sequence[float | None]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{100 * values[0]:.1f}"
    return f"{100 * statistics.mean(values):.1f} [{100 * min(values):.1f}-{100 * max(values):.1f}]"


def fine_tune(
    train: Sequence[Example],
    test: Sequence[Example],
    labels: Sequence[str],
    make: Callable[[], Any],
) -> tuple[dict[str, float], float]:
    start = time.perf_counter()
    model = make().train(list(train), labels=labels)
    seconds = time.perf_counter() - start
    return evaluate(model, test).as_dict(), seconds


# -- BBC ----------------------------------------------------------------------------------------


def bbc(args: argparse.Namespace) -> None:
    pool, test = bbc_data({})
    print(f"pool {len(pool)}, test {len(test)}")
    start = time.perf_counter()
    mpnet_encoder = FrozenEncoder(model=mpnet(), max_length=128)
    mpnet_encoder.embed(pool + test)
    print(f"mpnet vectors of {len(pool) + len(test)} articles: {time.perf_counter() - start:.1f} s")
    selectors: dict[str, Callable[[], Any]] = {
        "tfidf": lambda: TfidfTrainer(),
        "mpnet": lambda: EmbeddingTrainer(encoder=mpnet_encoder, task="textcat"),
        "tfidf+mpnet": lambda: TfidfTrainer(encoder=mpnet_encoder, embedding_weight=0.5),
    }
    checkpoints = [30, 50, 100, 170]
    results: dict[str, Any] = {"machine": machine(), "curves": {}, "finals": {}}
    sets: dict[tuple[str, str, int], list[Example]] = {}
    for name, make in selectors.items():
        for strategy_name, strategy in (("margin", Margin()), ("random", RandomSampling())):
            for seed in range(args.seeds):
                seeds = seed_set(pool, 10, random.Random(f"{seed}-seed-set"))
                start = time.perf_counter()
                rounds, labelled = run_curve(
                    gold=pool, test=test, labels=BBC_LABELS, selector=make(),
                    strategy=strategy, seeds=seeds, batch=10, budget=max(checkpoints), seed=seed,
                )  # fmt: skip
                took = time.perf_counter() - start
                results["curves"].setdefault(f"{name}/{strategy_name}", []).append(
                    {"seed": seed, "rounds": rounds, "seconds": took}
                )
                sets[(name, strategy_name, seed)] = labelled
                print(
                    f"{name:12s} {strategy_name:7s} seed {seed}: "
                    + ", ".join(
                        f"@{n} {100 * (score_at(rounds, n, 'accuracy') or 0):.1f}"
                        for n in checkpoints
                    )
                    + f" ({took:.1f} s)",
                    flush=True,
                )
    save("bbc", results)  # the curves, kept even if a final model is interrupted
    best = args.final_selector
    for n in args.final_at:
        for seed in range(args.final_seeds):
            for strategy_name in ("margin", "random"):
                subset = sets[(best, strategy_name, seed)][:n]
                metrics, seconds = fine_tune(
                    subset, test, BBC_LABELS, lambda: minilm_trainer("textcat")
                )
                results["finals"].setdefault(f"{strategy_name}@{n}", []).append(
                    {"seed": seed, "metrics": metrics, "seconds": seconds}
                )
                print(
                    f"final MiniLM on the {best}/{strategy_name} set of {n}, seed {seed}: "
                    f"accuracy {100 * metrics['accuracy']:.1f} ({seconds:.0f} s)",
                    flush=True,
                )
    save("bbc", results)
    print(bbc_table(results, checkpoints, best))


def minilm_trainer(task: str, **overrides: Any) -> TransformersTrainer:
    settings: dict[str, Any] = (
        {"max_length": 128, "lr": 1e-4, "epochs": 15, "max_steps": 100, "batch_size": 16}
        if task == "textcat"
        else {"max_length": 128, "lr": 1e-4, "epochs": 6, "max_steps": 700, "batch_size": 16}
    )
    settings.update(overrides)
    return TransformersTrainer(model=minilm(), task=task, progress=False, threads=2, **settings)


def bbc_table(results: dict[str, Any], checkpoints: Sequence[int], best: str) -> str:
    lines = [
        f"machine: {results['machine']}",
        "",
        "| selector | picks | " + " | ".join(f"@{n}" for n in checkpoints) + " | whole run |",
        "|---|---|" + "---|" * (len(checkpoints) + 1),
    ]
    for key, runs in results["curves"].items():
        name, strategy = key.split("/")
        cells = [cell([score_at(r["rounds"], n, "accuracy") for r in runs]) for n in checkpoints]
        seconds = statistics.mean(r["seconds"] for r in runs)
        lines.append(f"| {name} | {strategy} | " + " | ".join(cells) + f" | {seconds:.0f} s |")
    if results["finals"]:
        lines += [
            "",
            f"Final model: MiniLM fine-tuned on the set the {best} selector picked (margin) and on "
            f"the random set of the same size (same seed set):",
            "",
            "| labelled | on the selector's set | on the random set | fine-tuning |",
            "|---|---|---|---|",
        ]
        sizes = sorted({int(k.split("@")[1]) for k in results["finals"]})
        for n in sizes:
            picked = results["finals"].get(f"margin@{n}", [])
            control = results["finals"].get(f"random@{n}", [])
            seconds = statistics.mean(r["seconds"] for r in picked + control)
            lines.append(
                f"| {n} | {cell([r['metrics']['accuracy'] for r in picked])} | "
                f"{cell([r['metrics']['accuracy'] for r in control])} | {seconds:.0f} s |"
            )
    return "\n".join(lines)


# -- CoNLL --------------------------------------------------------------------------------------


def conll_vectors(layers: int = 1) -> tuple[list[Example], list[Example], FrozenEncoder]:
    """The deduplicated CoNLL-2003 pool, its test split, and a MiniLM encoder (the mean of its
    last ``layers`` layers) whose word vectors of both are computed (or read from the cache) now,
    not inside a timed round."""
    pool, test = conll_data({"pool": None, "test": None})
    encoder = FrozenEncoder(model=minilm(), max_length=128, layers=layers)
    start = time.perf_counter()
    encoder.token_vectors(pool)
    encoder.token_vectors(test)
    print(f"MiniLM word vectors of {len(pool) + len(test):,} sentences: "
          f"{time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
    return pool, test, encoder


def conll(args: argparse.Namespace) -> None:
    pool, test, encoder = conll_vectors()
    budget = int(0.15 * len(pool))
    saved = OUT / "conll.json"
    results: dict[str, Any] = {"machine": machine(), "pool": len(pool), "curves": {}, "finals": {}}
    if args.add and saved.is_file():  # more strategies beside the runs already recorded
        results = json.loads(saved.read_text())
    strategies = {"mnlp": MNLP(), "total_token_entropy": TokenEntropy(reduction="sum"),
                  "random": RandomSampling()}  # fmt: skip
    for strategy_name in args.strategies:
        seeds = seed_set(pool, args.batch, random.Random("0-seed-set"))
        start = time.perf_counter()
        rounds, labelled = run_curve(
            gold=pool, test=test, labels=CONLL_LABELS,
            selector=EmbeddingTrainer(encoder=encoder, task="ner", c=1.0, **PLAIN_HEAD),
            strategy=strategies[strategy_name], seeds=seeds, batch=args.batch, budget=budget,
            seed=0,
        )  # fmt: skip
        took = time.perf_counter() - start
        results["curves"][strategy_name] = {
            "rounds": rounds,
            "seconds": took,
            "tokens_at": {  # how many tokens the first 5 / 10 / 15% of the picks hold
                str(p): sum(len(e.tokens or ()) for e in labelled[: int(p / 100 * len(pool))])
                for p in (5, 10, 15)
            },
        }
        for r in rounds:
            t = r["timings"]
            print(f"{strategy_name} {r['n']:5d}: f1 {r['metrics'].get('f1', 0):.3f} "
                  f"train {t.get('train', 0):.2f} s select {t.get('select', 0):.2f} s", flush=True)  # fmt: skip
        print(f"{strategy_name}: whole curve {took:.0f} s", flush=True)
        for percent in args.final_at:
            n = int(percent / 100 * len(pool))
            metrics, seconds = fine_tune(
                labelled[:n], test, CONLL_LABELS, lambda: minilm_trainer("ner")
            )
            results["finals"].setdefault(strategy_name, {})[str(percent)] = {
                "n": n, "tokens": sum(len(e.tokens or ()) for e in labelled[:n]),
                "metrics": metrics, "seconds": seconds,
            }  # fmt: skip
            print(f"final MiniLM on {percent}% ({n}) picked by {strategy_name}: "
                  f"f1 {metrics['f1']:.3f} ({seconds:.0f} s)", flush=True)  # fmt: skip
            save("conll", results)
    save("conll", results)
    print(conll_table(results, args.batch))


def conll_table(results: dict[str, Any], batch: int) -> str:
    full = 0.858
    pool = results["pool"]
    names = list(results["curves"])
    lines = [f"machine: {results['machine']}", ""]
    lines += [
        "| labelled | % of pool | " + " | ".join(f"selector F1, {n}" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    first = results["curves"][names[0]]["rounds"]
    for r in first:
        if r["n"] % (batch * 3) and r is not first[-1]:
            continue
        cells = [score_at(results["curves"][n]["rounds"], r["n"], "f1") for n in names]
        lines.append(
            f"| {r['n']:,} | {100 * r['n'] / pool:.1f} | "
            + " | ".join("-" if c is None else f"{c:.3f}" for c in cells)
            + " |"
        )
    for name in names:
        rounds = results["curves"][name]["rounds"]
        latency = [
            r["timings"]["train"] + r["timings"]["select"]
            for r in rounds
            if "select" in r["timings"]
        ]
        lines.append(
            f"\nRound latency with {name} (selector trained + next batch picked, {pool:,}-sentence "
            f"pool): median {statistics.median(latency):.2f} s, max {max(latency):.2f} s over "
            f"{len(latency)} rounds; whole curve {results['curves'][name]['seconds']:.0f} s."
        )
    if results["finals"]:
        percents = sorted({p for f in results["finals"].values() for p in f}, key=float)
        lines += [
            "",
            f"Final MiniLM (F1; % of the full-data {full}):",
            "",
            "| trained on | " + " | ".join(f"{n}-picked" for n in results["finals"]) + " |",
            "|---|" + "---|" * len(results["finals"]),
        ]
        for percent in percents:
            cells = []
            for finals in results["finals"].values():
                got = finals.get(percent)
                tokens = f", {got['tokens']:,} tokens" if got and "tokens" in got else ""
                cells.append(
                    "-" if got is None else
                    f"{got['metrics']['f1']:.3f} ({100 * got['metrics']['f1'] / full:.1f}%{tokens})"
                )  # fmt: skip
            n = next(f[percent]["n"] for f in results["finals"].values() if percent in f)
            lines.append(f"| {percent}% ({n:,}) | " + " | ".join(cells) + " |")
        lines += ["", "Tokens in the picked sets:", ""]
        for name, curve in results["curves"].items():
            held = curve.get("tokens_at", {})
            lines.append(
                f"- {name}: " + ", ".join(f"{p}%: {t:,}" for p, t in held.items()) if held else ""
            )
    return "\n".join(lines)


def save(name: str, results: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="corpus", required=True)
    b = sub.add_parser("bbc")
    b.add_argument("--seeds", type=int, default=3)
    b.add_argument(
        "--final-at", type=lambda s: [int(x) for x in s.split(",") if x], default=[50, 170]
    )
    b.add_argument("--final-seeds", type=int, default=1)
    b.add_argument("--final-selector", default="tfidf+mpnet")
    c = sub.add_parser("conll")
    c.add_argument("--batch", type=int, default=100)
    c.add_argument(
        "--final-at", type=lambda s: [int(x) for x in s.split(",") if x], default=[5, 10, 15]
    )  # "" for no final models
    c.add_argument("--strategies", type=lambda s: s.split(","), default=["mnlp", "random"])
    c.add_argument("--add", action="store_true", help="add to the saved out/proxy/conll.json")
    args = parser.parse_args()
    {"bbc": bbc, "conll": conll}[args.corpus](args)


if __name__ == "__main__":
    main()
