"""The bounded top-n every scorer shares: merging parts equals the whole, ties by a pure key."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from autonlp_al import Example
from autonlp_al.strategies import RandomSampling
from autonlp_al.strategies.base import TopN, tie_keys

entries = st.lists(
    st.tuples(st.integers(0, 2**96 - 1), st.sampled_from([0.0, 0.5, 1.0, 2.5, -1.0])),
    max_size=60,
    unique_by=lambda e: e[0],
)


@given(entries=entries, n=st.integers(1, 10), salt=st.integers(0, 2**64 - 1), cut=st.data())
def test_the_top_n_of_parts_merged_is_the_top_n_of_the_whole(entries, n, salt, cut) -> None:
    whole = TopN(n, salt)
    whole.add([i for i, _ in entries], [s for _, s in entries])
    order = cut.draw(st.permutations(entries))
    edges = sorted(cut.draw(st.lists(st.integers(0, len(order)), max_size=4)))
    merged = TopN(n, salt)
    for start, end in zip([0, *edges], [*edges, len(order)], strict=True):
        part = TopN(n, salt)
        part.add([i for i, _ in order[start:end]], [s for _, s in order[start:end]])
        merged.merge(part.entries())
    assert [s.id for s in merged.selections()] == [s.id for s in whole.selections()]
    assert len(whole.selections()) == min(n, len(entries))


@given(
    ids=st.lists(st.integers(0, 2**96 - 1), min_size=1, max_size=30), salt=st.integers(0, 2**64 - 1)
)
def test_tie_keys_are_a_pure_function_of_salt_and_id(ids, salt) -> None:
    assert tie_keys(ids, salt) == [tie_keys([i], salt)[0] for i in ids]
    assert all(0 <= k < 2**64 for k in tie_keys(ids, salt))


def test_an_id_offered_twice_is_kept_once() -> None:
    top = TopN(3, 0)
    top.add([1, 1, 2, 2, 3], [1.0, 1.0, 0.5, 0.5, 0.1])
    assert [s.id for s in top.selections()] == [1, 2, 3]


def test_random_sampling_is_uniform_and_seeded() -> None:
    pool = [Example(text=f"text number {i}") for i in range(200)]
    counts = {e.id: 0 for e in pool}
    for seed in range(300):
        for pick in RandomSampling().select(None, pool, 10, rng=random.Random(seed)):
            counts[pick.id] += 1
    # 3,000 picks over 200 examples: 15 each expected; a biased key would pile them up
    assert max(counts.values()) < 40 and min(counts.values()) > 0
    again = RandomSampling().select(None, pool, 10, rng=random.Random(5))
    assert again == RandomSampling().select(None, pool, 10, rng=random.Random(5))
