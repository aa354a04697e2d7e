"""``EmbeddingTrainer``: a linear head on a frozen encoder's cached vectors, for text
classification (one pooled vector per text) and NER (one vector per word, per-word tag
marginals). The cheap selector of a two-model loop: its vectors are computed once per pool text,
so a round's training and scoring are a logistic regression and a matrix product."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._optional import require
from ...converters import Alignment
from ...errors import TrainingError
from ...metrics import evaluate
from ...registry import trainers
from ...report import Report
from ...types import check_labels
from ..base import Examples, Labels, Model
from ..supervision import NerSupervision
from .encoder import FrozenEncoder
from .model import LinearHead, LinearModel, TextFeatures, class_targets

__all__ = ["EmbeddingTrainer"]


def _encoder(value: Any) -> FrozenEncoder:
    return value if isinstance(value, FrozenEncoder) else FrozenEncoder(model=value)


@trainers.register("embedding.v1")
@attrs.define(kw_only=True)
class EmbeddingTrainer:
    """Logistic regression on ``encoder``'s frozen vectors.

    Args:
        encoder: a :class:`FrozenEncoder` (or a local encoder folder, opened with its defaults).
        task: ``"textcat"`` (pooled text vectors) or ``"ner"`` (word vectors, IOB2 tags).
        c: inverse regularisation strength of the logistic regression.
        balanced: weigh classes equally (each example by ``n / (classes * its class's
            count)``); default: for textcat, not for NER (where "O" is most words and should
            stay so).
        alignment: NER: the policy for spans off token boundaries (see ``Converter``).
        window: NER: also read the vectors of this many words either side of each word
            (default 1 for NER).
        shape: NER: add word-shape features (capitalised, all caps, digits, punctuation, first
            in the sentence, inner capital): an uncased encoder cannot tell "Apple" from "apple"
            (default on for NER). With both, the CoNLL-2003 selector's F1 went from 0.55 to
            0.67-0.68 at 1,900 labelled sentences (docs/benchmarks.md).
        sequence: NER: make the token marginals IOB2-consistent by forward-backward over the
            head's per-word probabilities (what the strategies score and the spans decode;
            default on for NER: with it the CoNLL selector's F1 rose by 4 to 6 more points).
    """

    encoder: FrozenEncoder = attrs.field(converter=_encoder)
    task: str = attrs.field(validator=attrs.validators.in_(("ner", "textcat")))
    c: float = 10.0
    balanced: bool | None = None
    alignment: Alignment = attrs.field(default=Alignment.STRICT, converter=Alignment)
    window: int = attrs.field(default=None, converter=attrs.converters.optional(int))
    shape: bool = attrs.field(default=None, converter=attrs.converters.optional(bool))
    sequence: bool = attrs.field(default=None, converter=attrs.converters.optional(bool))
    report: Report = attrs.field(factory=Report)

    def __attrs_post_init__(self) -> None:
        if self.task != "ner":
            if self.window or self.shape or self.sequence:
                raise TrainingError(
                    "window, shape and sequence are about a NER selector's words; a textcat "
                    "head reads one vector per text: leave them out"
                )
            self.window, self.shape, self.sequence = 0, False, False
            return
        self.window = 1 if self.window is None else self.window
        self.shape = True if self.shape is None else self.shape
        self.sequence = True if self.sequence is None else self.sequence
        if self.window < 0:
            raise TrainingError(f"window must be 0 or more words, got {self.window}")

    def train(
        self, train: Examples, *, eval: Examples = (), labels: Labels, init: Model | None = None
    ) -> LinearModel:
        """Fit the head, starting from ``init``'s when it is a head on the same vectors (the
        label order of ``init`` is kept either way)."""
        labels = _label_map(labels, init)
        for example in train:
            check_labels(example, labels)
        np = require("numpy", "local")
        if self.task == "textcat":
            texts, targets = class_targets(train, labels, self.report)
            _need(targets, len(train), self.report)
            features = TextFeatures(encoder=self.encoder)
            head = LinearHead.fit(
                features(texts),
                targets,
                labels,
                c=self.c,
                init=self._start(init),
                balanced=self.balanced is not False,
            )
        else:
            supervision = NerSupervision(
                labels=labels,
                tokenizer=self.encoder.tokenizer,  # the words the model will read
                alignment=self.alignment,
                report=self.report,
            )
            tags = supervision.tags
            words, word_targets = supervision.tag_ids(train, tags=tags, unknown=-1)  # "-": -1
            features = TextFeatures(encoder=self.encoder, window=self.window, shape=self.shape)
            vectors = features.words(self.encoder.word_vectors(words), words)
            flat = np.asarray([t for sentence in word_targets for t in sentence], dtype=np.int64)
            known = flat >= 0
            _need(list(flat[known]), len(train), self.report)
            x = np.concatenate(vectors)[known] if len(flat) else np.zeros((0, self.encoder.dim))
            head = LinearHead.fit(
                x,
                flat[known].tolist(),
                tags,
                c=self.c,
                init=self._start(init),
                balanced=bool(self.balanced),
            )
        model = LinearModel(
            task=self.task, labels=labels, head=head, features=features, sequence=self.sequence
        )
        if eval:
            model.metrics = evaluate(model, eval).as_dict()
        return model

    def _start(self, init: Model | None) -> LinearHead | None:
        """The previous round's head, when it read the same encoder's vectors: the refit starts
        from it and converges in a few iterations (a head over other classes starts afresh)."""
        if (
            isinstance(init, LinearModel)
            and init.task == self.task
            and init.features.tfidf is None
            and init.features.encoder is not None
            and init.features.encoder.fingerprint == self.encoder.fingerprint
            and (init.features.window, init.features.shape) == (self.window, self.shape)
        ):
            return init.head
        return None

    def load(self, path: str | Path) -> LinearModel:
        """A model folder :meth:`LinearModel.save` wrote, with this trainer's encoder."""
        return LinearModel.load(path, encoder=self.encoder)


def _label_map(labels: Sequence[str], init: Model | None) -> list[str]:
    labels = list(dict.fromkeys(labels))
    if not labels:
        raise TrainingError("labels is empty; pass the label set, e.g. labels=['PER', 'ORG']")
    if init is not None and labels[: len(init.labels)] != list(init.labels):
        from ...errors import LabelError

        raise LabelError(
            f"labels {labels} would reorder the previous model's labels {list(init.labels)}; keep "
            f"them first and in that order (new labels may only be appended)"
        )
    return labels


def _need(targets: Sequence[int], n: int, report: Report) -> None:
    if not len(targets):
        raise TrainingError(
            f"no usable training examples among {n} (skipped: "
            f"{dict(report.skipped) or 'none'}); label some examples first"
        )
