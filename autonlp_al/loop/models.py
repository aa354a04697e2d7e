"""``ModelStore``: the loop's models on disk and in memory, and the rules about them.

Which trainer loads which model (a round's model: the selector's if there is one; a final
model: the trainer's), what is served and pushed (the latest final model, else the latest
round's), and how a model folder is written (under a temporary name, then renamed, so a kill
never leaves half a model under the final name) are written here once; the learner, ``serve``,
``push`` and the Label Studio backend ask this module.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from .._files import storage
from ..scorers.base import ModelRef
from ..trainers.base import Model, Trainer
from .journal import Journal
from .records import Final, Round

__all__ = ["ModelStore"]


@attrs.define(eq=False)
class ModelStore:
    """The models of one state folder: ``trainer`` makes and loads final models,
    ``round_trainer`` (the selector, else the trainer) each round's."""

    journal: Journal
    trainer: Trainer
    round_trainer: Trainer
    model: Model | None = None  # the latest round's
    final_model: Model | None = None
    ships_final: bool = True  # what the latest final checkpoint chose (loop/choice.py)

    @property
    def served(self) -> Model | None:
        """What to serve, push and pre-annotate with: the latest final model if its checkpoint
        chose it, else the latest round's model (the same rule as
        :meth:`~autonlp_al.loop.journal.Journal.served`)."""
        if self.final_model is not None and (self.ships_final or self.model is None):
            return self.final_model
        return self.model

    def ref(self, history: Sequence[Round]) -> ModelRef:
        """The latest round's model as scorers see it: the trainer that loads it, its folder."""
        path = str(self.journal.model_path(history[-1].model_dir)) if history else None
        return ModelRef(self.round_trainer, path, model=self.model)

    def load(self, history: Sequence[Round], finals: Sequence[Final]) -> None:
        """Load the latest round's and the latest final model of a resumed run."""
        if history:
            self.model = self.round_trainer.load(
                str(self.journal.model_path(history[-1].model_dir))
            )
        if finals:
            self.final_model = self.trainer.load(str(self.journal.model_path(finals[-1].model_dir)))
            self.ships_final = finals[-1].shipped == "final"

    def save_round(self, model: Model, round_: int) -> str:
        """Save round ``round_``'s model and make it the current one; its folder, relative."""
        folder = self.install(f"round-{round_:03d}", model.save)
        self.model = model
        return self.journal.relative(folder)

    def save_final(self, model: Model, index: int, *, shipped: str = "final") -> str:
        folder = self.install(f"final-{index:03d}", model.save)
        self.final_model = model
        self.ships_final = shipped == "final"
        return self.journal.relative(folder)

    def adopt_round(self, model_dir: str | Path) -> str:
        """Copy another run's seed model in as round 0 and load it; its folder, relative."""
        folder = self.install("round-000", lambda tmp: shutil.copytree(model_dir, tmp))
        self.model = self.round_trainer.load(str(folder))
        return self.journal.relative(folder)

    def install(self, name: str, write: Callable[[Path], object]) -> Path:
        """The model folder ``models/<name>``, filled by ``write(folder)`` under a temporary
        name and then renamed."""
        final = self.journal.model_folder(name)
        tmp = final.with_name(final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            with storage(final, needs=self._last_size):  # sized only on failure
                write(tmp)
                shutil.rmtree(final, ignore_errors=True)
                tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # a full disk keeps no half model
            raise
        return final

    def _last_size(self) -> int | None:
        """Bytes of the newest model folder (about what the next one needs), if any."""
        folders = sorted(self.journal.root.glob("models/*[0-9]"), key=lambda p: p.stat().st_mtime)
        if not folders:
            return None
        return sum(f.stat().st_size for f in folders[-1].rglob("*") if f.is_file())
