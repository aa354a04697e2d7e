"""Values from input nested deeper than a stack can decode never brick a state folder (issue 30):
the event log bounds them when it writes, and reads an older log's deep line all the same."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonlp_al import Example
from autonlp_al._values import MAX_DEPTH, bounded, depth, describe
from autonlp_al.errors import StateError
from autonlp_al.loop.journal import EventLog
from tests.loop.scripted import learner


def nested(levels: int) -> list[object]:
    value: list[object] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def at_depth(frames: int, call):
    """``call()`` from ``frames`` Python frames further down the stack."""
    return call() if frames <= 0 else at_depth(frames - 1, call)


def test_an_answer_nested_985_deep_does_not_brick_the_folder(tmp_path, caplog) -> None:
    """0.2 logged the answer's meta as it came; resuming from a deeper stack than the one that
    wrote it died with an untyped RecursionError in the log's reader, for good."""
    al = learner(tmp_path / "state")
    query = al.query()
    deep = nested(985)
    answers = [
        Example(text=e.text, id=e.id, labels=["PER"], meta={"x": deep}) for e in query.examples
    ]
    with caplog.at_level(logging.WARNING, logger="autonlp_al.loop.journal"):
        al.update(answers)
    frames = sys.getrecursionlimit() - 700  # the decoder of a 985-deep line would not fit here
    resumed = at_depth(frames, lambda: learner(tmp_path / "state"))
    assert len(resumed.history) == 1 and len(resumed.state.labeled_examples()) == 3
    (kept,) = {json.dumps(e.meta) for e in resumed.state.labeled_examples()}
    assert depth(json.loads(kept)) <= MAX_DEPTH and "nested over 100 deep" in kept
    resumed.query()  # the loop goes on
    assert "kept as their description" in caplog.text


def test_an_older_logs_deep_line_is_read_from_any_stack(tmp_path, caplog) -> None:
    path = tmp_path / "events.jsonl"
    deep = '{"type": "annotated", "round": 0, "meta": ' + "[" * 990 + "]" * 990 + "}"
    path.write_text(json.dumps({"type": "config"}) + "\n" + deep + "\n")
    with caplog.at_level(logging.WARNING, logger="autonlp_al.loop.journal"):
        events = at_depth(sys.getrecursionlimit() - 300, lambda: list(EventLog(path).read()))
    assert [e["type"] for e in events] == ["config", "annotated"]
    assert depth(events[1]) <= MAX_DEPTH and "events.jsonl:2:" in caplog.text


@pytest.mark.parametrize(
    ("line", "found"),
    [(b"{not json\n", "JSONDecodeError"), (b"[1, 2]\n", r"\[1, 2\]"), (b'"x"\n', "'x'")],
)
def test_a_line_that_is_no_event_is_a_typed_error_naming_the_line(tmp_path, line, found) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"type": "config"}\n' + line)
    with pytest.raises(StateError, match=rf"events.jsonl:2: .*{found}.*restore it"):
        list(EventLog(path).read())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=30,
)


@given(json_values, st.integers(1, 6))
def test_bounded_cuts_only_what_lies_too_deep(value, limit) -> None:
    cut_value, cut = bounded(value, limit)
    assert depth(cut_value) <= limit
    assert (cut == 0) == (depth(value) <= limit)
    if cut == 0:
        assert cut_value is value


@given(st.integers(1, 3000))
def test_describe_never_walks_the_value(levels) -> None:
    text = describe(nested(levels))
    assert len(text) < 120 and text.startswith("[")
    assert ("deep" in text) == (levels > 3)


def test_describe_previews_what_it_can() -> None:
    assert describe("x" * 100) == repr("x" * 40) + "... (100 characters)"
    assert describe({"start": 1, "label": "PER"}) == "{'start': 1, 'label': 'PER'}"
    assert describe(10**5000) == "an int of 16610 bits"
    assert describe([10**5000]) == "[<int of 16610 bits>]"


@given(json_values, st.integers(1, 6))
def test_the_byte_scan_agrees_with_the_depth_of_the_decoded_value(value, limit) -> None:
    """The log's reader skips bounding a line the scan clears: it must never clear a deep one
    (strings holding brackets and escapes included)."""
    from autonlp_al._values import nests_deeper

    line = json.dumps({"meta": value, "note": '[[["\\\\"]]]'}).encode()
    assert nests_deeper(line, limit) == (depth(json.loads(line)) > limit)
