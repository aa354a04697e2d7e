"""Converting on several processes gives the file, counts and errors of one process."""

from __future__ import annotations

import pytest

from autonlp_al import Example, Span
from autonlp_al.converters import Converter
from autonlp_al.errors import AlignmentError
from autonlp_al.writers import AutoTrainWriter, TagsWriter
from autonlp_al.writers import parallel as parallel_module

NAMES = ["Anna", "Tim Cook", "Berlin", "Acme"]


def examples(n: int) -> list[Example]:
    out = []
    for i in range(n):
        name = NAMES[i % 4]
        text = f"{name} met a client in office {i} ."
        out.append(Example(text=text, spans=[Span(0, len(name), "PER")]))
    return out


@pytest.mark.parametrize("make", [AutoTrainWriter, TagsWriter], ids=["autotrain", "tags"])
def test_two_workers_write_the_same_file_and_counts_as_one(tmp_path, make, monkeypatch) -> None:
    monkeypatch.setattr(parallel_module, "CHUNK", 7)  # many chunks, out-of-order completions
    data = examples(60)
    one = make(converter=Converter(alignment="expand"))
    two = make(converter=Converter(alignment="expand"), workers=2)
    one.write(data, tmp_path / "one.jsonl")
    two.write(data, tmp_path / "two.jsonl")
    assert (tmp_path / "one.jsonl").read_text() == (tmp_path / "two.jsonl").read_text()
    assert one.report.counts == two.report.counts == {"written": 60}
    assert two.converter.report.counts == one.converter.report.counts == {"converted": 60}


def test_skips_and_adjustments_counted_in_workers_reach_the_parent(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(parallel_module, "CHUNK", 5)
    data = [Example(text=f"Anna Lee came {i}", spans=[Span(0, 6, "PER")]) for i in range(20)]
    writer = AutoTrainWriter(converter=Converter(alignment="expand"), workers=2)
    writer.write(data, tmp_path / "out.jsonl")
    adjusted = writer.converter.report.adjusted
    assert adjusted == {"span expanded to tokens": 20}
    assert len(writer.converter.report.issues) == 20  # the first 20 locations, as in one process


def test_an_error_in_a_worker_is_raised_and_nothing_is_written(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(parallel_module, "CHUNK", 4)
    data = examples(30)
    data[17] = Example(text="Anna Lee came", spans=[Span(0, 6, "PER")])  # off token edges
    (tmp_path / "out.jsonl").write_text("old\n")
    with pytest.raises(AlignmentError, match="does not align"):
        AutoTrainWriter(workers=2).write(data, tmp_path / "out.jsonl")
    assert (tmp_path / "out.jsonl").read_text() == "old\n"


def test_the_cli_refuses_workers_for_writers_that_are_not_one_record_per_line(
    tmp_path, capsys
) -> None:
    from autonlp_al.cli import main

    (tmp_path / "in.jsonl").write_text('{"text": "Anna came", "spans": []}\n')
    args = ["convert", str(tmp_path / "in.jsonl"), str(tmp_path / "out"), "--from", "jsonl"]
    assert main([*args, "--to", "conll", "--workers", "2"]) != 0
    assert "--workers applies to --to autotrain" in capsys.readouterr().err
    assert main([*args, "--to", "autotrain", "--workers", "2"]) == 0


def test_a_reading_error_comes_after_the_errors_of_the_examples_read_before(tmp_path) -> None:
    """Examples are read in chunks; when reading fails inside a chunk, the examples read before
    it are converted first, so their error is the one raised, as reading one by one gives."""
    from autonlp_al.errors import SourceError

    def read():  # type: ignore[no-untyped-def]
        yield from examples(3)
        yield Example(text="Anna Lee came", spans=[Span(0, 6, "PER")])  # off token edges
        raise SourceError("in.jsonl:5: not JSON")

    with pytest.raises(AlignmentError, match="does not align"):
        AutoTrainWriter().write(read(), tmp_path / "out.jsonl")

    def read_then_fail():  # type: ignore[no-untyped-def]
        yield from examples(3)
        raise SourceError("in.jsonl:4: not JSON")

    with pytest.raises(SourceError, match=r"in\.jsonl:4"):
        AutoTrainWriter().write(read_then_fail(), tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("make", [AutoTrainWriter, TagsWriter], ids=["autotrain", "tags"])
def test_a_chunks_new_words_go_to_spacy_in_one_call(tmp_path, make) -> None:
    from autonlp_al.converters import SpacyTokenizer

    tokenizer = SpacyTokenizer()
    calls: list[str] = []
    spacys = tokenizer.nlp.tokenizer
    tokenizer.nlp.tokenizer = lambda text: calls.append(text) or spacys(text)
    writer = make(converter=Converter(tokenizer=tokenizer, alignment="expand"))
    writer.write(examples(40), tmp_path / "out.jsonl")
    assert len(calls) == 1
    reference = make(converter=Converter(alignment="expand"))
    reference.write(examples(40), tmp_path / "reference.jsonl")
    assert (tmp_path / "out.jsonl").read_text() == (tmp_path / "reference.jsonl").read_text()


def test_examples_with_their_own_tokens_do_not_load_spacy(tmp_path) -> None:
    """Preparing a chunk shows the tokenizer only texts without tokens: with none, spaCy (a
    tenth of a second per writer) is not loaded at all."""
    from autonlp_al.converters import SpacyTokenizer
    from autonlp_al.types import Token

    tokens = (Token("Anna", 0, 4, True), Token("came", 5, 9, False))
    data = [Example(text="Anna came", tokens=tokens, spans=[Span(0, 4, "PER")])] * 3
    tokenizer = SpacyTokenizer()
    AutoTrainWriter(converter=Converter(tokenizer=tokenizer)).write(data, tmp_path / "o.jsonl")
    assert tokenizer._nlp is None
    assert (tmp_path / "o.jsonl").read_text().count('"B-PER"') == 3


def test_spacy_is_loaded_once_before_the_workers_fork(tmp_path) -> None:
    """The first chunk is prepared in this process before the pool forks, so the workers inherit
    the loaded tokenizer (and the first chunk's words) instead of each importing spaCy (1.5 s)."""
    from autonlp_al.converters import SpacyTokenizer

    tokenizer = SpacyTokenizer()
    writer = AutoTrainWriter(
        converter=Converter(tokenizer=tokenizer, alignment="expand"), workers=2
    )
    writer.write(examples(30), tmp_path / "out.jsonl")
    assert tokenizer._nlp is not None and "office" in (tokenizer._memo or {})
    assert writer.report.counts == {"written": 30}
