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
    # and from an example's own tokens, as Prodigy saves them (a newline is a token there)
    tokens = (Token("Tim", 0, 3, True), Token("Cook", 4, 8, False), Token("\n", 8, 9, False))
    tokens += (Token("rose", 9, 13, False),)
    own = Example(text="Tim Cook\nrose", spans=[Span(0, 8, "PER")], tokens=tokens)
    sentence = Converter().convert(own)
    assert sentence.words == ("Tim", "Cook", "rose")
    assert sentence.tags == ("B-PER", "I-PER", "O")
    assert sentence.spaces == (True, False, False)


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


def _special_case_pieces() -> list[str]:
    """spaCy's special cases that its matcher looks for, and the pieces the affix rules alone cut
    them into (its patterns): the words that make matches inside words and across spaces."""
    from spacy.tokenizer import Tokenizer

    tokenizer = SPACY.tokenizer
    bare = Tokenizer(
        SPACY.vocab,
        {},
        tokenizer.prefix_search,
        tokenizer.suffix_search,
        tokenizer.infix_finditer,
        tokenizer.token_match,
        tokenizer.url_match,
    )
    pieces = {"a", "s", "x", "0", ".", ",", "'", "(", ")", ":", "-", "Lakers", "it"}
    for rule in tokenizer.rules:
        if tokenizer.find_prefix(rule) or tokenizer.find_infix(rule) or tokenizer.find_suffix(rule):
            pieces.add(rule)
            pieces.update(t.text for t in bare(rule))
    return sorted(piece for piece in pieces if piece.strip() and " " not in piece)


def test_word_at_a_time_gives_spacys_tokens_on_texts_made_of_its_special_cases() -> None:
    """Thousands of texts of words glued from spaCy's special cases and their pieces, where
    matches across spaces stop matches inside words (11 of these 4,000): every one is
    tokenised as spaCy tokenises it whole. Each of the two checks that send such a text to
    spaCy whole (a match across a space, a match inside a word it covers) is needed: without
    either, this test finds differences."""
    import random

    pieces = _special_case_pieces()
    rng = random.Random(0)
    tokenizers = (SpacyTokenizer(), SpacyTokenizer(memo_size=7))
    for _ in range(4000):
        words = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))
            for _ in range(rng.randint(1, 8))
        ]
        text = " ".join(words)
        for tokenizer in tokenizers:
            assert tuple(tokenizer.offsets(text)) == _spacys(text), text


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


def _counting(tokenizer: SpacyTokenizer) -> list[str]:
    """The texts ``tokenizer`` hands spaCy from now on."""
    calls: list[str] = []
    spacys = tokenizer.nlp.tokenizer

    def counting(text: str):  # type: ignore[no-untyped-def]
        calls.append(text)
        return spacys(text)

    tokenizer.nlp.tokenizer = counting
    return calls


def test_a_text_where_a_match_across_a_space_stops_one_inside_a_word_goes_whole() -> None:
    """``) :)x``: the emoticon ``):`` matches across the space, and stops the ``:)`` inside
    ``:)x`` (``:)`` ``x`` alone): spaCy gives ``:`` ``)`` ``x``. The words are learnt first
    (it takes their pieces to see the ``:)`` inside), then the text goes to spaCy whole; a
    second time, only whole."""
    tokenizer = SpacyTokenizer()
    calls = _counting(tokenizer)
    assert tokenizer.offsets(") :)x").words == [")", ":", ")", "x"] == _spacys(") :)x")[0]
    assert calls == [")\n:)x", ") :)x"]
    assert tokenizer.offsets(") :)x").words == [")", ":", ")", "x"]
    assert calls[2:] == [") :)x"]
    assert tokenizer.offsets(":)x").words == [":)", "x"]  # alone, the word keeps its emoticon
    assert len(calls) == 3


