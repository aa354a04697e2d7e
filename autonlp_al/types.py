"""The data model: frozen, validated records shared by sources, converters, writers and trainers."""

from __future__ import annotations

import enum
import hashlib
import operator
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import attrs

from .errors import LabelError, SourceError

__all__ = [
    "ID_KEY",
    "Answer",
    "Example",
    "Origin",
    "Prediction",
    "ScoredSpan",
    "Span",
    "TaggedSentence",
    "Token",
    "check_labels",
    "cost",
    "example_from_dict",
    "example_to_dict",
    "id_value",
    "parse_id",
    "text_hash",
    "wide_text_hash",
]

#: Where tasks we write for an annotation tool carry the example id (Prodigy: ``meta``; Label
#: Studio: ``data``), so answers match the pool example they were asked about while the tool's
#: own hashes (Prodigy's ``_input_hash`` / ``_task_hash``) stay the tool's.
ID_KEY = "autonlp_al_id"

# Kept below 2**53 so the id survives a round trip through JavaScript (Prodigy's web app).
_HASH_BITS = 53
#: Pools that stay on disk (10^7-10^9 texts) use 96 bits: n texts expect n^2 / 2^97 colliding
#: pairs, 6e-12 for 10^9 (53 bits expect one pair at 10^8).
WIDE_HASH_BITS = 96
_JS_SAFE = 2**53


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text_hash(text: str) -> int:
    """A stable id for ``text``: 53 bits of BLAKE2b, equal across runs, machines and Python versions.

    Plays the role of Prodigy's ``_input_hash``. Sources keep a hash the input already carries.
    """
    # surrogatepass: a lone surrogate must reach Example's own check (a clear error), not fail here
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - _HASH_BITS)


def wide_text_hash(text: str) -> int:
    """A stable 96-bit id for ``text`` (BLAKE2b), for pools too large for :func:`text_hash`."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest()
    return int.from_bytes(digest, "big")


def id_value(example_id: int) -> int | str:
    """The id as an annotation tool's task carries it: a number below 2**53 (JavaScript reads it
    exactly), else its decimal string (a wide id would be rounded as a number)."""
    return example_id if example_id < _JS_SAFE else str(example_id)


def parse_id(value: Any) -> int | None:
    """An id written by :func:`id_value` (a non-negative int, or its decimal string), else
    ``None``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 40:
        return int(value)
    return None


class Answer(str, enum.Enum):
    """A Prodigy-style answer: what the annotator said about a task."""

    ACCEPT = "accept"
    REJECT = "reject"
    IGNORE = "ignore"


