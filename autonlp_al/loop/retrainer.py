"""``Retrainer``: one background thread that trains while there is something to train.

Tools that collect answers while people keep labelling (Label Studio's webhook, Prodigy's update
callback) must not block on training. They call :meth:`Retrainer.start` after recording answers;
at most one thread trains at a time, and it looks again when a round ends, so answers that
arrive meanwhile join the next round instead of starting a second thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["Retrainer"]

log = logging.getLogger("autonlp_al.loop.retrainer")


class Retrainer:
    """Runs ``train()`` in a background thread while ``wanted()`` (checked under the lock that
    :meth:`start` takes, so a start is never lost between the last check and the thread's end).
    A failed ``train()`` ends the thread, its error kept in ``errors``: the answers stay
    recorded, and the next :meth:`start` tries again."""

    def __init__(
        self, wanted: Callable[[], bool], train: Callable[[], object], *, name: str
    ) -> None:
        self._wanted, self._train, self._name = wanted, train, name
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.errors: list[BaseException] = []
        self.retrains = 0

    @property
    def running(self) -> bool:
        worker = self._worker
        return worker is not None and worker.is_alive()

    def start(self) -> None:
        """Start training in the background, unless a thread runs (it looks again when done)."""
        with self._lock:
            if self.running:
                return
            self._worker = threading.Thread(target=self._run, daemon=True, name=self._name)
            self._worker.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted():
                    self._worker = None
                    return
            try:
                self._train()
                self.retrains += 1
            except BaseException as exc:  # kept for the front end to show; the thread ends
                log.exception("retraining failed; still serving the previous model")
                self.errors.append(exc)
                with self._lock:
                    self._worker = None
                return

    def join(self, timeout: float | None = None) -> None:
        """Wait for the training thread, if one runs (tests, and a clean shutdown)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
