"""Pool scoring past fp32: speed and selection quality of bf16, bf16 autocast, torch.compile and
int8 on CPU.

all-MiniLM-L6-v2 is fine-tuned on 1,000 CoNLL-2003 train sentences (the model is cached in OUT),
then each variant scores a 3,000-sentence pool (train sentences the model did not see) and the
test split. Per variant: sentences/s of ``TransformersModel.token_marginals`` against the raw fp32
forward pass of the same model (length-sorted, batch 32, measured in the same run), how many of
fp32's top-100 by MNLP and by total token entropy it also picks, its tag agreement with fp32 on
the pool, and entity F1 on the test split. The transformers pipeline (batch 32) is timed on the
pool as given and sorted by length.

``torch.compile`` (inductor, dynamic shapes: the batches are sorted by length, so every batch has
its own length) is timed after its first pass, which compiles; the compile time is printed.

The int8 rows: torch's dynamic quantisation of the linear layers with one weight scale per
tensor, and per output channel (what ``precision="int8"`` does); the last row scores in batches
of 16 instead of 32 and is compared with fp32 like the others, to show how much int8's per-batch
activation scale moves the selection when a text's batch neighbours change.

    python benchmarks/scoring_precision.py [OUT] [--steps 200] [--threads N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import random
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch
from _batches import raw_forward, sorted_batches
from _corpora import conll2003, machine, minilm

from autonlp_al.metrics import evaluate
from autonlp_al.sources import ConllSource
from autonlp_al.strategies import MNLP
from autonlp_al.strategies.uncertainty import TokenEntropy
from autonlp_al.trainers import TransformersModel, TransformersTrainer
from autonlp_al.trainers.transformers.model import bf16_is_native

LABELS = ["PER", "ORG", "LOC", "MISC"]
PER_CHANNEL = 'int8 dynamic, per-channel weights (`precision="int8"`)'
BATCHES_OF_16 = "the same, batches of 16 (other batch neighbours)"
POOL, TRAIN = 3000, 1000


class Autocast(torch.nn.Module):
    """The fp32 model run under CPU bf16 autocast."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, **kwargs: Any) -> Any:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.inner(**kwargs)


def trained_model(out: Path, steps: int, sentences: list[Any]) -> TransformersModel:
    folder = out / "model"
    if not (folder / "config.json").is_file():
        train = random.Random(1).sample(sentences[POOL:], TRAIN)
        trainer = TransformersTrainer(
            model=minilm(), task="ner", max_steps=steps, max_length=128, progress=False
        )
        start = time.perf_counter()
        trainer.train(train, labels=LABELS).save(folder)
        print(f"trained {steps} steps on {TRAIN} sentences in {time.perf_counter() - start:.0f} s")
    return TransformersModel.load(folder, precision="fp32")


def timed(fn: Any, repeat: int = 2) -> tuple[float, Any]:
    start = time.perf_counter()
    fn()  # warm-up: torch builds its CPU kernels for each new shape on first use (and compiles)
    warm = time.perf_counter() - start
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  first pass {warm:.1f} s, best of {repeat} {best:.1f} s", flush=True)
    return best, result


def onnx_forward(model: TransformersModel, texts: list[str], folder: Path) -> Any:
    """The raw forward pass of :func:`raw_forward` on ONNX Runtime (fp32, exported once), or
    ``None`` when onnxruntime is not installed."""
    try:
        import onnxruntime
    except ImportError:
        return None
    path = folder / "model.onnx"
    ids = torch.randint(1000, 2000, (2, 16))
    torch.onnx.export(
        model.model,
        (ids, torch.ones_like(ids)),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            n: {0: "batch", 1: "length"} for n in ("input_ids", "attention_mask", "logits")
        },
        opset_version=17,
        dynamo=False,
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    encoded = [model.tokenizer(t, truncation=True, max_length=128)["input_ids"] for t in texts]

    def run() -> None:
        for ids, mask in sorted_batches(encoded):
            session.run(None, {"input_ids": ids, "attention_mask": mask})

    return run


