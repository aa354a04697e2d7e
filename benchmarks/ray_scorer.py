"""The Ray scorer against the local scorer on one parquet pool: sentences/s with 1 and 2 Ray
workers, Ray's overhead at 1 worker, and whether every scorer picked the same ids.

The pool is ``pool_scale.py``'s synthetic sentences (``--size``, default 200,000), the model the
same tiny 1-layer BERT trained for 20 steps on 30 labelled sentences, the strategy margin (top
100). The local scorer runs with 2 torch threads; Ray with 1 worker of 2 CPUs, then 2 workers of
1 CPU each (Ray on this machine, started once before the timings; each timing includes starting
the workers and loading the model in them). A pass with random sampling (no model) gives the cost
of reading the pool and making its examples, which the estimate for 100M sentences uses.

    python benchmarks/ray_scorer.py
    python benchmarks/ray_scorer.py --size 1000000
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from _corpora import machine
from pool_scale import LABELS, label_of, make_pool, sentence, tiny_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--work", type=Path, default=Path("out/pool_scale"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    import ray
    import torch

    from autonlp_al import Example
    from autonlp_al.pools import ParquetPool
    from autonlp_al.scorers import Candidates, LocalScorer, ModelRef, RayScorer
    from autonlp_al.strategies import Margin, RandomSampling
    from autonlp_al.trainers import TransformersTrainer

    path = args.work / f"pool-{args.size}.parquet"
    make_pool(path, args.size)
    rng = random.Random(1)
    seed = [Example(text=(t := sentence(rng, -1 - i)), labels=[label_of(t)]) for i in range(30)]
    trainer = TransformersTrainer(
        model=str(tiny_model(args.work / "tiny")),
        task="textcat",
        max_steps=20,
        lr=1e-3,
        progress=False,
        threads=2,
    )
    folder = args.work / "ray-model"
    trainer.train(seed, labels=LABELS).save(folder)
    ref = ModelRef(trainer, str(folder))
    candidates = Candidates(ParquetPool(path))
    strategy = Margin()
    seed_, salt = strategy.draws(random.Random(0))

    def timed(scorer: object, what: object = strategy) -> tuple[float, list[int]]:
        start = time.perf_counter()
        picks = scorer.top(ref, what, candidates, 100, seed=seed_, salt=salt)  # type: ignore[attr-defined]
        return time.perf_counter() - start, [p.id for p in picks]

    torch.set_num_threads(2)
    read_s, _ = timed(LocalScorer(), RandomSampling())
    local_s, local_ids = timed(LocalScorer())
    start = time.perf_counter()
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, configure_logging=False)
    init_s = time.perf_counter() - start
    ray1_s, ray1_ids = timed(RayScorer(concurrency=1, num_cpus=2))
    ray2_s, ray2_ids = timed(RayScorer(concurrency=2, num_cpus=1))
    ray.shutdown()

    n = args.size
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}; ray {ray.__version__}; pool {n:,} sentences")
    print(f"ray.init on this machine: {init_s:.1f} s (once per process, not in the rows)\n")
    print("| scorer | seconds | sentences/s | vs local | same top 100 as local |")
    print("|---|---|---|---|---|")
    print(f"| read the pool only (random, no model) | {read_s:.1f} | {n / read_s:,.0f} | | |")
    print(f"| local, 2 threads | {local_s:.1f} | {n / local_s:,.0f} | 1.00x | yes |")
    for name, s, ids in (
        ("Ray, 1 worker x 2 CPUs", ray1_s, ray1_ids),
        ("Ray, 2 workers x 1 CPU", ray2_s, ray2_ids),
    ):
        same = "yes" if ids == local_ids else f"no ({len(set(ids) & set(local_ids))}/100)"
        print(f"| {name} | {s:.1f} | {n / s:,.0f} | {local_s / s:.2f}x | {same} |")
    print(f"\nRay's overhead at 1 worker: {ray1_s / local_s - 1:+.1%} of the local time")
    per_read = read_s / n
    per_score = (local_s - read_s) / n
    print(
        f"per sentence on this machine: read {per_read * 1e6:.1f} us, tiny-model scoring "
        f"{per_score * 1e6:.1f} us (2 cores)"
    )


if __name__ == "__main__":
    main()
