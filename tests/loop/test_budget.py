"""Cost in the open (issue 31, item 1): budgets in examples, tokens or entity mentions, in the
config, ``run``, ``simulate`` and ``query``; every round's record carries what its labels cost;
the report and the curve show both axes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autonlp_al import Example, Span
from autonlp_al.cli import main
from autonlp_al.errors import ConfigError
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.curves import cost_table, curve, load_runs, markdown, plot
from autonlp_al.loop.learner import ActiveLearner, GoldOracle
from autonlp_al.loop.simulate import simulate
from autonlp_al.stopping import UNITS, Budget
from autonlp_al.strategies import MNLP
from autonlp_al.testing import ScriptedTrainer
from tests.models import answer_textcat, corpus

NAMES = ["anna", "omar", "lena", "raj"]


def gold(n: int) -> list[Example]:
    """Sentences of 3 to 8 words; every odd one names two people, every even one one."""
    out = []
    for i in range(n):
        first, second = NAMES[i % 4], NAMES[(i + 1) % 4]
        words = [first, "and", second] if i % 2 else [first]
        words += [*["went", "to", "site"][: 1 + i % 3], str(i)]
        text = " ".join(words)
        spans = [Span(0, len(first), "PER")]
        if i % 2:
            start = len(first) + len(" and ")
            spans.append(Span(start, start + len(second), "PER"))
        out.append(Example(text=text, spans=spans))
    return out


def learner(folder: Path, examples: list[Example], eval: tuple = ()) -> ActiveLearner:
    return ActiveLearner.create(
        trainer=ScriptedTrainer(),
        strategy=MNLP(),
        pool=examples[4:],
        labeled=examples[:4],
        labels=["PER"],
        state_dir=folder,
        batch_size=5,
        oracle=GoldOracle(examples),
        eval=eval,
    )


def config(**changes) -> LoopConfig:
    loop = LoopConfig(
        task="ner",
        labels=["PER"],
        trainer=Part(kind="trainers", name="transformers.v1", args={"model": "unused"}),
        strategy=Part(kind="strategies", name="mnlp.v1"),
        batch_size=5,
    )
    return loop.evolve(**changes)


@pytest.mark.parametrize("unit", list(UNITS))
def test_each_unit_stops_the_run_at_its_budget_and_every_round_records_all_three(
    tmp_path, unit
) -> None:
    examples = gold(60)
    budget = {"examples": 20, "tokens": 90, "mentions": 30}[unit]
    rounds = learner(tmp_path, examples).run(budget=budget, budget_unit=unit)
    field = UNITS[unit]
    assert getattr(rounds[-1], field) >= budget > getattr(rounds[-2], field)
    by_text = {e.text: e for e in examples}
    for record in rounds:  # the record's counts are those of the labelled set it trained on
        trained = [
            by_text[t]
            for t in ScriptedTrainer.load(ScriptedTrainer(), tmp_path / record.model_dir).memory
        ]
        assert record.n_labeled == len(trained)
        assert record.n_tokens == sum(len(e.text.split()) for e in trained)
        assert record.n_mentions == sum(len(e.spans) for e in trained)
        assert f"({record.n_tokens:,} tokens, {record.n_mentions:,} mentions)" in record.summary()


def test_a_budget_in_an_unknown_unit_or_mentions_for_classification_is_refused(tmp_path) -> None:
    with pytest.raises(ConfigError, match="is not one of examples, tokens, mentions"):
        Budget(10, "words")
    with pytest.raises(ConfigError, match="counts entity spans"):
        Budget(10, "mentions", task="textcat")
    for value in (0, "10", 2.5):
        with pytest.raises(ConfigError, match="give a positive whole number"):
            Budget(value, "tokens")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="is not one of"):  # run checks a unit with no budget
        learner(tmp_path, gold(20)).run(rounds=1, budget_unit="sentences")
    # a config's budget part that cannot be built fails when the loop is built, not later
    textcat = config(
        task="textcat",
        labels=["a", "b"],
        strategy=Part(kind="strategies", name="margin"),
        stopping=[Part(kind="stopping", name="budget.v1", args={"value": 5, "unit": "mentions"})],
    )
    trainer = ScriptedTrainer(task="textcat")
    with pytest.raises(ConfigError, match="counts entity spans"):
        textcat.build(tmp_path / "t", pool=[Example(text="x")], trainer=trainer, save=False)
    assert trainer.calls == []


def test_simulate_runs_both_runs_to_the_same_token_budget(tmp_path) -> None:
    part = Part(kind="stopping", name="budget.v1", args={"value": 120, "unit": "tokens"})
    loop = config(stopping=[part])
    assert LoopConfig.from_str(loop.to_str()).stopping == (part,)  # saved with the loop
    runs = simulate(
        loop,
        trainer=ScriptedTrainer(),
        gold=gold(80),
        test=gold(80)[:20],
        state_dir=tmp_path,
        seed_size=5,
        rounds=None,
    )
    assert list(runs) == ["mnlp", "random"]
    for history in runs.values():  # each run goes on until its own labels reach the budget
        assert history[-1].n_tokens >= 120 > history[-2].n_tokens
    with pytest.raises(ConfigError, match="rounds=None runs until a stopping criterion"):
        simulate(config(), gold=gold(20), test=[], state_dir=tmp_path / "b", rounds=None)


def test_the_report_and_the_curve_show_examples_and_tokens(tmp_path) -> None:
    learner(tmp_path, gold(60), eval=tuple(gold(60)[:20])).run(rounds=3)
    runs = load_runs(tmp_path)
    rounds = runs[tmp_path.name]
    assert curve(rounds, "f1", "tokens") == [(r["n_tokens"], r["metrics"]["f1"]) for r in rounds]
    assert [n for n, _ in curve(rounds, "f1")] == [4, 9, 14]  # the seed round and two more
    table = cost_table(runs, "f1")
    header = "| run | labelled | tokens | tokens per example | mentions | f1 |"
    assert header in table
    last = rounds[-1]
    row = f"| {tmp_path.name} | 14 | {last['n_tokens']:,} | {last['n_tokens'] / 14:.1f} | "
    assert row + f"{last['n_mentions']:,} |" in table
    report = markdown(runs, reference=0.3)  # 90%: reached by the seed round
    assert f"| {tmp_path.name} | 4 ({rounds[0]['n_tokens']:,} tokens) |" in report
    assert header in report
    # records from before 0.3 carry no mentions: the column is left out, the curve counts 0
    old = {k: [{**r, "n_mentions": 0} for r in v] for k, v in runs.items()}
    assert "mentions" not in cost_table(old, "f1").splitlines()[2]
    pytest.importorskip("matplotlib")
    from PIL import Image

    png = plot(runs, tmp_path / "curve.png")
    width, height = Image.open(png).size
    assert width > 2 * height - 200  # two panels side by side: per example and per token


def test_the_cli_saves_a_budget_query_stops_at_it_and_a_larger_one_goes_on(
    tmp_path: Path, capsys
) -> None:
    pytest.importorskip("sklearn")
    pool = tmp_path / "pool.jsonl"
    texts = corpus(40, 0, "textcat")
    pool.write_text("".join(json.dumps({"text": e.text}) + "\n" for e in texts))
    state = tmp_path / "state"
    labels = sorted({e.labels[0] for e in texts})
    first = ["query", str(pool), "--from", "jsonl", "--state-dir", str(state), "--task", "textcat"]
    first += ["--labels", ",".join(labels), "--trainer", "tfidf", "--strategy", "margin"]
    assert main([*first, "--budget-unit", "tokens"]) == 1
    assert "no --budget is given" in capsys.readouterr().err
    assert main([*first, "--budget", "10"]) == 0
    assert '@stopping = "budget.v1"' in (state / "config.cfg").read_text()
    answers = tmp_path / "answers.jsonl"
    answer_textcat(state / "queries" / "round-000.jsonl", {e.text: e for e in texts}, answers)
    assert main(["update", str(answers), "--from", "prodigy", "--state-dir", str(state)]) == 0
    capsys.readouterr()
    again = ["query", "--state-dir", str(state)]
    assert main(again) == 0
    out = capsys.readouterr().out
    assert "stop: budget of 10 labelled examples reached (10), so no new batch" in out
    assert "--budget N" in out and not (state / "queries" / "round-001.jsonl").exists()
    # a larger budget is the one loop option a state folder takes (others are still refused)
    assert main([*again, "--batch-size", "5"]) == 1
    assert "a state folder keeps its loop" in capsys.readouterr().err
    assert main([*again, "--budget", "200", "--budget-unit", "tokens"]) == 0
    assert "round 1: wrote 10 tasks" in capsys.readouterr().out
    saved = LoopConfig.from_file(state / "config.cfg")
    assert [p.args for p in saved.stopping] == [{"value": 200, "unit": "tokens"}]
