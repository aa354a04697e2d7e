"""Tokenisation with spaCy's rule-based ``blank:<lang>`` tokenizer (what ``prodigy ner.manual`` uses)."""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol, runtime_checkable

import attrs

from ..types import Example, Token

__all__ = [
    "OffsetTokenizer",
    "Offsets",
    "SpacyTokenizer",
    "Tokenizer",
    "covering_tokens",
    "tokenised",
]


class Tokenizer(Protocol):
    """Turns a text into tokens with character offsets."""

    def __call__(self, text: str) -> tuple[Token, ...]: ...


def tokenised(example: Example, tokenizer: Tokenizer | None) -> Example:
    """``example`` with ``tokenizer``'s tokens, unless it has tokens already (or there is no
    tokenizer): tokens a source gave are never replaced."""
    if tokenizer is None or example.tokens is not None:
        return example
    return attrs.evolve(example, tokens=tokenizer(example.text))


class Offsets(NamedTuple):
    """Tokens as parallel lists: what converting needs, without a :class:`Token` per token."""

    words: list[str]
    starts: list[int]
    ends: list[int]
    spaces: list[bool]


@runtime_checkable
class OffsetTokenizer(Protocol):
    """A tokenizer that can also give :class:`Offsets` directly (the converter's fast path)."""

    def offsets(self, text: str) -> Offsets: ...


_Pieces = tuple[tuple[str, ...], tuple[bool, ...]]
"""A word's pieces, and whether a space follows each (only after the last)."""


class _Joins:
    """Where spaCy's special cases could join two words. After splitting a text at spaces,
    spaCy matches its special-case patterns (emoticons, ``'s``... as token sequences) over the
    whole ``Doc``, and its matcher does not look at spaces: in ``) :)x`` the emoticon ``):``
    matches the ``)`` and the ``:`` on either side of the space, and ``:)x``, which is ``:)``
    ``x`` on its own, comes out as ``:`` ``)`` ``x``. A text where a word ends with a pattern's
    first tokens and the next word starts with the token that follows them goes to spaCy whole;
    this is read from the words' text, before anything is tokenised."""

    def __init__(self, nlp: Any) -> None:
        from spacy.tokenizer import Tokenizer as SpacyTokenizerClass

        tokenizer = nlp.tokenizer
        # the patterns are the special cases as the affix rules alone split them
        bare = SpacyTokenizerClass(
            nlp.vocab,
            {},
            tokenizer.prefix_search,
            tokenizer.suffix_search,
            tokenizer.infix_finditer,
            tokenizer.token_match,
            tokenizer.url_match,
        )
        # (last character of the left part, first of the right) -> (left part, right token)
        self._pairs: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for rule in tokenizer.rules:
            if (
                not tokenizer.faster_heuristics
                or tokenizer.find_prefix(rule)
                or tokenizer.find_infix(rule)
                or tokenizer.find_suffix(rule)
            ):
                # a match crossing spaces crosses a first one, with the pattern's tokens before
                # it all in the word before: that word ends with them, the next starts with the
                # token after them
                texts = [t.text for t in bare(rule)]
                for k in range(1, len(texts)):
                    left = "".join(texts[:k])
                    self._pairs.setdefault((left[-1], texts[k][0]), set()).add((left, texts[k]))

    def across(self, words: list[str]) -> bool:
        """Whether a pattern could match across a space between two of these words."""
        pairs = self._pairs
        for left, right in itertools.pairwise(words):
            candidates = pairs.get((left[-1], right[0]))
            if candidates and any(left.endswith(e) and right.startswith(s) for e, s in candidates):
                return True
        return False


