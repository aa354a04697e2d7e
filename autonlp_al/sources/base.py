"""The annotation-source interface and the parsing helpers its backends share."""

from __future__ import annotations

import codecs
import enum
import functools
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeGuard, TypeVar, runtime_checkable

import attrs
import srsly

from .._values import describe
from ..errors import AutoNLPALError, InputFileNotFoundError, SourceError
from ..report import Report
from ..types import Example, Origin, Span, Token

__all__ = [
    "DUPLICATE",
    "DUPLICATE_CONFLICT",
    "Deduplicated",
    "OnError",
    "Source",
    "is_int",
    "iter_jsonl",
    "jsonl_examples",
    "parse_spans",
    "parse_tokens",
]

T = TypeVar("T")


@runtime_checkable
class Source(Protocol):
    """Streams examples from somewhere; counts what it read and skipped in ``report``.

    Implementations never load the whole input into memory, and never drop a record without
    counting it in ``report.skipped``.
    """

    report: Report

    def read(self) -> Iterator[Example]:
        """Yield the examples, in input order."""
        ...


class OnError(str, enum.Enum):
    """``raise``: stop at the first bad record. ``skip``: count it in the report and go on."""

    RAISE = "raise"
    SKIP = "skip"


def existing(path: str | Path, what: str = "input file") -> Path:
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(
            f"{path}: no such {what}; check the path (relative paths start at {Path.cwd()})"
        )
    return path


def guarded(
    on_error: OnError, report: Report, origin: Origin, build: Callable[..., T], *args: Any
) -> T | None:
    """Run ``build(*args)``; turn any bad-value error into a :class:`SourceError` naming ``origin``.

    With ``on_error=skip`` the error is counted in ``report`` and ``None`` returned instead.
    """
    try:
        return build(*args)
    except (
        AutoNLPALError,
        ValueError,  # UnicodeError among them
        TypeError,
        LookupError,  # KeyError, IndexError
        AttributeError,
        ArithmeticError,  # OverflowError: an int too large for a float or a C long
        RecursionError,  # a structure nested too deep
    ) as exc:
        message = str(exc)
        if len(message) > 500:  # a builtin's message may quote the value whole (an enum's)
            message = f"{message[:300]}... ({len(message):,} characters)"
        if not message.startswith(str(origin)):
            message = f"{origin}: {message}"
        error = (
            exc if isinstance(exc, SourceError) and message == str(exc) else SourceError(message)
        )
        if error is not exc:
            error.__cause__ = exc
    if OnError(on_error) is OnError.SKIP:
        report.skip("invalid record", origin, str(error).removeprefix(f"{origin}: "))
        return None
    raise error


def iter_jsonl(path: Path, *, encoding: str = "utf-8") -> Iterator[tuple[Origin, Any]]:
    """``(origin, parsed line)`` for every non-blank line; a line with bad bytes or bad JSON
    comes as a marker that :func:`require_object` raises with file:line (so a reader's
    ``on_error=skip`` counts it and goes on)."""
    from . import fastjson  # here: a learner imports this module, and no backend

    fast = fastjson.fast_loads() if codecs.lookup(encoding).name == "utf-8" else None
    name = str(path)
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            origin = Origin(name, number)
            value = jsonl_value(origin, raw, encoding=encoding, fast=fast)
            if value is not BLANK:
                yield origin, value


BLANK = object()
"""What :func:`jsonl_value` gives for a blank line."""


def jsonl_value(
    origin: Origin,
    raw: bytes,
    *,
    encoding: str = "utf-8",
    fast: Callable[[bytes], Any] | None = None,
) -> Any:
    """One line's value, :data:`BLANK`, or a marker for a bad line (see :func:`iter_jsonl`);
    ``fast`` decodes first, and whatever it refuses is parsed here the old way."""
    if fast is not None:
        try:
            return fast(raw)
        except ValueError:
            pass  # refused: parsed below, for the old value or the old message
    try:
        line = raw.decode(encoding)
    except UnicodeDecodeError as exc:  # a bad line, raised or counted by the reader
        return _BadJson(
            f"{origin}: bytes {raw[exc.start : exc.end]!r} are not valid {encoding}; "
            f"pass the file's encoding (--encoding latin-1, ...) or re-save it as UTF-8"
        )
    if not line.strip():
        return BLANK
    try:
        return srsly.json_loads(line)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested ~1,000 deep
        return _BadJson(f"{origin}: invalid JSON ({exc!r:.80}): {line[:80]!r}")


def jsonl_examples(source: Any, build: Callable[[Origin, Any], Example]) -> Iterator[Example]:
    """``build(origin, parsed line)`` for every line of ``source.path`` (read in
    ``source.encoding``), counted in ``source.report`` (``read``, ``examples``); a bad line raises
    or is counted according to ``source.on_error``."""
    report: Report = source.report
    for origin, value in iter_jsonl(existing(source.path), encoding=source.encoding):
        report.count("read")
        example = guarded(source.on_error, report, origin, build, origin, value)
        if example is not None:
            report.count("examples")
            yield example


class _BadJson:
    """A line that did not parse; readers raise or count it according to their ``on_error``."""

    def __init__(self, message: str) -> None:
        self.message = message


