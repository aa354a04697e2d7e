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
from ...types import check_labels
from ..base import Examples, Labels, Model
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
    """TF-IDF (word n-grams, sublinear term frequency) plus, if ``encoder`` is given, its pooled
    vectors, into one logistic regression.

    The TF-IDF vocabulary and document frequencies come from each round's training texts, or,
    with ``pool_vocabulary``, from the whole pool (:meth:`fit_pool`, called by the learner once
    before the first round), so every round reads the same features and the head warm-starts
    from the last round's. On BBC News the pool's vocabulary gave no better accuracy at 170
    labels in an exploratory run (docs/benchmarks.md), hence off by default.

    Args:
        encoder: a :class:`FrozenEncoder` (or a local folder) whose vectors join the TF-IDF.
        embedding_weight: the scale of the (L2-normalised) embedding block against the
            (L2-normalised) TF-IDF block.
        embedding_ramp: below this many labelled texts the embedding block weighs
            ``embedding_weight * embedding_ramp / n``: a vocabulary fitted on a few texts
            misleads (on BBC, 20 labels: TF-IDF alone 24%, mpnet alone 80%, the two at weight
            0.5 42%, at the ramp's 2.5 77%), so the embedding carries the first rounds and
            TF-IDF joins as labels come (0: no ramp).
        ngrams: the n-gram range, e.g. ``[1, 2]``.
        pool_vocabulary: fit the vocabulary on the pool's texts instead of the training texts.
        min_df: with ``pool_vocabulary``, drop n-grams in fewer pool texts than this (a
            vocabulary fitted on a round's few training texts keeps every n-gram).
        c: inverse regularisation strength.
        balanced: weigh classes equally (each example by ``n / (classes * its class's
            count)``), so the head does not answer the labelled sample's majority class for
            everything at a few labels per class.
        task: only ``"textcat"``.
    """

    encoder: FrozenEncoder | None = attrs.field(default=None, converter=_optional_encoder)
    embedding_weight: float = 0.5
    embedding_ramp: int = 100
    ngrams: tuple[int, int] = attrs.field(default=(1, 2), converter=tuple)
    pool_vocabulary: bool = False
    min_df: int = 2
    c: float = 10.0
    balanced: bool = True
    task: str = attrs.field(default="textcat", validator=attrs.validators.in_(("textcat",)))
    report: Report = attrs.field(factory=Report)
    _pool_vectorizer: Any = attrs.field(init=False, default=None, repr=False)

    def fit_pool(self, texts: Sequence[str]) -> None:
        """With ``pool_vocabulary``: fit the TF-IDF vocabulary on the pool's texts (every round
        then uses it); otherwise nothing."""
        if self.pool_vocabulary:
            self._pool_vectorizer = self._fit(list(texts), min_df=self.min_df)

    def _fit(self, texts: list[str], *, min_df: int = 1) -> Any:
        text = require("sklearn.feature_extraction.text", "selector")
        vectorizer = text.TfidfVectorizer(ngram_range=self.ngrams, sublinear_tf=True, min_df=min_df)
        try:
            vectorizer.fit(texts)
        except ValueError:  # no n-gram at all (texts of punctuation, or too few): a placeholder
            vectorizer = text.TfidfVectorizer(ngram_range=self.ngrams, sublinear_tf=True)
            vectorizer.fit(["empty"])
        return vectorizer

    def train(
        self, train: Examples, *, eval: Examples = (), labels: Labels, init: Model | None = None
    ) -> LinearModel:
        labels = _label_map(labels, init)
        for example in train:
            check_labels(example, labels)
        texts, targets = class_targets(train, labels, self.report)
        _need(targets, len(train), self.report)
        vectorizer = self._pool_vectorizer or self._fit(texts)
        weight = self.embedding_weight * max(1.0, self.embedding_ramp / max(len(texts), 1))
        features = TextFeatures(encoder=self.encoder, tfidf=vectorizer, embedding_weight=weight)
        head = LinearHead.fit(
            features(texts),
            targets,
            labels,
            c=self.c,
            init=self._start(init),
            balanced=self.balanced,
        )
        model = LinearModel(task="textcat", labels=labels, head=head, features=features)
        if eval:
            model.metrics = evaluate(model, eval).as_dict()
        return model

    def _start(self, init: Model | None) -> LinearHead | None:
        """The last round's head, when it read the very same features (the pool's vocabulary
        and the same encoder); a vocabulary fitted on each round's texts is new each round."""
        if not (isinstance(init, LinearModel) and self._pool_vectorizer is not None):
            return None
        tfidf = init.features.tfidf
        same_encoder = (init.features.encoder is None) == (self.encoder is None) and (
            self.encoder is None
            or init.features.encoder is None
            or init.features.encoder.fingerprint == self.encoder.fingerprint
        )
        if tfidf is None or not same_encoder:
            return None
        if tfidf.vocabulary_ != self._pool_vectorizer.vocabulary_:
            return None
        return init.head

    def load(self, path: str | Path) -> LinearModel:
        return LinearModel.load(path, encoder=self.encoder)
