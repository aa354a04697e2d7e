"""One writer per state folder (issue 30): a second process is refused with a typed error naming
the holder, never interleaved; a holder killed with kill -9 leaves no stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from autonlp_al.errors import StateLockedError
from tests.loop.scripted import learner

HOLDER = textwrap.dedent(
    """
    import sys, time
    from tests.loop.scripted import learner
    held = learner(sys.argv[1])  # kept: the lock lives as long as the learner
    held.query()
    print("holding", flush=True)
    time.sleep(60)
    """
)


@pytest.fixture
def holder(tmp_path):
    state = tmp_path / "state"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "holding"
    yield state, process
    process.kill()
    process.wait()


def test_a_second_process_is_refused_naming_the_holder(holder) -> None:
    state, process = holder
    with pytest.raises(StateLockedError, match=rf"in use by process {process.pid} \(.*since "):
        learner(state)
    events = (state / "events.jsonl").read_text().splitlines()
    assert len(events) == 2  # the holder's config and selection; nothing of ours


def test_a_holder_killed_with_kill_9_leaves_no_stale_lock(holder) -> None:
    state, process = holder
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    resumed = learner(state)  # the open query the dead holder selected, taken over
    assert resumed.state.open is not None and len(resumed.query().examples) == 3


def test_learners_in_one_process_share_the_folder(tmp_path) -> None:
    first = learner(tmp_path / "state")
    second = learner(tmp_path / "state")
    assert first.query().examples == second.query().examples


def test_the_lock_goes_with_the_last_learner(tmp_path) -> None:
    import gc

    al = learner(tmp_path / "state")
    al.query()
    del al
    gc.collect()
    other = subprocess.run(
        [sys.executable, "-c", HOLDER.replace("time.sleep(60)", ""), str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other.returncode == 0, other.stderr[-500:]


def test_a_release_never_waits_for_a_claim_under_way(tmp_path) -> None:
    """A learner's finalizer may run inside another learner's claim (the garbage collector
    runs when the claim allocates): waiting there for the claim's guard hung the suite."""
    import threading

    from autonlp_al.loop import lock

    class Owner:
        pass

    owner = Owner()
    lock.claim(owner, tmp_path / "a")
    key = str((tmp_path / "a").resolve())
    released = threading.Event()
    with lock._GUARD:  # a claim under way
        thread = threading.Thread(target=lambda: (lock._release(key), released.set()))
        thread.start()
        assert released.wait(2), "the release waited for the claim"
    thread.join(5)
    lock.claim(Owner(), tmp_path / "b")  # the next claim counts the release off
    assert key not in lock._HELD  # counted off, and the file closed


def test_a_holder_that_has_not_written_its_note_yet_is_still_named(tmp_path) -> None:
    """Two updates started together: the loser read the lock file before the winner had
    written who it is, and was told "in use by another process" (2 of 10 trials)."""
    state = tmp_path / "state"
    state.mkdir()
    script = textwrap.dedent(
        """
        import fcntl, sys, time
        f = open(sys.argv[1], "a+")
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        print("locked", flush=True)
        time.sleep(0.2)  # the note comes a moment after the lock
        f.write("process 4242 (autonlp-al update, since now)\\n")
        f.flush()
        time.sleep(60)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(state / ".lock")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        with pytest.raises(StateLockedError, match=r"in use by process 4242 \(autonlp-al update"):
            learner(state)
    finally:
        process.kill()
        process.wait()
