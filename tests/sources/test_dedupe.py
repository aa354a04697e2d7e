"""``Deduplicated``: each text once, the first copy kept, every repeat counted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from autonlp_al import Example
from autonlp_al.sources import Deduplicated
from autonlp_al.sources.base import DUPLICATE, DUPLICATE_CONFLICT
from autonlp_al.testing import InMemorySource

texts = st.sampled_from(["a", "b", "c", "d e"])
labels = st.sampled_from(["x", "y"])


@given(st.lists(st.tuples(texts, labels), max_size=30))
def test_first_copy_wins_and_every_repeat_is_counted(rows) -> None:
    examples = [Example(text=t, labels=[c]) for t, c in rows]
    source = Deduplicated(InMemorySource(examples))
    kept = list(source.read())
    first: dict[str, Example] = {}
    for example in examples:
        first.setdefault(example.text, example)
    assert kept == list(first.values())
    conflicts = sum(1 for e in examples if e.labels != first[e.text].labels)
    assert source.report.skipped[DUPLICATE_CONFLICT] == conflicts
    assert source.report.skipped[DUPLICATE] == len(examples) - len(kept) - conflicts
    assert source.report.counts["examples"] == len(kept)
    assert source.report is source.source.report  # one report for read, kept and skipped


def test_the_skip_names_where_the_kept_copy_came_from() -> None:
    from autonlp_al.types import Origin

    examples = [
        Example(text="same", origin=Origin("f.jsonl", 1)),
        Example(text="same", origin=Origin("f.jsonl", 7)),
    ]
    source = Deduplicated(InMemorySource(examples))
    assert len(list(source.read())) == 1
    (issue,) = source.report.issues
    assert str(issue) == "f.jsonl:7: duplicate text: same text as f.jsonl:1"