class SpacyTokenizer:
    """``spacy.blank(lang)``'s tokenizer, loaded on first use (importing spaCy takes ~1.5 s).

    Its ``nlp`` computes no lexeme attributes (``like_num``, ``shape``...): nothing here reads
    them, and spaCy computes them for every new word it meets.

    A text whose only whitespace is single spaces between words (most sentences) is tokenised a
    word at a time, and each word's pieces are remembered (up to ``memo_size`` words, then the
    memory starts again): spaCy's tokenizer splits at spaces first and handles each word on its
    own, so the pieces are the ones it gives the whole text, without building a ``Doc``. Any
    other text, or a tokenizer with a special case that spans a space, goes to spaCy whole.
    Changing the rules of ``nlp.tokenizer`` after the first call needs a new ``SpacyTokenizer``.
    """

    def __init__(self, lang: str = "en", *, memo_size: int = 500_000) -> None:
        self.lang = lang
        self.memo_size = memo_size
        self._nlp: Any = None
        self._memo: dict[str, _Pieces] | None = None
        self._joins: _Joins | None = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            import spacy

            nlp: Any = spacy.blank(self.lang)
            nlp.vocab.lex_attr_getters = {}
            self._use(nlp)
        return self._nlp

    @classmethod
    def from_nlp(cls, nlp: Any, *, memo_size: int = 500_000) -> SpacyTokenizer:
        """The tokenizer of a loaded pipeline (the model ``ner.manual`` was given, with its own
        rules), instead of ``spacy.blank(lang)``'s."""
        tokenizer = cls(nlp.lang, memo_size=memo_size)
        tokenizer._use(nlp)
        return tokenizer

    def _use(self, nlp: Any) -> None:
        self._memo = {} if splits_at_spaces(nlp.tokenizer) else None
        self._joins = _Joins(nlp) if self._memo is not None else None
        self._nlp = nlp

    def __call__(self, text: str) -> tuple[Token, ...]:
        words, starts, ends, spaces = self.offsets(text)
        return tuple(map(Token, words, starts, ends, spaces))

    def offsets(self, text: str) -> Offsets:
        tokenizer = self.nlp.tokenizer
        memo, joins = self._memo, self._joins
        if memo is None or joins is None or not _single_spaced(text):
            return self._whole(text)
        split = text.split(" ")
        if joins.across(split):
            return self._whole(text)
        new = [word for word in dict.fromkeys(split) if word not in memo]
        if new:  # the sentence's new words, tokenised together in one call
            if len(memo) + len(new) > self.memo_size:
                memo.clear()  # and the words of this text it held are new again
                new = list(dict.fromkeys(split))
            memo.update(_by_word(tokenizer, new))
        # flat lists built by comprehensions and accumulate: a loop of appends per piece was
        # most of this method's time
        entries = [memo[word] for word in split]
        words = [piece for pieces, _ in entries for piece in pieces]
        spaces = [space for _, after in entries for space in after]
        spaces[-1] = False
        lengths = list(map(len, words))
        starts = list(itertools.accumulate(map(operator.add, lengths, spaces), initial=0))
        del starts[-1]
        return Offsets(words, starts, list(map(operator.add, starts, lengths)), spaces)

    def _whole(self, text: str) -> Offsets:
        # the tokenizer itself: make_doc refuses texts over nlp.max_length (1,000,000 characters),
        # a limit for the memory of parsers and NER models, which a blank pipeline does not run
        doc = self.nlp.tokenizer(text)
        if not len(doc):
            return Offsets([], [], [], [])
        words, starts = _pieces(doc, text)
        ends = [start + len(word) for start, word in zip(starts, words, strict=True)]
        # spaCy's trailing whitespace is one space, and only that: any other gap is a token
        nexts = [*starts[1:], len(text)]
        spaces = [following - end == 1 for following, end in zip(nexts, ends, strict=True)]
        return Offsets(words, starts, ends, spaces)

    def __repr__(self) -> str:
        return f"SpacyTokenizer({self.lang!r})"


def splits_at_spaces(tokenizer: Any) -> bool:
    """Whether ``tokenizer`` (spaCy's) tokenises each space-separated word on its own: not when a
    special case spans a space ("New York"). The whitespace-only cases (" ", "\\t", "\\n") never
    apply to single-spaced text."""
    return not any(
        any(c.isspace() for c in rule) and not rule.isspace() for rule in tokenizer.rules
    )


# whitespace other than the plain space (``\s`` and spaCy's ``isspace`` agree on every character)
_OTHER_SPACE = re.compile(r"[^\S ]")


def _single_spaced(text: str) -> bool:
    """Words separated by single spaces: no other whitespace, none leading or trailing."""
    return (
        bool(text)
        and text[0] != " "
        and text[-1] != " "
        and "  " not in text
        and _OTHER_SPACE.search(text) is None
    )


def _by_word(tokenizer: Any, words: list[str]) -> Iterator[tuple[str, _Pieces]]:
    """``(word, its pieces)`` for words without whitespace, tokenised in one call with a newline
    between words: a newline is a token of its own, so no special case can join two words (a
    space would let one, see :class:`_Joins`)."""
    text = "\n".join(words)
    pieces, starts = _pieces(tokenizer(text), text)
    i = 0
    end = -1
    for word in words:
        end += len(word) + 1  # the newline after the word
        first = i
        while i < len(starts) and starts[i] < end:
            i += 1
        yield word, (tuple(pieces[first:i]), (False,) * (i - first - 1) + (True,))
        i += 1  # the newline's own token


def _pieces(doc: Any, text: str) -> tuple[list[str], list[int]]:
    """Each token's text, sliced from ``text`` (spaCy's tokens are exact substrings), and start,
    without a ``Token`` object per token."""
    rows = doc.to_array(["IDX", "LENGTH"]).tolist()
    return [text[start : start + length] for start, length in rows], [row[0] for row in rows]


def covering_tokens(text: str, tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    """``tokens`` plus whitespace tokens for every gap, spaCy style, so that joining the tokens and
    their trailing spaces gives back ``text`` exactly (what ``spacy.tokens.Doc`` and Prodigy need)."""
    out: list[Token] = []
    position = 0

    def gap(upto: int) -> None:
        # one plain space after a token is its ``ws``; any other whitespace becomes a token
        nonlocal position
        if position >= upto:
            return
        if out and text[position] == " " and not out[-1].ws:
            out[-1] = Token(out[-1].text, out[-1].start, out[-1].end, True)
            position += 1
        if position < upto:
            out.append(Token(text[position:upto], position, upto, False))
            position = upto

    for token in tokens:
        if not token.text:
            continue
        gap(token.start)
        out.append(Token(token.text, token.start, token.end, False))
        position = token.end
    gap(len(text))
    return tuple(out)
