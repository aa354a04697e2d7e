"""Tokenisation with spaCy's rule-based ``blank:<lang>`` tokenizer (what ``prodigy ner.manual`` uses)."""

from __future__ import annotations

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


class SpacyTokenizer:
    """``spacy.blank(lang)``'s tokenizer, loaded on first use (importing spaCy takes ~1.5 s).

    Its ``nlp`` computes no lexeme attributes (``like_num``, ``shape``...): nothing here reads
    them, and spaCy computes them for every new word it meets.
    """

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            import spacy

            self._nlp = spacy.blank(self.lang)
            self._nlp.vocab.lex_attr_getters = {}
        return self._nlp

    def __call__(self, text: str) -> tuple[Token, ...]:
        words, starts, ends, spaces = self.offsets(text)
        return tuple(map(Token, words, starts, ends, spaces))

    def offsets(self, text: str) -> Offsets:
        from spacy.attrs import IDX

        # the tokenizer itself: make_doc refuses texts over nlp.max_length (1,000,000 characters),
        # a limit for the memory of parsers and NER models, which a blank pipeline does not run
        doc = self.nlp.tokenizer(text)
        words = [t.text for t in doc]
        if not words:
            return Offsets([], [], [], [])
        starts = doc.to_array([IDX]).tolist()
        ends = [start + len(word) for start, word in zip(starts, words, strict=True)]
        # spaCy's trailing whitespace is one space, and only that: any other gap is a token
        nexts = [*starts[1:], len(text)]
        spaces = [following - end == 1 for following, end in zip(nexts, ends, strict=True)]
        return Offsets(words, starts, ends, spaces)

    def __repr__(self) -> str:
        return f"SpacyTokenizer({self.lang!r})"


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
