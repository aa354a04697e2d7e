"""The loop's parts on their own (issue 28): one answer check for every door, the state's one
lock, the records of open state, the one background retrainer, the journal's layout."""

from __future__ import annotations

import threading
import time

import attrs
import pytest

from autonlp_al import Example, Span
from autonlp_al.converters.tokenize import SpacyTokenizer
from autonlp_al.loop.journal import Journal
from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.loop.records import OpenQuery, Untrained
from autonlp_al.loop.retrainer import Retrainer
from autonlp_al.loop.state import LoopState
from autonlp_al.strategies import RandomSampling
from autonlp_al.testing import ScriptedTrainer

TEXTS = [f"Anna kam z.B. nach Bonn {i}" for i in range(12)]


def learner(tmp_path) -> ActiveLearner:
    return ActiveLearner.create(
        trainer=ScriptedTrainer(),
        strategy=RandomSampling(),
        pool=[Example(text=t) for t in TEXTS],
        labels=["PER"],
        state_dir=tmp_path / "state",
        batch_size=3,
        tokenizer=SpacyTokenizer("de"),
    )


def test_update_tokenises_answers_as_record_does(tmp_path) -> None:
    """``update`` took answers as they came while ``record`` tokenised them: both now go through
    one check, so an answer is trained on the loop's tokens whichever door it came through."""
    al = learner(tmp_path)
    query = al.query()
    al.update([Example(text=e.text, id=e.id, spans=[Span(0, 4, "PER")]) for e in query.examples])
    al.record([Example(text="Omar kam u.a. nach Köln", spans=[Span(0, 4, "PER")])])
    events = [e for e in Journal(tmp_path / "state").log.read() if e["type"] == "annotated"]
    words = [[t[0] for t in x["tokens"]] for event in events for x in event["examples"]]
    assert len(words) == 4 and all(w[2] in ("z.B.", "u.a.") for w in words)


def test_the_open_query_is_read_under_the_states_lock() -> None:
    state = LoopState([])
    state.opened(OpenQuery(0, [1, 2], [0.5, 0.4]))
    held, read = threading.Event(), []

    def hold() -> None:
        with state.lock:
            held.set()
            time.sleep(0.3)
            state.answered([])  # closes the query while the reader waits

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    read.append(state.open)  # waits for the writer: never the half-changed state
    thread.join()
    assert read == [None]


def test_untrained_answers_are_a_record() -> None:
    waiting = Untrained((1, 2), (0.5, 0.4)).joined((2, 3), (0.9, 0.0))
    assert waiting == Untrained((1, 2, 3), (0.5, 0.4, 0.0))  # an id given again keeps its score
    assert waiting.without([1, 3]) == Untrained((2,), (0.4,))
    assert waiting.without([1, 2, 3]) is None
    assert OpenQuery(4, (7, 8), (0.2, 0.1)).scores_of([8, 9]) == (0.1, 0.0)


def test_the_retrainer_runs_one_thread_and_looks_again_when_a_round_ends() -> None:
    work = [3]
    running = threading.Event()
    rounds: list[int] = []

    def train() -> None:
        running.set()
        time.sleep(0.1)
        rounds.append(work[0])
        work[0] -= 1

    retrainer = Retrainer(lambda: work[0] > 0, train, name="test-retrain")
    retrainer.start()
    running.wait(5)
    for _ in range(5):
        retrainer.start()  # while one runs: folded into it, no second thread
    retrainer.join(5)
    assert rounds == [3, 2, 1] and retrainer.retrains == 3 and not retrainer.running


def test_a_failed_retrain_is_kept_and_the_next_start_tries_again() -> None:
    calls: list[int] = []

    def train() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("scripted failure")

    retrainer = Retrainer(lambda: len(calls) < 2, train, name="test-retrain")
    retrainer.start()
    retrainer.join(5)
    assert [str(e) for e in retrainer.errors] == ["scripted failure"] and len(calls) == 1
    retrainer.start()
    retrainer.join(5)
    assert len(calls) == 2 and retrainer.retrains == 1


def test_the_journal_knows_where_a_query_file_lies(tmp_path) -> None:
    al = learner(tmp_path)
    path = al.journal.query_path(3)
    assert path == tmp_path / "state" / "queries" / "round-003.jsonl"
    path.parent.mkdir()
    path.write_text("")
    found = Journal.of_query_file(path)
    assert found is not None and found.root == tmp_path / "state"
    assert Journal.of_query_file(tmp_path / "elsewhere" / "round-000.jsonl") is None


def test_the_learner_is_a_small_coordinator() -> None:
    """Its parts as fields, and as members the named constructors, the loop's steps and three
    views: at most 12 of each (it had 30 fields and 19 public members)."""
    fields = {f.name for f in attrs.fields(ActiveLearner)}
    public = {n for n in vars(ActiveLearner) if not n.startswith("_")} - fields
    assert len(fields) <= 12 and len(public) <= 12, (sorted(fields), sorted(public))


def test_the_parts_share_one_state_journal_and_model_store(tmp_path) -> None:
    """``assemble`` is the one place the parts are wired: the learner's checkpoints write to the
    learner's journal and state, and training saves through the learner's model store."""
    al = learner(tmp_path)
    assert al.checkpoints.state is al.state and al.checkpoints.journal is al.journal
    assert al.checkpoints.training is al.training and al.training.models is al.models
    assert al.models.journal is al.journal


def test_a_seed_off_the_label_set_fails_before_the_run_is_opened(tmp_path) -> None:
    from autonlp_al.errors import LabelError
    from autonlp_al.loop.parts import assemble

    seed = [Example(text="Anna kam", spans=[Span(0, 4, "ORG")])]
    with pytest.raises(LabelError):
        assemble(
            trainer=ScriptedTrainer(),
            strategy=RandomSampling(),
            pool=[Example(text=t) for t in TEXTS],
            labels=["PER"],
            state_dir=tmp_path / "state",
            labeled=seed,
        )
    assert not (tmp_path / "state" / "events.jsonl").exists()


def test_the_states_guards_name_the_next_step() -> None:
    """What may happen next is the state's to say: a query while answers wait to be trained,
    answers with no open query."""
    from autonlp_al.errors import AnswerError, StateError

    state = LoopState([Example(text="Anna kam", spans=[Span(0, 4, "PER")])])
    with pytest.raises(StateError, match=r"runs/x: .*call train_pending\(\) before query"):
        state.check_selectable("runs/x")
    with pytest.raises(AnswerError, match="no open query: call query"):
        state.open_for_answers("runs/x")
    state.opened(OpenQuery(0, [1], [0.5]))
    state.check_selectable("runs/x")  # the open query is given again as it is
    assert state.open_for_answers("runs/x").ids == (1,)