@attrs.frozen
class Origin:
    """Where an example came from, for error messages: ``path:line`` or ``db:dataset:row``."""

    source: str
    line: int | None = None

    def __str__(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


def _non_negative(_: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


class _TokenFields(NamedTuple):
    text: str
    start: int
    end: int
    ws: bool = True


class Token(_TokenFields):
    """A token with character offsets into its example's text; ``ws``: a space follows it.

    Immutable, and a tuple ``(text, start, end, ws)`` underneath: an export with tokens makes one
    per word, and making a frozen attrs class took a third of converting one
    (docs/benchmarks.md, "Conversion throughput")."""

    __slots__ = ()

    def __new__(cls, text: str, start: int, end: int, ws: bool = True) -> Token:
        if start < 0:
            raise ValueError(f"start must be >= 0, got {start!r}")
        if end < start:
            raise ValueError(f"token end {end!r} is before its start {start!r}")
        return tuple.__new__(cls, (text, start, end, ws))


@attrs.frozen(order=True)
class Span:
    """A labelled character span ``[start, end)`` of an example's text."""

    start: int = attrs.field(validator=_non_negative)
    end: int = attrs.field()
    label: str = attrs.field(validator=attrs.validators.min_len(1))

    @end.validator
    def _check_end(self, _: attrs.Attribute[int], value: int) -> None:
        if value <= self.start:
            raise ValueError(f"span end {value!r} must be after its start {self.start!r}")


def _tuple(value: Sequence[Any] | None) -> tuple[Any, ...]:
    return () if value is None else tuple(value)


def _optional_tuple(value: Sequence[Any] | None) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _bool_tuple(value: Iterable[bool]) -> tuple[bool, ...]:
    return tuple(value)


def _sorted_spans(value: Sequence[Span] | None) -> tuple[Span, ...]:
    # Span's own order, by a key: attrs' generated __lt__ stood out in the conversion profile
    if not value:
        return ()
    spans = tuple(value)
    return spans if len(spans) == 1 else tuple(sorted(spans, key=_span_key))


def _span_key(span: Span) -> tuple[int, int, str]:
    return span.start, span.end, span.label


def _answer(value: Answer | str) -> Answer:
    return value if type(value) is Answer else Answer(value)


@attrs.frozen(kw_only=True)
class Example:
    """One annotated (or unannotated) text.

    Attributes:
        text: the text, never empty.
        id: a stable id; by default :func:`text_hash` of ``text`` (Prodigy's ``_input_hash`` when read
            from Prodigy).
        labels: text-classification labels that apply (one for multi-class).
        rejected_labels: labels the annotator said do *not* apply (binary ``textcat.teach`` answers).
        spans: entity spans, sorted.
        rejected_spans: spans the annotator said are *not* that entity (binary ``ner.teach``).
        tokens: authoritative tokens when the source has them (Prodigy, CoNLL); else ``None`` and the
            converter tokenises.
        complete: ``True`` when every token outside ``spans`` is known to be outside any entity (manual
            annotation, gold corpora). ``False`` for partial data: those tokens are unknown, encoded with
            the missing tag, and masked in training.
        answer: the annotator's answer.
        meta: free-form metadata carried through (source ids, Prodigy ``meta``).
        origin: where the example was read, for messages; not part of equality.
    """

    text: str = attrs.field(validator=attrs.validators.instance_of(str))
    id: int = attrs.field(default=attrs.Factory(lambda self: text_hash(self.text), takes_self=True))
    labels: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    rejected_labels: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    spans: tuple[Span, ...] = attrs.field(default=(), converter=_sorted_spans)
    rejected_spans: tuple[Span, ...] = attrs.field(default=(), converter=_sorted_spans)
    tokens: tuple[Token, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    complete: bool = True
    answer: Answer = attrs.field(default=Answer.ACCEPT, converter=_answer)
    meta: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    origin: Origin | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.text or self.text.isspace():
            raise SourceError(f"{self._where}empty text; every example needs some text to annotate")
        surrogate = None if self.text.isascii() else _LONE_SURROGATE.search(self.text)
        if surrogate is not None:
            raise SourceError(
                f"{self._where}the text has a lone surrogate {surrogate.group()!r} at offset "
                f"{surrogate.start()} (half of a UTF-16 pair, e.g. a '\\ud83d' JSON escape without "
                f"its partner); no tokenizer or file can hold it: fix the text at its source"
            )
        n = len(self.text)
        for span in self.spans + self.rejected_spans:
            if span.end > n:
                raise SourceError(
                    f"{self._where}span [{span.start}, {span.end}) {span.label!r} ends beyond the "
                    f"text (length {n}); fix the offsets or the text they were made for"
                )
        if self.tokens is not None:
            self._check_tokens()

    @property
    def _where(self) -> str:
        """``"<origin>: "`` for messages (made only when one is raised)."""
        return f"{self.origin}: " if self.origin else ""

    def _check_tokens(self) -> None:
        assert self.tokens is not None
        if not self.tokens:
            return
        text = self.text
        # all tokens at once (a Prodigy export with tokens has one per word): in order, inside the
        # text, each one the text at its offsets; the loop below finds the first that is not
        words, starts, ends, _ = zip(*self.tokens, strict=True)
        if (
            ends[-1] <= len(text)
            and all(map(operator.le, ends, starts[1:]))
            and all(map(operator.eq, map(text.__getitem__, map(slice, starts, ends)), words))
        ):
            return
        previous_end = 0
        for i, token in enumerate(self.tokens):
            if token.start < previous_end or token.end > len(self.text):
                raise SourceError(
                    f"{self._where}token {i} {token.text!r} at [{token.start}, {token.end}) "
                    f"overlaps the previous token or runs past the text; tokens must be in order "
                    f"and inside the text"
                )
            if self.text[token.start : token.end] != token.text:
                raise SourceError(
                    f"{self._where}token {i} {token.text!r} does not match the text at "
                    f"[{token.start}, {token.end}) ({self.text[token.start : token.end]!r}); "
                    f"the tokens were made for another text"
                )
            previous_end = token.end

    @property
    def has_annotation(self) -> bool:
        """Whether the example carries any label, span or rejection."""
        return bool(self.labels or self.rejected_labels or self.spans or self.rejected_spans)


def cost(example: Example, unit: str) -> int:
    """What labelling ``example`` counts in ``unit``: ``"tokens"`` (its tokens, else its
    whitespace words), ``"mentions"`` (its entity spans), else 1 (an example)."""
    if unit == "tokens":
        return len(example.tokens) if example.tokens is not None else len(example.text.split())
    if unit == "mentions":
        return len(example.spans)
    return 1


@attrs.frozen(kw_only=True)
class TaggedSentence:
    """Tokens with one tag each, in a named scheme (``iob`` or ``bilou``); ``-`` marks unknown tags."""

    words: tuple[str, ...] = attrs.field(converter=_str_tuple)
    tags: tuple[str, ...] = attrs.field(converter=_str_tuple)
    spaces: tuple[bool, ...] = attrs.field(converter=_bool_tuple)
    scheme: str
    id: int
    example: Example = attrs.field(eq=False, repr=False)

    @tags.validator
    def _same_length(self, _: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
        if len(value) != len(self.words):
            raise ValueError(f"{len(self.words)} words but {len(value)} tags")


@attrs.frozen
class ScoredSpan:
    """A predicted entity: character offsets, label, and the model's confidence in ``[0, 1]``."""

    start: int
    end: int
    label: str
    score: float


@attrs.frozen(kw_only=True)
class Prediction:
    """What a model says about one text: entity spans (NER) or class probabilities (textcat)."""

    id: int
    text: str
    spans: tuple[ScoredSpan, ...] = attrs.field(default=(), converter=_tuple)
    cats: Mapping[str, float] = attrs.field(factory=dict, hash=False)

    @property
    def label(self) -> str | None:
        """The most probable class, or ``None`` for an NER prediction."""
        return max(self.cats, key=lambda k: self.cats[k]) if self.cats else None

    def to_example(self) -> Example:
        """The prediction as an :class:`Example` (e.g. to pre-annotate a Prodigy task)."""
        label = self.label
        return Example(
            text=self.text,
            id=self.id,
            spans=[Span(s.start, s.end, s.label) for s in self.spans],
            labels=(label,) if label is not None else (),
        )


def check_labels(example: Example, labels: Collection[str]) -> None:
    """Raise :class:`LabelError` naming the first span or class label of ``example`` (accepted or
    rejected) that is outside ``labels``: where, the span's text, the label, and the fix."""
    where = f"{example.origin}: " if example.origin else ""
    for span in example.spans + example.rejected_spans:
        if span.label not in labels:
            raise LabelError(
                f"{where}span [{span.start}, {span.end}) "
                f"{example.text[span.start : span.end]!r} has label {span.label!r}, which is not "
                f"in the label set {sorted(labels)}; add it to the labels or relabel the span"
            )
    for label in example.labels + example.rejected_labels:
        if label not in labels:
            raise LabelError(
                f"{where}class label {label!r} is not in the label set {sorted(labels)}; "
                f"add it to the labels or relabel the example"
            )


# -- the codec of an example (the event log, the Ray scorer's rows) ---------------------------


def example_to_dict(example: Example) -> dict[str, Any]:
    """Every field of an example as JSON-ready values (origin left out): the event log's and the
    Ray scorer's row format; :func:`example_from_dict` reads it back equal."""
    return {
        "text": example.text,
        "id": example.id,
        "labels": list(example.labels),
        "rejected_labels": list(example.rejected_labels),
        "spans": [[s.start, s.end, s.label] for s in example.spans],
        "rejected_spans": [[s.start, s.end, s.label] for s in example.rejected_spans],
        "tokens": None
        if example.tokens is None
        else [[t.text, t.start, t.end, t.ws] for t in example.tokens],
        "complete": example.complete,
        "answer": example.answer.value,
        "meta": dict(example.meta),
    }


def example_from_dict(data: Mapping[str, Any]) -> Example:
    """The example :func:`example_to_dict` wrote."""
    tokens = data.get("tokens")
    return Example(
        text=data["text"],
        id=data["id"],
        labels=data["labels"],
        rejected_labels=data["rejected_labels"],
        spans=[Span(*s) for s in data["spans"]],
        rejected_spans=[Span(*s) for s in data["rejected_spans"]],
        tokens=None if tokens is None else [Token(*t) for t in tokens],
        complete=data["complete"],
        answer=Answer(data["answer"]),
        meta=data["meta"],
    )
