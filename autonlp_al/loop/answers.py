"""Answers coming into the loop, checked one way for every door (``update``, ``record``, an
oracle): tokenised like the pool, in the label set, naming their pool text as it is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import AnswerError
from ..sources.base import Source
from ..types import Example, check_labels
from .records import OpenQuery
from .selection import Picker

__all__ = ["checked", "for_query"]


def checked(
    answers: Source | Iterable[Example],
    *,
    picker: Picker,
    labels: Sequence[str],
    open_: OpenQuery | None,
) -> list[Example]:
    """The answers, tokenised by the picker's tokenizer; all are checked before any is
    recorded. Raises :class:`~autonlp_al.errors.LabelError` for a label outside ``labels`` and
    :class:`AnswerError` for an answer whose id names a pool example with another text."""
    examples = [
        picker.tokenised(e) for e in (answers.read() if isinstance(answers, Source) else answers)
    ]
    found = picker.find([e.id for e in examples], open_.ids if open_ else ())
    for example in examples:
        check_labels(example, labels)
        queried = found.get(example.id)
        if queried is not None and queried.text != example.text:
            raise AnswerError(
                f"{example.origin or 'an answer'}: id {example.id} names the pool text "
                f"{queried.text[:60]!r} but the answer's text is {example.text[:60]!r}; the "
                f"task was edited or its id reused: answer the text as it is in the pool"
            )
    return examples


def for_query(examples: Sequence[Example], open_: OpenQuery) -> list[Example]:
    """The answers to ``open_``, in its order. Raises :class:`AnswerError` for an id the query
    did not ask, and for two different answers to one id."""
    received: dict[int, Example] = {}
    for example in examples:
        if example.id not in open_.ids:
            raise AnswerError(
                f"{example.origin or 'an answer'}: id {example.id} ({example.text[:40]!r}) was "
                f"not in the open query (round {open_.round}); answer the tasks query() wrote, "
                f"or add such texts as a seed set"
            )
        if received.setdefault(example.id, example) != example:
            raise AnswerError(
                f"{example.origin or 'an answer'}: a second, different answer for id "
                f"{example.id}; keep one (Prodigy's db-out merges them by _input_hash)"
            )
    return [received[i] for i in open_.ids if i in received]
