"""The diversity strategies' distance computation (k-means, core-set)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("numpy")


@given(
    shape=st.tuples(st.integers(1, 30), st.integers(1, 12), st.integers(1, 8)),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=60, deadline=None)
def test_squared_distances_equal_the_broadcast_they_replace(shape, seed) -> None:
    import numpy as np

    from autonlp_al.strategies.diversity import squared_distances

    n, m, d = shape
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, d)).astype(np.float32), rng.normal(size=(m, d)).astype(np.float32)
    naive = ((a[:, None, :].astype(np.float64) - b[None, :, :]) ** 2).sum(axis=2)
    fast = squared_distances(a, b)
    assert fast.shape == (n, m) and (fast >= 0).all()
    assert np.allclose(fast, naive, atol=1e-9, rtol=1e-9)
