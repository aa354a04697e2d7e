"""One writer per state folder: an advisory lock on ``STATE_DIR/.lock`` held by the process that
writes it (a CLI ``query`` / ``update``, ``serve --learn``, a Prodigy recipe, a simulation).

The lock is ``flock(2)`` on an open file, so the operating system drops it when its process
dies, however it dies: a holder killed with ``kill -9`` leaves no stale lock, only its note (pid,
command, time) in the file, which the next holder overwrites. Within one process the lock is
shared (learners in one process on one folder already serialise through the journal's append
lock) and released when the last object that claimed it is collected. Where ``fcntl`` is
missing (Windows) nothing is locked.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import weakref
from collections import deque
from pathlib import Path
from typing import Any

from ..errors import StateLockedError

__all__ = ["LOCK_FILE", "claim"]

#: The lock file's name inside a state folder.
LOCK_FILE = ".lock"

_HELD: dict[str, list[Any]] = {}  # resolved folder -> [file, number of claims]
_GUARD = threading.Lock()
_RELEASED: deque[str] = deque()  # claims whose owner was collected, not yet counted off


def claim(owner: object, root: str | Path) -> None:
    """Hold ``root``'s lock while ``owner`` lives; :class:`StateLockedError` naming the holder
    when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    key = str(Path(root).resolve())
    with _GUARD:
        _count_off()
        held = _HELD.get(key)
        if held is None:
            Path(root).mkdir(parents=True, exist_ok=True)
            handle = open(os.path.join(key, LOCK_FILE), "a+", encoding="utf-8")  # noqa: SIM115
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _holder(handle)
                handle.close()
                raise StateLockedError(
                    f"{root} is in use by {holder}; one process writes a state folder at a "
                    f"time: wait for it to finish or stop it (serve without --learn, report and "
                    f"label only read, and may run beside it)"
                ) from None
            handle.seek(0)
            handle.truncate()
            command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))
            handle.write(
                f"process {os.getpid()} ({command[:200]}, since "
                f"{time.strftime('%Y-%m-%d %H:%M:%S')})\n"
            )
            handle.flush()
            held = _HELD[key] = [handle, 0]
        held[1] += 1
        weakref.finalize(owner, _release, key)
        _count_off()


def _holder(handle: Any) -> str:
    """The holder's note; a holder that has just taken the lock writes it a moment later, so an
    empty note is read again for up to half a second."""
    for _ in range(20):
        handle.seek(0)
        note = str(handle.read(300)).strip()
        if note:
            return note
        time.sleep(0.025)
    return "another process"


def _release(key: str) -> None:
    """A finalizer: it may run inside :func:`claim` (a collection there), so it never waits
    for the guard; a claim under way counts the release off before it ends."""
    _RELEASED.append(key)
    if _GUARD.acquire(blocking=False):
        try:
            _count_off()
        finally:
            _GUARD.release()


def _count_off() -> None:
    """Count off the claims released so far (with the guard held)."""
    while _RELEASED:
        key = _RELEASED.popleft()
        held = _HELD.get(key)
        if held is None:
            continue
        held[1] -= 1
        if held[1] <= 0:
            del _HELD[key]
            held[0].close()  # closing the file drops the lock
