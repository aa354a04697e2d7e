"""Examples -> tagged sentences: tokenise (unless the example has tokens), align, check labels, encode."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Collection, Iterable, Iterator, Sequence

import attrs

from .. import registry
from ..report import Report
from ..types import Example, TaggedSentence, Token, check_labels
from .align import Alignment, align_offsets
from .base import Scheme
from .iob import IOB
from .tokenize import (
    Offsets,
    OffsetTokenizer,
    RememberingTokenizer,
    SpacyTokenizer,
    Tokenizer,
)

__all__ = ["Converter", "Unknown", "chunked", "spans_from_tags"]


class Unknown(str, enum.Enum):
    """How tokens of a partial example (``complete=False``) outside its spans are tagged.

    ``missing`` writes ``-`` (spaCy's convention; trainers mask those tokens). ``outside`` writes
    ``O``, claiming knowledge the annotator did not give; it is what prodigy-hf does implicitly.
    """

    MISSING = "missing"
    OUTSIDE = "outside"


def _label_set(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _scheme(value: Scheme | str) -> Scheme:
    return registry.get("schemes", value)() if isinstance(value, str) else value


@attrs.define(kw_only=True)
class Converter:
    """Turns :class:`Example` records into :class:`TaggedSentence` records in one scheme.

    Args:
        scheme: a :class:`Scheme` or its registered name (``"iob"``, ``"bilou"``).
        tokenizer: used only for examples without tokens; spaCy ``blank:en`` by default.
        alignment: the policy for spans off token boundaries (see :class:`Alignment`).
        labels: if given, the only entity labels allowed; others raise :class:`LabelError`.
        unknown: how unknown tokens of partial examples are tagged (see :class:`Unknown`).
        report: where skipped / adjusted spans are counted.
    """

    scheme: Scheme = attrs.field(factory=IOB, converter=_scheme)
    tokenizer: Tokenizer = attrs.field(factory=SpacyTokenizer)
    alignment: Alignment = attrs.field(default=Alignment.STRICT, converter=Alignment)
    labels: frozenset[str] | None = attrs.field(default=None, converter=_label_set)
    unknown: Unknown = attrs.field(default=Unknown.MISSING, converter=Unknown)
    report: Report = attrs.field(factory=Report)

    def tokens(self, example: Example) -> tuple[Token, ...]:
        """The example's own tokens, or the tokenizer's; whitespace-only tokens are dropped."""
        tokens = example.tokens if example.tokens is not None else self.tokenizer(example.text)
        return tuple(t for t in tokens if t.text.strip())

    def offsets(self, example: Example) -> Offsets:
        """:meth:`tokens` as parallel lists, without a :class:`Token` per token when the tokenizer
        can give offsets directly (spaCy's can)."""
        if example.tokens is None and _typed(self.tokenizer, OffsetTokenizer):
            offsets: Offsets = self.tokenizer.offsets(example.text)  # type: ignore[attr-defined]
        else:
            tokens = example.tokens if example.tokens is not None else self.tokenizer(example.text)
            # tokens are tuples (text, start, end, ws): transposed in one go
            columns = zip(*tokens, strict=True) if tokens else ((), (), (), ())
            offsets = Offsets._make(map(list, columns))
        if all(map(str.strip, offsets.words)):  # no whitespace-only token to drop
            return offsets
        keep = [i for i, word in enumerate(offsets.words) if word.strip()]
        return Offsets._make([column[i] for i in keep] for column in offsets)

    def convert(self, example: Example) -> TaggedSentence:
        """Tag one example; raises :class:`~autonlp_al.errors.ConversionError` subclasses."""
        self.check_labels(example)
        words, starts, ends, spaces = self.offsets(example)
        token_spans = align_offsets(
            starts,
            ends,
            example.spans,
            alignment=self.alignment,
            text=example.text,
            origin=example.origin,
            report=self.report,
        )
        complete = example.complete or self.unknown is Unknown.OUTSIDE
        tags = self.scheme.encode(token_spans, len(words), complete=complete)
        self.report.count("converted")
        return TaggedSentence(
            words=words,
            tags=tags,
            spaces=spaces,
            scheme=self.scheme.name,
            id=example.id,
            example=example,
        )

    def convert_all(self, examples: Iterable[Example]) -> Iterator[TaggedSentence]:
        for chunk in chunked(examples, PREPARE_CHUNK):
            self.prepare(chunk)
            for example in chunk:
                yield self.convert(example)

    def prepare(self, examples: Sequence[Example]) -> None:
        """Show the tokenizer the texts of examples about to be converted, when it can use them
        (spaCy's tokenises their new words in one call, instead of one call per text). Converting
        gives the same records with or without it; writers call it once per chunk."""
        if _typed(self.tokenizer, RememberingTokenizer):
            texts = [example.text for example in examples if example.tokens is None]
            if texts:  # (examples with their own tokens need no tokenizer, nor loading one)
                self.tokenizer.remember(texts)  # type: ignore[attr-defined]

    def check_labels(self, example: Example) -> None:
        """Raise :class:`LabelError` if a span or class label is outside ``labels`` (when given)."""
        if self.labels is not None:
            check_labels(example, self.labels)


PREPARE_CHUNK = 500
"""Examples per :meth:`Converter.prepare` call in :meth:`Converter.convert_all`."""


def chunked(examples: Iterable[Example], size: int) -> Iterator[list[Example]]:
    """Lists of up to ``size`` examples. When reading fails, the examples read before it are
    yielded first, so that converting them comes first and their own errors are raised first,
    as reading one by one gives."""
    stream = iter(examples)
    while True:
        chunk: list[Example] = []
        try:
            chunk.extend(itertools.islice(stream, size))
        except Exception:
            if chunk:
                yield chunk
            raise
        if not chunk:
            return
        yield chunk


_TYPED: dict[tuple[type, type], bool] = {}


def _typed(tokenizer: Tokenizer, protocol: type) -> bool:
    """Whether ``tokenizer`` is a ``protocol`` (cached per type: an isinstance check against a
    runtime protocol, once per example, stood out in the conversion profile)."""
    key = (type(tokenizer), protocol)
    if key not in _TYPED:
        _TYPED[key] = isinstance(tokenizer, protocol)
    return _TYPED[key]


def spans_from_tags(
    tokens: Collection[Token],
    tags: Iterable[str],
    scheme: Scheme | str = "iob",
    *,
    strict: bool = False,
) -> list[tuple[int, int, str]]:
    """Character spans ``(start, end, label)`` for the entities in ``tags`` over ``tokens``."""
    token_list = list(tokens)
    return [
        (token_list[s.start].start, token_list[s.end - 1].end, s.label)
        for s in _scheme(scheme).decode(list(tags), strict=strict)
    ]
