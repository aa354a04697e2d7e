"""The rest of the readers, and the Label Studio webhook, fed huge or deeply nested values where
a value goes (issue 30, item 1; the JSON lines readers are in test_deep_values.py): each raises
only the project's errors, with a message of bounded size, and with on_error="skip" every record
comes back as an example or a counted skip."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from autonlp_al.errors import AutoNLPALError
from autonlp_al.sources import ConllSource, FolderSource, ProdigySource
from tests.sources import fuzz
from tests.sources.test_deep_values import deep
from tests.sources.test_deep_values import values as json_values

# text that is huge, or nested brackets, or one huge number, or many words, or control bytes
TEXTS = st.one_of(
    st.just("x" * 1_000_000),
    st.integers(1, 5000).map(deep),
    st.just("1" + "0" * 5000),  # int() of it raises ValueError past 4,300 digits
    st.just("a " * 50_000),
    st.just("\x00\x01\x1b" * 1000),
    st.just("\n" * 5000),
    st.text(max_size=20),
)
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def read(make, path: Path, records: int | None) -> None:
    """Read under raise and skip: only our errors, messages under 2,000 characters, and every
    one of ``records`` back as an example or a counted skip."""
    for on_error in ("raise", "skip"):
        source = make(path, on_error)
        try:
            examples = list(source.read())
        except AutoNLPALError as exc:
            assert len(str(exc)) < 2_000, f"a message quotes the value whole: {str(exc)[:200]}"
            continue
        except Exception as exc:  # anything else is the defect looked for
            pytest.fail(f"on_error={on_error}: {type(exc).__name__}: {str(exc)[:300]}")
        if on_error == "skip" and records is not None:
            assert len(examples) + source.report.n_skipped >= records
        for issue in source.report.issues:
            assert len(str(issue)) < 2_000


@SETTINGS
@given(row=st.integers(0, 3), column=st.integers(0, 3), value=TEXTS)
@example(row=0, column=0, value="1" + "0" * 5000)
def test_csv_cells(tmp_path, row, column, value) -> None:
    rows = list(csv.reader(io.StringIO(fuzz.CSV)))
    body = rows[1:]
    if column == 3:
        body[row].append(value)  # a cell past the header's columns
    else:
        body[row][column] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0], *body])
    path = tmp_path / "in.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    make = fuzz.FILE_READERS["csv"][0]
    read(make, path, len(body))


@SETTINGS
@given(line=st.integers(2, 11), column=st.integers(0, 4), value=TEXTS)
def test_conll_cells(tmp_path, line, column, value) -> None:
    lines = fuzz.CONLL.split("\n")
    cells = lines[line].split(" ") if lines[line] else []
    if not cells:
        lines[line] = value
    elif column < len(cells):
        cells[column] = value
        lines[line] = " ".join(cells)
    else:
        lines[line] = " ".join([*cells, value])
    path = tmp_path / "in.conll"
    path.write_text("\n".join(lines), encoding="utf-8")
    read(lambda p, e: ConllSource(path=p, on_error=e), path, None)


@SETTINGS
@given(where=st.sampled_from(["content", "label", "name"]), value=TEXTS)
def test_folder_files_and_names(tmp_path, where, value) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    for name, content in fuzz.FOLDER.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    name = "".join(c for c in value if c not in "/\x00\n")[:200] or "_"  # a file system's limits
    name = name if where == "label" else name[:190] + ".txt"  # the files the folder reads
    if where == "content":
        (root / "sport" / "001.txt").write_text(value, encoding="utf-8")
    elif where == "label":
        (root / name).mkdir(exist_ok=True)
        (root / name / "001.txt").write_text("A text.", encoding="utf-8")
    else:
        (root / "tech" / name).write_text("A text.", encoding="utf-8")
    files = sum(1 for p in root.rglob("*") if p.is_file())
    read(lambda p, e: FolderSource(path=p, on_error=e), root, files)


@SETTINGS
@given(field=st.sampled_from(("text", "answer", "label", "spans", "tokens", "meta",
                              "_input_hash", "accept", "options")), value=json_values)  # fmt: skip
def test_prodigy_database_contents(tmp_path, field, value) -> None:
    from tests.conftest import PRODIGY_SCHEMA

    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "prodigy.db"
    db = sqlite3.connect(path)
    db.executescript(PRODIGY_SCHEMA)
    db.execute(
        "INSERT INTO dataset (id, name, created, meta, session) VALUES (1, 'bbc', 0, ?, 0)",
        (b"{}",),
    )
    good = json.dumps({"text": "Anna went home", "answer": "accept", "label": "PER"})
    base = {"text": '"Omar went home"', "answer": '"accept"', "label": '"PER"', field: value}
    bad = "{" + ", ".join(f'"{k}": {v}' for k, v in base.items()) + "}"
    for content in (good, bad):
        cursor = db.execute(
            "INSERT INTO example (input_hash, task_hash, content) VALUES (?, ?, ?)",
            (0, 0, content.encode()),
        )
        db.execute("INSERT INTO link (example_id, dataset_id) VALUES (?, 1)", (cursor.lastrowid,))
    db.commit()
    db.close()
    read(lambda p, e: ProdigySource(path=p, dataset="bbc", on_error=e), path, 1)


@settings(max_examples=15, deadline=None)
@given(field=st.sampled_from(("data", "annotations", "result", "value", "id", "meta")),
       value=json_values)  # fmt: skip
def test_label_studio_api_exports(field, value) -> None:
    body = (
        '[{"id": 1, "data": {"text": "Anna"}, "annotations": [{"result": []}], '
        f'"{field}": {value}}}]'
    ).encode()
    read(lambda p, e: fuzz._live(body, e), Path("unused"), None)


def test_datasets_columns_with_huge_and_nested_values(tmp_path) -> None:
    datasets = pytest.importorskip("datasets")
    from autonlp_al.sources import HFDatasetSource

    for n, column in enumerate(
        [
            {"text": ["x" * 1_000_000, "ok"], "label": ["a", "b"]},
            {"text": ["1" + "0" * 5000, "ok"], "label": [deep(40), "b"]},
            {"tokens": [["a"] * 100_000, ["b"]], "ner_tags": [["O"] * 100_000, ["O"]]},
        ]
    ):
        path = tmp_path / f"d{n}.parquet"
        datasets.Dataset.from_dict(column).to_parquet(str(path))
        read(lambda p, e: HFDatasetSource(path=p, on_error=e), path, 2)


# -- the webhook ---------------------------------------------------------------------------------

# the webhook gets its payload from the server's JSON parser: Python's stops near 1,000 levels.
# Values are drawn as (kind, size) and built in the test: hypothesis itself cannot print a list
# nested 900 deep when it reports an example.
SPECS = st.one_of(
    st.tuples(st.just("deep"), st.integers(1, 900)),
    st.sampled_from([("huge", 1_000_000), ("int", 4000), ("long key", 10_000)]),
)


def build(kind: str, size: int) -> object:
    if kind == "deep":
        return json.loads(deep(size))
    if kind == "huge":
        return "x" * size
    if kind == "int":
        return 10**size
    return {"k" * size: deep(10)}


PATHS = [("annotation",), ("annotation", "id"), ("annotation", "updated_at"),
         ("annotation", "result"), ("annotation", "result", 0, "value"),
         ("annotation", "result", 0, "value", "choices"), ("task",), ("task", "id"),
         ("task", "data"), ("task", "data", "text"), ("project",), ("action",),
         ("annotation", "was_cancelled"), ("annotation", "meta")]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(PATHS), spec=SPECS)
@example(path=("annotation", "id"), spec=("deep", 900))  # str() of it recursed; a logged key
@example(path=("task", "id"), spec=("huge", 1_000_000))  # kept whole in every answer's meta
@example(path=("annotation", "updated_at"), spec=("huge", 1_000_000))  # and this in the key
@example(path=("action",), spec=("huge", 1_000_000))  # echoed whole in the reply
@example(path=("project",), spec=("deep", 900))
@example(path=("project",), spec=("int", 4000))  # str() of it raised ValueError
def test_webhook_values_nested_or_huge_are_answered_and_bounded(path, spec) -> None:
    """Whatever value sits anywhere in a webhook, the reply and the log stay small (but for the
    answer's own text), the log reads back, and nothing raises."""
    pytest.importorskip("uvicorn")
    from autonlp_al.integrations.labelstudio import LabelStudioBackend
    from autonlp_al.integrations.serve import ModelSlot
    from autonlp_al.loop.config import LoopConfig
    from tests.integrations import crash

    value = build(*spec)
    payload = crash.payload(3, 5003, 0, "tech")
    holder = payload
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    with tempfile.TemporaryDirectory() as tmp:
        state = crash.state_folder(Path(tmp))
        learner = LoopConfig.from_state(state).build(state, save=False)
        backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner, retrain_every=10**9)
        answer = backend.webhook(payload, state_dir=Path(tmp))
        assert isinstance(answer, dict) and len(json.dumps(answer)) < 2_000
        assert answer.get("recorded", 0) <= 1
        assert len(json.dumps(backend.status(), default=str)) < 20_000
        log = (state / "events.jsonl").read_bytes()
        text = len(value) if path == ("task", "data", "text") and isinstance(value, str) else 0
        # the answer's own text is kept (--max-body bounds it); nothing else is kept whole
        assert len(log) < 200_000 + 1.1 * text, "a value from the payload was logged whole"
        del learner, backend
        resumed = LoopConfig.from_state(state).build(state, save=False)  # the log reads back
        assert len(resumed.state.labeled_examples()) == answer.get("recorded", 0)
