"""A state folder written by version 0.2's learner (before the loop was split into parts, at
c6967e6) resumes with the same parts: its rounds, its open query, its answer recorded but not
trained, and the loop goes on from there. The folder in fixtures/ was made by that version with
the parts and steps ``make`` describes (scripted trainer, 20 made-up pool texts)."""

from __future__ import annotations

import shutil
from pathlib import Path

from autonlp_al import Example, Span
from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.strategies import MNLP
from autonlp_al.testing import ScriptedTrainer

FIXTURE = Path(__file__).parent / "fixtures" / "state-0.2"
NAMES = ["anna", "omar", "lena", "raj"]
OPEN = [4322455605654508, 762711905732378, 7232674854504184, 4118385717238582]


def make(state_dir: Path) -> ActiveLearner:
    """The parts the fixture was made with (``ActiveLearner(...)`` then; ``create`` now): a
    seed set of 3, MNLP, batches of 4, seed 7; then train_pending, query, update with 3 of the 4
    answers, query (left open), record one unasked answer."""
    pool = [Example(text=f"{NAMES[i % 4]} went to site {i}") for i in range(20)]
    seed = [
        Example(text=f"{NAMES[i % 4]} visited plant {i}", spans=[Span(0, len(NAMES[i % 4]), "PER")])
        for i in range(3)
    ]
    return ActiveLearner.create(
        trainer=ScriptedTrainer(),
        strategy=MNLP(),
        pool=pool,
        labels=["PER"],
        state_dir=state_dir,
        labeled=seed,
        batch_size=4,
        seed=7,
    )


def test_a_version_0_2_state_folder_resumes(tmp_path) -> None:
    state = tmp_path / "state"
    shutil.copytree(FIXTURE, state)
    al = make(state)
    assert [r.round for r in al.history] == [0, 1]
    assert al.state.open is not None and list(al.state.open.ids) == OPEN
    assert al.state.n_untrained == 1 and len(al.state.labeled_examples()) == 7
    assert al.models.model is not None and al.models.model.version == al.history[-1].model_version
    query = al.query()  # the open query again, not a new pick
    assert [e.id for e in query.examples] == OPEN
    answers = [Example(text=e.text, id=e.id, spans=[Span(0, 4, "PER")]) for e in query.examples]
    record = al.update(answers)
    assert record is not None and record.round == 2 and record.n_labeled == 11
    assert al.state.n_untrained == 0  # the unasked answer was trained on too
