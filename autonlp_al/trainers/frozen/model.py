"""``LinearModel``: a linear head (multinomial logistic regression) on frozen features, the
cheap selection model: trained in well under a second per round on cached vectors.

Text classification reads one feature row per text: the encoder's pooled vector, TF-IDF, or
both side by side (each block L2-normalised, the embedding block scaled by ``embedding_weight``).
NER reads one row per word (the encoder's token vectors) and gives per-word tag marginals, so
every NER strategy (MNLP, token entropy...) runs on it unchanged.

A class the head never saw in training gets probability 0 (a selector trained before any example
of a label arrived cannot predict it; the final model, trained on the same labels, can).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._optional import require
from ...errors import ModelLoadError, StrategyError
from ...types import Example, Prediction, _str_tuple
from ..base import Item
from ..predictions import class_predictions, item_text, span_predictions
from .encoder import FrozenEncoder

__all__ = [
    "SHAPES",
    "LinearHead",
    "LinearModel",
    "TextFeatures",
    "iob_marginals",
    "iob_marginals_many",
    "word_shapes",
]

METADATA = "autonlp_al.json"
KIND = "linear.v1"


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


@attrs.define(kw_only=True, eq=False)
class LinearHead:
    """Softmax over ``classes`` from ``coef`` / ``intercept`` for the ``seen`` columns (the
    classes present in training, in order); unseen classes get probability 0."""

    classes: tuple[str, ...] = attrs.field(converter=_str_tuple)
    seen: tuple[int, ...] = attrs.field(converter=_int_tuple)
    coef: Any  # (len(seen), dim), or (0, dim) with one class seen
    intercept: Any

    @classmethod
    def fit(
        cls,
        x: Any,
        y: Sequence[int],
        classes: Sequence[str],
        *,
        c: float,
        init: LinearHead | None = None,
        max_iter: int = 300,
        balanced: bool = False,
    ) -> LinearHead:
        """Multinomial logistic regression with an L2 penalty (``0.5 |W|^2 + c * sum of the
        cross-entropies``, the intercept unpenalised; scikit-learn's objective), fitted by
        L-BFGS on float32 products.
        ``balanced``: weigh each example by ``n / (classes * its class's count)``
        (scikit-learn's ``class_weight="balanced"``), so the unpenalised intercept does not
        learn the labelled sample's class shares: with a handful of labels per class the
        shrunk weights cannot outvote it, and every prediction became the majority class
        (issue 29: BBC fell from 73% at 10 labels to 22% at 20).
        ``init``: a head over the same classes to start from (the last round's: a refit then
        takes a few iterations)."""
        np = require("numpy", "local")
        optimize = require("scipy.optimize", "selector")
        targets = np.asarray(y, dtype=np.int64)
        seen = sorted(set(targets.tolist()))
        dim = x.shape[1]
        if len(seen) < 2:  # one class: it is the only answer the head can give
            return cls(classes=classes, seen=seen, coef=np.zeros((0, dim)), intercept=np.zeros(0))
        k = len(seen)
        column = {label: i for i, label in enumerate(seen)}
        onehot = np.zeros((len(targets), k), dtype=np.float32)
        onehot[np.arange(len(targets)), [column[t] for t in targets.tolist()]] = 1.0
        if balanced:  # the weight sits in the one-hot rows: cross-entropy and gradient scale
            counts = onehot.sum(axis=0)
            onehot *= (len(targets) / (k * counts))[None, :].astype(np.float32)
        features = x.astype(np.float32) if hasattr(x, "tocsr") else np.asarray(x, np.float32)

        # the objective divided by c * n (same minimum): the mean cross-entropy plus
        # |W|^2 / (2 c n), so the solver's tolerances mean the same for 50 texts and 50,000 words
        scale = 1.0 / len(targets)
        penalty = scale / c

        weight = onehot.sum(axis=1, keepdims=True)  # 1, or the example's class weight

        def loss_and_gradient(w: Any) -> tuple[float, Any]:
            weights = w[: dim * k].reshape(k, dim)
            logits = np.asarray(features @ weights.T.astype(np.float32)) + w[dim * k :]
            logits -= logits.max(axis=1, keepdims=True)
            normaliser = np.log(np.exp(logits).sum(axis=1, keepdims=True))
            loss = scale * float((weight * normaliser).sum() - (logits * onehot).sum())
            residual = (weight * np.exp(logits - normaliser) - onehot).astype(np.float32)
            grad_w = scale * np.asarray(features.T @ residual, dtype=np.float64).T
            grad_w += penalty * weights
            grad_b = scale * residual.sum(axis=0, dtype=np.float64)
            loss += 0.5 * penalty * float((weights * weights).sum())
            return loss, np.concatenate([grad_w.ravel(), grad_b])

        start = np.zeros(k * dim + k)
        if init is not None and list(init.seen) == seen and init.coef.shape == (k, dim):
            start = np.concatenate([np.ravel(init.coef), init.intercept])
        result = optimize.minimize(
            loss_and_gradient, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
        )
        return cls(
            classes=classes,
            seen=seen,
            coef=result.x[: dim * k].reshape(k, dim),
            intercept=result.x[dim * k :],
        )

    def probabilities(self, x: Any) -> Any:
        """``(n, len(classes))`` probabilities, rows summing to 1."""
        np = require("numpy", "local")
        n = x.shape[0]
        out = np.zeros((n, len(self.classes)), dtype=np.float32)
        if len(self.seen) == 1:
            out[:, self.seen[0]] = 1.0
            return out
        if not self.seen:
            return out
        logits = np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        out[:, list(self.seen)] = p
        return out

    def arrays(self) -> dict[str, Any]:
        np = require("numpy", "local")
        return {"coef": self.coef, "intercept": self.intercept, "seen": np.asarray(self.seen)}


#: word-shape features of a NER selector's words (all-MiniLM-L6-v2 is uncased: "apple" and
#: "Apple" get one vector, so casing is added back as features)
SHAPES = ("title", "upper", "digit", "punct", "first", "inner_cap")


def word_shapes(words: Sequence[str]) -> Any:
    """``(n_words, len(SHAPES))`` 0/1 features of each word's form and place."""
    np = require("numpy", "local")
    rows = [
        (
            w[:1].isupper(),
            len(w) > 1 and w.isupper(),
            any(ch.isdigit() for ch in w),
            not any(ch.isalnum() for ch in w),
            i == 0,
            not w.isupper() and any(ch.isupper() for ch in w[1:]),
        )
        for i, w in enumerate(words)
    ]
    return np.asarray(rows, dtype=np.float32).reshape(len(words), len(SHAPES))


def iob_transitions(tags: Sequence[str]) -> tuple[Any, Any]:
    """IOB2's constraints as 0/1 arrays: which tags may start a sentence, and
    ``allowed[previous, next]`` (``I-X`` only after ``B-X`` or ``I-X``)."""
    np = require("numpy", "local")
    k = len(tags)
    allowed = np.ones((k, k), dtype=np.float64)
    start = np.ones(k, dtype=np.float64)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            start[j] = 0.0
            allowed[:, j] = [float(t in (f"B-{tag[2:]}", tag)) for t in tags]
    return start, allowed


def iob_marginals(probs: Any, tags: Sequence[str]) -> Any:
    """``probs`` (one sentence's ``(n_words, n_tags)`` per-word tag probabilities) made
    sequence-consistent: forward-backward over them with the IOB2 transitions (``I-X`` only
    after ``B-X`` or ``I-X``, never first), so a word's marginal counts only the tag sequences
    that decode to spans. Rows sum to 1; a row of all-forbidden tags keeps the input row."""
    np = require("numpy", "local")
    n, k = probs.shape
    if not n:
        return probs
    start, allowed = iob_transitions(tags)
    p = np.asarray(probs, dtype=np.float64) + 1e-12
    forward = np.empty((n, k))
    forward[0] = p[0] * start
    forward[0] /= forward[0].sum()
    for t in range(1, n):
        forward[t] = p[t] * (forward[t - 1] @ allowed)
        forward[t] /= forward[t].sum()
    backward = np.empty((n, k))
    backward[-1] = 1.0
    for t in range(n - 2, -1, -1):
        backward[t] = allowed @ (p[t + 1] * backward[t + 1])
        backward[t] /= backward[t].sum()
    out = forward * backward
    out /= out.sum(axis=1, keepdims=True)
    return out.astype(np.float32)


def iob_marginals_many(blocks: Sequence[Any], tags: Sequence[str]) -> list[Any]:
    """:func:`iob_marginals` of many sentences at once: padded to the longest, one array
    operation per word position instead of one per word (padding is read through an
    unconstrained transition, so it changes no real word's marginal)."""
    np = require("numpy", "local")
    lengths = np.asarray([len(b) for b in blocks])
    if not len(blocks) or not lengths.max(initial=0):
        return [np.asarray(b, dtype=np.float32) for b in blocks]
    k = len(tags)
    start, allowed = iob_transitions(tags)
    n, width = len(blocks), int(lengths.max())
    p = np.ones((width, n, k), dtype=np.float64)
    for i, block in enumerate(blocks):
        p[: len(block), i] = np.asarray(block, dtype=np.float64) + 1e-12
    forward = np.empty_like(p)
    forward[0] = p[0] * start
    forward[0] /= forward[0].sum(axis=1, keepdims=True)
    for t in range(1, width):
        forward[t] = p[t] * (forward[t - 1] @ allowed)
        forward[t] /= forward[t].sum(axis=1, keepdims=True)
    backward = np.ones_like(p)
    for t in range(width - 2, -1, -1):
        inside = (t + 1 < lengths)[:, None]  # the next word is a real one
        step = (p[t + 1] * backward[t + 1]) @ allowed.T
        backward[t] = np.where(inside, step / step.sum(axis=1, keepdims=True), 1.0)
    both = forward * backward
    both /= both.sum(axis=2, keepdims=True)
    return [both[: len(block), i].astype(np.float32) for i, block in enumerate(blocks)]


@attrs.define(kw_only=True, eq=False)
class TextFeatures:
    """One row per text: TF-IDF (a fitted sklearn ``TfidfVectorizer``), the encoder's vectors,
    or both, each block L2-normalised, the embedding block times ``embedding_weight``.

    For NER, one row per word (:meth:`words`): the word's vector, with ``window`` the vectors of
    the ``window`` words either side (zeros past the sentence's ends), with ``shape`` the
    word-shape features (:data:`SHAPES`) of the word and of those neighbours."""

    encoder: FrozenEncoder | None = None
    tfidf: Any = None
    embedding_weight: float = 1.0
    window: int = 0
    shape: bool = False

    def words(self, vectors: Sequence[Any], words: Sequence[Sequence[str]]) -> list[Any]:
        """Per sentence, its words' feature rows, from the encoder's ``(n_words, dim)``
        ``vectors`` and the ``words`` themselves (built for all sentences at once)."""
        if (not self.window and not self.shape) or not vectors:
            return list(vectors)
        np = require("numpy", "local")
        lengths = [len(v) for v in vectors]
        block = np.concatenate([np.asarray(v, dtype=np.float32) for v in vectors])
        if self.shape:
            shapes = np.concatenate([word_shapes(list(w)) for w in words], dtype=np.float32)
            block = np.concatenate([block, shapes], axis=1)
        parts = [block]
        if self.window:
            position = np.concatenate([np.arange(n) for n in lengths])
            remaining = np.concatenate([np.arange(n)[::-1] for n in lengths])  # words after
            for offset in range(1, self.window + 1):
                before = np.zeros_like(block)
                before[offset:] = block[:-offset]
                before[position < offset] = 0.0  # past the sentence's start
                after = np.zeros_like(block)
                after[:-offset] = block[offset:]
                after[remaining < offset] = 0.0  # past its end
                parts += [before, after]
        rows = np.concatenate(parts, axis=1) if len(parts) > 1 else block
        bounds = np.cumsum([0, *lengths])
        return [rows[bounds[i] : bounds[i + 1]] for i in range(len(lengths))]

    def __call__(self, texts: Sequence[str]) -> Any:
        np = require("numpy", "local")
        blocks: list[Any] = []
        if self.tfidf is not None:
            blocks.append(self.tfidf.transform(texts))  # rows already L2-normalised
        if self.encoder is not None:
            blocks.append(self.encoder.embed(texts) * self.embedding_weight)
        if len(blocks) == 1:
            return blocks[0]
        sparse = require("scipy.sparse", "selector")
        return sparse.hstack([blocks[0], sparse.csr_matrix(np.asarray(blocks[1]))], format="csr")

    def describe(self) -> dict[str, Any]:
        out = {
            "encoder": self.encoder.settings() if self.encoder is not None else None,
            "tfidf": self.tfidf is not None,
            "embedding_weight": self.embedding_weight,
        }
        if self.window:  # only when set, so the heads saved before keep their fingerprints
            out["window"] = self.window
        if self.shape:
            out["shape"] = True
        return out


@attrs.define(kw_only=True, eq=False)
class LinearModel:
    """A :class:`LinearHead` on frozen features: a :class:`~autonlp_al.trainers.Model` with
    class probabilities (textcat) or token marginals (ner), and embeddings when it has an
    encoder (for the diversity strategies)."""

    task: str
    labels: tuple[str, ...] = attrs.field(converter=_str_tuple)
    head: LinearHead
    features: TextFeatures
    version: str = ""
    metrics: dict[str, float] = attrs.field(factory=dict)
    #: NER: token marginals made IOB2-consistent by forward-backward (:func:`iob_marginals`)
    sequence: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.version:
            self.version = self._fingerprint()

    @property
    def tags(self) -> tuple[str, ...]:
        return self.head.classes if self.task == "ner" else ()

    def _fingerprint(self) -> str:
        digest = hashlib.blake2b(digest_size=8)
        described = [self.task, list(self.labels), self.features.describe()]
        if self.sequence:
            described.append("sequence")
        digest.update(json.dumps(described).encode())
        for array in self.head.arrays().values():
            digest.update(require("numpy", "local").ascontiguousarray(array).tobytes())
        if self.features.tfidf is not None:
            digest.update(json.dumps(sorted(self.features.tfidf.vocabulary_.items())).encode())
        return digest.hexdigest()

    # -- capabilities -------------------------------------------------------------------------

    def class_probabilities(self, items: Iterable[Item]) -> Any:
        """``(n_items, n_labels)``, columns in ``labels`` order."""
        if self.task != "textcat":
            raise StrategyError(
                f"class probabilities come from a textcat model, and this one is {self.task}; "
                f"use a strategy for {self.task} (mnlp, token entropy, ...)"
            )
        texts = [item_text(item) for item in items]
        if not texts:
            return require("numpy", "local").zeros((0, len(self.labels)), dtype="float32")
        return self.head.probabilities(self.features(texts))

    def token_marginals(self, items: Iterable[Item]) -> list[Any]:
        """Per item, ``(n_words, n_tags)`` tag probabilities, columns in ``tags`` order."""
        return self._marginals(list(items))[1]

    def _marginals(self, items: Sequence[Item]) -> tuple[list[Any], list[Any]]:
        np = require("numpy", "local")
        encoder = self._encoder("token marginals")
        if self.task != "ner":
            raise StrategyError(
                f"token marginals come from a ner model, and this one is {self.task}; use a "
                f"strategy for {self.task} (margin, entropy, ...)"
            )
        words = [encoder.words(item) for item in items]
        texts = [[t.text for t in w] for w in words]
        vectors = self.features.words(encoder.word_vectors(texts), texts)
        rows = [len(v) for v in vectors]
        if not sum(rows):
            return words, [np.zeros((0, len(self.tags)), dtype=np.float32) for _ in items]
        probs = self.head.probabilities(np.concatenate(vectors))
        bounds = np.cumsum([0, *rows])
        out = [probs[bounds[i] : bounds[i + 1]] for i in range(len(items))]
        if self.sequence:
            out = iob_marginals_many(out, self.tags)
        return words, out

    def embed(self, items: Iterable[Item]) -> Any:
        """The encoder's ``(n_items, dim)`` L2-normalised text vectors (cached)."""
        return self._encoder("embeddings").embed(items)

    def _encoder(self, what: str) -> FrozenEncoder:
        if self.features.encoder is None:
            raise StrategyError(
                f"this TF-IDF model offers no {what}; give its trainer an encoder "
                f"(tfidf.v1 with [selector.encoder]) or use embedding.v1"
            )
        return self.features.encoder

    # -- predictions --------------------------------------------------------------------------

    def predict(self, items: Iterable[Item]) -> list[Prediction]:
        """Class scores, or entity spans scored by the mean probability of their words' tags."""
        items = list(items)
        if self.task == "textcat":
            return class_predictions(items, self.class_probabilities(items), self.labels)
        words, marginals = self._marginals(items)
        return span_predictions(items, words, marginals, self.tags)

    # -- persistence --------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """A folder with ``autonlp_al.json`` (task, labels, the encoder's settings), the head's
        arrays (``head.npz``) and the TF-IDF vocabulary (``tfidf.json``): no pickle."""
        np = require("numpy", "local")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        np.savez(path / "head.npz", **self.head.arrays())
        tfidf = self.features.tfidf
        if tfidf is not None:
            (path / "tfidf.json").write_text(
                json.dumps(
                    {
                        "vocabulary": {k: int(v) for k, v in tfidf.vocabulary_.items()},
                        "idf": [float(v) for v in tfidf.idf_],
                        "ngram_range": list(tfidf.ngram_range),
                        "sublinear_tf": bool(tfidf.sublinear_tf),
                    }
                ),
                encoding="utf-8",
            )
        metadata = {
            "kind": KIND,
            "task": self.task,
            "labels": list(self.labels),
            "classes": list(self.head.classes),
            "version": self.version,
            "metrics": self.metrics,
            **self.features.describe(),
            **({"sequence": True} if self.sequence else {}),
        }
        (path / METADATA).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path, *, encoder: FrozenEncoder | None = None) -> LinearModel:
        """Read a folder :meth:`save` wrote. The encoder is ``encoder`` if given (its
        fingerprint must match the saved one), else re-opened from the saved settings."""
        np = require("numpy", "local")
        path = Path(path)
        try:
            metadata = json.loads((path / METADATA).read_text(encoding="utf-8"))
            arrays = np.load(path / "head.npz")
            head = LinearHead(
                classes=metadata["classes"],
                seen=[int(v) for v in arrays["seen"]],
                coef=arrays["coef"],
                intercept=arrays["intercept"],
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(
                f"{path}: not a linear selection model folder ({type(exc).__name__}: {exc}); pass "
                f"a folder LinearModel.save wrote"
            ) from exc
        if metadata.get("kind") != KIND:
            raise ModelLoadError(
                f"{path}: {METADATA} names kind {metadata.get('kind')!r}, not {KIND!r}"
            )
        saved = metadata.get("encoder")
        if saved is not None:
            if encoder is None:
                encoder = FrozenEncoder(
                    model=saved["model"],
                    max_length=saved["max_length"],
                    windows=saved["windows"],
                    stride=saved["stride"],
                    lang=saved.get("lang", "en"),
                    layers=saved.get("layers", 1),
                )
            if encoder.fingerprint != saved["fingerprint"]:
                raise ModelLoadError(
                    f"{path}: the head was trained on encoder {saved['fingerprint']!r} "
                    f"({saved['model']}), and the encoder given is {encoder.fingerprint!r}; "
                    f"load it with the encoder it was trained with"
                )
        tfidf = None
        if metadata.get("tfidf"):
            tfidf = _tfidf(path / "tfidf.json")
        return cls(
            task=metadata["task"],
            labels=metadata["labels"],
            head=head,
            features=TextFeatures(
                encoder=encoder if saved is not None else None,
                tfidf=tfidf,
                embedding_weight=metadata.get("embedding_weight", 1.0),
                window=int(metadata.get("window", 0)),
                shape=bool(metadata.get("shape", False)),
            ),
            version=metadata.get("version", ""),
            metrics=metadata.get("metrics", {}),
            sequence=bool(metadata.get("sequence", False)),
        )


def class_targets(
    train: Sequence[Example], labels: Sequence[str], report: Any
) -> tuple[list[str], list[int]]:
    """The texts and label indices of single-label examples; the rest are counted skips."""
    index = {label: i for i, label in enumerate(labels)}
    texts, targets = [], []
    for example in train:
        if not example.labels:
            report.skip("no class label", example.origin, f"{example.text[:60]!r}")
        elif len(example.labels) > 1:
            report.skip(
                "several labels (multi-class training)",
                example.origin,
                f"{list(example.labels)}; the linear heads are single-label: use "
                f"transformers.v1 with multi_label=True",
            )
        else:
            texts.append(example.text)
            targets.append(index[example.labels[0]])
    return texts, targets


def _tfidf(path: Path) -> Any:
    np = require("numpy", "local")
    text = require("sklearn.feature_extraction.text", "selector")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        vectorizer = text.TfidfVectorizer(
            vocabulary=data["vocabulary"],
            ngram_range=tuple(data["ngram_range"]),
            sublinear_tf=data["sublinear_tf"],
        )
        vectorizer.idf_ = np.asarray(data["idf"], dtype=np.float64)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{path}: not a readable TF-IDF vocabulary ({exc})") from exc
    return vectorizer
