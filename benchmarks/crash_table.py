"""Crashes, two writers and full disks on the surfaces that write: prints issue 30's table
(surface | trials | acknowledged | lost | duplicated | untyped | hangs; the goal is 0 in the last
four columns).

- **webhook, SIGKILL**: ``autonlp-al serve STATE --learn`` killed at random moments while four
  clients post Label Studio answers and updates (harness: ``tests/integrations/crash.py``); a
  trial is one kill. *lost* counts acknowledged answers missing from the log, tasks whose latest
  answer did not win, and answers left untrained after the last restart.
- **vector cache, SIGKILL**: an all-MiniLM-L6-v2 encoder filling its cache with CoNLL-2003
  sentences, killed at random moments, the cache reopened after each kill; *acknowledged* rows
  are those an ``embed`` call had returned.
- **two updates at once**: two ``autonlp-al update`` processes started together on one open
  query; *acknowledged* is a run that exited 0; the other is refused, by the lock or (when it
  started after the first had finished) because the query is answered; *duplicated* is a round
  or answer logged twice.
- **update beside serve --learn**: ``update`` while the server holds the folder (the docs say
  not to); it must be refused, and an answer posted to the server then is taken
  (*acknowledged*) and trained.
- **webhook, full disk** and **update, full disk**: the state folder on a 1 MiB tmpfs filled up
  (needs root to mount one; the row says so otherwise); after each refusal (507, or a typed
  error) the space is freed and the refused answer sent again.

    python benchmarks/crash_table.py [--trials 5] [--kills 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the harness lives in tests/

from _corpora import conll2003, machine, minilm

from tests.integrations import crash

COLUMNS = ("trials", "acknowledged", "lost", "duplicated", "untyped", "hangs")
CLI = [sys.executable, "-m", "autonlp_al"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def webhook_kills(work: Path, trials: int, kills: int, seed: int) -> Counter[str]:
    total: Counter[str] = Counter()
    for trial in range(trials):
        folder = work / f"webhook-{trial}"
        folder.mkdir()
        tally = crash.webhook_crashes(folder, kills=kills, clients=4, seed=seed + trial)
        tally["trials"] = tally.pop("kills", 0)
        tally["lost"] += tally.pop("stale", 0) + max(tally.pop("untrained", 0), 0)
        tally["untyped"] += tally.pop("refused", 0)
        total.update(tally)
    return total


def cache_kills(work: Path, trials: int, kills: int, seed: int) -> Counter[str]:
    from autonlp_al.sources import ConllSource

    texts = sorted({e.text for e in islice(ConllSource(path=conll2003("train")).read(), 3000)})
    total: Counter[str] = Counter()
    for trial in range(trials):
        folder = work / f"cache-{trial}"
        folder.mkdir()
        tally = crash.cache_crashes(
            folder, minilm(), texts[:1500], kills=kills // 2, seed=seed + trial, interval=(0, 4)
        )
        tally["trials"] = tally.pop("kills", 0)
        tally.pop("wrong", None)  # rows never returned before a kill: not acknowledged
        total.update(tally)
    return total


def queried(folder: Path) -> tuple[Path, Path]:
    """A state folder with an open query, and a file answering it."""
    state = crash.state_folder(folder)
    run([*CLI, "query", "--state-dir", str(state)], check=True)
    (query,) = (state / "queries").glob("round-*.jsonl")
    answers = folder / "answers.jsonl"
    with answers.open("w", encoding="utf-8") as f:
        for n, line in enumerate(query.read_text(encoding="utf-8").splitlines()):
            text = json.loads(line)["text"]
            f.write(json.dumps({"text": text, "label": crash.LABELS[n % 3]}) + "\n")
    return state, answers


def run(command: list[str], check: bool = False, timeout: float = 300) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    if check:
        _, err = process.communicate(timeout=timeout)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{err[-2000:]}")
    return process


def finished(process: subprocess.Popen[str], tally: Counter[str], timeout: float = 300) -> str:
    """Wait for a CLI run; count a hang, or an exit that is neither 0 nor a typed error."""
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        tally["hangs"] += 1
        return ""
    if process.returncode == 0:
        tally["acknowledged"] += 1
    elif process.returncode != 1 or "Traceback" in err or "error: " not in err:
        tally["untyped"] += 1
    return err


def events(state: Path) -> Counter[str]:
    """Event types in the log, and each round trained, counted."""
    seen: Counter[str] = Counter()
    for line in (state / "events.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        seen[event["type"]] += 1
        if event["type"] == "trained":
            seen[f"round {event.get('round')}"] += 1
    return seen


def duplicates(seen: Counter[str]) -> int:
    rounds = [n for key, n in seen.items() if key.startswith("round ")]
    return max(seen["annotated"] - 1, 0) + sum(n - 1 for n in rounds if n > 1)


def two_updates(work: Path, trials: int) -> Counter[str]:
    tally: Counter[str] = Counter()
    for trial in range(trials):
        folder = work / f"two-{trial}"
        folder.mkdir()
        state, answers = queried(folder)
        command = [*CLI, "update", str(answers), "--from", "jsonl", "--state-dir", str(state)]
        processes = [run(command), run(command)]
        errors = [finished(p, tally) for p in processes]
        tally["trials"] += 1
        tally["refused, naming the holder"] += sum("in use by process" in e for e in errors)
        for process, err in zip(processes, errors, strict=True):
            if process.returncode == 1 and "in use by process" not in err:
                last = [x for x in err.splitlines() if x.startswith("error: ")][-1:] or ["?"]
                tally[f"refused: {last[0][7:60]}"] += 1
        seen = events(state)
        tally["duplicated"] += duplicates(seen)
        tally["lost"] += int(any(p.returncode == 0 for p in processes) and not seen["annotated"])
    return tally


def update_beside_server(work: Path, trials: int) -> Counter[str]:
    tally: Counter[str] = Counter()
    for trial in range(trials):
        folder = work / f"beside-{trial}"
        folder.mkdir()
        state, answers = queried(folder)
        server = crash.Server(state, folder / "server.log", crash.free_port())
        if not server.start():
            tally["hangs"] += 1
            continue
        try:
            command = [*CLI, "update", str(answers), "--from", "jsonl", "--state-dir", str(state)]
            err = finished(run(command), tally)
            tally["trials"] += 1
            tally["refused, naming the holder"] += "in use by process" in err
            status, reply = crash.request(
                server.port, "POST", "/webhook", crash.payload(7, 9007, 0, "tech")
            )
            tally["acknowledged"] += status == 200 and reply.get("recorded") == 1
            tally["lost"] += crash.wait_idle(server.port, time.time() + 60) != 0
        finally:
            server.kill()
        tally["duplicated"] += duplicates(events(state))
        tally["untyped"] += server.tracebacks()
    return tally


@contextlib.contextmanager
def small_disk(where: Path, size: str = "1m") -> Iterator[Path | None]:
    """A tmpfs of ``size`` at ``where``; ``None`` where one cannot be mounted (not root)."""
    where.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
        ).returncode
        == 0
    )
    try:
        yield where if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` until ``leave`` bytes are free; returns the filler to delete."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("ab") as f:
        f.write(b"\0" * max(free - leave, 0))
    return filler


def webhook_full_disk(work: Path, trials: int) -> Counter[str] | str:
    tally: Counter[str] = Counter()
    for trial in range(trials):
        with small_disk(work / f"disk-{trial}") as disk:
            if disk is None:
                return "not run: mounting a tmpfs needs root"
            state = crash.state_folder(disk)
            server = crash.Server(state, work / f"disk-{trial}.log", crash.free_port())
            if not server.start():
                tally["hangs"] += 1
                continue
            try:
                filler = fill(disk, 6_000 + 4_096 * trial)
                refused, acked = [], []
                for task in range(len(crash.TEXTS)):
                    body = crash.payload(task, 7000 + task, 0, crash.LABELS[task % 3])
                    status, reply = crash.request(server.port, "POST", "/webhook", body)
                    tally["trials"] += 1
                    if status == 200 and reply.get("recorded") == 1:
                        tally["acknowledged"] += 1
                        acked.append(body)
                    elif status == 507 and isinstance(reply, dict):
                        tally["refused with a 507"] += 1
                        refused.append(body)
                    else:
                        tally["untyped"] += 1
                filler.unlink()  # space freed: what was refused is sent again, and one update
                # (a failed retrain is tried again when the next answer arrives)
                latest = {t: crash.LABELS[t % 3] for t in range(len(crash.TEXTS))}
                latest[0] = crash.LABELS[1]
                for body in [*refused, crash.payload(0, 7000, 1, latest[0])]:
                    status, reply = crash.request(server.port, "POST", "/webhook", body)
                    tally["untyped"] += status != 200
                    acked.append(body)
                tally["lost"] += crash.wait_idle(server.port, time.time() + 60) != 0
            finally:
                server.kill()
            logged = crash.logged_deliveries(state)
            keys = {(str(b["annotation"]["id"]), b["annotation"]["updated_at"]) for b in acked}
            tally["lost"] += sum(1 for key in keys if not logged[key])
            tally["duplicated"] += sum(n - 1 for n in logged.values())
            tally["lost"] += crash.stale_tasks(state, latest)
    return tally


def update_full_disk(work: Path, trials: int) -> Counter[str] | str:
    tally: Counter[str] = Counter()
    for trial in range(trials):
        with small_disk(work / f"cli-disk-{trial}") as disk:
            if disk is None:
                return "not run: mounting a tmpfs needs root"
            state, answers = queried(disk)
            command = [*CLI, "update", str(answers), "--from", "jsonl", "--state-dir", str(state)]
            filler = fill(disk, 1_000 + 2_000 * trial)  # the model save or the append fails
            tally["trials"] += 1
            err = finished(run(command), tally)
            tally["refused, naming the path"] += "no space left on the device" in err
            filler.unlink()
            finished(run(command), Counter())  # space freed: the same command resumes
            seen = events(state)
            tally["lost"] += seen["trained"] != 1 or seen["annotated"] != 1
            tally["duplicated"] += duplicates(seen)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5, help="trials per surface")
    parser.add_argument("--kills", type=int, default=20, help="kills per webhook trial")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows: list[tuple[str, Counter[str] | str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        surfaces = [
            ("webhook, SIGKILL at random points", lambda: webhook_kills(
                work, args.trials, args.kills, args.seed)),
            ("vector cache, SIGKILL while filling", lambda: cache_kills(
                work, args.trials, args.kills, args.seed)),
            ("two `update`s at once", lambda: two_updates(work, args.trials * 2)),
            ("`update` beside `serve --learn`", lambda: update_beside_server(work, args.trials)),
            ("webhook, full disk", lambda: webhook_full_disk(work, args.trials)),
            ("`update`, full disk", lambda: update_full_disk(work, args.trials)),
        ]  # fmt: skip
        for name, measure in surfaces:
            start = time.perf_counter()
            result = measure()
            rows.append((name, result, time.perf_counter() - start))
            print(f"{name}: {result if isinstance(result, str) else dict(result)}", flush=True)
    print(f"\nmachine: {machine()}")
    print(f"command: python benchmarks/crash_table.py --trials {args.trials} --kills {args.kills}"
          f" --seed {args.seed}\n")  # fmt: skip
    print("| surface | " + " | ".join(COLUMNS) + " | also | seconds |")
    print("|---" * (len(COLUMNS) + 3) + "|")
    for name, result, seconds in rows:
        if isinstance(result, str):
            print(f"| {name} | " + " | ".join("-" for _ in COLUMNS) + f" | {result} | - |")
            continue
        also = ", ".join(f"{k} {v}" for k, v in sorted(result.items()) if k not in COLUMNS and v)
        cells = " | ".join(str(result[c]) for c in COLUMNS)
        print(f"| {name} | {cells} | {also or '-'} | {seconds:.0f} |")
    bad = [n for n, r, _ in rows if not isinstance(r, str) and any(r[c] for c in COLUMNS[2:])]
    if bad:
        raise SystemExit(f"defects on: {', '.join(bad)}")


if __name__ == "__main__":
    threading.excepthook = lambda hook: print(f"thread died: {hook.exc_value!r}", file=sys.stderr)
    main()
