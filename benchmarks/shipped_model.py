"""The model people get (issue 29): the two-model loop run exactly as the docs tell users to,
through the CLI with its defaults, several seeds; what each run's final checkpoint shipped,
each candidate's held-out score, and the shipped model's test score beside the best the run
held.

    python benchmarks/shipped_model.py bbc [--seeds 0,1,2] [--control] [--threads N]
    python benchmarks/shipped_model.py conll [--seeds 0,1,2] [--control] [--threads N]

BBC (the committed 1,701 / 426 split, written as JSONL under OUT/data): docs/trainers/selector.md's
command, TF-IDF + all-mpnet-base-v2 selector, MiniLM final model, 10 labels to start, 16 rounds of
10 (170 labelled). CoNLL-2003: the whole deduplicated train split as the pool, the full test
split, an embedding selector on all-MiniLM-L6-v2 word vectors, MiniLM final model, 100 to start,
18 rounds of 100 (1,900 sentences, 15% of the pool), the default strategy. Nothing is tuned:
only the paths, ``--seed`` and (for two runs side by side on one machine) ``--threads``, which
changes speed, not the schedule. ``--control`` adds the random control (a second final
checkpoint per seed). Runs resume: a finished seed is read back, not rerun.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _corpora import conll2003, machine, minilm, mpnet

from autonlp_al.loop.curves import load_finals, load_runs

HERE = Path(__file__).parent
BBC_LABELS = "business,entertainment,politics,sports,tech"


def bbc_files(out: Path) -> tuple[Path, Path]:
    """The committed split as the JSONL files the docs' command reads."""
    sys.path.insert(0, str(HERE))
    from label_efficiency import bbc_data

    pool_file, test_file = out / "data" / "bbc_pool.jsonl", out / "data" / "bbc_test.jsonl"
    if not test_file.is_file():
        pool, test = bbc_data({})
        pool_file.parent.mkdir(parents=True, exist_ok=True)
        for path, rows in ((pool_file, pool), (test_file, test)):
            path.write_text(
                "".join(json.dumps({"text": e.text, "label": e.labels[0]}) + "\n" for e in rows)
            )
    return pool_file, test_file


def command(corpus: str, out: Path, seed: int, args: argparse.Namespace) -> list[str]:
    state = out / corpus / f"seed-{seed}"
    if corpus == "bbc":
        pool, test = bbc_files(out)
        base = [str(pool), str(test), "--from", "jsonl", "--task", "textcat",
                "--labels", BBC_LABELS, "--selector", "tfidf", "--encoder", str(mpnet()),
                "--encoder-max-length", "128", "--model", str(minilm()),
                "--seed-size", "10", "--batch-size", "10", "--rounds", "16"]  # fmt: skip
    else:
        base = [str(conll2003("train")), str(conll2003("test")), "--from", "conll", "--dedupe",
                "--task", "ner", "--labels", "PER,ORG,LOC,MISC", "--selector", "embedding",
                "--encoder", str(minilm()), "--model", str(minilm()),
                "--seed-size", "100", "--batch-size", "100", "--rounds", "18"]  # fmt: skip
    extra = ["--seed", str(seed), "--state-dir", str(state)]
    if not args.control:
        extra.append("--no-control")
    if args.threads:
        extra += ["--threads", str(args.threads)]
    return ["autonlp-al", "simulate", *base, *extra]


def summary(state: Path, metric: str) -> list[dict[str, Any]]:
    """One row per run of a seed's simulation folder, from its event logs."""
    runs, finals = load_runs(state), load_finals(state)
    rows = []
    for name, rounds in runs.items():
        for final in finals.get(name, ()):
            by_round = {r["round"]: r for r in rounds}
            selector = by_round[final["rounds"] - 1]["metrics"][metric]
            fine_tuned = final["metrics"][metric]
            choice = final.get("choice") or {}
            ships = choice.get("winner", "final")
            held = {c["name"]: c for c in choice.get("candidates", ())}
            rows.append(
                {
                    "run": name,
                    "labelled": final["n_labeled"],
                    "curve": [(r["n_labeled"], r["metrics"][metric]) for r in rounds],
                    "selector": selector,
                    "final": fine_tuned,
                    "ships": ships,
                    "shipped": selector if ships == "selector" else fine_tuned,
                    "held": {k: (v["score"], v["stderr"], v["n_heldout"]) for k, v in held.items()},
                    "choice_s": choice.get("seconds", 0.0),
                    "final_s": final["seconds"],
                }
            )
    return rows


def table(results: dict[int, list[dict[str, Any]]], metric: str) -> str:
    lines = [
        f"| seed | run | labelled | selector ({metric}, test) | final model | held-out "
        "selector / final (n) | ships | shipped (test) | below best | choice s | final s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    shipped, gaps = [], []
    for seed, rows in sorted(results.items()):
        for r in rows:
            best = max(r["selector"], r["final"])
            gap = best - r["shipped"]
            if r["run"] != "random":
                shipped.append(r["shipped"])
                gaps.append(gap)
            held = " / ".join(
                f"{r['held'][k][0]:.3f}" if k in r["held"] else "-" for k in ("selector", "final")
            )
            n = next(iter(r["held"].values()))[2] if r["held"] else 0
            lines.append(
                f"| {seed} | {r['run']} | {r['labelled']} | {r['selector']:.4f} | "
                f"{r['final']:.4f} | {held} ({n}) | {r['ships']} | {r['shipped']:.4f} | "
                f"{gap * 100:.1f} pts | {r['choice_s']:.0f} | {r['final_s']:.0f} |"
            )
    if shipped:
        spread = statistics.stdev(shipped) if len(shipped) > 1 else 0.0
        lines.append("")
        lines.append(
            f"Shipped model, strategy runs: mean {statistics.mean(shipped):.4f} (sd {spread:.4f},"
            f" min {min(shipped):.4f}, {len(shipped)} seeds); largest shortfall from the best "
            f"candidate the run held: {max(gaps) * 100:.1f} points."
        )
    return "\n".join(lines)


def curves(results: dict[int, list[dict[str, Any]]]) -> str:
    lines = ["Selector curves (test, each round):", ""]
    for seed, rows in sorted(results.items()):
        for r in rows:
            points = ", ".join(f"{n}: {v * 100:.1f}" for n, v in r["curve"])
            lines.append(f"- seed {seed}, {r['run']}: {points}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", choices=("bbc", "conll"))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--control", action="store_true", help="add the random control")
    parser.add_argument("--threads", type=int, help="torch threads per run (two runs at once: 1)")
    parser.add_argument("--out", type=Path, default=Path("out/shipped_model"))
    args = parser.parse_args()
    metric = "accuracy" if args.corpus == "bbc" else "f1"
    results = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        cmd = command(args.corpus, args.out, seed, args)
        state = args.out / args.corpus / f"seed-{seed}"
        done = (state / "simulation.json").is_file() and load_finals(state)
        if not done or not all(load_finals(state).values()):
            print("$ " + " ".join(cmd), flush=True)
            start = time.perf_counter()
            subprocess.run(cmd, check=True)
            print(f"seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
        results[seed] = summary(state, metric)
    print(f"\n{args.corpus}, the CLI with its defaults; machine: {machine()}\n")
    print(table(results, metric))
    print()
    print(curves(results))


if __name__ == "__main__":
    main()
