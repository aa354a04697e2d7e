"""``TransformersTrainer``: fine-tunes a transformers encoder for NER or text classification on
the user's own machine (CPU or GPU), warm-starting from the previous round's model."""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._optional import require
from ...converters import Alignment, SpacyTokenizer
from ...converters.iob import labels_from_tags, ner_tags
from ...errors import LabelError, TrainingError
from ...metrics import evaluate, main_score
from ...registry import trainers
from ...report import Report
from ...types import Example, check_labels
from ..base import Examples, Labels, Model
from ..supervision import NerSupervision
from . import schedule
from .features import IGNORE, auto_class, pad_batch, word_windows
from .model import PRECISIONS, TransformersModel, quiet_transformers, weights_fingerprint

__all__ = ["TransformersTrainer"]

log = logging.getLogger("autonlp_al.trainers")


@trainers.register("transformers.v1")
@attrs.define(kw_only=True)
class TransformersTrainer:
    """Fine-tunes ``model`` (a local folder, or a Hub id when online) for ``task``.

    Args:
        model: the base model: a folder with a transformers encoder and a fast tokenizer.
        task: ``"ner"`` (token classification, IOB2 tags, first sub-word labelled) or ``"textcat"``.
        epochs / max_steps: how long; ``max_steps`` (if set) wins. With neither (the default)
            the schedule fits the data: :data:`~.schedule.AUTO_EPOCHS` epochs, at least
            60 and at most 800 optimiser steps (so 10
            labelled texts get 60 steps, 170 get 110, 1,900 sentences 800), the schedule the
            label-efficiency benchmark validated for final models (docs/trainers/local.md).
        batch_size, lr, weight_decay, warmup_ratio, max_grad_norm: AdamW with a linear schedule.
        max_length: sub-words per input. NER sentences longer than this become overlapping
            windows (``stride`` sub-words of overlap); texts for classification keep their first
            quarter and last three quarters of the budget (head+tail truncation).
        multi_label: textcat only: independent sigmoid per class.
        early_stopping_patience: with an eval set, stop after this many epochs without a better
            eval score (NER F1 / accuracy) and keep the best epoch's weights.
        group_by_length: batch inputs of similar length together (within shuffled groups of 50
            batches; the batch order is shuffled too), so less compute goes into padding. Faster
            where lengths vary a lot (NER), but the batches, and so the model, differ from plain
            shuffling: on CoNLL-2003 it trained 40% faster and scored 1.4 F1 lower.
        alignment: the policy for training spans off token boundaries (see ``Converter``).
        seed: seeds Python, numpy and torch; the same seed and data give the same model on CPU.
        device: ``"cpu"``, ``"cuda"``...; default: CUDA when available (bf16 autocast if supported).
        threads: torch CPU threads (``torch.set_num_threads``), set when training and when
            loading; ``None`` keeps torch's default (one per core). Two processes sharing a
            machine each want ``cores / 2`` (issue 17: 5.9 s/step with the default, 1.56 s/step
            with one thread each).
        precision: what scoring and predicting run in: ``fp32``, ``bf16`` (a bfloat16 copy of
            the weights; training stays fp32), ``int8`` (a copy with int8 linear layers, x86
            CPUs only: 1.7x fp32 on this project's VNNI CPU, with a slightly different
            selection), or ``auto``: bf16 on CUDA GPUs that support it, fp32 on CPUs (where
            bf16 measured slower, even with AVX512-BF16).
        progress: show a progress bar (tqdm) and log the loss.
    """

    model: str | Path
    task: str = attrs.field(validator=attrs.validators.in_(("ner", "textcat")))
    epochs: int | None = None
    max_steps: int | None = None
    batch_size: int = 16
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    max_length: int = 256
    stride: int = 32
    multi_label: bool = False
    early_stopping_patience: int | None = None
    group_by_length: bool = False
    alignment: Alignment = attrs.field(default=Alignment.STRICT, converter=Alignment)
    lang: str = "en"
    seed: int = 0
    device: str | None = None
    threads: int | None = None
    precision: str = attrs.field(default="auto", validator=attrs.validators.in_(PRECISIONS))
    progress: bool = True
    report: Report = attrs.field(factory=Report)

    def load(self, path: str | Path) -> TransformersModel:
        """A model folder this trainer (or :meth:`TransformersModel.save`) wrote."""
        self._set_threads()
        return TransformersModel.load(path, device=self.device, precision=self.precision)

    def _set_threads(self) -> None:
        if self.threads:
            require("torch", "local").set_num_threads(self.threads)

    def train(
        self, train: Examples, *, eval: Examples = (), labels: Labels, init: Model | None = None
    ) -> TransformersModel:
        self._set_threads()
        _seed(self.seed)
        labels = self._label_map(labels, init)
        for example in train:  # before the (slow) model load, so a wrong label fails at once
            check_labels(example, labels)
        model = self._start(labels, init)
        features = self._features(model, train, labels)
        if not features:
            raise TrainingError(
                f"no usable training examples among {len(train)} (skipped: "
                f"{dict(self.report.skipped) or 'none'}); label some examples first"
            )
        self._fit(model, features, eval)
        model.version = weights_fingerprint(model.model, self.task)
        if eval:
            model.metrics = evaluate(model, eval).as_dict()
            log.info("eval %s", model.metrics)
        return model

    # -- label maps and the starting model ----------------------------------------------------

    def _label_map(self, labels: Sequence[str], init: Model | None) -> list[str]:
        labels = list(dict.fromkeys(labels))
        if not labels:
            raise TrainingError("labels is empty; pass the label set, e.g. labels=['PER', 'ORG']")
        if init is not None:
            old = list(init.labels)
            if labels[: len(old)] != old:
                raise LabelError(
                    f"labels {labels} would reorder the warm-start model's labels {old}; keep "
                    f"them first and in that order (new labels may only be appended)"
                )
        return labels

    def _start(self, labels: list[str], init: Model | None) -> TransformersModel:
        transformers = require("transformers", "local")
        device = self.device or ("cuda" if require("torch", "local").cuda.is_available() else "cpu")
        names = ner_tags(labels) if self.task == "ner" else labels
        if init is not None:
            if not isinstance(init, TransformersModel) or init.task != self.task:
                raise TrainingError(
                    f"cannot warm-start a {self.task} TransformersTrainer from {init!r}; pass a "
                    f"TransformersModel of the same task, or init=None"
                )
            hf_model = copy.deepcopy(init.model)  # the previous round's model stays untouched
            old = list(init.tags) if self.task == "ner" else list(init.labels)
            if self.task == "ner":
                names = old + [t for t in ner_tags(labels) if t not in old]
            _grow_head(hf_model, len(old), len(names))
            tokenizer, base = init.tokenizer, init.base_model
        else:
            auto = auto_class(self.task)
            kwargs: dict[str, Any] = {
                "num_labels": len(names),
                "id2label": dict(enumerate(names)),
                "label2id": {n: i for i, n in enumerate(names)},
            }
            if self.multi_label:
                kwargs["problem_type"] = "multi_label_classification"
            try:
                with quiet_transformers():
                    hf_model = auto.from_pretrained(self.model, **kwargs)
                    tokenizer = transformers.AutoTokenizer.from_pretrained(self.model)
            except (OSError, ValueError) as exc:
                from ...errors import ModelLoadError

                raise ModelLoadError(
                    f"{self.model}: cannot load a base model ({exc}); pass a folder holding a "
                    f"transformers model and its tokenizer (Hub ids need a connection)"
                ) from exc
            if not getattr(tokenizer, "is_fast", False):
                raise TrainingError(f"{self.model}: needs a fast tokenizer (tokenizer.json)")
            base = str(self.model)
        hf_model.config.id2label = dict(enumerate(names))
        hf_model.config.label2id = {n: i for i, n in enumerate(names)}
        hf_model.to(device)
        return TransformersModel(
            model=hf_model,
            tokenizer=tokenizer,
            task=self.task,
            labels=labels if self.task == "textcat" else labels_from_tags(names),
            tags=names if self.task == "ner" else (),
            max_length=self.max_length,
            stride=self.stride,
            multi_label=self.multi_label,
            lang=self.lang,
            base_model=base,
            precision=self.precision,
        )

    # -- training data --------------------------------------------------------------------------

    def _features(
        self, model: TransformersModel, train: Sequence[Example], labels: list[str]
    ) -> list[tuple[list[int], Any]]:
        """(input_ids, target) per model input; NER targets are per sub-word id lists."""
        if self.task == "ner":
            return self._ner_features(model, train, labels)
        index = {label: i for i, label in enumerate(labels)}
        kept, targets = [], []
        for example in train:  # labels already checked by train(), before the model loaded
            if not example.labels:
                self.report.skip("no class label", example.origin, f"{example.text[:60]!r}")
                continue
            if self.multi_label:
                target: Any = [0.0] * len(labels)
                for lab in example.labels:
                    target[index[lab]] = 1.0
            elif len(example.labels) > 1:
                self.report.skip(
                    "several labels (multi-class training)",
                    example.origin,
                    f"{list(example.labels)}; pass multi_label=True to use them",
                )
                continue
            else:
                target = index[example.labels[0]]
            kept.append(example.text)
            targets.append(target)
        return list(zip(model.text_ids(kept), targets, strict=True))

    def _ner_features(
        self, model: TransformersModel, train: Sequence[Example], labels: list[str]
    ) -> list[tuple[list[int], Any]]:
        supervision = NerSupervision(
            labels=labels,
            tokenizer=SpacyTokenizer(self.lang),  # the tokenisation the model predicts with
            alignment=self.alignment,
            report=self.report,
        )
        # "-" (unknown in partial data) is masked, never trained as "O"
        words, word_labels = supervision.tag_ids(train, tags=model.tags, unknown=IGNORE)
        windows = word_windows(
            model.tokenizer,
            words,
            max_length=self.max_length,
            stride=self.stride,
            word_labels=word_labels,
        )
        features = [
            (w.input_ids, w.labels)
            for w in windows
            if w.labels and any(x != IGNORE for x in w.labels)
        ]
        masked = len(windows) - len(features)
        if masked:
            self.report.skip("window with no known tag", None, f"{masked} window(s) fully masked")
        return features

    # -- the loop -----------------------------------------------------------------------------

    def _fit(
        self,
        model: TransformersModel,
        features: list[tuple[list[int], Any]],
        eval: Sequence[Example],
    ) -> None:
        torch = require("torch", "local")
        transformers = require("transformers", "local")
        hf = model.model
        total = self.steps(len(features))
        decay = [p for n, p in hf.named_parameters() if not _no_decay(n)]
        no_decay = [p for n, p in hf.named_parameters() if _no_decay(n)]
        optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": self.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=self.lr,
        )
        scheduler = transformers.get_linear_schedule_with_warmup(
            optimizer, int(total * self.warmup_ratio), total
        )
        device = model.device
        autocast = _autocast(torch, device)
        rng = random.Random(self.seed)
        best: tuple[float, Any] | None = None
        stale, step, epoch = 0, 0, 0
        bar = _progress_bar(total, self.progress)
        losses: list[float] = []  # the last epoch's, for the model's train_loss
        try:
            while step < total:
                epoch += 1
                hf.train()
                losses = []
                for indices in self._epoch_batches(features, rng):
                    if step >= total:
                        break
                    batch = [features[i] for i in indices]
                    ids, mask, targets = self._collate(torch, model, batch, device)
                    with autocast():
                        loss = hf(input_ids=ids, attention_mask=mask, labels=targets).loss
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(hf.parameters(), self.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                    step += 1
                    value = loss.item()
                    losses.append(value)
                    bar(value)
                    if step % 50 == 0:
                        log.info("step %d/%d epoch %d loss %.4f", step, total, epoch, value)
                if eval and self.early_stopping_patience is not None:
                    score = main_score(evaluate(model, eval))
                    log.info("epoch %d eval %.4f", epoch, score)
                    if best is None or score > best[0]:
                        best, stale = (score, copy.deepcopy(hf.state_dict())), 0
                    else:
                        stale += 1
                        if stale >= self.early_stopping_patience:
                            log.info("early stop after epoch %d", epoch)
                            break
        finally:
            bar(None)
        if best is not None:
            hf.load_state_dict(best[1])
        hf.eval()
        model.train_loss = sum(losses) / len(losses) if losses else None

    def steps(self, n_inputs: int) -> int:
        """Optimiser steps for ``n_inputs`` training inputs (texts, or NER windows)."""
        return schedule.steps(
            n_inputs, self.batch_size, epochs=self.epochs, max_steps=self.max_steps
        )

    def _epoch_batches(
        self, features: list[tuple[list[int], Any]], rng: random.Random
    ) -> list[list[int]]:
        """One epoch's batches of feature indices: shuffled, or length-grouped when asked."""
        order = list(range(len(features)))
        rng.shuffle(order)
        size = self.batch_size
        if not self.group_by_length:
            return [order[i : i + size] for i in range(0, len(order), size)]
        batches = []
        for start in range(0, len(order), 50 * size):
            group = sorted(order[start : start + 50 * size], key=lambda i: -len(features[i][0]))
            batches += [group[i : i + size] for i in range(0, len(group), size)]
        rng.shuffle(batches)
        return batches

    def _collate(
        self, torch: Any, model: TransformersModel, batch: list[tuple[list[int], Any]], device: Any
    ) -> tuple[Any, Any, Any]:
        ids, mask = pad_batch([seq for seq, _ in batch], model.tokenizer.pad_token_id)
        width = ids.shape[1]
        if self.task == "ner":
            targets = torch.full((len(batch), width), IGNORE, dtype=torch.long)
            for row, (_, labels) in enumerate(batch):
                targets[row, : len(labels)] = torch.tensor(labels)
        elif self.multi_label:
            targets = torch.tensor([t for _, t in batch], dtype=torch.float)
        else:
            targets = torch.tensor([t for _, t in batch], dtype=torch.long)
        return ids.to(device), mask.to(device), targets.to(device)


def _no_decay(name: str) -> bool:
    return name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name


def _autocast(torch: Any, device: Any) -> Callable[[], Any]:
    import contextlib

    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext


def _progress_bar(total: int, show: bool) -> Callable[[float | None], None]:
    if not show:
        return lambda loss: None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return lambda loss: None
    bar = tqdm(total=total, desc="training", unit="step", leave=False)

    def update(loss: float | None) -> None:
        if loss is None:
            bar.close()
        else:
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4f}")

    return update


def _grow_head(hf_model: Any, old: int, new: int) -> None:
    """Append ``new - old`` rows to the classification head; existing rows keep their weights."""
    if new == old:
        return
    torch = require("torch", "local")
    for name, module in reversed(list(hf_model.named_modules())):
        if isinstance(module, torch.nn.Linear) and module.out_features == old:
            grown = torch.nn.Linear(module.in_features, new, bias=module.bias is not None)
            grown.to(module.weight.device)
            with torch.no_grad():
                grown.weight[:old] = module.weight
                if module.bias is not None:
                    grown.bias[:old] = module.bias
            parent = hf_model.get_submodule(name.rpartition(".")[0]) if "." in name else hf_model
            setattr(parent, name.rpartition(".")[2], grown)
            hf_model.config.num_labels = new
            hf_model.num_labels = new
            return
    raise TrainingError(f"found no {old}-way output layer to extend to {new} labels")


def _seed(seed: int) -> None:
    random.seed(seed)
    require("numpy", "local").random.seed(seed)
    require("torch", "local").manual_seed(seed)
