"""ActiveLearner with the public scripted trainer: rounds, state, resume, people in the loop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autonlp_al import AutoNLPALError, Example, LabelError, Span
from autonlp_al.errors import AnswerError, StateError
from autonlp_al.loop.learner import ActiveLearner, GoldOracle
from autonlp_al.sources import ProdigySource
from autonlp_al.stopping import LowUncertainty, StablePredictions, TargetMetric
from autonlp_al.strategies import MNLP, PoolExhaustedError, RandomSampling
from autonlp_al.testing import InMemorySource, ScriptedTrainer
from autonlp_al.writers import ProdigyWriter
from tests.conftest import write_jsonl

NAMES = ["anna", "omar", "lena", "raj", "mia", "ivan", "zoe", "paul"]


def gold(n: int = 60) -> list[Example]:
    out = []
    for i in range(n):
        name = NAMES[i % len(NAMES)]
        text = f"{name} visited plant {i} today"
        out.append(Example(text=text, spans=[Span(0, len(name), "PER")]))
    return out


def learner(tmp_path: Path, trainer=None, **kwargs) -> ActiveLearner:
    examples = gold()
    options = {
        "trainer": trainer or ScriptedTrainer(),
        "strategy": MNLP(),
        "pool": [Example(text=e.text) for e in examples[10:]],
        "labels": ["PER"],
        "state_dir": tmp_path / "state",
        "labeled": examples[:4],
        "eval": examples[:10],
        "batch_size": 5,
        "seed": 7,
        "oracle": GoldOracle(examples),
        **kwargs,
    }
    return ActiveLearner.create(**options)


def test_rounds_grow_the_labelled_set_and_warm_start(tmp_path) -> None:
    trainer = ScriptedTrainer()
    al = learner(tmp_path, trainer)
    rounds = al.run(rounds=4)
    assert [r.n_labeled for r in rounds] == [4, 9, 14, 19]
    assert [r.strategy for r in rounds] == ["seed", "mnlp", "mnlp", "mnlp"]
    selected = [i for r in rounds for i in r.selected]
    assert len(selected) == len(set(selected)) == 15
    assert not set(selected) & {e.id for e in gold()[:4]}  # never a labelled id
    assert trainer.calls[0]["init"] is None
    assert all(call["init"] is not None for call in trainer.calls[1:])
    assert [c["n"] for c in trainer.calls] == [4, 9, 14, 19]
    # the fake model tags exactly the texts it was trained on: 4 of the 10 eval texts
    assert rounds[-1].metrics["precision"] == 1.0 and rounds[-1].metrics["recall"] == 0.4
    assert (tmp_path / "state" / "models" / "round-003" / "fake_model.json").exists()


def test_cold_start_without_a_seed_set(tmp_path) -> None:
    al = learner(tmp_path, labeled=[], cold_start=RandomSampling())
    first = al.step()
    assert first.strategy == "random" and first.n_labeled == 5


def test_resume_continues_exactly_where_it_stopped(tmp_path) -> None:
    reference = learner(tmp_path / "a")
    reference.run(rounds=5)
    interrupted = learner(tmp_path / "b")
    interrupted.run(rounds=2)
    resumed = ActiveLearner.resume(tmp_path / "b" / "state", **_same_parts(tmp_path / "b"))
    assert [r.n_labeled for r in resumed.history] == [4, 9]
    resumed.run(rounds=3)
    assert [r.selected for r in resumed.history] == [r.selected for r in reference.history]
    assert resumed.state.labeled_examples() == reference.state.labeled_examples()


def _same_parts(root: Path) -> dict:
    al = learner(root)
    return {
        "trainer": al.training.trainer,
        "strategy": al.picker.strategy,
        "pool": al.picker.pool,
        "labels": al.labels,
        "labeled": al.state.seed,
        "eval": al.training.eval,
        "batch_size": al.picker.batch_size,
        "seed": al.picker.seed,
        "oracle": al.oracle,
    }


def test_another_configuration_is_refused(tmp_path) -> None:
    learner(tmp_path).run(rounds=1)
    with pytest.raises(StateError, match=r"another configuration \(differs in: batch_size, seed"):
        learner(tmp_path, batch_size=3, seed=1)
    with pytest.raises(StateError, match="nothing to resume"):
        ActiveLearner.resume(tmp_path / "nope", **_same_parts(tmp_path))


def test_a_torn_last_event_is_ignored_and_cut(tmp_path) -> None:
    al = learner(tmp_path)
    al.run(rounds=2)
    events = tmp_path / "state" / "events.jsonl"
    with events.open("ab") as f:
        f.write(b'{"type": "selected", "round": 2, "ids": [1')  # killed mid-append
    again = learner(tmp_path)
    assert len(again.history) == 2
    again.run(rounds=1)
    assert all(line.endswith("}") for line in events.read_text().splitlines())


def test_the_pool_runs_out_with_a_typed_error_or_a_clean_stop(tmp_path) -> None:
    al = learner(tmp_path, batch_size=20)
    rounds = al.run()  # 50 in the pool: 20 + 20 + 10, then stops
    assert [r.n_labeled for r in rounds] == [4, 24, 44, 54]
    with pytest.raises(PoolExhaustedError):
        al.step()


def test_stopping_criteria(tmp_path) -> None:
    al = learner(tmp_path)
    rounds = al.run(rounds=10, stop=[TargetMetric("precision", 0.99)])
    assert len(rounds) == 1  # the seed round's fake model already has precision 1.0
    assert learner(tmp_path / "b").run(budget=14)[-1].n_labeled == 14
    by_tokens = learner(tmp_path / "e").run(budget=60, budget_unit="tokens")
    assert by_tokens[-1].n_tokens >= 60 > by_tokens[-2].n_tokens  # 5 words a sentence
    al = learner(tmp_path / "c")
    assert len(al.run(rounds=10, stop=[LowUncertainty(threshold=10.0)])) == 2
    stable = StablePredictions(agreement=0.0, rounds=1)
    assert len(learner(tmp_path / "d").run(rounds=10, stop=[stable])) == 2


def test_duplicate_texts_in_the_pool_are_refused(tmp_path) -> None:
    with pytest.raises(AutoNLPALError, match="duplicate texts") as refused:
        learner(tmp_path, pool=[Example(text="same"), Example(text="same")])
    assert "--dedupe" in str(refused.value) and "Deduplicated(source)" in str(refused.value)


def test_a_seed_set_off_the_label_set_is_refused_before_any_training(tmp_path) -> None:
    trainer = ScriptedTrainer()
    with pytest.raises(LabelError, match="'PER', which is not in the label set"):
        learner(tmp_path, trainer=trainer, labels=["PERSON"])
    assert trainer.calls == []


def test_query_update_round_trip_through_prodigy(tmp_path, prodigy_db) -> None:
    al = learner(tmp_path, oracle=None)
    with pytest.raises(StateError, match="train_pending"):
        al.query()  # the seed set is not trained yet: query() never trains
    assert al.train_pending() is not None and al.train_pending() is None
    query = al.query()  # picks and pre-annotates; writing it is a writer's job
    assert query.round == 1 and query.task == "ner" and len(query.examples) == 5
    assert query.predictions is not None and len(query.scores) == 5
    path = tmp_path / "tasks.jsonl"
    ProdigyWriter(with_answer=False).write(query.tasks(), path)
    tasks = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(tasks) == 5 and all("tokens" in t and t["meta"]["round"] == 1 for t in tasks)
    assert [t["meta"]["autonlp_al_id"] for t in tasks] == [e.id for e in query.examples]
    assert al.query() == query  # the open query is given again, not replaced
    # annotators answer three of five in Prodigy (ner.manual), one of them twice
    answers = []
    for task in tasks[:3]:
        name = task["text"].split()[0]
        answers.append(
            {
                **task,
                "spans": [{"start": 0, "end": len(name), "label": "PER"}],
                "answer": "accept",
                "_view_id": "ner_manual",
            }
        )
    answers.append(answers[0])
    db = prodigy_db({"bbc_al": answers})
    record = al.update(ProdigySource(path=db, dataset="bbc_al"))
    assert record is not None and record.n_labeled == 7
    assert set(record.selected) == {t["meta"]["autonlp_al_id"] for t in tasks[:3]}
    unanswered = {t["meta"]["autonlp_al_id"] for t in tasks[3:]}
    assert unanswered <= {
        e.id for e in al.picker.unlabeled(al.state.done())
    }  # back in the pool, not lost
    with pytest.raises(AnswerError, match="no open query"):
        al.update(ProdigySource(path=db, dataset="bbc_al"))


def test_update_refuses_unknown_ids_duplicates_and_foreign_labels(tmp_path) -> None:
    al = learner(tmp_path, oracle=None)
    al.train_pending()
    tasks = [{"text": e.text, "_input_hash": e.id} for e in al.query().examples]
    stranger = Example(text="never queried")
    with pytest.raises(AnswerError, match="was not in the open query"):
        al.update(InMemorySource([stranger]))
    first = Example(text=tasks[0]["text"], id=tasks[0]["_input_hash"])
    other = Example(text=tasks[0]["text"], id=tasks[0]["_input_hash"], spans=[Span(0, 2, "PER")])
    with pytest.raises(AnswerError, match="second, different answer"):
        al.update(InMemorySource([first, other]))
    with pytest.raises(LabelError, match="label 'ORG', which is not in the label set"):
        al.update(
            InMemorySource(
                [
                    Example(
                        text=tasks[0]["text"], id=tasks[0]["_input_hash"], spans=[Span(0, 2, "ORG")]
                    )
                ]
            )
        )
    assert len(al.state.labeled_examples()) == 4  # nothing half-recorded
    path = write_jsonl(
        tmp_path / "answers.jsonl",
        [
            {"text": t["text"], "spans": [], "answer": "accept", "_input_hash": t["_input_hash"]}
            for t in tasks
        ],
    )
    assert al.update(ProdigySource(path=path)).n_labeled == 9


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from tests.loop.test_learner import learner
    from autonlp_al.testing import ScriptedTrainer
    from pathlib import Path

    class Slow(ScriptedTrainer):
        def train(self, *args, **kwargs):
            if len(self.calls) == {slow_call}:
                print("training", flush=True)
                time.sleep(60)
            return super().train(*args, **kwargs)

    learner(Path({tmp!r}), Slow()).run(rounds=4)
""")


