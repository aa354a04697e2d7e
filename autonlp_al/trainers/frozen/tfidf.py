"""``TfidfTrainer``: logistic regression on TF-IDF (scikit-learn) for text classification,
alone or side by side with a frozen encoder's vectors (the combination measured best on BBC
News: see docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._optional import require
from ...metrics import evaluate
from ...registry import trainers
from ...report import Report
from ...types import Example, check_labels
from ..base import Model
from .embedding import _label_map, _need
from .encoder import FrozenEncoder
from .model import LinearHead, LinearModel, TextFeatures, class_targets

__all__ = ["TfidfTrainer"]


def _optional_encoder(value: Any) -> FrozenEncoder | None:
    if value is None or isinstance(value, FrozenEncoder):
        return value
    return FrozenEncoder(model=value)


@trainers.register("tfidf.v1")
@attrs.define(kw_only=True)
class TfidfTrainer:
    """TF-IDF (word n-grams, sublinear term frequency, fitted on each round's training texts)
    plus, if ``encoder`` is given, its pooled vectors, into one logistic regression.

    Args:
        encoder: a :class:`FrozenEncoder` (or a local folder) whose vectors join the TF-IDF.
        embedding_weight: the scale of the (L2-normalised) embedding block against the
            (L2-normalised) TF-IDF block.
        ngrams: the n-gram range, e.g. ``[1, 2]``.
        min_df: drop n-grams in fewer training texts than this.
        c: inverse regularisation strength.
        task: only ``"textcat"``.
    """

    encoder: FrozenEncoder | None = attrs.field(default=None, converter=_optional_encoder)
    embedding_weight: float = 0.5
    ngrams: tuple[int, int] = attrs.field(default=(1, 2), converter=tuple)
    min_df: int = 1
    c: float = 10.0
    task: str = attrs.field(default="textcat", validator=attrs.validators.in_(("textcat",)))
    report: Report = attrs.field(factory=Report)

    def train(
        self,
        train: Sequence[Example],
        *,
        eval: Sequence[Example] = (),
        labels: Sequence[str],
        init: Model | None = None,
    ) -> LinearModel:
        labels = _label_map(labels, init)
        for example in train:
            check_labels(example, labels)
        texts, targets = class_targets(train, labels, self.report)
        _need(targets, len(train), self.report)
        text = require("sklearn.feature_extraction.text", "selector")
        vectorizer = text.TfidfVectorizer(
            ngram_range=self.ngrams, sublinear_tf=True, min_df=self.min_df
        )
        try:
            vectorizer.fit(texts)
        except ValueError:  # no n-gram at all (texts of punctuation): fit on a placeholder
            vectorizer = text.TfidfVectorizer(ngram_range=self.ngrams, sublinear_tf=True)
            vectorizer.fit(["empty"])
        features = TextFeatures(
            encoder=self.encoder, tfidf=vectorizer, embedding_weight=self.embedding_weight
        )
        # no warm start: each round's vocabulary, and so each weight's meaning, is new
        head = LinearHead.fit(features(texts), targets, labels, c=self.c)
        model = LinearModel(task="textcat", labels=labels, head=head, features=features)
        if eval:
            model.metrics = evaluate(model, eval).as_dict()
        return model

    def load(self, path: str | Path) -> LinearModel:
        return LinearModel.load(path, encoder=self.encoder)