def require_object(origin: Origin, value: Any) -> Mapping[str, Any]:
    if isinstance(value, _BadJson):
        raise SourceError(
            value.message + "; fix the line or pass on_error='skip' (--on-error skip)"
        )
    if not isinstance(value, Mapping):
        raise SourceError(
            f"{origin}: expected a JSON object per line, got {type(value).__name__} "
            f"{describe(value)}"
        )
    return value


def require_text(origin: Origin, record: Mapping[str, Any], field: str) -> str:
    if field not in record:
        raise SourceError(
            f"{origin}: no {field!r} field (fields: {sorted(record)}); "
            f"name the text field with text_field= / --text-field"
        )
    text = record[field]
    if not isinstance(text, str):
        raise SourceError(f"{origin}: {field!r} must be a string, got {describe(text)}")
    return text


def parse_tokens(origin: Origin, value: Any) -> tuple[Token, ...] | None:
    """Prodigy / spaCy token dicts ``{text, start, end, ws}``; ``None`` stays ``None``."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise SourceError(f"{origin}: 'tokens' must be a list, got {describe(value)}")
    tokens = []
    for i, item in enumerate(value):
        # the common case, checked cheaply (parse_tokens led the profile of converting a Prodigy
        # export that carries tokens, docs/benchmarks.md):
        # a dict from JSON with int offsets (type() is int: a bool is not an offset)
        if type(item) is dict and type(start := item.get("start")) is int:
            end, text = item.get("end"), item.get("text")
            if type(end) is int and text is not None and 0 <= start <= end:
                # checked as Token checks, so made without checking again
                tokens.append(_token((str(text), start, end, bool(item.get("ws", True)))))
                continue
        if not isinstance(item, Mapping) or not {"text", "start", "end"} <= item.keys():
            raise SourceError(
                f"{origin}: token {i} {describe(item)} needs 'text', 'start' and 'end'"
            )
        tokens.append(
            Token(
                str(item["text"]),
                _int(origin, item, "start"),
                _int(origin, item, "end"),
                bool(item.get("ws", True)),
            )
        )
    return tuple(tokens)


_token = functools.partial(tuple.__new__, Token)


def parse_spans(
    origin: Origin, value: Any, tokens: tuple[Token, ...] | None, *, label: str | None = None
) -> list[Span]:
    """Span dicts with ``start``/``end`` (character offsets) or ``token_start``/``token_end``
    (token indices, ``token_end`` inclusive as in Prodigy). ``label`` fills a missing label."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(f"{origin}: 'spans' must be a list, got {describe(value)}")
    spans = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise SourceError(f"{origin}: span {i} must be an object, got {describe(item)}")
        span_label = item.get("label", label)
        if not isinstance(span_label, str) or not span_label:
            raise SourceError(f"{origin}: span {i} {describe(dict(item))} has no label")
        if "start" in item and "end" in item:
            start, end = _int(origin, item, "start"), _int(origin, item, "end")
        elif "token_start" in item and "token_end" in item and tokens is not None:
            first, last = _int(origin, item, "token_start"), _int(origin, item, "token_end")
            if not 0 <= first <= last < len(tokens):
                raise SourceError(
                    f"{origin}: span {i} token_start {first!r} / token_end {last!r} (inclusive) "
                    f"outside the {len(tokens)} tokens"
                )
            start, end = tokens[first].start, tokens[last].end
        else:
            raise SourceError(
                f"{origin}: span {i} {describe(dict(item))} needs 'start' and 'end' character offsets "
                f"(or 'token_start'/'token_end' with 'tokens')"
            )
        if not 0 <= start < end:
            raise SourceError(
                f"{origin}: span {i} has start {start!r} and end {end!r}; need 0 <= start < end"
            )
        spans.append(Span(start, end, span_label))
    return spans


def is_int(value: Any) -> TypeGuard[int]:
    """An integer from JSON: ``int`` but not ``bool`` (``true`` is no offset or id)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _int(origin: Origin, item: Mapping[str, Any], key: str) -> int:
    value = item[key]
    if not is_int(value):
        raise SourceError(f"{origin}: {key!r} must be an integer, got {describe(value)}")
    return value


# -- each text once -----------------------------------------------------------------------

#: ``report.skipped`` reasons: a repeated text annotated the same way, and one annotated otherwise
DUPLICATE = "duplicate text"
DUPLICATE_CONFLICT = "duplicate text, different annotation (first kept)"


def _annotation(example: Example) -> tuple[object, ...]:
    return (
        example.labels,
        example.rejected_labels,
        example.spans,
        example.rejected_spans,
        example.answer,
        example.complete,
    )


@attrs.define
class Deduplicated:
    """Wraps ``source``; yields each text once, in input order (``--dedupe`` on the command line,
    ``dedupe = true`` in a loop config's ``[loop]``).

    Skips go into the wrapped source's own report, and its ``examples`` count is lowered by each,
    so one report says what was read, kept and skipped.
    """

    source: Source
    report: Report = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.report = self.source.report

    def read(self) -> Iterator[Example]:
        first: dict[str, Example] = {}
        for example in self.source.read():
            kept = first.get(example.text)
            if kept is None:
                first[example.text] = example
                yield example
                continue
            reason = DUPLICATE if _annotation(kept) == _annotation(example) else DUPLICATE_CONFLICT
            where = f"same text as {kept.origin}" if kept.origin else "same text as an earlier one"
            self.report.skip(reason, example.origin, where)
            if self.report.counts["examples"] > 0:
                self.report.counts["examples"] -= 1
