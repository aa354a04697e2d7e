"""Metrics: entity scores against seqeval (conlleval semantics), classification by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonlp_al.converters import IOB
from autonlp_al.metrics import PRF, classification_scores, ner_scores

seqeval_metrics = pytest.importorskip("seqeval.metrics")

TAGS = st.sampled_from(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])


@given(
    st.lists(
        st.integers(1, 12).flatmap(
            lambda n: st.tuples(
                st.lists(TAGS, min_size=n, max_size=n), st.lists(TAGS, min_size=n, max_size=n)
            )
        ),
        min_size=1,
        max_size=6,
    )
)
@settings(max_examples=300)
def test_agrees_with_seqeval(docs) -> None:
    gold = [g for g, _ in docs]
    pred = [p for _, p in docs]
    scheme = IOB()
    ours = ner_scores(
        ([(s.start, s.end, s.label) for s in scheme.decode(g)] for g in gold),
        ([(s.start, s.end, s.label) for s in scheme.decode(p)] for p in pred),
    )
    assert ours.precision == pytest.approx(seqeval_metrics.precision_score(gold, pred))
    assert ours.recall == pytest.approx(seqeval_metrics.recall_score(gold, pred))
    assert ours.f1 == pytest.approx(seqeval_metrics.f1_score(gold, pred))


def test_ner_scores_by_hand() -> None:
    gold = [[(0, 2, "PER"), (5, 6, "LOC")], [(1, 3, "ORG")]]
    pred = [[(0, 2, "PER"), (5, 7, "LOC")], [(1, 3, "ORG"), (4, 5, "PER")]]
    scores = ner_scores(gold, pred)
    assert (scores.precision, scores.recall) == (0.5, 2 / 3)
    assert scores.per_label["PER"] == PRF(0.5, 1.0, 2 / 3, 1)
    assert scores.per_label["LOC"] == PRF(0.0, 0.0, 0.0, 1)
    with pytest.raises(ValueError):
        ner_scores([[]], [])


def test_classification_scores_by_hand() -> None:
    gold = ["a", "a", "b", "c"]
    pred = ["a", "b", "b", "b"]
    scores = classification_scores(gold, pred, ["a", "b", "c"])
    assert scores.accuracy == 0.5
    assert scores.per_class["a"] == PRF(1.0, 0.5, 2 / 3, 2)
    assert scores.per_class["b"] == PRF(1 / 3, 1.0, 0.5, 1)
    assert scores.per_class["c"] == PRF(0.0, 0.0, 0.0, 1)
    assert scores.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)
    assert scores.confusion["a"] == {"a": 1, "b": 1, "c": 0}
