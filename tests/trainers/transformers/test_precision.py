"""Scoring precision (fp32 / bf16 / auto) and CPU threads of the local trainer's models."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

pytest.importorskip("torch")
import torch

from autonlp_al.trainers.transformers.model import TransformersModel, bf16_is_native
from tests.models import corpus
from tests.trainers.transformers.test_trainer import ner_trainer


@pytest.fixture(scope="module")
def trained(tiny_bert) -> TransformersModel:
    return ner_trainer(tiny_bert, epochs=2).train(
        corpus(60, 2, "ner"), labels=["PER", "ORG", "LOC"]
    )


def _with(model: TransformersModel, precision: str) -> TransformersModel:
    return attrs.evolve(model, precision=precision)


def test_bf16_scores_with_a_bfloat16_copy_and_leaves_the_weights_fp32(trained) -> None:
    bf16, fp32 = _with(trained, "bf16"), _with(trained, "fp32")
    items = corpus(20, 7, "ner")
    low, full = bf16.token_marginals(items), fp32.token_marginals(items)
    assert bf16._inference_model().dtype == torch.bfloat16
    assert fp32._inference_model() is trained.model and trained.model.dtype == torch.float32
    assert all(a.dtype == np.float32 for a in low)
    assert max(float(np.abs(a - b).max()) for a, b in zip(low, full, strict=True)) < 0.05
    assert [p.spans for p in bf16.predict(items)]  # predicting runs on the copy too


def test_auto_is_fp32_on_cpu_where_bf16_measured_slower(trained) -> None:
    assert not bf16_is_native(torch.device("cpu"))
    assert _with(trained, "auto").scoring_precision == "fp32"
    assert _with(trained, "auto")._inference_model() is trained.model
    assert _with(trained, "bf16").scoring_precision == "bf16"  # asked for: used regardless


def test_an_unknown_precision_is_refused(trained) -> None:
    with pytest.raises(ValueError, match="precision"):
        _with(trained, "fp16")


def test_threads_are_set_when_a_model_is_loaded_too(trained, tiny_bert, tmp_path) -> None:
    folder = trained.save(tmp_path / "m")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        loaded = ner_trainer(tiny_bert, threads=1, precision="fp32").load(folder)
        assert torch.get_num_threads() == 1 and loaded.precision == "fp32"
    finally:
        torch.set_num_threads(before)


def test_int8_scores_with_per_channel_int8_linears_and_leaves_the_weights_fp32(trained) -> None:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    int8, fp32 = _with(trained, "int8"), _with(trained, "fp32")
    items = corpus(20, 7, "ner")
    low, full = int8.token_marginals(items), fp32.token_marginals(items)
    copy = int8._inference_model()
    linears = [m for m in copy.modules() if isinstance(m, DynamicLinear)]
    assert linears and not any(isinstance(m, torch.nn.Linear) for m in copy.modules())
    # per output channel: one scale per row of each weight (per tensor lost the selection)
    assert all(m.weight().qscheme() == torch.per_channel_affine for m in linears)
    # the model itself is untouched: its linear layers are still fp32 ones
    assert not any(isinstance(m, DynamicLinear) for m in trained.model.modules())
    assert any(isinstance(m, torch.nn.Linear) for m in trained.model.modules())
    assert trained.model.dtype == torch.float32
    assert int8._inference_model() is copy  # made once
    assert max(float(np.abs(a - b).max()) for a, b in zip(low, full, strict=True)) < 0.1
    assert [p.spans for p in int8.predict(items)]


def test_int8_off_the_cpu_is_refused_with_the_next_step(trained, monkeypatch) -> None:
    from autonlp_al.errors import ConfigError

    monkeypatch.setattr(torch.backends.quantized, "engine", "qnnpack", raising=False)
    if torch.backends.quantized.engine != "qnnpack":  # this build has no qnnpack to switch to
        pytest.skip("qnnpack is not in this torch build")
    with pytest.raises(ConfigError, match="precision 'fp32'"):
        _with(trained, "int8")._inference_model()
