"""Conversion throughput: Prodigy db-out JSONL -> AutoTrain JSONL, records/s, against a plain loop
over spaCy's ``offsets_to_biluo_tags`` + ``biluo_to_iob`` on the same records.

The input is synthesised from CoNLL-2003 train (sentences as ner.manual tasks with character spans)
into a temporary folder; nothing is written into the repository. Two inputs: tasks with text and
spans only, and tasks that also carry Prodigy's ``tokens`` (as ``ner.manual`` saves them; spaCy's
loop then builds each ``Doc`` from those words).

Each run is a fresh Python process of its own, as a user's script would be: it warms up on the
first 200 tasks (imports, loading spaCy), frees its garbage, then times one conversion of the
whole file. Sharing one process would make each pipeline's garbage collection walk the other's
objects (spaCy's, which the with-tokens path of autonlp_al never loads). Runs alternate
(A B C A B C ...) and the best of each is kept, so a slow moment of the machine does not land on
one side only; the outputs are compared record by record (tokens and tags identical to spaCy's,
or the script fails).

    python benchmarks/convert_throughput.py [--limit N] [--repeat R] [--profile] [--only text|tokens]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _corpora import conll2003, machine

from autonlp_al.sources import ConllSource, ProdigySource
from autonlp_al.writers import AutoTrainWriter

SHAPES = ["text", "tokens"]


def make_tasks(path: Path, limit: int, *, tokens: bool = False) -> int:
    n = 0
    with path.open("w") as f:
        for n, ex in enumerate(ConllSource(path=conll2003("train")).read(), start=1):
            spans = [{"start": s.start, "end": s.end, "label": s.label} for s in ex.spans]
            task = {
                "text": ex.text,
                "spans": spans,
                "answer": "accept",
                "_view_id": "ner_manual",
                "_input_hash": n,
            }
            if tokens:
                task["tokens"] = [
                    {"text": t.text, "start": t.start, "end": t.end, "id": i, "ws": t.ws}
                    for i, t in enumerate(ex.tokens or ())
                ]
            f.write(json.dumps(task) + "\n")
            if n == limit:
                break
    return n


def ours(src: Path, out: Path, workers: int = 1) -> int:
    writer = AutoTrainWriter(workers=workers)
    writer.write(ProdigySource(path=src).read(), out)
    return writer.report.counts["written"]


def spacy_loop(src: Path, out: Path) -> int:
    import spacy
    from spacy.tokens import Doc
    from spacy.training import biluo_to_iob, offsets_to_biluo_tags

    nlp = spacy.blank("en")
    n = 0
    with src.open() as f, out.open("w") as o:
        for line in f:
            task = json.loads(line)
            if "tokens" in task:
                words = [t["text"] for t in task["tokens"]]
                doc = Doc(nlp.vocab, words=words, spaces=[t["ws"] for t in task["tokens"]])
            else:
                doc = nlp.make_doc(task["text"])
            tags = biluo_to_iob(
                offsets_to_biluo_tags(
                    doc, [(s["start"], s["end"], s["label"]) for s in task["spans"]]
                )
            )
            words = [t.text for t in doc if not t.is_space]
            tags = [tag for t, tag in zip(doc, tags, strict=True) if not t.is_space]
            o.write(json.dumps({"tokens": words, "tags": tags}) + "\n")
            n += 1
    return n


def same_output(a: Path, b: Path) -> int:
    """Records whose tokens or tags differ (0 expected)."""
    differ = 0
    with a.open() as x, b.open() as y:
        for left, right in zip(x, y, strict=True):
            one, two = json.loads(left), json.loads(right)
            differ += (one["tokens"], one["tags"]) != (two["tokens"], two["tags"])
    return differ


def json_decoders(src: Path, repeat: int) -> str:
    """Best-of-``repeat`` seconds to decode every line of ``src`` with srsly (ujson) and with
    msgspec (the ``fast`` extra), when it is installed."""
    import srsly

    lines = src.read_bytes().splitlines()
    runs = {"srsly": lambda: [srsly.json_loads(line.decode()) for line in lines]}
    try:
        import msgspec
    except ImportError:
        pass
    else:
        decode = msgspec.json.Decoder().decode
        runs["msgspec"] = lambda: [decode(line) for line in lines]
    best = {name: min(_timed(run) for _ in range(repeat)) for name, run in runs.items()}
    parts = [f"{name} {seconds:.3f} s" for name, seconds in best.items()]
    if "msgspec" in best:
        parts.append(f"msgspec {best['srsly'] / best['msgspec']:.2f}x srsly")
    return f"JSON decode of the {len(lines):,} lines alone: " + ", ".join(parts)


def _timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    gc.collect()
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


PIPELINES = {
    "spaCy offsets_to_biluo_tags loop": lambda s, o: spacy_loop(s, o),
    "autonlp_al ProdigySource -> AutoTrainWriter": lambda s, o: ours(s, o),
    "autonlp_al, workers=2": lambda s, o: ours(s, o, workers=2),
}


def run_once(name: str, src: Path, out: Path) -> float:
    """Seconds for one conversion by pipeline ``name`` in a fresh process, after a warm-up."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import convert_throughput as c; "
        "print(c.timed_in_this_process(sys.argv[2], c.Path(sys.argv[3]), c.Path(sys.argv[4])))"
    )
    here = str(Path(__file__).parent)
    done = subprocess.run(
        [sys.executable, "-c", code, here, name, str(src), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def timed_in_this_process(name: str, src: Path, out: Path) -> float:
    run = PIPELINES[name]
    warm = out.with_suffix(".warm.jsonl")
    with src.open() as f, warm.open("w") as w:
        w.writelines(line for _, line in zip(range(200), f, strict=False))
    run(warm, out)
    return _timed(run, src, out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=14041)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print ours' top functions")
    parser.add_argument("--only", choices=["text", "tokens"], help="one of the two inputs")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for tokens in [shape == "tokens" for shape in ([args.only] if args.only else SHAPES)]:
            src = folder / f"tasks-{tokens}.jsonl"
            n = make_tasks(src, args.limit, tokens=tokens)
            best = dict.fromkeys(PIPELINES, float("inf"))
            for _ in range(args.repeat):
                for name in PIPELINES:
                    best[name] = min(best[name], run_once(name, src, folder / f"{name}.jsonl"))
            names = list(PIPELINES)
            differ = [
                same_output(folder / f"{names[0]}.jsonl", folder / f"{k}.jsonl") for k in names
            ]
            shape = "with Prodigy's tokens" if tokens else "text and spans only"
            print(
                f"\n{n:,} ner.manual tasks (CoNLL-2003 train), {shape}; best of {args.repeat}, "
                f"each run in a process of its own\n"
            )
            print(
                "| pipeline | seconds | records/s | x spaCy loop | records differing from spaCy |"
            )
            print("|---|---|---|---|---|")
            for name, wrong in zip(names, differ, strict=True):
                ratio = best[names[0]] / best[name]
                print(
                    f"| {name} | {best[name]:.2f} | {n / best[name]:,.0f} | {ratio:.2f} | {wrong} |"
                )
            print(f"\n{json_decoders(src, args.repeat)}")
            if any(differ):
                raise SystemExit("outputs differ from spaCy's")
            if args.profile:  # in this process, after a first run (imports, loading spaCy)
                ours(src, folder / "profiled.jsonl")
                profile = cProfile.Profile()
                profile.runcall(ours, src, folder / "profiled.jsonl")
                text = io.StringIO()
                pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(12)
                print("\n```\n" + text.getvalue().strip() + "\n```")


if __name__ == "__main__":
    main()
