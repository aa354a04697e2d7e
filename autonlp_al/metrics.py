"""Evaluation: entity-level P/R/F1 (exact span match, conlleval semantics) and classification scores.

Pure Python: no numpy, torch or sklearn needed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ._progress import predict
from .errors import LabelError, TrainingError
from .types import Example

__all__ = [
    "PRF",
    "ClassScores",
    "NerScores",
    "classification_scores",
    "evaluate",
    "main_score",
    "ner_scores",
]


@attrs.frozen
class PRF:
    """Precision, recall, F1 and support (the number of gold items)."""

    precision: float
    recall: float
    f1: float
    support: int

    @classmethod
    def from_counts(cls, tp: int, n_pred: int, n_gold: int) -> PRF:
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, n_gold)


@attrs.frozen
class NerScores:
    """Micro-averaged entity scores and per-label scores."""

    precision: float
    recall: float
    f1: float
    per_label: dict[str, PRF]

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


Entity = tuple[int, int, str]


def ner_scores(gold: Iterable[Iterable[Entity]], pred: Iterable[Iterable[Entity]]) -> NerScores:
    """Exact-match entity scores over aligned documents.

    ``gold`` and ``pred`` hold, per document, ``(start, end, label)`` triples (character or token
    offsets, as long as both use the same). An entity counts as correct only if start, end and label
    all match, as in conlleval and seqeval's default mode.
    """
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for gold_doc, pred_doc in zip(gold, pred, strict=True):
        g = {(start, end, label) for start, end, label in gold_doc}
        p = {(start, end, label) for start, end, label in pred_doc}
        n_gold.update(e[2] for e in g)
        n_pred.update(e[2] for e in p)
        tp.update(e[2] for e in g & p)
    micro = PRF.from_counts(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    labels = sorted(set(n_gold) | set(n_pred))
    per_label = {lab: PRF.from_counts(tp[lab], n_pred[lab], n_gold[lab]) for lab in labels}
    return NerScores(micro.precision, micro.recall, micro.f1, per_label)


@attrs.frozen
class ClassScores:
    """Accuracy, macro-F1, per-class scores, and the confusion matrix ``confusion[gold][pred]``."""

    accuracy: float
    macro_f1: float
    per_class: dict[str, PRF]
    confusion: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, float]:
        return {"accuracy": self.accuracy, "macro_f1": self.macro_f1}


def classification_scores(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = ()
) -> ClassScores:
    """Scores for single-label classification; ``labels`` fixes the order (default: sorted)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    names = list(labels) or sorted(set(gold) | set(pred))
    confusion = {g: dict.fromkeys(names, 0) for g in names}
    for g, p in zip(gold, pred, strict=True):
        confusion.setdefault(g, dict.fromkeys(names, 0)).setdefault(p, 0)
        confusion[g][p] += 1
    per_class = {}
    for name in names:
        tp = confusion.get(name, {}).get(name, 0)
        n_pred = sum(row.get(name, 0) for row in confusion.values())
        n_gold = sum(confusion.get(name, {}).values())
        per_class[name] = PRF.from_counts(tp, n_pred, n_gold)
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    macro = sum(s.f1 for s in per_class.values()) / len(per_class) if per_class else 0.0
    return ClassScores(accuracy, macro, per_class, confusion)


def main_score(scores: NerScores | ClassScores) -> float:
    """The one number a model is ranked by: entity F1 for NER, accuracy for classification."""
    return float(scores.f1 if isinstance(scores, NerScores) else scores.accuracy)


def evaluate(model: Any, examples: Iterable[Example]) -> NerScores | ClassScores:
    """Score a model (anything with ``task``, ``labels`` and ``predict``) on gold examples.

    NER needs complete annotations (a partial ner.teach example cannot say what was missed); text
    classification uses each example's first label and leaves unlabelled examples out.
    """
    examples = list(examples)
    known = set(model.labels)
    if model.task == "ner":
        for example in examples:
            if not example.complete:
                raise TrainingError(
                    f"{example.origin or 'an eval example'}: partial annotation (e.g. ner.teach) "
                    f"cannot be scored; evaluate on complete (manual or gold) annotations"
                )
            for span in example.spans:
                if span.label not in known:
                    raise LabelError(
                        f"{example.origin or 'an eval example'}: entity label {span.label!r} is "
                        f"not one the model knows ({sorted(known)}); retrain with it or drop it"
                    )
        predictions = predict(model, examples)
        return ner_scores(
            ([(s.start, s.end, s.label) for s in e.spans] for e in examples),
            ([(s.start, s.end, s.label) for s in p.spans] for p in predictions),
        )
    labelled = [e for e in examples if e.labels]
    for example in labelled:
        if example.labels[0] not in known:
            raise LabelError(
                f"{example.origin or 'an eval example'}: class {example.labels[0]!r} is not one "
                f"the model knows ({sorted(known)}); retrain with it or drop the example"
            )
    predictions = predict(model, labelled)
    return classification_scores(
        [e.labels[0] for e in labelled], [p.label or "" for p in predictions], model.labels
    )