def test_a_match_across_a_space_with_nothing_inside_a_word_to_stop_goes_word_at_a_time() -> None:
    """``Lakers won .``: the abbreviation ``s.`` (``s`` ``.``) could match where a word ends in
    ``s`` and the next is ``.``, which half of CoNLL-2003's sentences have; no word here has a
    special case inside it, so no match across a space can change a token and the words are
    read from memory (these texts went to spaCy whole before)."""
    tokenizer = SpacyTokenizer()
    calls = _counting(tokenizer)
    for text in ("Lakers won .", "Lakers lost ."):
        assert tuple(tokenizer.offsets(text)) == _spacys(text)
    assert calls == ["Lakers\nwon\n.", "lost"]


def test_remembering_a_chunk_makes_one_call_and_changes_no_token() -> None:
    texts = ["Apple rose 3.5% ( U.S. )", "don't stop :)x", ") :)x", "Apple  fell", "a b c"]
    tokenizer = SpacyTokenizer()
    calls = _counting(tokenizer)
    tokenizer.remember(texts)
    assert len(calls) == 1  # the new words of every single-spaced text, together
    for text in texts:
        assert tuple(tokenizer.offsets(text)) == _spacys(text)
    assert calls[1:] == [") :)x", "Apple  fell"]  # whole: a match across a space; two spaces


def test_remembering_more_than_the_memory_holds_leaves_it_to_each_text() -> None:
    tokenizer = SpacyTokenizer(memo_size=3)
    calls = _counting(tokenizer)
    tokenizer.remember(["one two three four"])
    assert calls == [] and tokenizer._memo == {}
    assert tuple(tokenizer.offsets("one two three four")) == _spacys("one two three four")


def test_the_converter_shows_a_remembering_tokenizer_the_texts_it_will_tokenise() -> None:
    from autonlp_al import Example
    from autonlp_al.converters import Converter

    class Remembering:
        def __init__(self) -> None:
            self.seen: list[list[str]] = []

        def __call__(self, text: str) -> tuple[Token, ...]:
            return SpacyTokenizer()(text)

        def remember(self, texts) -> None:  # type: ignore[no-untyped-def]
            self.seen.append(list(texts))

    tokenizer = Remembering()
    tokens = (Token("Anna", 0, 4, True), Token("came", 5, 9, False))
    examples = [Example(text="Tim came"), Example(text="Anna came", tokens=tokens)]
    sentences = list(Converter(tokenizer=tokenizer).convert_all(examples))
    assert tokenizer.seen == [["Tim came"]]  # the example with its own tokens needs none
    assert [s.words for s in sentences] == [("Tim", "came"), ("Anna", "came")]


def test_convert_all_reads_in_chunks_but_raises_the_first_error_in_the_file() -> None:
    """convert_all reads examples in chunks (to show the tokenizer each chunk first); when
    reading fails inside a chunk, the examples read before are converted first, so a bad span
    before the unreadable line is the error raised, as reading one by one gives."""
    import pytest

    from autonlp_al import Example, Span
    from autonlp_al.converters import Converter
    from autonlp_al.errors import AlignmentError, SourceError

    def read():  # type: ignore[no-untyped-def]
        yield Example(text="Tim came", spans=[Span(0, 3, "PER")])
        yield Example(text="Anna Lee came", spans=[Span(0, 6, "PER")])  # off token edges
        raise SourceError("in.jsonl:3: not JSON")

    converted = Converter().convert_all(read())
    assert next(converted).tags == ("B-PER", "O")
    with pytest.raises(AlignmentError):
        next(converted)

    def read_then_fail():  # type: ignore[no-untyped-def]
        yield Example(text="Tim came", spans=[Span(0, 3, "PER")])
        raise SourceError("in.jsonl:2: not JSON")

    converted = Converter().convert_all(read_then_fail())
    assert next(converted).words == ("Tim", "came")
    with pytest.raises(SourceError, match=r"in\.jsonl:2"):
        next(converted)
