"""Reports on a state folder: the learning curve per run, the difference to the random control,
how many labels each run needed to reach a fraction of a reference score, and what the labels
cost (examples, tokens, entity mentions: a strategy that picks short sentences is cheaper per
sentence than it looks, so the report and the plot show both axes)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import StateError
from ..stopping import UNITS, check_unit
from .journal import Journal, is_state

__all__ = ["cost_table", "curve", "labels_to_reach", "load_runs", "markdown", "plot"]


def load_runs(state_dir: str | Path) -> dict[str, list[dict[str, Any]]]:
    """``{run name: [round record, ...]}`` for a simulation folder or a single learner's folder,
    read from the event logs alone (no model, trainer or corpus needed)."""
    state_dir = Path(state_dir)
    folders = {}
    if is_state(state_dir):
        folders[state_dir.name] = state_dir
    else:
        simulation = state_dir / "simulation.json"
        names = (
            json.loads(simulation.read_text())["runs"]
            if simulation.exists()
            else sorted(p.name for p in state_dir.iterdir() if is_state(p))
        )
        folders = {name: state_dir / name for name in names}
    if not folders:
        raise StateError(
            f"{state_dir}: no events.jsonl here or in its sub-folders; pass the "
            f"state_dir of a learner or a simulation"
        )
    return {name: Journal(folder).rounds() for name, folder in folders.items()}


def load_finals(state_dir: str | Path) -> dict[str, list[dict[str, Any]]]:
    """``{run name: [final model record, ...]}`` (empty lists for runs without a selector)."""
    state_dir = Path(state_dir)
    names = list(load_runs(state_dir))
    if is_state(state_dir):
        return {names[0]: Journal(state_dir).finals()}
    return {name: Journal(state_dir / name).finals() for name in names}


def finals_table(
    finals: Mapping[str, Sequence[Mapping[str, Any]]],
    runs: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> str:
    """One row per final checkpoint: the final model's test scores, what the checkpoint
    shipped (the final model or the selector, decided on held-out labelled folds), each
    candidate's held-out score, and the shipped model's test score (with ``runs``, the round
    records, for a selector that shipped); ``""`` without any."""
    rows = [(name, f) for name, records in finals.items() for f in records]
    if not rows:
        return ""
    lines = [
        "Final checkpoints (the trainer's model on each run's labelled set, and what was "
        "shipped; the curve above is the selector's):",
        "",
        "| run | final | after round | labelled | final model (test) | ships | held-out "
        "(selector / final) | shipped (test) | train s | choice s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in rows:
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in f["metrics"].items()) or "not scored"
        choice = f.get("choice") or {}
        ships = choice.get("winner", "final")
        held = {c["name"]: c for c in choice.get("candidates", ())}
        heldout = " / ".join(
            f"{held[n]['score']:.3f} ± {held[n]['stderr']:.3f}" if n in held else "-"
            for n in ("selector", "final")
        )
        shipped = shipped_metrics(f, (runs or {}).get(name, ()))
        shipped_text = ", ".join(f"{k} {v:.4f}" for k, v in shipped.items()) or "-"
        lines.append(
            f"| {name} | {f['index']} | {f['rounds'] - 1} | {f['n_labeled']} | {metrics} | "
            f"{ships} | {heldout if held else 'pinned' if choice else '-'} | {shipped_text} | "
            f"{f['seconds']:.1f} | {choice.get('seconds', 0.0):.1f} |"
        )
    return "\n".join(lines)


def shipped_metrics(
    final: Mapping[str, Any], rounds: Sequence[Mapping[str, Any]]
) -> dict[str, float]:
    """The test scores of what a final checkpoint shipped: its final model's, or (when it
    chose the selector) those of the round model it followed."""
    if ((final.get("choice") or {}).get("winner", "final")) != "selector":
        return dict(final["metrics"])
    by_round = {r["round"]: r for r in rounds}
    return dict(by_round.get(final["rounds"] - 1, {}).get("metrics", {}))


def main_metric(rounds: Sequence[Mapping[str, Any]]) -> str:
    for name in ("f1", "accuracy"):
        if rounds and name in rounds[-1]["metrics"]:
            return name
    return next(iter(rounds[-1]["metrics"]), "") if rounds else ""


def curve(
    rounds: Sequence[Mapping[str, Any]], metric: str, unit: str = "examples"
) -> list[tuple[int, float]]:
    """``(labelled, score)`` per scored round, labelled counted in ``unit`` (one of
    :data:`~autonlp_al.stopping.UNITS`; records from before 0.3 count 0 mentions)."""
    field = UNITS[check_unit(unit)]
    return [(r.get(field, 0), r["metrics"][metric]) for r in rounds if metric in r["metrics"]]


def labels_to_reach(points: Sequence[tuple[int, float]], target: float) -> int | None:
    """The fewest labelled examples (or tokens: the points' unit) at which the curve reached
    ``target``, or ``None``."""
    return next((n for n, value in points if value >= target), None)


def _reached(rounds: Sequence[Mapping[str, Any]], metric: str, target: float) -> str:
    """The first round at ``target``: its examples and tokens, e.g. ``"120 (1,043 tokens)"``."""
    first = next((r for r in rounds if r["metrics"].get(metric, float("-inf")) >= target), None)
    if first is None:
        return "not reached"
    return f"{first['n_labeled']} ({first.get('n_tokens', 0):,} tokens)"


def cost_table(runs: Mapping[str, Sequence[Mapping[str, Any]]], metric: str) -> str:
    """One row per scored round: the labelled examples, their tokens and entity mentions, and
    the score, so curves can be read per token as well as per example."""
    mentions = any(r.get("n_mentions") for rounds in runs.values() for r in rounds)
    head = "| run | labelled | tokens | tokens per example |" + (" mentions |" if mentions else "")
    lines = [
        "What the labels cost (the curve above per token):",
        "",
        f"{head} {metric} |",
        "|---" * (5 + mentions) + "|",
    ]
    for name, rounds in runs.items():
        for r in rounds:
            if metric not in r["metrics"]:
                continue
            tokens, n = r.get("n_tokens", 0), r["n_labeled"]
            cells = [name, str(n), f"{tokens:,}", f"{tokens / n:.1f}" if n else "-"]
            if mentions:
                cells.append(f"{r.get('n_mentions', 0):,}")
            lines.append("| " + " | ".join([*cells, f"{r['metrics'][metric]:.4f}"]) + " |")
    return "\n".join(lines)


def markdown(
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    reference: float | None = None,
    fractions: Sequence[float] = (0.9, 0.95),
) -> str:
    """The learning-curve table (with the difference to ``random`` when present) and, given a
    reference score (e.g. the full-data model's), the labels each run needed for each fraction."""
    metric = main_metric(next(iter(runs.values())))
    if not metric:
        return rounds_table(runs)
    curves = {name: dict(curve(rounds, metric)) for name, rounds in runs.items()}
    names = list(runs)
    sizes = sorted({n for c in curves.values() for n in c})
    lines = [
        "| labelled | "
        + " | ".join(f"{n} {metric}" for n in names)
        + (
            " | " + " | ".join(f"{n} - random" for n in names if n != "random")
            if "random" in names and len(names) > 1
            else ""
        )
        + " |"
    ]
    lines.append("|---" * (1 + len(names) + (len(names) - 1 if "random" in names else 0)) + "|")
    for size in sizes:
        cells = [f"{curves[n][size]:.4f}" if size in curves[n] else "" for n in names]
        if "random" in names and len(names) > 1:
            for n in names:
                if n == "random":
                    continue
                both = size in curves[n] and size in curves["random"]
                cells.append(f"{curves[n][size] - curves['random'][size]:+.4f}" if both else "")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    if reference is not None:
        lines += [
            "",
            f"Labels needed to reach a fraction of the reference {metric} {reference:.4f} "
            f"(examples, and their tokens):",
            "",
            "| run | " + " | ".join(f"{f:.0%}" for f in fractions) + " |",
            "|---" * (1 + len(fractions)) + "|",
        ]
        for name in names:
            cells = [_reached(runs[name], metric, f * reference) for f in fractions]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", cost_table(runs, metric)])


def rounds_table(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """One row per round (for runs with no evaluation set, so no curve): labelled examples, how
    the batch was picked, the model, and the training time."""
    lines = [
        "| run | round | labelled | picked by | model | train s |",
        "|---|---|---|---|---|---|",
    ]
    for name, rounds in runs.items():
        for r in rounds:
            train = r.get("timings", {}).get("train")
            lines.append(
                f"| {name} | {r['round']} | {r['n_labeled']} | {r['strategy']} | "
                f"{r['model_version']} | {'' if train is None else f'{train:.1f}'} |"
            )
    lines += [
        "",
        "No round was scored (no evaluation set): score one with `autonlp-al evaluate "
        "DIR/models/round-NNN TEST --from FORMAT`.",
    ]
    return "\n".join(lines)


def plot(
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    path: str | Path,
    *,
    title: str = "",
    reference: float | None = None,
    finals: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> Path:
    """A learning-curve PNG in two panels, the main metric against labelled examples and
    against labelled tokens, one line per run, and with ``finals`` a star per final checkpoint
    at the test score of the model it shipped."""
    from .._optional import require

    require("matplotlib", "plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = main_metric(next(iter(runs.values())))
    if not metric:
        raise StateError("no round was scored (no evaluation set), so there is no curve to draw")
    figure, panels = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for axes, unit in zip(panels, ("examples", "tokens"), strict=True):
        _draw(axes, runs, metric, unit, finals or {})
        if reference is not None:
            axes.axhline(reference, color="grey", linewidth=0.8, label="reference")
        axes.set_xlabel(f"labelled {unit}")
        axes.grid(alpha=0.3)
    panels[0].set_ylabel(metric)
    panels[0].legend()
    figure.suptitle(title)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _draw(
    axes: Any,
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    metric: str,
    unit: str,
    finals: Mapping[str, Sequence[Mapping[str, Any]]],
) -> None:
    """One panel: each run's curve in ``unit``, and the stars of what its checkpoints shipped."""
    field = UNITS[unit]
    for name, rounds in runs.items():
        points = curve(rounds, metric, unit)
        line = axes.plot(
            [n for n, _ in points],
            [v for _, v in points],
            marker="o",
            label=name,
            linestyle="--" if name == "random" else "-",
        )
        by_round = {r["round"]: r for r in rounds}
        shipped = [
            (by_round[f["rounds"] - 1].get(field, 0), scores[metric])
            for f in finals.get(name, ())
            if metric in (scores := shipped_metrics(f, rounds)) and f["rounds"] - 1 in by_round
        ]
        if shipped:
            axes.plot(
                [n for n, _ in shipped],
                [v for _, v in shipped],
                marker="*",
                markersize=14,
                linestyle="none",
                color=line[0].get_color(),
                label=f"{name}: shipped",
            )