def top(marginals: list[Any], score: Any, n: int = 100) -> set[int]:
    scores = [score(m) if len(m) else 0.0 for m in marginals]
    return set(sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:n])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out/scoring_precision")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per variant (best)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sentences = list(ConllSource(path=conll2003("train")).read())
    pool = sentences[:POOL]
    test = list(ConllSource(path=conll2003("test")).read())
    fp32 = trained_model(out, args.steps, sentences)
    texts = [s.text for s in pool]

    quantized = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(fp32.model), {torch.nn.Linear}, dtype=torch.qint8
    )
    variants = {
        "fp32 (ours)": fp32,
        "bf16 weights": attrs.evolve(fp32, precision="bf16"),
        "fp32 weights, bf16 autocast": attrs.evolve(fp32, model=Autocast(fp32.model)),
        "int8 dynamic, per-tensor weights": attrs.evolve(fp32, model=quantized),
        PER_CHANNEL: attrs.evolve(fp32, precision="int8"),
        BATCHES_OF_16: attrs.evolve(fp32, precision="int8", batch_size=16),
        # last: placed before the int8 rows, once, they ran 1.43x instead of 1.71x after it
        "fp32, `torch.compile` (inductor, dynamic shapes)": attrs.evolve(
            fp32, model=torch.compile(copy.deepcopy(fp32.model), dynamic=True)
        ),
    }
    raw = raw_forward(fp32.tokenizer, fp32.model, texts)
    raw_seconds, _ = timed(raw, repeat=args.repeat)
    onnx = onnx_forward(fp32, texts, out)
    onnx_seconds = timed(onnx)[0] if onnx is not None else None
    rows = []
    reference: dict[str, Any] = {}
    chosen: dict[str, dict[str, set[int]]] = {}
    for name, model in variants.items():
        seconds, marginals = timed(lambda m=model: m.token_marginals(pool), repeat=args.repeat)
        tags = [m.argmax(axis=1) for m in marginals]
        picks = {
            "mnlp": top(marginals, MNLP().sentence),
            "total": top(marginals, TokenEntropy("sum").sentence),
        }
        if not reference:
            reference = {"tags": tags, **picks}
        chosen[name] = picks
        agree = np.mean(
            np.concatenate([a == b for a, b in zip(tags, reference["tags"], strict=True)])
        )
        f1 = evaluate(model, test).f1  # type: ignore[union-attr]
        rows.append(
            (
                name,
                seconds,
                raw_seconds / seconds,
                len(picks["mnlp"] & reference["mnlp"]),
                len(picks["total"] & reference["total"]),
                agree,
                f1,
            )
        )
        print(f"{name}: {seconds:.1f} s, F1 {f1:.4f}", flush=True)

    # the raw pass again after the variants: the machine's speed drifts over minutes, and the
    # ratio is taken against the faster of the two measurements
    raw_seconds = min(raw_seconds, timed(raw, repeat=args.repeat)[0])
    rows = [(n, sec, raw_seconds / sec, *rest) for n, sec, _, *rest in rows]
    from transformers import pipeline

    tagger = pipeline("token-classification", model=fp32.model, tokenizer=fp32.tokenizer)
    by_length = sorted(texts, key=len)
    pipe_seconds, _ = timed(lambda: list(tagger(texts, batch_size=32)), repeat=1)
    sorted_seconds, _ = timed(lambda: list(tagger(by_length, batch_size=32)), repeat=1)

    print(f"\nmachine: {machine()}")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU bf16 native: "
        f"{bf16_is_native(torch.device('cpu'))}; pool {POOL:,} train sentences, test "
        f"{len(test):,} sentences; model fine-tuned {args.steps} steps on {TRAIN:,} sentences\n"
    )
    print(
        "| scoring | seconds | sentences/s | x raw fp32 forward | MNLP top-100 shared | "
        "total entropy top-100 shared | tag agreement | test F1 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(f"| raw fp32 forward, length-sorted, batch 32 | {raw_seconds:.1f} | "
          f"{POOL / raw_seconds:.0f} | 1.00 | | | | |")  # fmt: skip
    if onnx_seconds is not None:
        print(f"| ONNX Runtime fp32 raw forward, same batches | {onnx_seconds:.1f} | "
              f"{POOL / onnx_seconds:.0f} | {raw_seconds / onnx_seconds:.2f} | | | | |")  # fmt: skip
    for name, seconds, ratio, mnlp, total, agree, f1 in rows:
        print(
            f"| {name} | {seconds:.1f} | {POOL / seconds:.0f} | {ratio:.2f} | {mnlp} | {total} | "
            f"{agree:.4%} | {f1:.4f} |"
        )
    for name, seconds in (
        ("transformers pipeline, batch 32, as given", pipe_seconds),
        ("transformers pipeline, batch 32, sorted by length", sorted_seconds),
    ):
        print(f"| {name} | {seconds:.1f} | {POOL / seconds:.0f} | {raw_seconds / seconds:.2f} "
              f"| | | | |")  # fmt: skip
    if torch.cuda.is_available():  # not run in CI, nor on the 2-core machine (no GPU there)
        print(f"\n| on {torch.cuda.get_device_name()} | seconds | sentences/s |\n|---|---|---|")
        for precision in ("fp32", "bf16"):
            on_gpu = TransformersModel.load(out / "model", device="cuda", precision=precision)
            seconds, _ = timed(lambda m=on_gpu: m.token_marginals(pool))
            print(f"| token_marginals, {precision} | {seconds:.2f} | {POOL / seconds:,.0f} |")
    one, other = (chosen[name] for name in (PER_CHANNEL, BATCHES_OF_16))
    print(
        f"\nint8 per channel, batches of 32 against batches of 16: MNLP top-100 shared "
        f"{len(one['mnlp'] & other['mnlp'])}, total entropy top-100 shared "
        f"{len(one['total'] & other['total'])}"
    )
    best = min(rows[1:], key=lambda r: r[1])
    print(
        f"\nours fp32 / sorted pipeline: {sorted_seconds / rows[0][1]:.2f}x; "
        f"ours bf16 / sorted pipeline: {sorted_seconds / rows[1][1]:.2f}x; "
        f"fastest variant: {best[0]}"
    )


if __name__ == "__main__":
    main()
