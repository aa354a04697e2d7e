"""Prodigy token dicts: the cheap path for the common case gives what the full checks give."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from autonlp_al._values import describe
from autonlp_al.errors import SourceError
from autonlp_al.sources import base
from autonlp_al.types import Origin, Token

ORIGIN = Origin("tasks.jsonl", 3)

VALUES = st.sampled_from([-1, 0, 7, 40, True, False, None, "", "x", 2.0])


@st.composite
def token_items(draw):  # type: ignore[no-untyped-def]
    """Mostly Prodigy's own token dicts, sometimes with a key missing or a value of another type,
    sometimes not a dict at all."""
    start = draw(st.integers(0, 30))
    item = {
        "text": draw(st.text(max_size=4)),
        "start": start,
        "end": start + draw(st.integers(0, 5)),
    }
    if draw(st.booleans()):
        item["ws"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        key = draw(st.sampled_from(["text", "start", "end", "ws", "id"]))
        if draw(st.booleans()):
            item.pop(key, None)
        else:
            item[key] = draw(VALUES)
    if draw(st.integers(0, 15)) == 0:
        return draw(st.one_of(VALUES, st.lists(VALUES, max_size=2)))
    return item


def _reference(value):  # type: ignore[no-untyped-def]
    """The full checks alone, for every item: what ``parse_tokens`` must give."""
    if not isinstance(value, list):
        raise SourceError(f"{ORIGIN}: 'tokens' must be a list, got {describe(value)}")
    tokens = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or not {"text", "start", "end"} <= item.keys():
            raise SourceError(
                f"{ORIGIN}: token {i} {describe(item)} needs 'text', 'start' and 'end'"
            )
        offsets = [item[key] for key in ("start", "end")]
        for key, number in zip(("start", "end"), offsets, strict=True):
            if not isinstance(number, int) or isinstance(number, bool):
                raise SourceError(f"{ORIGIN}: {key!r} must be an integer, got {describe(number)}")
        tokens.append(Token(str(item["text"]), *offsets, bool(item.get("ws", True))))
    return tuple(tokens)


def _outcome(parse, value):  # type: ignore[no-untyped-def]
    try:
        return parse(value)
    except Exception as exc:  # the outcome compared is any error
        return type(exc), str(exc)


@given(value=st.lists(token_items(), max_size=6))
@settings(max_examples=400, deadline=None)
def test_the_cheap_path_gives_the_tokens_or_error_the_full_checks_give(value) -> None:
    ours = _outcome(lambda v: base.parse_tokens(ORIGIN, v), value)
    assert ours == _outcome(_reference, value)
    if isinstance(ours, tuple) and ours and isinstance(ours[0], Token):
        assert all(type(token) is Token for token in ours)
