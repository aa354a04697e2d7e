"""spaCy tokenisation, and the offsets fast path the converter uses."""

from __future__ import annotations

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from autonlp_al.converters import SpacyTokenizer
from autonlp_al.types import Token


def test_texts_over_spacys_million_characters_are_tokenised() -> None:
    tokens = SpacyTokenizer("en")("word " * 210_000)  # 1,050,000 characters: E088 before
    assert len(tokens) == 210_000 and tokens[-1].end == 1_049_999


TEXTS = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from([" ", "\n", "\t", "\xa0"]),
    max_size=60,
)


TOKENIZER = SpacyTokenizer()
SPACY = spacy.blank("en")  # with its lexeme attributes, as a user's own pipeline has them


@given(text=TEXTS)
@settings(max_examples=200, deadline=None)
def test_offsets_are_spacys_tokens_exactly(text) -> None:
    """The fast path (no Token objects, whitespace derived from the gaps) gives what spaCy's
    tokens say, including whitespace tokens and trailing spaces."""
    words, starts, ends, spaces = TOKENIZER.offsets(text)
    doc = SPACY.tokenizer(text)
    assert words == [t.text for t in doc]
    assert starts == [t.idx for t in doc]
    assert ends == [t.idx + len(t.text) for t in doc]
    assert spaces == [bool(t.whitespace_) for t in doc]
    assert TOKENIZER(text) == tuple(
        Token(t.text, t.idx, t.idx + len(t.text), bool(t.whitespace_)) for t in doc
    )


def test_the_converter_drops_whitespace_tokens_on_the_fast_path_too() -> None:
    from autonlp_al import Example, Span
    from autonlp_al.converters import Converter

    example = Example(text="Tim  Cook\n\nrose", spans=[Span(0, 9, "PER")])
    sentence = Converter().convert(example)
    assert sentence.words == ("Tim", "Cook", "rose")
    assert sentence.tags == ("B-PER", "I-PER", "O")
