"""The person at the terminal in the docs tests: prints the replies ``autonlp-al label`` reads,
one per line. Classification: the option number of the corpus label when the pool file in the
working directory carries one (``accept``), else the options in turn. NER: Enter, which accepts
the model's entities (none before the first model).

    python tests/docs_person.py TASKS | autonlp-al label TASKS ANSWERS
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def replies(tasks: Path, pool: Path = Path("pool.jsonl")) -> list[str]:
    gold: dict[str, str] = {}
    if pool.exists():
        for line in pool.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("accept"):
                gold[record["text"]] = record["accept"][0]
    out = []
    for i, line in enumerate(tasks.read_text(encoding="utf-8").splitlines()):
        task = json.loads(line)
        options = [o["id"] for o in task.get("options") or ()]
        if not options:
            out.append("")
            continue
        label = gold.get(task["text"], options[i % len(options)])
        out.append(str(options.index(label) + 1))
    return out


if __name__ == "__main__":
    print("\n".join(replies(Path(sys.argv[1]))))
