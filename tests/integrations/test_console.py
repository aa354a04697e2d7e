"""The console annotator: scripted replies stand in for a person at the terminal."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonlp_al import Example, Span
from autonlp_al.errors import AutoNLPALError
from autonlp_al.integrations.console import ConsoleAnnotator, parse_entities
from autonlp_al.sources import ProdigySource
from autonlp_al.writers import ProdigyWriter

CLASSES = ["business", "sport", "tech"]


def scripted(*replies: str):
    """``ask`` that returns ``replies`` in order, then behaves like a closed terminal."""
    it: Iterator[str] = iter(replies)
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return ask, prompts


def textcat_tasks(tmp_path):
    examples = [
        Example(text="Shares fell.", labels=["business"]),  # the model's guess
        Example(text="A late goal."),  # no guess (round 0)
        Example(text="New chips."),
        Example(text="Rates rose."),
    ]
    path = tmp_path / "queries" / "round-000.jsonl"
    ProdigyWriter(options=CLASSES, with_answer=False).write(examples, path)
    return path


def test_classification_answers_are_read_back_by_the_prodigy_source(tmp_path) -> None:
    tasks, answers = textcat_tasks(tmp_path), tmp_path / "answers.jsonl"
    ask, prompts = scripted("", "", "x", "2", "s", "q")
    shown: list[str] = []
    report = ConsoleAnnotator(ask=ask, show=shown.append).annotate(tasks, answers)
    assert report.counts == {"answered": 2, "ignored": 1, "left": 1}
    assert "Enter = business" in prompts[0] and "Enter" not in prompts[1]
    assert any("<- the model's guess" in line for line in shown)
    # Enter with no guess and "x" were asked again, not taken
    assert len(prompts) == 6
    source = ProdigySource(path=answers)
    read = list(source.read())
    assert [(e.text, e.labels) for e in read] == [
        ("Shares fell.", ("business",)),
        ("A late goal.", ("sport",)),
    ]
    assert source.report.skipped  # the ignored task is counted by the reader, not lost
    # a rerun asks only what is left
    ask, prompts = scripted("3")
    again = ConsoleAnnotator(ask=ask, show=lambda _: None).annotate(tasks, answers)
    assert again.counts == {"already answered": 3, "answered": 1, "left": 0}
    assert len(answers.read_text().splitlines()) == 4


def test_a_line_torn_by_a_kill_is_cut_and_asked_again(tmp_path) -> None:
    tasks, answers = textcat_tasks(tmp_path), tmp_path / "answers.jsonl"
    ConsoleAnnotator(ask=scripted("1")[0], show=lambda _: None).annotate(tasks, answers)
    answers.write_bytes(answers.read_bytes() + b'{"text": "A late')  # killed mid-write
    report = ConsoleAnnotator(ask=scripted("2", "q")[0], show=lambda _: None).annotate(
        tasks, answers
    )
    assert report.counts["already answered"] == 1 and report.counts["answered"] == 1
    assert [json.loads(x)["text"] for x in answers.read_text().splitlines()] == [
        "Shares fell.",
        "A late goal.",
    ]


def ner_tasks(tmp_path):
    text = "Tim Cook met Cook in London."
    path = tmp_path / "ner.jsonl"
    ProdigyWriter(with_answer=False).write(
        [Example(text=text, spans=[Span(0, 8, "PER")]), Example(text="Apple grew.")], path
    )
    return path


def test_ner_accepts_the_model_entities_or_takes_typed_ones(tmp_path) -> None:
    tasks, answers = ner_tasks(tmp_path), tmp_path / "answers.jsonl"
    ask, _ = scripted("", "e", "Appl=ORG", "e", "Apple=ORG")
    shown: list[str] = []
    annotator = ConsoleAnnotator(labels=["PER", "ORG", "LOC"], ask=ask, show=shown.append)
    assert annotator.annotate(tasks, answers).counts["answered"] == 2
    assert any("entities: Tim Cook=PER" in line for line in shown)
    assert any("'Appl' is not in the text" in line for line in shown)  # off token edges
    read = list(ProdigySource(path=answers).read())
    assert [e.spans for e in read] == [(Span(0, 8, "PER"),), (Span(0, 5, "ORG"),)]
    assert all(e.complete for e in read)


def test_ner_without_labels_says_where_they_come_from(tmp_path) -> None:
    with pytest.raises(AutoNLPALError, match="pass --labels"):
        ConsoleAnnotator(ask=scripted("")[0], show=lambda _: None).annotate(
            ner_tasks(tmp_path), tmp_path / "a.jsonl"
        )


def test_parse_entities_takes_the_first_free_occurrence() -> None:
    text = "Cook met Cook."
    spans = parse_entities(text, "Cook=PER; Cook=PER", ["PER"], None)
    assert [(s["start"], s["end"]) for s in spans] == [(0, 4), (9, 13)]
    with pytest.raises(ValueError, match="every occurrence is taken"):
        parse_entities(text, "Cook=PER; Cook=PER; Cook=PER", ["PER"], None)
    with pytest.raises(ValueError, match="'ORG' is not a label"):
        parse_entities(text, "Cook=ORG", ["PER"], None)
    with pytest.raises(ValueError, match="phrase=LABEL"):
        parse_entities(text, "Cook", ["PER"], None)
    assert parse_entities(text, "  ", ["PER"], None) == []


words = st.sampled_from(["Anna", "Omar", "met", "in", "Paris", "Rome"])


@given(st.lists(words, min_size=1, max_size=8), st.lists(words, max_size=4))
def test_parsed_entities_are_the_typed_phrases_and_never_overlap(sentence, phrases) -> None:
    text = " ".join(sentence)
    offsets, at = [], 0
    for word in sentence:
        offsets.append({"start": at, "end": at + len(word)})
        at += len(word) + 1
    line = "; ".join(f"{p}=X" for p in phrases)
    try:
        spans = parse_entities(text, line, ["X"], offsets)
    except ValueError:
        return  # a phrase with no free occurrence: asked again
    assert sorted(text[s["start"] : s["end"]] for s in spans) == sorted(phrases)
    for a, b in itertools.pairwise(spans):
        assert a["end"] <= b["start"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"foo": 1}', "needs a 'text' string"),
        ('{"text": "a", "_input_hash": 1, "options": "x"}', "'options' must be a list"),
        ("[1, 2]", "expected a JSON object per line"),
        ('{"text": "a", "_input_hash": 1, "tokens": [{"text": "a"}]}', "needs 'text', 'start'"),
        ("{not json", "invalid JSON"),
    ],
)
def test_a_file_that_is_not_query_tasks_is_named_with_its_line(tmp_path, line, message) -> None:
    from autonlp_al.errors import SourceError

    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"text": "fine", "_input_hash": 7}\n' + line + "\n")
    with pytest.raises(SourceError, match=message) as raised:
        ConsoleAnnotator(ask=scripted()[0], show=lambda _: None).annotate(tasks, tmp_path / "a")
    assert f"{tasks}:2" in str(raised.value)
    assert not (tmp_path / "a").exists()  # refused before asking anything
