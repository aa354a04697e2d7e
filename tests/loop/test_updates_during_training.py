"""Every acknowledged answer is trained with its latest value (issue 30): an update that arrives
while its round trains is trained by the next round, and after a restart; a Label Studio server
restarted with answers waiting trains them at once, whatever --retrain-every says."""

from __future__ import annotations

import threading

from autonlp_al import Example
from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.testing import ScriptedTrainer
from tests.loop.scripted import TEXTS
from tests.loop.scripted import learner as scripted


def learner(state_dir, trainer=None) -> ActiveLearner:
    return scripted(state_dir, trainer or ScriptedTrainer(task="textcat"), labels=("a", "b"))


class SlowTrainer(ScriptedTrainer):
    """Trains once ``go`` is set, having set ``started``."""

    def __init__(self) -> None:
        super().__init__(task="textcat")
        self.started, self.go = threading.Event(), threading.Event()

    def train(self, train, **kwargs):
        self.started.set()
        assert self.go.wait(10)
        return super().train(train, **kwargs)


def test_an_update_during_its_rounds_training_is_trained_next(tmp_path) -> None:
    trainer = SlowTrainer()
    al = learner(tmp_path / "state", trainer)
    first = Example(text=TEXTS[0], labels=["a"])
    al.record([first])
    thread = threading.Thread(target=al.train_pending)
    thread.start()
    assert trainer.started.wait(10)
    al.record([Example(text=TEXTS[0], labels=["b"])])  # the annotator changed their mind
    trainer.go.set()
    thread.join(10)
    assert al.state.n_untrained == 1  # 0.2: 0, and the served model kept "a" for good
    assert learner(tmp_path / "state").state.n_untrained == 1  # after a restart too
    al.train_pending()
    assert trainer.calls[-1]["ids"] == [first.id] and al.state.n_untrained == 0
    model = al.models.model
    assert model is not None and model.memory[TEXTS[0]].labels == ("b",)


def test_a_restarted_backend_trains_what_waits_whatever_retrain_every_says(tmp_path) -> None:
    from autonlp_al.integrations.labelstudio import LabelStudioBackend
    from autonlp_al.integrations.serve import ModelSlot

    al = learner(tmp_path / "state")
    al.record([Example(text=t, labels=["a"]) for t in TEXTS[:3]])  # then the server stopped
    resumed = learner(tmp_path / "state")
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=resumed, retrain_every=5)
    backend.start()  # what serve --learn does when it starts
    backend.join(20)
    assert resumed.state.n_untrained == 0 and len(resumed.history) == 1
