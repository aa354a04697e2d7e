"""IOB2 and BILOU: properties over random span sets, and agreement with spaCy's own functions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.training import iob_utils

from autonlp_al.converters import BILOU, IOB, MISSING, TokenSpan, bilou_to_iob, iob_to_bilou
from autonlp_al.errors import AutoNLPALError, TagSequenceError

SCHEMES = [IOB(), BILOU()]
LABELS = st.sampled_from(["PER", "ORG", "LOC", "MISC-X"])


@st.composite
def span_sets(draw: st.DrawFn) -> tuple[list[TokenSpan], int]:
    """Sorted, non-overlapping token spans over n tokens."""
    n = draw(st.integers(0, 30))
    cuts = sorted(draw(st.sets(st.integers(0, n), max_size=12)))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if end > start:
            spans.append(TokenSpan(start, end, draw(LABELS)))
    return spans, n


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
@given(data=span_sets(), complete=st.booleans())
def test_encode_then_decode_is_identity(scheme, data, complete) -> None:
    spans, n = data
    tags = scheme.encode(spans, n, complete=complete)
    assert len(tags) == n
    assert scheme.decode(tags, strict=True) == spans  # strict: every encoded sequence is valid
    filler = "O" if complete else MISSING
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert all(tags[i] == filler for i in range(n) if i not in covered)


@given(data=span_sets())
def test_iob_bilou_round_trip(data) -> None:
    spans, n = data
    iob = IOB().encode(spans, n)
    bilou = BILOU().encode(spans, n)
    assert iob_to_bilou(iob) == bilou
    assert bilou_to_iob(bilou) == iob


@given(data=span_sets())
def test_agrees_with_spacy_tag_conversions(data) -> None:
    spans, n = data
    iob = IOB().encode(spans, n)
    bilou = BILOU().encode(spans, n)
    assert iob_utils.iob_to_biluo(iob) == bilou
    assert iob_utils.biluo_to_iob(bilou) == iob


@given(data=span_sets(), holes=st.sets(st.integers(0, 29)))
def test_missing_tags_survive_conversion_like_spacy(data, holes) -> None:
    spans, n = data
    covered = {i for s in spans for i in range(s.start, s.end)}
    bilou = BILOU().encode(spans, n)
    bilou = [MISSING if i in holes and i not in covered else t for i, t in enumerate(bilou)]
    assert bilou_to_iob(bilou) == iob_utils.biluo_to_iob(bilou)
    assert iob_to_bilou(bilou_to_iob(bilou)) == bilou


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
@given(
    tags=st.lists(
        st.sampled_from(["O", "-", "B-A", "I-A", "L-A", "U-A", "B-B", "I-B", "X", "B-", "I_A", ""]),
        max_size=12,
    )
)
@settings(max_examples=300)
def test_decoding_anything_raises_only_our_errors(scheme, tags) -> None:
    for strict in (False, True):
        try:
            spans = scheme.decode(tags, strict=strict)
        except AutoNLPALError:
            continue
        for span in spans:
            assert 0 <= span.start < span.end <= len(tags)
        assert spans == sorted(spans)


def test_lenient_iob_follows_conlleval() -> None:
    # a stray I- begins an entity (IOB1 data); a label change ends one
    assert IOB().decode(["I-PER", "I-PER", "O", "I-LOC", "I-ORG"]) == [
        TokenSpan(0, 2, "PER"),
        TokenSpan(3, 4, "LOC"),
        TokenSpan(4, 5, "ORG"),
    ]
    with pytest.raises(TagSequenceError, match=r"tag 0 'I-PER' continues no entity"):
        IOB().decode(["I-PER"], strict=True)


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (["B-PER", "O"], "never closed|interrupts"),
        (["L-PER"], "continues no entity"),
        (["B-PER", "I-LOC", "L-LOC"], "interrupts the open 'PER' entity"),
        (["B-PER", "I-PER"], "never closed with L-PER"),
    ],
)
def test_strict_bilou_rejects_invalid_sequences(tags, message) -> None:
    with pytest.raises(TagSequenceError, match=message):
        BILOU().decode(tags, strict=True)


def test_lenient_bilou_repairs() -> None:
    assert BILOU().decode(["B-PER", "I-PER"]) == [TokenSpan(0, 2, "PER")]
    assert BILOU().decode(["L-PER", "O"]) == [TokenSpan(0, 1, "PER")]


@pytest.mark.parametrize("tag", ["X", "B-", "Q-PER", "b-PER"])
def test_malformed_tags_name_position_and_value(tag: str) -> None:
    with pytest.raises(TagSequenceError, match=rf"tag 1 '{tag}' is not one of O, -"):
        IOB().decode(["O", tag])


def test_encode_rejects_overlap_and_out_of_range() -> None:
    with pytest.raises(TagSequenceError, match="overlaps"):
        IOB().encode([TokenSpan(0, 2, "A"), TokenSpan(1, 3, "B")], 3)
    with pytest.raises(TagSequenceError, match="outside"):
        BILOU().encode([TokenSpan(0, 4, "A")], 3)
