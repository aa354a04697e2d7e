"""Which model the two-model loop ships (issue 29): decided on held-out folds of the labelled
data, recorded in the state, and used by serve, push, pre-annotation and ``evaluate``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonlp_al import Example
from autonlp_al.cli import main
from autonlp_al.integrations.serve import ModelSlot, StateWatcher, load_for_serving
from autonlp_al.loop.choice import Choice, choose, folds, n_folds
from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.testing import FakeModel
from autonlp_al.trainers.frozen.model import LinearModel
from tests.loop.test_selector import learner as two_model_learner
from tests.models import corpus

TOPICS = ["business", "sport", "tech"]


def learner(tmp_path: Path, **kwargs) -> ActiveLearner:
    """test_selector's loop (the scripted trainer's model knows the texts it saw and answers
    "business" for any other: a final model that held-out data shows to be worse than the
    TF-IDF selector), with 12 seed examples, batches of 6, and the default ``ship``."""
    gold = corpus(120, 1, "textcat")
    options = {"pool": [Example(text=e.text) for e in gold[12:]], "labeled": gold[:12],
               "batch_size": 6, "ship": "best", **kwargs}  # fmt: skip
    return two_model_learner(tmp_path, **options)


# -- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "scored"), [(10, 5), (50, 5), (170, 3), (400, 2), (1900, 1)])
def test_folds_are_scored_until_a_hundred_labels_are_held_out(n: int, scored: int) -> None:
    assert n_folds(n) == scored


@given(st.lists(st.sampled_from(TOPICS), min_size=1, max_size=60), st.integers(0, 9))
def test_folds_partition_the_labelled_set_with_each_class_spread(labels, seed) -> None:
    examples = [Example(text=f"t{i}", labels=[label]) for i, label in enumerate(labels)]
    parts = folds(examples, k=5, seed=seed)
    assert sorted(i for part in parts for i in part) == list(range(len(examples)))
    assert parts == folds(examples, k=5, seed=seed)  # seeded: the same folds on a resume
    for label, count in Counter(labels).items():  # each class dealt evenly over the folds
        per_fold = [sum(labels[i] == label for i in part) for part in parts]
        assert max(per_fold) - min(per_fold) <= 1, (label, count, per_fold)


class Constant:
    """A "model" that scores what it is told to (the fits below return the score)."""

    def __init__(self, value: float) -> None:
        self.value = value


def run(scores: dict[str, float], incumbent: str | None = None, n: int = 200, drawn=()) -> Choice:
    examples = [Example(text=f"t{i}", labels=[TOPICS[i % 3]], id=i) for i in range(n)]
    return choose(
        {name: (lambda rows, v=value: Constant(v)) for name, value in scores.items()},  # type: ignore[misc]
        examples,
        score=lambda model, held: model.value,
        metric="accuracy",
        seed=0,
        incumbent=incumbent,
        drawn=drawn,
    )


def test_the_best_held_out_score_ships_and_each_candidate_is_recorded() -> None:
    choice = run({"selector": 0.98, "final": 0.90})
    assert choice.winner == "selector" and choice.rule == "the best held-out score"
    selector = choice.of("selector")
    assert selector is not None and selector.folds == 3 and selector.n_heldout == 120
    assert selector.stderr == pytest.approx((0.98 * 0.02 / 120) ** 0.5)
    assert Choice.from_dict(choice.to_dict()) == choice  # as the event log keeps it


def test_only_examples_no_model_picked_are_scored_when_there_are_enough() -> None:
    """Held-out folds of a set the selector picked are its hardest cases (BBC: 70% on its picks,
    100% on the random seed examples, 97.9% on test), so the drawn ones are what is scored."""
    seen: list[list[int]] = []
    examples = [Example(text=f"t{i}", labels=[TOPICS[i % 3]], id=i) for i in range(40)]

    def fit(rows):
        return Constant(0.5)

    def score(model, held):
        seen.append(sorted(e.id for e in held))
        return 0.5

    choice = choose({"a": fit}, examples, score=score, metric="accuracy", seed=0,
                    drawn=range(12))  # fmt: skip
    assert choice.heldout == "drawn" and sorted(i for ids in seen for i in ids) == list(range(12))
    assert choice.candidates[0].folds == 2 and choice.candidates[0].n_heldout == 12
    for drawn in (range(5), range(35), range(40)):  # too few drawn, or too few picked: folds
        assert run({"a": 0.5}, drawn=drawn, n=40).heldout == "folds"


def test_the_last_winner_keeps_its_place_unless_clearly_beaten() -> None:
    # 0.91 vs 0.90 on 120 held out is within one standard error: no flip
    assert run({"selector": 0.91, "final": 0.90}, incumbent="final").winner == "final"
    assert run({"selector": 0.91, "final": 0.90}).winner == "selector"  # no incumbent
    assert run({"selector": 0.98, "final": 0.90}, incumbent="final").winner == "selector"
    assert run({"selector": 1.0, "final": 1.0}).winner == "selector"  # a tie: the cheaper one


# -- in the loop --------------------------------------------------------------------------------


def test_a_final_model_worse_on_held_out_labels_is_not_what_ships(tmp_path) -> None:
    """Issue 29: the loop served its final model whatever its quality (83% beside a 98%
    selector on BBC). Now the checkpoint compares both on held-out folds and ships the better."""
    al = learner(tmp_path)
    al.run(rounds=3)
    (final,) = al.state.finals
    assert final.choice is not None and final.shipped == "selector"
    held = {c.name: c for c in final.choice.candidates}
    assert held["selector"].score > held["final"].score
    # the 12 seed examples were drawn, the other 12 picked by the selector: only the drawn are
    # scored, each half by models trained on the rest (12 picked + 6 drawn)
    assert final.choice.heldout == "drawn" and held["final"].n_heldout == 12
    assert al.models.served is al.models.model and isinstance(al.models.model, LinearModel)
    calls = al.training.trainer.calls
    assert [c["n"] for c in calls] == [18, 18, 24] and calls[-1]["init"] is None
    # the record survives a resume, and so does what is served
    again = learner(tmp_path)
    assert again.state.finals[0].choice == final.choice
    assert again.models.served is again.models.model
    assert isinstance(again.models.final_model, FakeModel)


def test_a_pinned_choice_cross_validates_nothing(tmp_path) -> None:
    al = learner(tmp_path, ship="final")
    al.run(rounds=2)
    (final,) = al.state.finals
    assert final.choice == Choice(winner="final", rule="pinned by ship = 'final'")
    assert [c["n"] for c in al.training.trainer.calls] == [12 + 6]
    assert al.models.served is al.models.final_model


def test_serve_follows_the_choice_and_then_the_selectors_newer_rounds(tmp_path) -> None:
    al = learner(tmp_path)
    al.run(rounds=2)  # a final checkpoint that chose the selector
    model, info = load_for_serving(al.journal.root)
    assert info["chosen_at_final"] == 0 and model.version == al.models.model.version
    slot = ModelSlot(model, info)
    watcher = StateWatcher(al.journal.root, slot, poll=60)
    al.run(rounds=1, finalize=False)  # the selector's newer model is what the choice ships
    assert watcher.check() and slot.get()[0].version == al.models.model.version


def test_evaluate_takes_a_state_folder_and_says_which_model_it_scored(tmp_path, capsys) -> None:
    al = learner(tmp_path)
    al.run(rounds=2)
    test = tmp_path / "test.jsonl"
    test.write_text(
        "".join(
            f'{{"text": "{e.text}", "label": "{e.labels[0]}"}}\n' for e in corpus(30, 2, "textcat")
        )
    )
    assert main(["evaluate", str(al.journal.root), str(test), "--from", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert "the selector's round 1 model" in out and "chosen at final checkpoint 0" in out
    assert "accuracy" in out


def test_report_and_curve_show_what_each_checkpoint_shipped(tmp_path) -> None:
    from autonlp_al.loop.curves import finals_table, load_finals, load_runs, plot, shipped_metrics

    al = learner(tmp_path)
    al.run(rounds=2)
    runs, finals = load_runs(al.journal.root), load_finals(al.journal.root)
    ((name, (final,)),) = finals.items()
    # it shipped the selector: the shipped scores are its round model's, not the final model's
    assert shipped_metrics(final, runs[name]) == runs[name][-1]["metrics"]
    assert shipped_metrics(final, runs[name]) != final["metrics"]
    row = finals_table(finals, runs).splitlines()[-1]
    assert "| selector |" in row and f"accuracy {runs[name][-1]['metrics']['accuracy']:.4f}" in row
    pytest.importorskip("matplotlib")
    bare = plot(runs, tmp_path / "bare.png").read_bytes()
    starred = plot(runs, tmp_path / "starred.png", finals=finals).read_bytes()
    assert starred[:8] == b"\x89PNG\r\n\x1a\n" and starred != bare