def test_kill_9_mid_round_then_resume_loses_nothing(tmp_path) -> None:
    reference = learner(tmp_path / "ref")
    reference.run(rounds=4)
    root = str(Path(__file__).resolve().parent.parent)
    script = KILL_SCRIPT.format(root=root, tmp=str(tmp_path / "killed"), slow_call=2)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "training"  # inside round 2's training
    time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    events = (tmp_path / "killed" / "state" / "events.jsonl").read_text().splitlines()
    assert json.loads(events[-1])["type"] == "annotated"  # answers were safe before training
    resumed = learner(tmp_path / "killed")
    assert len(resumed.history) == 2
    assert len(resumed.state.labeled_examples()) == 14  # round 2's answers were kept
    resumed.run(rounds=2)
    assert [r.selected for r in resumed.history] == [r.selected for r in reference.history]
    assert resumed.state.labeled_examples() == reference.state.labeled_examples()


def test_model_dir_is_relative_to_the_state_folder_not_the_working_directory(
    tmp_path, monkeypatch
) -> None:
    """A run started with a relative state folder, then resumed from another
    working directory that holds another run of the same name, loads its own model (it used to
    load the other run's: the path was recorded relative to the working directory)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    ours = learner(tmp_path, state_dir=Path("run"))
    ours.run(rounds=2)
    assert ours.history[-1].model_dir == "models/round-001"
    monkeypatch.chdir(tmp_path / "b")  # a decoy run with the same relative folder names
    decoy = learner(tmp_path, state_dir=Path("run"), labeled=gold()[:3])
    decoy.run(rounds=2)
    assert decoy.models.model.version != ours.models.model.version
    resumed = learner(tmp_path, state_dir=tmp_path / "a" / "run")
    assert resumed.models.model.version == ours.models.model.version
    assert (
        resumed.journal.model_path(resumed.history[-1].model_dir)
        == tmp_path / "a" / "run" / "models" / "round-001"
    )


def test_logs_that_recorded_cwd_relative_model_dirs_still_resume(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    old = learner(tmp_path, state_dir=Path("run"))
    old.run(rounds=1)
    log = tmp_path / "run" / "events.jsonl"
    # what earlier versions wrote: the path as seen from the run's working directory
    log.write_text(log.read_text().replace('"models/round-000"', '"run/models/round-000"'))
    resumed = learner(tmp_path, state_dir=Path("run"))
    assert resumed.models.model.version == old.models.model.version


def test_an_answer_whose_text_differs_from_the_queried_one_is_refused(tmp_path) -> None:
    """An answer with a queried ``_input_hash`` but another text (an edited task) used to be
    trained on while the queried pool text was marked labelled."""
    al = learner(tmp_path, oracle=None)
    al.train_pending()
    queried = al.query().examples[0]
    edited = Example(text=queried.text + " (edited)", id=queried.id, spans=[Span(0, 2, "PER")])
    with pytest.raises(AnswerError, match=r"names the pool text .* but the answer's text is"):
        al.update(InMemorySource([edited]))
    assert queried.id in {e.id for e in al.picker.unlabeled(al.state.done())}  # nothing recorded
    assert len(al.state.labeled_examples()) == 4


def test_first_query_tasks_do_not_show_labels_the_pool_file_carries(tmp_path) -> None:
    labelled = [Example(text=f"match {i}", labels=["sport"]) for i in range(6)]
    learner = ActiveLearner.create(
        trainer=ScriptedTrainer(task="textcat"),
        strategy=RandomSampling(),
        pool=labelled,
        labels=["sport", "tech"],
        state_dir=tmp_path,
        batch_size=3,
    )
    tasks = learner.query().tasks()
    assert len(tasks) == 3
    assert all(t.labels == () and t.spans == () and t.meta["round"] == 0 for t in tasks)


def test_answers_kept_by_a_stop_while_training_are_named_and_trained(tmp_path) -> None:
    al = learner(tmp_path, trainer=ScriptedTrainer(fail_on=2), oracle=None)
    al.train_pending()  # call 1: the seed set
    examples = al.query().examples
    with pytest.raises(RuntimeError):  # call 2 fails: a stop after the answers were recorded
        al.update(examples)
    again = learner(tmp_path, oracle=None)
    assert again.state.n_untrained == 5
    with pytest.raises(AnswerError, match="recorded but not trained on"):
        again.update(examples)
    record = again.train_pending()
    assert record is not None and record.n_labeled == 9 and again.state.n_untrained == 0


# -- answers no query asked for (Label Studio, where annotators pick tasks) ------------------------


def answer(i: int) -> Example:
    name = NAMES[i % len(NAMES)]
    return Example(text=f"{name} visited plant {i} today", spans=[Span(0, len(name), "PER")])


def test_recorded_answers_are_logged_at_once_trained_next_and_survive_a_restart(tmp_path) -> None:
    trainer = ScriptedTrainer()
    al = learner(tmp_path, trainer, labeled=[], oracle=None)
    assert al.record([answer(20), answer(21)]) == 2
    assert al.state.n_untrained == 2 and not trainer.calls  # recorded, not trained yet
    events = [json.loads(line) for line in (tmp_path / "state" / "events.jsonl").open()]
    assert events[-1]["type"] == "annotated" and events[-1]["unasked"] is True
    # a new process finds them waiting, and trains them
    again = learner(tmp_path, trainer, labeled=[], oracle=None)
    assert again.state.n_untrained == 2
    first = again.train_pending()
    assert first is not None and first.n_labeled == 2 and again.state.n_untrained == 0
    assert sorted(first.selected) == sorted([answer(20).id, answer(21).id])
    assert {answer(20).id, answer(21).id}.isdisjoint(
        e.id for e in again.picker.unlabeled(again.state.done())
    )
    # the latest answer for a text wins; a text outside the pool is kept as labelled too
    changed = Example(text=answer(20).text, spans=[])
    outside = Example(text="zoe left", spans=[Span(0, 3, "PER")])
    assert again.record([changed, outside]) == 2
    second = again.train_pending()
    assert second is not None and second.n_labeled == 3
    labelled = {e.text: e for e in again.state.labeled_examples()}
    assert labelled[answer(20).text].spans == () and "zoe left" in labelled


def test_answers_recorded_while_a_round_trains_wait_for_the_next_round(tmp_path) -> None:
    """The race a server thread meets: an answer recorded while a round trains must neither be
    trained on half-way nor be forgotten as untrained when the round ends (also after resume)."""

    class Recording(ScriptedTrainer):
        def train(self, train, **kwargs):  # type: ignore[no-untyped-def]
            if len(self.calls) == 0:
                al.record([answer(31)])  # arrives while round 0 trains
            return super().train(train, **kwargs)

    trainer = Recording()
    al = learner(tmp_path, trainer, labeled=[], oracle=None)
    al.record([answer(30)])
    round_0 = al.train_pending()
    assert round_0 is not None and round_0.selected == (answer(30).id,)
    assert trainer.calls[0]["ids"] == [answer(30).id]
    assert al.state.n_untrained == 1
    resumed = learner(tmp_path, ScriptedTrainer(), labeled=[], oracle=None)
    assert resumed.state.n_untrained == 1
    round_1 = resumed.train_pending()
    assert round_1 is not None and round_1.selected == (answer(31).id,) and round_1.n_labeled == 2


def test_recorded_answers_are_checked_and_close_an_open_query_they_answer(tmp_path) -> None:
    al = learner(tmp_path, oracle=None)
    al.train_pending()
    with pytest.raises(LabelError):
        al.record([answer(40), Example(text="anna here", spans=[Span(0, 4, "ORG")])])
    pool_text = gold()[40]
    with pytest.raises(AnswerError, match="names the pool text"):
        al.record([Example(text="another text", id=pool_text.id)])
    assert al.state.n_untrained == 0  # nothing of a refused call is recorded
    query = al.query()
    asked = [e.id for e in query.examples]
    al.record([answer(50)] if answer(50).id not in asked else [answer(51)])
    again = al.query()
    assert again.round == query.round and [e.id for e in again.examples] == asked  # still open
    al.record([Example(text=query.examples[0].text, spans=[])])
    with pytest.raises(AnswerError):  # closed: its answers wait for training
        al.update([Example(text=query.examples[1].text)])
    trained = al.train_pending()
    assert trained is not None and query.examples[0].id in trained.selected
    assert query.examples[1].id in {
        e.id for e in al.picker.unlabeled(al.state.done())
    }  # back in the pool
