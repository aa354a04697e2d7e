"""Tokenisation with spaCy's rule-based ``blank:<lang>`` tokenizer (what ``prodigy ner.manual`` uses)."""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, Protocol, runtime_checkable

import attrs

from ..types import Example, Token

__all__ = [
    "OffsetTokenizer",
    "Offsets",
    "RememberingTokenizer",
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
class RememberingTokenizer(Protocol):
    """A tokenizer that goes faster when it sees many texts before tokenising them one by one."""

    def remember(self, texts: Iterable[str]) -> None: ...


@runtime_checkable
class OffsetTokenizer(Protocol):
    """A tokenizer that can also give :class:`Offsets` directly (the converter's fast path)."""

    def offsets(self, text: str) -> Offsets: ...


class _Joins:
    """Where spaCy's special cases could change a text's tokens across a space.

    After splitting a text at spaces, spaCy matches its special-case patterns (emoticons,
    abbreviations... as token sequences) over the whole ``Doc``, and its matcher does not look at
    spaces. A match across a space changes nothing itself (no rule has a space in it), but of
    overlapping matches spaCy applies one, so it can stop a match inside a word: in ``) :)x`` the
    emoticon ``):`` matches the ``)`` and the ``:`` on either side of the space, and ``:)x``,
    which is ``:)`` ``x`` on its own, comes out as ``:`` ``)`` ``x``. So a text goes to spaCy
    whole when a pattern could match across one of its spaces (a word ends with the pattern's
    first tokens, as text, and the next starts with the token after them) and a word that match
    would cover may have had a match inside it on its own (:meth:`inside`)."""

    def __init__(self, nlp: Any) -> None:
        from spacy.attrs import ORTH
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
        # every special case's own pieces (a word that is one is tokenised into them at once)
        self._specials = {
            rule: tuple(str(piece[ORTH]) for piece in pieces)
            for rule, pieces in tokenizer.rules.items()
        }
        # (last character of the left part, first of the right) -> {(left part, right token):
        # the pattern's length in tokens}
        self._pairs: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
        # by first token: the patterns, and the pieces a match leaves where they differ
        self._patterns: dict[str, set[tuple[str, ...]]] = {}
        self._changed: dict[str, set[tuple[str, ...]]] = {}
        for rule, pieces in self._specials.items():
            if (  # the rules spaCy's matcher looks for (see Tokenizer.add_special_case)
                not tokenizer.faster_heuristics
                or tokenizer.find_prefix(rule)
                or tokenizer.find_infix(rule)
                or tokenizer.find_suffix(rule)
            ):
                pattern = tuple(t.text for t in bare(rule))
                self._patterns.setdefault(pattern[0], set()).add(pattern)
                if pieces != pattern:
                    self._changed.setdefault(pieces[0], set()).add(pieces)
                # a match crossing spaces crosses a first one, with the pattern's tokens before
                # it all in the word before: that word ends with them, the next starts with the
                # token after them
                for k in range(1, len(pattern)):
                    left = "".join(pattern[:k])
                    at = self._pairs.setdefault((left[-1], pattern[k][0]), {})
                    at[left, pattern[k]] = max(at.get((left, pattern[k]), 0), len(pattern))

    def across(self, words: list[str], inside: set[str]) -> bool:
        """Whether a pattern could match across a space between two of these words and cover a
        word in ``inside``: it covers at most as many words as it has tokens."""
        pairs = self._pairs
        for i, (left, right) in enumerate(itertools.pairwise(words)):
            candidates = pairs.get((left[-1], right[0]))
            if candidates:
                for (end, start), length in candidates.items():
                    if (
                        left.endswith(end)
                        and right.startswith(start)
                        and not inside.isdisjoint(words[i : i + length])
                    ):
                        return True
        return False

    def inside(self, word: str, pieces: tuple[str, ...]) -> bool:
        """Whether spaCy may have matched a pattern inside ``word`` when it tokenised it alone
        into ``pieces``. The matcher reads the tokens from before special cases apply: for a
        word that is a special case, its rule's pieces; for any other word, ``pieces`` hold
        either a pattern (nothing matched, or a match that changed nothing) or the pieces a
        match left."""
        if word in self._specials:
            return _holds(self._specials[word], self._patterns)
        return _holds(pieces, self._patterns) or _holds(pieces, self._changed)


def _holds(pieces: tuple[str, ...], runs: dict[str, set[tuple[str, ...]]]) -> bool:
    """Whether one of ``runs`` (by first piece) is in ``pieces``, in a row."""
    for i, piece in enumerate(pieces):
        for run in runs.get(piece, ()):
            if pieces[i : i + len(run)] == run:
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
        self._memo: dict[str, tuple[str, ...]] | None = None  # word -> its pieces
        self._after: dict[str, tuple[bool, ...]] = {}  # word -> a space after each piece?
        self._inside: set[str] = set()  # remembered words with a special case inside
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
        if self._nlp is None:
            self.nlp  # noqa: B018 (loads spaCy and the memory, so the first text uses them too)
        memo, joins = self._memo, self._joins
        if memo is None or joins is None or not _single_spaced(text):
            return self._whole(text)
        split = text.split(" ")
        try:
            words = list(itertools.chain.from_iterable(map(memo.__getitem__, split)))
        except KeyError:  # new words: tokenised together in one call, then remembered
            self._learn(split, clear=True)
            words = list(itertools.chain.from_iterable(map(memo.__getitem__, split)))
        if not self._inside.isdisjoint(split) and joins.across(split, self._inside):
            return self._whole(text)
        # flat lists made in C (chain, map, accumulate): a loop of appends per piece was most of
        # this method's time
        spaces = list(itertools.chain.from_iterable(map(self._after.__getitem__, split)))
        spaces[-1] = False
        lengths = list(map(len, words))
        starts = list(itertools.accumulate(map(operator.add, lengths, spaces), initial=0))
        del starts[-1]
        return Offsets(words, starts, list(map(operator.add, starts, lengths)), spaces)

    def remember(self, texts: Iterable[str]) -> None:
        """Tokenise the new words of many texts in one call to spaCy, for :meth:`offsets` to find
        remembered: a converter passes a chunk of texts before converting them one by one (one
        call per chunk instead of one per text with a new word). The tokens are the same with or
        without it; a chunk whose new words would overflow ``memo_size`` is left to
        :meth:`offsets`."""
        memo = self._memo if self.nlp is not None else None  # (loads spaCy first)
        if memo is None:
            return
        new: dict[str, None] = {}
        size = 0
        for text in texts:
            if _single_spaced(text):
                for word in text.split(" "):
                    if word not in memo and word not in new:
                        new[word] = None
                        size += len(word) + 1
                if size > _REMEMBER_CHARACTERS:  # one spaCy call over a bounded string
                    self._learn(list(new), clear=False)
                    new.clear()
                    size = 0
        self._learn(list(new), clear=False)

    def _learn(self, words: list[str], *, clear: bool) -> None:
        """Remember the pieces of ``words`` (the new ones among them). Past ``memo_size``, the
        memory starts again when ``clear`` (the words of the text at hand are then all new),
        and is left as it is otherwise."""
        memo, joins = self._memo, self._joins
        assert memo is not None and joins is not None
        new = [word for word in dict.fromkeys(words) if word not in memo]
        if not new:
            return
        if len(memo) + len(new) > self.memo_size:
            if not clear:
                return
            memo.clear()
            self._after.clear()
            self._inside.clear()
            new = list(dict.fromkeys(words))
        for word, pieces in _by_word(self.nlp.tokenizer, new):
            memo[word] = pieces
            self._after[word] = (False,) * (len(pieces) - 1) + (True,)
            if joins.inside(word, pieces):
                self._inside.add(word)

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

# the most characters of new words :meth:`SpacyTokenizer.remember` joins for one spaCy call
_REMEMBER_CHARACTERS = 1_000_000


def _single_spaced(text: str) -> bool:
    """Words separated by single spaces: no other whitespace, none leading or trailing."""
    return (
        bool(text)
        and text[0] != " "
        and text[-1] != " "
        and "  " not in text
        and _OTHER_SPACE.search(text) is None
    )


def _by_word(tokenizer: Any, words: list[str]) -> Iterator[tuple[str, tuple[str, ...]]]:
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
        yield word, tuple(pieces[first:i])
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
