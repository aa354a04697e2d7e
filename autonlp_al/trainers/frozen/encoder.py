"""``FrozenEncoder``: a transformers encoder used as it is (never trained), whose vectors of
every text are computed once and cached on disk (see :mod:`.cache`).

Two kinds of vectors: :meth:`FrozenEncoder.embed` gives one mean-pooled, L2-normalised vector
per text (the first ``windows`` windows of ``max_length`` word pieces; one window, the head,
measured best on BBC News: the lead carries the topic); :meth:`FrozenEncoder.token_vectors` gives
one vector per word (its first word piece, from the window where it sits farthest from an edge),
for a per-token head (NER). Both are what the cheap selection models of :mod:`.model` learn on,
and ``embed`` also makes the encoder an :class:`~autonlp_al.trainers.EmbeddingModel`, so it can
drive a k-means cold start before any model exists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._optional import require
from ..._transient import is_transient
from ...errors import ModelLoadError
from ...registry import encoders
from ...types import Token
from ..base import Item
from ..predictions import item_text, item_words
from ..transformers.features import central_positions, pad_batch, word_windows
from .cache import VectorCache, key_of

__all__ = ["FrozenEncoder", "default_cache_dir"]

log = logging.getLogger("autonlp_al.trainers.frozen")

#: Inputs encoded per committed cache part: a kill loses at most this much work.
PART = 256


def default_cache_dir() -> Path:
    """``$AUTONLP_AL_CACHE/embeddings``, else ``~/.cache/autonlp_al/embeddings``."""
    root = os.environ.get("AUTONLP_AL_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "autonlp_al") / "embeddings"


@encoders.register("transformers.v1")
@attrs.define(kw_only=True, eq=False)
class FrozenEncoder:
    """A local transformers (or sentence-transformers) encoder folder, frozen.

    Args:
        model: the folder (``config.json``, weights, a fast tokenizer).
        max_length: word pieces per window, special tokens included.
        windows: text vectors pool this many consecutive windows of a long text (1: its head).
        stride: NER: word pieces of overlap between the windows of a long sentence.
        batch_size: inputs per forward pass (length-sorted, so padding stays small).
        cache_dir: the cache folder; default ``default_cache_dir() / <fingerprint>``.
        lang: the spaCy language raw texts are split into words in (token vectors).
        device: ``"cpu"``, ``"cuda"``...; default CUDA when available.
        threads: torch CPU threads while encoding (``None``: torch's default).
        layers: the vectors are the mean of the last ``layers`` hidden layers (1: the last
            layer alone); more than the last layer keeps more of what lower layers know of a
            word's form and neighbours.
    """

    model: str | Path = attrs.field(converter=str)
    max_length: int = 256
    windows: int = 1
    stride: int = 32
    batch_size: int = 32
    cache_dir: str | Path | None = None
    lang: str = "en"
    device: str | None = None
    threads: int | None = None
    layers: int = 1
    _loaded: tuple[Any, Any] | None = attrs.field(init=False, default=None, repr=False)
    _fingerprint: str | None = attrs.field(init=False, default=None, repr=False)
    _dim: int | None = attrs.field(init=False, default=None, repr=False)
    _cache: VectorCache | None = attrs.field(init=False, default=None, repr=False)
    _tokenize: Any = attrs.field(init=False, default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        folder = Path(self.model)
        config = folder / "config.json"
        if not config.is_file():
            raise ModelLoadError(
                f"{folder}: no config.json, so this is not a transformers encoder folder; pass "
                f"a local folder holding one (e.g. all-MiniLM-L6-v2 saved with save_pretrained)"
            )
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"{config}: not readable JSON ({exc}); the folder is damaged"
            ) from exc
        if not isinstance(data, dict):
            raise ModelLoadError(f"{config}: holds {type(data).__name__}, not a model config")
        architectures = " ".join(data.get("architectures") or [])
        if data.get("is_decoder") or data.get("is_encoder_decoder") or "CausalLM" in architectures:
            raise ModelLoadError(
                f"{folder}: {architectures or data.get('model_type')!r} is a decoder, not an "
                f"encoder; pass an encoder folder (BERT, MPNet, RoBERTa, sentence-transformers)"
            )
        if isinstance(self.layers, bool) or not isinstance(self.layers, int) or self.layers < 1:
            raise ValueError(f"layers={self.layers!r}: need a whole number >= 1")
        if self.max_length < 8 or self.windows < 1:
            raise ValueError(
                f"max_length={self.max_length!r}, windows={self.windows!r}: need max_length "
                f">= 8 and windows >= 1"
            )

    # -- identity -----------------------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        """Identifies the vectors this encoder gives: a hash of the config, the tokenizer files,
        the weights (whole files) and the pooling settings."""
        if self._fingerprint is None:
            digest = hashlib.blake2b(digest_size=12)
            folder = Path(self.model)
            for path in sorted(folder.iterdir()):
                if path.is_file() and (
                    path.suffix in (".json", ".txt", ".model", ".safetensors", ".bin")
                ):
                    digest.update(path.name.encode())
                    with path.open("rb") as f:
                        for block in iter(lambda: f.read(1 << 22), b""):
                            digest.update(block)
            digest.update(f"{self.max_length}/{self.windows}/{self.stride}".encode())
            if self.layers != 1:  # only then, so the caches made before keep their names
                digest.update(f"/layers {self.layers}".encode())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    @property
    def dim(self) -> int:
        """The vector width, from the config (reading cached vectors never loads the weights)."""
        if self._dim is None:
            transformers = require("transformers", "local")
            try:
                config = transformers.AutoConfig.from_pretrained(self.model)
            except (OSError, ValueError, KeyError) as exc:
                raise ModelLoadError(
                    f"{self.model}: transformers could not read its config.json ({exc}); pass "
                    f"an encoder folder"
                ) from exc
            self._dim = int(config.hidden_size)
        return self._dim

    @property
    def cache(self) -> VectorCache:
        if self._cache is None:
            folder = (
                Path(self.cache_dir)
                if self.cache_dir is not None
                else default_cache_dir() / self.fingerprint
            )
            self._cache = VectorCache.open(folder, fingerprint=self.fingerprint, dim=self.dim)
        return self._cache

    def settings(self) -> dict[str, Any]:
        """What a saved model records to re-open this encoder."""
        return {
            "model": str(Path(self.model).resolve()),
            "max_length": self.max_length,
            "windows": self.windows,
            "stride": self.stride,
            "fingerprint": self.fingerprint,
            "lang": self.lang,
            **({"layers": self.layers} if self.layers != 1 else {}),
        }

    # -- loading ------------------------------------------------------------------------------

    def _model(self) -> tuple[Any, Any]:
        if self._loaded is None:
            transformers = require("transformers", "local")
            torch = require("torch", "local")
            from ..transformers.model import quiet_transformers

            try:
                with quiet_transformers():
                    model = transformers.AutoModel.from_pretrained(self.model)
                    tokenizer = transformers.AutoTokenizer.from_pretrained(self.model)
            # the loaders raise many types for a damaged folder (safetensors' own error,
            # RuntimeError on shape mismatches, OSError, ValueError...): all mean the same here
            except Exception as exc:
                raise ModelLoadError(
                    f"{self.model}: transformers could not load it as an encoder "
                    f"({type(exc).__name__}: {exc}); pass a "
                    f"folder with config.json, weights and a tokenizer"
                ) from exc
            if not getattr(tokenizer, "is_fast", False):
                raise ModelLoadError(
                    f"{self.model}: its tokenizer is not a fast (Rust) tokenizer, and word "
                    f"alignment needs one; add tokenizer.json to the folder"
                )
            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            model.to(device).eval()
            self._loaded = (model, tokenizer)
        return self._loaded

    @property
    def tokenizer(self) -> Any:
        """Splits raw texts into words: spaCy's tokenizer for ``lang`` (made on first use)."""
        if self._tokenize is None:
            from ...converters.tokenize import SpacyTokenizer

            self._tokenize = SpacyTokenizer(self.lang)
        return self._tokenize

    def words(self, item: Item) -> tuple[Token, ...]:
        """The words token vectors are given for (see :func:`~..predictions.item_words`)."""
        return item_words(item, self.tokenizer)

    # -- vectors ------------------------------------------------------------------------------

    def embed(self, items: Iterable[Item]) -> Any:
        """``(n_items, dim)`` mean-pooled, L2-normalised text vectors (cached)."""
        np = require("numpy", "local")
        texts = [item_text(item) for item in items]
        blocks = self._cached([key_of("text", t) for t in texts], texts, self._encode_texts)
        if not blocks:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(blocks).astype(np.float32, copy=False)

    def token_vectors(self, items: Iterable[Item]) -> list[Any]:
        """Per item, ``(n_words, dim)``: each word's first word piece (cached); the words are
        the item's own tokens, else spaCy's, whitespace dropped (as the NER models use them)."""
        return self.word_vectors([[t.text for t in self.words(item)] for item in items])

    def word_vectors(self, words: Sequence[Sequence[str]]) -> list[Any]:
        """Per word list, ``(n_words, dim)``: each word's first word piece (cached)."""
        lists = [tuple(w) for w in words]
        return self._cached([key_of("words", w) for w in lists], lists, self._encode_words)

    def _cached(self, keys: list[bytes], inputs: Sequence[Any], encode: Any) -> list[Any]:
        cache = self.cache
        blocks: list[Any] = [cache.get(k) for k in keys]
        # one index per missing input: a text given twice is encoded once
        missing = list({keys[i]: i for i, b in enumerate(blocks) if b is None}.values())
        if missing:
            torch = require("torch", "local")
            threads = torch.get_num_threads()
            if self.threads:
                torch.set_num_threads(self.threads)
            keep = not is_transient()  # a served request's texts are encoded, not stored
            fresh: dict[bytes, Any] = {}
            try:
                for start in range(0, len(missing), PART):
                    chunk = missing[start : start + PART]
                    new = encode([inputs[i] for i in chunk])
                    if keep:
                        cache.add([keys[i] for i in chunk], new)
                    else:
                        fresh.update(zip((keys[i] for i in chunk), new, strict=True))
            finally:
                torch.set_num_threads(threads)
            blocks = [
                b if b is not None else fresh[k] if k in fresh else cache.get(k)
                for k, b in zip(keys, blocks, strict=True)
            ]
        return blocks

    def _encode_texts(self, texts: Sequence[str]) -> list[Any]:
        np = require("numpy", "local")
        _, tokenizer = self._model()
        from ..transformers.model import quiet_transformers

        with quiet_transformers():  # the whole length is wanted here, before the windows
            bare = tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        prefix, suffix = self._edges()
        budget = self.max_length - len(prefix) - len(suffix)
        sequences: list[list[int]] = []
        owners: list[int] = []
        for i, ids in enumerate(bare):
            starts = range(0, max(len(ids), 1), budget)
            for start in list(starts)[: self.windows]:
                sequences.append(prefix + ids[start : start + budget] + suffix)
                owners.append(i)
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        counts = np.zeros(len(texts), dtype=np.float64)
        for index, hidden, mask in self._forward(sequences):
            weights = mask[..., None]
            pooled = (hidden * weights).sum(axis=1)
            for row, i in enumerate(index):
                sums[owners[i]] += pooled[row]
                counts[owners[i]] += mask[row].sum()
        vectors = sums / np.maximum(counts, 1)[:, None]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return [v[None, :].astype(np.float32) for v in vectors]

    def _edges(self) -> tuple[list[int], list[int]]:
        """The special-token ids the tokenizer puts before and after a single text."""
        _, tokenizer = self._model()
        bare = tokenizer("x", add_special_tokens=False)["input_ids"]
        full = tokenizer("x", add_special_tokens=True)["input_ids"]
        for start in range(len(full) - len(bare) + 1):
            if full[start : start + len(bare)] == bare:
                return list(full[:start]), list(full[start + len(bare) :])
        return [], []

    def _encode_words(self, words: Sequence[Sequence[str]]) -> list[Any]:
        np = require("numpy", "local")
        _, tokenizer = self._model()
        out = [np.zeros((len(w), self.dim), dtype=np.float32) for w in words]
        present = [i for i, w in enumerate(words) if w]
        windows = word_windows(
            tokenizer,
            [list(words[i]) for i in present],
            max_length=self.max_length,
            stride=self.stride,
        )
        hidden_of: dict[int, Any] = {}  # window index -> its last hidden states
        for index, hidden, _ in self._forward([w.input_ids for w in windows]):
            for row, i in enumerate(index):
                hidden_of[i] = hidden[row]
        for item, word, window, position in central_positions(windows):
            out[present[item]][word] = hidden_of[window][position]
        return out

    def _forward(self, sequences: Sequence[list[int]]) -> Iterable[tuple[list[int], Any, Any]]:
        """Length-sorted batches: (indices, hidden states (the last ``layers`` averaged),
        attention mask) as numpy."""
        torch = require("torch", "local")
        model, tokenizer = self._model()
        device = next(model.parameters()).device
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                index = order[start : start + self.batch_size]
                ids, mask = pad_batch([sequences[i] for i in index], tokenizer.pad_token_id)
                out = model(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    output_hidden_states=self.layers > 1,
                )
                if self.layers > 1:
                    hidden = torch.stack(out.hidden_states[-self.layers :]).float().mean(0)
                    hidden = hidden.cpu().numpy()
                else:
                    hidden = out.last_hidden_state.float().cpu().numpy()
                yield index, hidden, mask.float().numpy()
