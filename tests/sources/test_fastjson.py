"""msgspec's JSON lines (``autonlp_al[fast]``) read as srsly's did: same values, same bad lines,
same messages, same decisions counted per input."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import srsly
from hypothesis import given, settings
from hypothesis import strategies as st

from autonlp_al.sources import ProdigySource, base, fastjson, prodigy

msgspec = pytest.importorskip("msgspec")

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(value=JSON)
@settings(max_examples=300, deadline=None)
def test_msgspec_reads_what_json_wrote(value) -> None:
    """Every value is read back as the standard library reads it (floats exactly: srsly's
    ujson rounds a few extreme ones, e.g. 5e-324 to 0.0). What srsly writes, msgspec reads the
    same, or refuses (a float srsly rounded past the largest double), and then srsly reads it."""
    loads = fastjson.fast_loads()
    assert loads is not None
    raw = json.dumps(value)
    assert loads(raw.encode()) == json.loads(raw)
    raw = srsly.json_dumps(value)
    try:
        fast = loads(raw.encode())
    except ValueError:
        return
    assert fast == json.loads(raw)


# lines srsly and msgspec disagree on, or refuse: each must read as the old reader read it
TRICKY = [
    b"\xef\xbb\xbf" + b'{"text": "a byte-order mark before the first line"}',
    b'{"text": "fine", "_input_hash": 1}',
    b"",
    b"   ",
    "\u00a0".encode(),  # a line of no-break space: blank to str.strip
    b'{"text": "bad \xff byte"}',
    b'{"text": "a lone \\ud83d surrogate"}',
    b'{"text": "x", "score": 1e400}',
    b'{"text": "x", "score": NaN}',
    b'{"text": "x",}',
    b"[" * 1500 + b"]" * 1500,
    b'["not", "an", "object"]',
    b'{"text": "x"} trailing',
    b'{"a": 1, "a": 2, "text": "duplicate keys"}',
]


def _read(path, monkeypatch, *, fast: bool):
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(fastjson, "fast_loads", lambda: None)
        return [
            (origin, value.message if isinstance(value, base._BadJson) else value)
            for origin, value in base.iter_jsonl(path)
        ]


def test_tricky_lines_read_the_same_with_and_without_msgspec(tmp_path, monkeypatch) -> None:
    path = tmp_path / "tricky.jsonl"
    path.write_bytes(b"\n".join(TRICKY) + b"\n")
    with_msgspec = _read(path, monkeypatch, fast=True)
    without = _read(path, monkeypatch, fast=False)
    assert with_msgspec == without
    assert len(without) == len(TRICKY) - 3  # the three blank lines are skipped, nothing else
    assert any("invalid JSON" in str(v) for _, v in without)


def test_an_integer_over_64_bits_is_the_one_difference(tmp_path, monkeypatch) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text('{"text": "x", "_input_hash": 123456789012345678901234567890}\n')
    ((_, value),) = _read(path, monkeypatch, fast=True)
    assert value["_input_hash"] == 123456789012345678901234567890
    ((_, old),) = _read(path, monkeypatch, fast=False)
    assert "invalid JSON" in old


def test_decisions_are_counted_per_input_as_the_full_parse_counts_them(
    tmp_path, monkeypatch
) -> None:
    lines = [
        b'{"text": "a", "_input_hash": 7}',
        b'{"text": "a", "_input_hash": 7, "answer": "reject"}',
        b'{"text": "no hash"}',
        b'{"text": "no hash", "answer": "reject"}',
        b'{"text": "nested only", "meta": {"_input_hash": 7}}',
        b'{"text": "a string hash", "_input_hash": "7"}',
        b'{"text": "a bool hash", "_input_hash": true}',
        b'{"text": 5, "_input_hash": null}',
        b'{"text": "lone \\ud83d", "_input_hash": null}',
        b'{"_input_hash": 9}',
        b"[1, 2]",
        b"not json",
        b"",
    ]
    path = tmp_path / "db-out.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    source = ProdigySource(path=path)
    quick = source._jsonl_counts(path)
    monkeypatch.setattr(prodigy, "input_hash_reader", lambda: None)
    monkeypatch.setattr(fastjson, "fast_loads", lambda: None)
    full = source._jsonl_counts(path)
    assert quick == full
    assert quick[7] == 2 and quick[9] == 1 and sum(quick.values()) == 10
    assert isinstance(full, Counter)
