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


# words as annotators' sentences have them: letters, digits, punctuation, abbreviations, units,
# contractions, URLs; joined by single spaces, the text the word-at-a-time path takes
PIECES = st.sampled_from(
    [
        "a",
        "Z",
        "é",
        "0",
        "9",
        ".",
        ",",
        "'",
        '"',
        "(",
        ")",
        "-",
        "$",
        "%",
        "/",
        ":",
        "!",
        "?",
        "€",
        "…",
        "n't",
        "'s",
        "U.S.",
        "km",
        "http://",
        "www.",
        ".org",
        "cannot",
        "gonna",
        "Mr.",
        ":)",
        "e-",
        ";",
        "=",
        "<",
        ">",
        "_",
        "^",
        "*",
        "o",
        "O",
        "D",
        "p",
        "3",
        "x",
        "ಠ",
        "'S",
        "em",
        "ll",
    ]
)
WORDS = st.lists(PIECES, min_size=1, max_size=4).map("".join)
SINGLE_SPACED = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)
SMALL_MEMO = SpacyTokenizer(memo_size=5)  # forgets all the time: every path of the memory


def _spacys(text: str) -> tuple[list[str], list[int], list[int], list[bool]]:
    doc = SPACY.tokenizer(text)
    return (
        [t.text for t in doc],
        [t.idx for t in doc],
        [t.idx + len(t.text) for t in doc],
        [bool(t.whitespace_) for t in doc],
    )


@given(text=SINGLE_SPACED)
@settings(max_examples=300, deadline=None)
def test_word_at_a_time_gives_spacys_tokens_of_the_whole_text(text) -> None:
    """Single-spaced text is tokenised a word at a time from remembered pieces; the tokenizers
    here keep their memory across examples, so later examples read words met earlier. The
    emoticon pieces are there for spaCy's special cases that match across a space (``) :)x``
    gives ``:`` ``)``), which this test found: such texts go to spaCy whole."""
    assert TOKENIZER.nlp is not None and TOKENIZER._memo is not None  # the path under test
    for tokenizer in (TOKENIZER, SMALL_MEMO):
        assert tuple(tokenizer.offsets(text)) == _spacys(text)


def test_the_memory_is_bounded_and_forgets_without_changing_tokens() -> None:
    tokenizer = SpacyTokenizer(memo_size=4)
    texts = ["Apple rose 3.5% ( U.S. )", "don't stop", "Apple fell", "a b c d e f g h"]
    for text in texts * 2:
        assert tuple(tokenizer.offsets(text)) == _spacys(text)
        assert tokenizer._memo is not None and len(tokenizer._memo) <= 8  # one text's words


def test_only_single_spaced_text_goes_word_at_a_time() -> None:
    from autonlp_al.converters.tokenize import _OTHER_SPACE, _single_spaced

    assert _single_spaced("a b, c.")
    for text in ("", " a", "a ", "a  b", "a\tb", "a\nb", "a\xa0b", "a\u2028b", "a\u3000b"):
        assert not _single_spaced(text), repr(text)
    # the regular expression's whitespace is spaCy's (str.isspace) on every code point
    for code in range(0x110000):
        c = chr(code)
        assert (_OTHER_SPACE.search(c) is not None) == (c.isspace() and c != " "), hex(code)


def test_a_special_case_over_a_space_turns_the_word_path_off() -> None:
    from spacy.attrs import ORTH

    from autonlp_al.converters.tokenize import splits_at_spaces

    nlp = spacy.blank("en")
    assert splits_at_spaces(nlp.tokenizer)
    nlp.tokenizer.add_special_case("New York", [{ORTH: "New York"}])
    assert not splits_at_spaces(nlp.tokenizer)
    tokenizer = SpacyTokenizer.from_nlp(nlp)
    assert tokenizer._memo is None
    assert tokenizer.offsets("in New York .").words == ["in", "New York", "."]


def test_a_text_a_special_case_could_join_goes_to_spacy_once_and_whole() -> None:
    """``) :)x``: the emoticon ``):`` matches across the space, so spaCy gives ``:`` ``)``
    where ``:)x`` alone gives ``:)``; the text is tokenised whole, in one call, and its words
    are not tokenised on their own first."""
    tokenizer = SpacyTokenizer()
    calls: list[str] = []
    spacys = tokenizer.nlp.tokenizer

    def counting(text: str):  # type: ignore[no-untyped-def]
        calls.append(text)
        return spacys(text)

    tokenizer.nlp.tokenizer = counting
    assert tokenizer.offsets(") :)x").words == [")", ":", ")", "x"] == _spacys(") :)x")[0]
    assert calls == [") :)x"]
    assert tokenizer.offsets(":)x").words == [":)", "x"]  # alone, the word keeps its emoticon
