"""Every writer: atomic, counts what it wrote, and its output reads back to the same annotation."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from autonlp_al import Example, Span, Token
from autonlp_al.converters import Converter
from autonlp_al.errors import ConversionError, LabelError
from autonlp_al.sources import ConllSource, JsonlSource, ProdigySource
from autonlp_al.writers import (
    AutoTrainWriter,
    ConllWriter,
    DocBinWriter,
    DoccanoWriter,
    HFDatasetWriter,
    LabelStudioWriter,
    ProdigyWriter,
    TagsWriter,
    Writer,
    atomic_write,
)

EXAMPLES = [
    Example(
        text="Apple Inc. hired Tim  Cook in New York.",
        spans=[Span(0, 10, "ORG"), Span(17, 26, "PERSON"), Span(30, 38, "LOCATION")],
    ),
    Example(text="Nothing to see here.", meta={"id": "7"}),
]

WRITERS = {
    "tags-iob": lambda: TagsWriter(),
    "tags-bilou": lambda: TagsWriter(converter=Converter(scheme="bilou")),
    "autotrain": lambda: AutoTrainWriter(),
    "conll": lambda: ConllWriter(),
    "spacy": lambda: DocBinWriter(),
    "prodigy": lambda: ProdigyWriter(),
    "doccano": lambda: DoccanoWriter(),
    "labelstudio": lambda: LabelStudioWriter(),
}
if importlib.util.find_spec("datasets") is not None:  # the hf extra
    WRITERS["datasets"] = lambda: HFDatasetWriter()
writers = pytest.mark.parametrize("make", WRITERS.values(), ids=WRITERS.keys())


@writers
def test_writes_and_counts_every_example(tmp_path: Path, make) -> None:
    writer = make()
    assert isinstance(writer, Writer)
    report = writer.write(EXAMPLES, tmp_path / "out")
    assert report.counts["written"] == 2 and report.n_skipped == 0
    assert (tmp_path / "out").stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary file left behind


@writers
def test_a_failed_write_leaves_the_old_file_untouched(tmp_path: Path, make) -> None:
    out = tmp_path / "out"
    out.write_text("old content")

    def examples():
        yield EXAMPLES[0]
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        make().write(examples(), out)
    assert out.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_atomic_write_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.txt"
    with atomic_write(target) as f:
        f.write("new")
        assert not target.exists()
    assert target.read_text() == "new"


def test_autotrain_ner_is_the_seed_format_and_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    AutoTrainWriter().write(EXAMPLES, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0] == {
        "tokens": ["Apple", "Inc.", "hired", "Tim", "Cook", "in", "New", "York", "."],
        "tags": [
            "B-ORG",
            "I-ORG",
            "O",
            "B-PERSON",
            "I-PERSON",
            "O",
            "B-LOCATION",
            "I-LOCATION",
            "O",
        ],
    }
    back = list(JsonlSource(path=out).read())
    assert [(back[0].text[s.start : s.end], s.label) for s in back[0].spans] == [
        ("Apple Inc.", "ORG"),
        ("Tim Cook", "PERSON"),
        ("New York", "LOCATION"),
    ]


def test_autotrain_refuses_partial_examples_unless_told(tmp_path: Path) -> None:
    partial = Example(text="Tim Cook spoke.", spans=[Span(0, 8, "PERSON")], complete=False)
    with pytest.raises(ConversionError, match="AutoTrain needs a tag on every token"):
        AutoTrainWriter().write([partial], tmp_path / "o.jsonl")
    AutoTrainWriter(converter=Converter(unknown="outside")).write([partial], tmp_path / "o.jsonl")
    assert json.loads((tmp_path / "o.jsonl").read_text())["tags"] == [
        "B-PERSON",
        "I-PERSON",
        "O",
        "O",
    ]


def test_autotrain_text_classification(tmp_path: Path) -> None:
    out = tmp_path / "text.jsonl"
    examples = [
        Example(text="Goal!", labels=["sport"]),
        Example(text="Unlabelled"),
        Example(text="Shares fell", labels=["business"]),
    ]
    writer = AutoTrainWriter()
    writer.write(examples, out)
    assert [json.loads(x) for x in out.read_text().splitlines()] == [
        {"text": "Goal!", "target": "sport"},
        {"text": "Shares fell", "target": "business"},
    ]
    assert writer.report.skipped == {"no class label": 1}
    with pytest.raises(ConversionError, match="one class per text"):
        AutoTrainWriter().write([Example(text="x", labels=["a", "b"])], out)
    with pytest.raises(LabelError, match="class label 'sport'"):
        AutoTrainWriter(converter=Converter(labels=["tech"])).write(examples, out)


def test_tags_writer_keeps_missing_tags(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    TagsWriter(converter=Converter(scheme="bilou")).write(
        [Example(text="Tim Cook spoke", spans=[Span(0, 8, "P")], complete=False)], out
    )
    assert json.loads(out.read_text())["tags"] == ["B-P", "L-P", "-"]


def test_conll_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "o.conll"
    ConllWriter(docstart=True).write(EXAMPLES, out)
    assert out.read_text().startswith("-DOCSTART- O\n\nApple B-ORG\nInc. I-ORG\n")
    back = list(ConllSource(path=out).read())
    assert [len(e.spans) for e in back] == [3, 0]
    bad = Example(text="New York", tokens=[Token("New York", 0, 8)])
    with pytest.raises(ConversionError, match="contains whitespace"):
        ConllWriter().write([bad], out)


def test_docbin_keeps_text_entities_missing_and_cats(tmp_path: Path) -> None:
    out = tmp_path / "o.spacy"
    partial = Example(
        text="Tim Cook spoke.",
        spans=[Span(0, 8, "PERSON")],
        complete=False,
        labels=["tech"],
        rejected_labels=["sport"],
    )
    DocBinWriter(cats=("tech", "sport", "business")).write([EXAMPLES[0], partial], out)
    nlp = spacy.blank("en")
    full_doc, partial_doc = DocBin().from_disk(out).get_docs(nlp.vocab)
    assert full_doc.text == EXAMPLES[0].text
    assert [(e.text, e.label_) for e in full_doc.ents] == [
        ("Apple Inc.", "ORG"),
        ("Tim  Cook", "PERSON"),
        ("New York", "LOCATION"),
    ]
    assert [t.ent_iob_ for t in partial_doc] == ["B", "I", "", ""]  # unknown, not O
    assert partial_doc.cats == {"tech": 1.0, "sport": 0.0, "business": 0.0}


def test_prodigy_tasks_load_back_with_inclusive_token_end(tmp_path: Path) -> None:
    out = tmp_path / "tasks.jsonl"
    ProdigyWriter(options=("sport", "tech")).write(
        [*EXAMPLES, Example(text="Goal!", labels=["sport"])], out
    )
    first, _, third = (json.loads(x) for x in out.read_text().splitlines())
    person = first["spans"][1]
    assert person["label"] == "PERSON"
    tokens = first["tokens"]
    assert tokens[person["token_start"]]["text"] == "Tim"
    assert tokens[person["token_end"]]["text"] == "Cook"  # inclusive, a whitespace token between
    assert "".join(t["text"] + (" " if t["ws"] else "") for t in tokens) == first["text"]
    assert first["meta"]["autonlp_al_id"] == EXAMPLES[0].id
    assert third["accept"] == ["sport"] and third["options"][0] == {"id": "sport", "text": "sport"}
    back = list(ProdigySource(path=out).read())
    assert back[0].spans == EXAMPLES[0].spans and back[0].id == EXAMPLES[0].id


def prodigy_hashes(task: dict) -> dict:
    """What Prodigy does to a task it loads (``set_hashes``): hashes of its own making, here a
    stand-in with other values than ours (Prodigy's are 32-bit MurmurHash values)."""
    import zlib

    text_key = json.dumps({"text": task["text"]}).encode()
    input_hash = zlib.crc32(text_key) - 2**31
    task_key = json.dumps([input_hash, task.get("spans"), task.get("accept")]).encode()
    return {**task, "_input_hash": input_hash, "_task_hash": zlib.crc32(task_key) - 2**31}


def test_prodigy_tasks_leave_the_hashes_to_prodigy_and_answers_match_by_meta(tmp_path) -> None:
    """Tasks used to carry home-made ``_input_hash`` / ``_task_hash`` (our 53-bit ids), unlike
    the ones Prodigy makes, so Prodigy's ``exclude`` and dedup could not match its database."""
    out = tmp_path / "tasks.jsonl"
    ProdigyWriter().write(EXAMPLES, out)
    tasks = [json.loads(x) for x in out.read_text().splitlines()]
    assert not any("_input_hash" in t or "_task_hash" in t for t in tasks)
    assert [t["meta"]["autonlp_al_id"] for t in tasks] == [e.id for e in EXAMPLES]
    # answered in Prodigy: its hashes are set, meta travels with the task into db-out
    answers = tmp_path / "db-out.jsonl"
    answers.write_text(
        "".join(json.dumps({**prodigy_hashes(t), "answer": "accept"}) + "\n" for t in tasks)
    )
    back = list(ProdigySource(path=answers).read())
    assert [e.id for e in back] == [e.id for e in EXAMPLES]
    assert back[0].spans == EXAMPLES[0].spans


def test_every_registered_writer_is_in_the_contract_suite() -> None:
    from autonlp_al import registry

    covered = {type(make()) for make in WRITERS.values()}
    registered = {registry.get("writers", n) for n in registry.short_names("writers")}
    if "datasets" not in WRITERS:  # its extra is not installed here
        registered.discard(HFDatasetWriter)
    assert registered == covered
