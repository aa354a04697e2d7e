"""Every JSON reader, fed values nested deep enough to break ``repr`` or huge ones, raises only
its own error types, and with on_error="skip" counts what it skips (issue 30: 58 fuzzed inputs
raised RecursionError from the Prodigy reader's messages)."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from autonlp_al.errors import AutoNLPALError
from autonlp_al.sources import DoccanoSource, JsonlSource, LabelStudioSource, ProdigySource


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


# a JSON value as text: nested lists 1-3,000 deep (the file's bytes, so no json.dumps recursion
# here), a huge number, a long string, or a plain value
values = st.one_of(
    st.integers(1, 3000).map(deep),
    st.just("1" + "0" * 5000),
    st.just(json.dumps("x" * 100_000)),
    st.sampled_from(['"accept"', "7", "null", '{"a": ' + deep(1500) + "}"]),
)
FIELDS = ("text", "answer", "label", "spans", "tokens", "meta", "_input_hash", "_session_id",
          "options", "accept", "entities", "cats")  # fmt: skip


def lines(field: str, value: str) -> str:
    good = '{"text": "Anna went home", "answer": "accept", "label": "PER"}'
    base = {"text": '"Omar went home"', "answer": '"accept"', "label": '"PER"'}
    base[field] = value  # the field replaced, or added
    bad = "{" + ", ".join(f'"{k}": {v}' for k, v in base.items()) + "}"
    return good + "\n" + bad + "\n"


READERS = {
    "jsonl": lambda path, on_error: JsonlSource(path=path, on_error=on_error),
    "doccano": lambda path, on_error: DoccanoSource(path=path, on_error=on_error),
    "prodigy": lambda path, on_error: ProdigySource(path=path, on_error=on_error),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@settings(max_examples=30, deadline=None)
@given(field=st.sampled_from(FIELDS), value=values)
@example(field="answer", value=json.dumps("x" * 100_000))  # an enum's error quoted it whole
@example(field="answer", value=deep(2000))  # repr in the Prodigy reader's message recursed
@example(field="text", value=deep(2000))  # and str() in its input hash
@example(field="meta", value=deep(2000))
def test_json_readers_raise_only_their_own_errors_and_count_skips(tmp_path_factory, reader,
                                                                  field, value) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp(reader) / "in.jsonl"
    path.write_text(lines(field, value), encoding="utf-8")
    with _only_ours():
        list(READERS[reader](path, "raise").read())
    source = READERS[reader](path, "skip")
    examples = list(source.read())
    assert len(examples) + source.report.n_skipped >= 1  # the good line, or its skip, is counted


@settings(max_examples=20, deadline=None)
@given(
    field=st.sampled_from(("data", "annotations", "result", "value", "id", "meta")), value=values
)
def test_label_studio_exports_raise_only_their_own_errors(tmp_path_factory, field, value) -> None:
    path = tmp_path_factory.mktemp("ls") / "export.json"
    task = (
        '{"id": 1, "data": {"text": "Anna"}, "annotations": [{"result": []}], '
        + f'"{field}": {value}'
        + "}"
    )
    path.write_text("[" + task + "]", encoding="utf-8")
    with _only_ours():
        list(LabelStudioSource(path=path).read())
    with _only_ours():
        list(LabelStudioSource(path=path, on_error="skip").read())


class _only_ours:
    """Passes when the block ends normally or with one of the project's errors."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is None:
            return False
        assert issubclass(kind, AutoNLPALError), f"{kind.__name__}: {str(exc)[:200]}"
        assert len(str(exc)) < 2_000, "a message quotes the value whole"
        return True


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("field", ["answer", "text", "meta", "label", "spans", "_session_id"])
def test_values_nested_just_shallow_enough_to_parse(tmp_path, reader, field) -> None:
    """The depths that parse but are too deep for ``repr`` a few frames further down (the
    fuzzer's 58 RecursionErrors): every one from 900 to 1,000 levels, both ways of erring."""
    for levels in range(900, 1001, 4):
        path = tmp_path / f"{field}-{levels}.jsonl"
        path.write_text(lines(field, deep(levels)), encoding="utf-8")
        for on_error in ("raise", "skip"):
            with _only_ours():
                list(READERS[reader](path, on_error).read())
