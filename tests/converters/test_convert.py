"""Examples -> tags: alignment policies, labels, partial data; agreement with spaCy's offsets."""

from __future__ import annotations

import pytest
import spacy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from spacy.training import offsets_to_biluo_tags

from autonlp_al import Example, Span, Token
from autonlp_al.converters import Alignment, Converter, SpacyTokenizer, spans_from_tags
from autonlp_al.converters.tokenize import covering_tokens
from autonlp_al.errors import AlignmentError, LabelError, OverlapError
from autonlp_al.types import Origin

NLP = spacy.blank("en")
WORDS = st.sampled_from(
    [
        "Apple",
        "Inc.",
        "hired",
        "Tim",
        "Cook",
        "in",
        "New",
        "York",
        ",",
        "U.S.",
        "e-mail",
        "don't",
        "(",
        "BBC",
        ")",
        "2024",
        "$5",
    ]
)


@st.composite
def annotated(draw: st.DrawFn) -> tuple[str, list[Span]]:
    """A text of single-space-separated words, with non-overlapping spans on spaCy token edges."""
    text = " ".join(draw(st.lists(WORDS, min_size=1, max_size=15)))
    tokens = [t for t in NLP.make_doc(text)]
    n = len(tokens)
    cuts = sorted(draw(st.sets(st.integers(0, n), max_size=8)))
    spans = [
        Span(tokens[a].idx, tokens[b - 1].idx + len(tokens[b - 1]), draw(st.sampled_from("ABC")))
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
        if b > a
    ]
    return text, spans


CONVERTER = Converter(scheme="bilou")


@given(annotated())
@settings(max_examples=150)
def test_agrees_with_spacy_offsets_to_biluo_tags(data) -> None:
    text, spans = data
    ours = CONVERTER.convert(Example(text=text, spans=spans))
    theirs = offsets_to_biluo_tags(NLP.make_doc(text), [(s.start, s.end, s.label) for s in spans])
    assert list(ours.tags) == theirs


@pytest.mark.parametrize("scheme", ["iob", "bilou"])
@given(data=annotated())
@settings(max_examples=100, deadline=None)  # the first case loads spaCy
def test_spans_to_tags_to_spans_is_identity(scheme, data) -> None:
    text, spans = data
    example = Example(text=text, spans=spans)
    converter = Converter(scheme=scheme)
    sentence = converter.convert(example)
    back = spans_from_tags(converter.tokens(example), sentence.tags, scheme, strict=True)
    assert [Span(*s) for s in back] == list(example.spans)


@given(text=st.text(st.sampled_from("ab .,\n\t-'"), min_size=1, max_size=40))
def test_covering_tokens_rebuild_the_text_like_spacy(text) -> None:
    doc = NLP.make_doc(text)
    ours = tuple(t for t in SpacyTokenizer()(text) if t.text.strip())
    covering = covering_tokens(text, ours)
    assert "".join(t.text + (" " if t.ws else "") for t in covering) == text
    assert [(t.text, t.ws) for t in covering] == [(t.text, bool(t.whitespace_)) for t in doc]


TEXT = "Apple Inc. hired Tim Cook."


@pytest.mark.parametrize(
    ("policy", "tags", "adjusted", "skipped"),
    [
        (Alignment.EXPAND, ["B-ORG", "I-ORG", "O", "O", "O", "O"], 1, 0),
        (Alignment.CONTRACT, ["B-ORG", "O", "O", "O", "O", "O"], 1, 0),
        (Alignment.SKIP, ["O"] * 6, 0, 1),
    ],
)
def test_misalignment_policies_count_what_they_change(policy, tags, adjusted, skipped) -> None:
    converter = Converter(alignment=policy)
    sentence = converter.convert(Example(text=TEXT, spans=[Span(0, 8, "ORG")]))  # 'Apple In'
    assert list(sentence.tags) == tags
    assert sum(converter.report.adjusted.values()) == adjusted
    assert converter.report.n_skipped == skipped


def test_strict_misalignment_names_file_line_span_and_fix() -> None:
    example = Example(text=TEXT, spans=[Span(0, 8, "ORG")], origin=Origin("bbc.jsonl", 17))
    with pytest.raises(AlignmentError) as info:
        Converter().convert(example)
    message = str(info.value)
    assert message.startswith("bbc.jsonl:17: span [0, 8) 'Apple In' ORG")
    assert "alignment='expand'" in message


def test_contract_to_nothing_is_skipped_and_counted() -> None:
    converter = Converter(alignment="contract")
    sentence = converter.convert(Example(text=TEXT, spans=[Span(1, 4, "ORG")]))
    assert set(sentence.tags) == {"O"}
    assert converter.report.skipped["span covers no whole token"] == 1


def test_overlaps_raise_in_strict_and_are_counted_otherwise() -> None:
    spans = [Span(0, 10, "ORG"), Span(6, 10, "MISC")]
    with pytest.raises(OverlapError, match="overlaps ORG"):
        Converter().convert(Example(text=TEXT, spans=spans, origin=Origin("f", 2)))
    converter = Converter(alignment="skip")
    assert list(converter.convert(Example(text=TEXT, spans=spans)).tags)[:2] == ["B-ORG", "I-ORG"]
    assert converter.report.skipped["overlapping span"] == 1
    assert "overlapping span" in converter.report.summary()


def test_unknown_label_is_an_error_when_a_label_set_is_given() -> None:
    converter = Converter(labels=["PERSON", "ORG"])
    with pytest.raises(LabelError, match=r"label 'PER', which is not in the label set"):
        converter.convert(Example(text=TEXT, spans=[Span(17, 25, "PER")]))
    with pytest.raises(LabelError, match=r"class label 'sport'"):
        converter.check_labels(Example(text=TEXT, labels=["sport"]))


def test_partial_examples_tag_unknown_tokens_missing_or_outside() -> None:
    example = Example(text=TEXT, spans=[Span(17, 25, "PER")], complete=False)
    assert list(Converter().convert(example).tags) == ["-", "-", "-", "B-PER", "I-PER", "-"]
    outside = Converter(unknown="outside").convert(example)
    assert list(outside.tags) == ["O", "O", "O", "B-PER", "I-PER", "O"]


def test_given_tokens_are_authoritative_and_whitespace_tokens_dropped() -> None:
    text = "New  York"
    tokens = [Token("New", 0, 3, True), Token(" ", 4, 5, False), Token("York", 5, 9, False)]
    example = Example(text=text, tokens=tokens, spans=[Span(0, 9, "LOC")])
    sentence = Converter().convert(example)
    assert sentence.words == ("New", "York")
    assert sentence.tags == ("B-LOC", "I-LOC")
    one_token = Example(text="NewYork", tokens=[Token("NewYork", 0, 7)], spans=[Span(0, 3, "LOC")])
    with pytest.raises(AlignmentError):
        Converter().convert(one_token)


@given(
    text=st.text(min_size=1, max_size=30),
    start=st.integers(0, 30),
    length=st.integers(1, 10),
    policy=st.sampled_from(list(Alignment)),
)
def test_any_span_converts_or_raises_our_error(text, start, length, policy) -> None:
    assume(text.strip() and start + length <= len(text))
    example = Example(text=text, spans=[Span(start, start + length, "X")])
    try:
        sentence = Converter(alignment=policy).convert(example)
    except AlignmentError:
        assert policy is Alignment.STRICT
        return
    assert len(sentence.tags) == len(sentence.words)
