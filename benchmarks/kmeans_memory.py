"""Peak memory of the k-means cold start and core-set distances (issue 16: k-means built a dense
n x k x d array, 734 MB for 5,000 x 384 at k=100).

Measures, with tracemalloc (numpy reports its allocations to it), the peak of one assignment step
done the old way (the broadcast ``vectors[:, None] - centres[None]``) and of the whole
``kmeans()`` now (k-means++ seeding, 20 iterations, the picks), on random float32 vectors.

    python benchmarks/kmeans_memory.py [--n 5000] [--dim 384] [--k 100]
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc

import numpy as np
from _corpora import machine

from autonlp_al.strategies.diversity import kmeans


def peak_mb(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args()
    vectors = np.random.default_rng(0).normal(size=(args.n, args.dim)).astype(np.float32)
    centres = vectors[: args.k].copy()
    old_step = peak_mb(
        lambda: ((vectors[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    )
    new_run = peak_mb(lambda: kmeans(vectors, args.k, random.Random(0)))
    print(f"machine: {machine()}\n")
    print(
        f"{args.n:,} vectors of {args.dim} dimensions (float32, {vectors.nbytes / 2**20:.1f} MB), k={args.k}\n"
    )
    print("| computation | peak MB above the inputs | seconds |\n|---|---|---|")
    print(f"| one assignment step, broadcast (before) | {old_step[0]:.1f} | {old_step[1]:.2f} |")
    print(
        f"| whole kmeans(): seeding, 20 iterations, picks (now) | {new_run[0]:.1f} | {new_run[1]:.2f} |"
    )


if __name__ == "__main__":
    main()
