"""``TransformersModel``: a fine-tuned transformers model with its label map, ready to predict,
score a pool (probabilities, token marginals, embeddings), save and load."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._optional import require
from ...converters.iob import labels_from_tags, ner_tags
from ...converters.tokenize import SpacyTokenizer
from ...errors import ConfigError, ModelLoadError
from ...types import Example, Prediction, Token, _str_tuple
from ..base import Item
from ..predictions import class_predictions, item_text, item_words, span_predictions
from .features import Window, auto_class, central_positions, head_tail, pad_batch, word_windows

__all__ = [
    "METADATA_FILE",
    "PRECISIONS",
    "TransformersModel",
    "bf16_is_native",
    "quiet_transformers",
    "weights_fingerprint",
]

METADATA_FILE = "autonlp_al.json"
_FORMAT = 1
PRECISIONS = ("auto", "fp32", "bf16", "int8")


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' load reports (a fresh head is expected when fine-tuning) and its
    per-file progress bars ("Loading weights", "Writing model shards"), which interleave with
    ours in every round's output."""
    logging = require("transformers", "local").utils.logging
    level = logging.get_verbosity()
    bars = logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()


@attrs.define(kw_only=True, eq=False)
class TransformersModel:
    """A transformers model plus what autonlp_al needs to use it.

    Build one with :class:`~autonlp_al.trainers.TransformersTrainer` or :meth:`load`. ``labels`` are
    entity labels (``task="ner"``) or classes (``task="textcat"``); ``tags`` (NER) follow the
    model's ``id2label``.
    """

    model: Any
    tokenizer: Any
    task: str
    labels: tuple[str, ...] = attrs.field(converter=_str_tuple)
    tags: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    version: str = ""
    max_length: int = 256
    stride: int = 32
    multi_label: bool = False
    lang: str = "en"
    batch_size: int = 32
    metrics: dict[str, Any] = attrs.field(factory=dict)
    base_model: str = ""
    precision: str = attrs.field(default="auto", validator=attrs.validators.in_(PRECISIONS))
    #: the mean training loss of the last epoch this process trained (``None`` once loaded)
    train_loss: float | None = None
    _tokenize: SpacyTokenizer = attrs.field(init=False)
    _low_model: Any = attrs.field(init=False, default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        self._tokenize = SpacyTokenizer(self.lang)

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    @property
    def scoring_precision(self) -> str:
        """``fp32``, ``bf16`` or ``int8``: what scoring and predicting run in (``auto`` resolved:
        bf16 on GPUs that support it, fp32 on CPUs; see :func:`bf16_is_native`)."""
        if self.precision != "auto":
            return self.precision
        return "bf16" if bf16_is_native(self.device) else "fp32"

    def _inference_model(self) -> Any:
        """The model forward passes run on: the weights themselves for fp32; for bf16 a copy in
        bfloat16, for int8 a copy with int8 linear layers, made once (the fp32 weights stay as
        they are, for saving and training)."""
        precision = self.scoring_precision
        if precision == "fp32":
            return self.model
        if self._low_model is None:
            torch = require("torch", "local")
            if precision == "bf16":
                self._low_model = copy.deepcopy(self.model).to(torch.bfloat16)
            else:
                self._low_model = int8_linears(self.model)
        return self._low_model

    # -- inputs -------------------------------------------------------------------------------

    def words(self, item: Item) -> tuple[str, tuple[Token, ...]]:
        """The text and its non-whitespace tokens (an example's own tokens when it has them)."""
        return item_text(item), item_words(item, self._tokenize)

    def text_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Sub-word ids per text with special tokens, cut to ``max_length`` by head+tail."""
        if not texts:
            return []
        prefix, suffix = self._special_edges()
        budget = self.max_length - prefix - suffix
        with quiet_transformers():  # the full length is wanted here, before head+tail cutting
            encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=False)
        out = []
        for ids in encoded["input_ids"]:
            content = ids[prefix : len(ids) - suffix]
            out.append(ids[:prefix] + head_tail(content, budget) + ids[len(ids) - suffix :])
        return out

    def _special_edges(self) -> tuple[int, int]:
        """How many special tokens the tokenizer puts before and after a single text."""
        bare = self.tokenizer("x", add_special_tokens=False)["input_ids"]
        full = self.tokenizer("x", add_special_tokens=True)["input_ids"]
        for prefix in range(len(full) - len(bare) + 1):
            if full[prefix : prefix + len(bare)] == bare:
                return prefix, len(full) - len(bare) - prefix
        return 0, 0

    # -- forward passes -----------------------------------------------------------------------

    def _batches(self, sequences: Sequence[list[int]]) -> Iterator[tuple[list[int], Any, Any]]:
        """Length-sorted, dynamically padded batches: (indices, input_ids, attention_mask)."""
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            ids, mask = pad_batch([sequences[i] for i in index], self.tokenizer.pad_token_id)
            yield index, ids.to(self.device), mask.to(self.device)

    def _forward(
        self, sequences: Sequence[list[int]], *, embeddings: bool = False, dropout: bool = False
    ) -> tuple[list[Any], list[Any]]:
        """Per sequence: probabilities (float32 numpy) and, if asked, the mean-pooled last
        hidden state with the number of tokens pooled. ``dropout`` keeps dropout on (MC dropout)."""
        torch = require("torch", "local")
        probs: list[Any] = [None] * len(sequences)
        pooled: list[Any] = [None] * len(sequences)
        model = self._inference_model()
        model.train(dropout)
        with torch.inference_mode():
            for index, ids, mask in self._batches(sequences):
                out = model(input_ids=ids, attention_mask=mask, output_hidden_states=embeddings)
                logits = out.logits.float()
                p = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
                p = p.cpu().numpy()
                if embeddings:
                    hidden = out.hidden_states[-1].float()
                    weights = mask.unsqueeze(-1).float()
                    sums = (hidden * weights).sum(dim=1).cpu().numpy()
                    counts = mask.sum(dim=1).cpu().numpy()
                for row, i in enumerate(index):
                    probs[i] = p[row, : len(sequences[i])] if self.task == "ner" else p[row]
                    if embeddings:
                        pooled[i] = (sums[row], int(counts[row]))
        return probs, pooled

    def _ner_windows(self, items: Sequence[Item]) -> tuple[list[Any], list[Window]]:
        prepared = [self.words(item) for item in items]
        windows = word_windows(
            self.tokenizer,
            [[t.text for t in tokens] for _, tokens in prepared],
            max_length=self.max_length,
            stride=self.stride,
        )
        return prepared, windows

    def token_marginals(self, items: Iterable[Item]) -> list[Any]:
        """Per item, ``(n_words, n_tags)`` tag probabilities; a word the tokenizer drops entirely
        (no sub-words) gets ``O`` with probability 1."""
        if self.task != "ner":
            from ...errors import StrategyError

            raise StrategyError(
                f"token marginals come from a ner model, and this one is {self.task}; use a "
                f"strategy for {self.task} (margin, entropy, ...)"
            )
        return self._marginals(list(items))[1]

    def _marginals(
        self, items: Sequence[Item]
    ) -> tuple[list[Any], list[Any], list[Window], list[Any]]:
        np = require("numpy", "local")
        prepared, windows = self._ner_windows(items)
        probs, _ = self._forward([w.input_ids for w in windows])
        marginals = []
        for _, tokens in prepared:
            m = np.zeros((len(tokens), len(self.tags)), dtype=np.float32)
            m[:, self.tags.index("O")] = 1.0
            marginals.append(m)
        for item, word, window, position in central_positions(windows):
            marginals[item][word] = probs[window][position]
        return prepared, marginals, windows, probs

    def class_probabilities(self, items: Iterable[Item]) -> Any:
        """``(n_items, n_labels)`` class probabilities (sigmoid per class when multi-label)."""
        np = require("numpy", "local")
        texts = [item.text if isinstance(item, Example) else item for item in items]
        probs, _ = self._forward(self.text_ids(texts))
        return np.stack(probs) if probs else np.zeros((0, len(self.labels)), dtype=np.float32)

    def mc_class_probabilities(
        self, items: Iterable[Item], *, samples: int = 10, seed: int = 0
    ) -> Any:
        """``(samples, n_items, n_labels)`` class probabilities from forward passes with dropout
        left on (MC dropout, for BALD). Seeded, so the same call gives the same samples."""
        np = require("numpy", "local")
        torch = require("torch", "local")
        texts = [item.text if isinstance(item, Example) else item for item in items]
        ids = self.text_ids(texts)
        runs = []
        state = torch.random.get_rng_state()
        try:
            torch.manual_seed(seed)
            for _ in range(samples):
                probs, _ = self._forward(ids, dropout=True)
                runs.append(np.stack(probs) if probs else np.zeros((0, len(self.labels))))
        finally:
            torch.random.set_rng_state(state)
            self.model.eval()
        return np.stack(runs)

    def embed(self, items: Iterable[Item]) -> Any:
        """``(n_items, hidden)`` mean-pooled last-layer states, L2-normalised; NER items pool over
        all their windows."""
        np = require("numpy", "local")
        items = list(items)
        if self.task == "ner":
            _, windows = self._ner_windows(items)
            owners = [w.item for w in windows]
            _, pooled = self._forward([w.input_ids for w in windows], embeddings=True)
        else:
            texts = [item.text if isinstance(item, Example) else item for item in items]
            owners = list(range(len(texts)))
            _, pooled = self._forward(self.text_ids(texts), embeddings=True)
        dim = self.model.config.hidden_size
        sums = np.zeros((len(items), dim), dtype=np.float64)
        counts = np.zeros(len(items), dtype=np.float64)
        for owner, (vector, count) in zip(owners, pooled, strict=True):
            sums[owner] += vector
            counts[owner] += count
        vectors = sums / np.maximum(counts, 1)[:, None]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)

    # -- predictions --------------------------------------------------------------------------

    def predict(self, items: Iterable[Item]) -> list[Prediction]:
        """Entity spans with scores (mean top probability of their words), or class scores."""
        items = list(items)
        if self.task == "textcat":
            return class_predictions(items, self.class_probabilities(items), self.labels)
        prepared, marginals, _, _ = self._marginals(items)
        return span_predictions(items, [tokens for _, tokens in prepared], marginals, self.tags)

    # -- persistence --------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """A folder transformers loads as is (``id2label`` set) plus ``autonlp_al.json``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        names = self.tags if self.task == "ner" else self.labels
        self.model.config.id2label = dict(enumerate(names))
        self.model.config.label2id = {name: i for i, name in enumerate(names)}
        with quiet_transformers():
            self.model.save_pretrained(path)
            self.tokenizer.save_pretrained(path)
        metadata = {
            "format": _FORMAT,
            "task": self.task,
            "labels": list(self.labels),
            "tags": list(self.tags),
            "version": self.version,
            "max_length": self.max_length,
            "stride": self.stride,
            "multi_label": self.multi_label,
            "lang": self.lang,
            "metrics": self.metrics,
            "base_model": self.base_model,
        }
        (path / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        return path

    @classmethod
    def from_base(
        cls, path: str | Path, *, task: str, labels: Sequence[str], max_length: int = 256
    ) -> TransformersModel:
        """A base encoder with a fresh, untrained head: its embeddings (mean-pooled, e.g. a
        sentence-transformers model's) serve a cold start, ``KMeans(embedder=...)``."""
        transformers = require("transformers", "local")
        names = ner_tags(labels) if task == "ner" else list(labels)
        auto = auto_class(task)
        with quiet_transformers():
            model = auto.from_pretrained(path, num_labels=len(names))
            tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        return cls(
            model=model,
            tokenizer=tokenizer,
            task=task,
            labels=labels,
            tags=names if task == "ner" else (),
            max_length=max_length,
            version="untrained",
            base_model=str(path),
        )

    @classmethod
    def load(
        cls, path: str | Path, *, device: str | None = None, precision: str = "auto"
    ) -> TransformersModel:
        """Load a folder written by :meth:`save`, or a plain transformers token- or sequence-
        classification folder (labels then come from its ``id2label``, e.g. an AutoTrain model)."""
        transformers = require("transformers", "local")
        path = Path(path)
        if not (path / "config.json").is_file():
            raise ModelLoadError(
                f"{path}: no config.json, so this is not a transformers model folder; pass the "
                f"folder a model was saved to (model.save(...) or save_pretrained)"
            )
        metadata = _read_metadata(path)
        config = transformers.AutoConfig.from_pretrained(path)
        architecture = " ".join(getattr(config, "architectures", None) or [])
        task = metadata.get("task") or (
            "ner"
            if "TokenClassification" in architecture
            else "textcat"
            if "SequenceClassification" in architecture
            else ""
        )
        if task not in ("ner", "textcat"):
            raise ModelLoadError(
                f"{path}: architecture {architecture or 'unknown'!r} is neither token nor sequence "
                f"classification; train one with TransformersTrainer or pass a fine-tuned folder"
            )
        auto = auto_class(task)
        try:
            with quiet_transformers():
                model = auto.from_pretrained(path)
                tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{path}: transformers could not load it ({exc})") from exc
        names = [config.id2label[i] for i in range(len(config.id2label))]
        if device:
            model.to(device)
        return cls(
            model=model,
            tokenizer=tokenizer,
            task=task,
            labels=metadata.get("labels") or (labels_from_tags(names) if task == "ner" else names),
            tags=names if task == "ner" else (),
            version=metadata.get("version", ""),
            max_length=metadata.get("max_length", min(512, tokenizer.model_max_length)),
            stride=metadata.get("stride", 32),
            multi_label=metadata.get("multi_label", False),
            lang=metadata.get("lang", "en"),
            metrics=metadata.get("metrics", {}),
            base_model=metadata.get("base_model", ""),
            precision=precision,
        )


def int8_linears(model: Any) -> Any:
    """A copy of ``model`` whose linear layers run in int8 on the CPU: weights quantised per
    output channel, activations per batch as they come (torch's dynamic quantisation). Per
    channel kept the selection where per tensor did not (``benchmarks/scoring_precision.py``).
    The activations' scale is the whole batch's, so a text's scores move slightly with the
    texts batched beside it."""
    torch = require("torch", "local")
    device = next(model.parameters()).device
    engine = torch.backends.quantized.engine
    if device.type != "cpu" or engine not in ("x86", "fbgemm", "onednn"):
        raise ConfigError(
            f"precision 'int8' runs on x86 CPUs (torch's quantised engine here: {engine!r}, "
            f"device {device.type!r}); use precision 'fp32', or 'bf16' on a GPU"
        )
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao's notice that eager quantisation moves to torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(  # type: ignore[no-untyped-call]
            copy.deepcopy(model), {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=False
        )


def bf16_is_native(device: Any) -> bool:
    """Whether ``auto`` scores in bf16 on ``device``: on a CUDA GPU that supports bfloat16, yes.
    On CPUs, no: measured with torch 2.13 on a CPU with AVX512-BF16, bf16 weights scored at 0.69x
    the speed of fp32 (``benchmarks/scoring_precision.py``); ask for ``bf16`` explicitly to use
    it where that script shows a gain."""
    if device.type == "cuda":
        return bool(require("torch", "local").cuda.is_bf16_supported())
    return False


def _read_metadata(path: Path) -> dict[str, Any]:
    file = path / METADATA_FILE
    if not file.exists():
        return {}
    try:
        data = json.loads(file.read_text())
    except ValueError as exc:
        raise ModelLoadError(f"{file}: not valid JSON ({exc}); re-save the model") from exc
    if data.get("format") != _FORMAT:
        raise ModelLoadError(f"{file}: format {data.get('format')!r}, expected {_FORMAT}")
    return dict(data)


def weights_fingerprint(hf_model: Any, task: str) -> str:
    """``task-<16 hex>``: a digest of every weight, so two models compare by content."""
    digest = hashlib.blake2b(digest_size=8)
    for name, tensor in sorted(hf_model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().numpy().tobytes())
    return f"{task}-{digest.hexdigest()}"
