"""How a batch is drawn (issue 31, items 2 and 3): stochastic draws by score, length bins, and
tempered token entropy between total and mean."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonlp_al import Example
from autonlp_al.errors import ConfigError, StrategyError
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.strategies import (
    LengthBins,
    ScoringStrategy,
    Stochastic,
    TokenEntropy,
)
from autonlp_al.strategies.base import top_n
from autonlp_al.strategies.batches import gumbel, shares
from autonlp_al.testing import FakeModel

NER = FakeModel(task="ner", labels=["PER", "ORG"])


@attrs.define
class Fixed(ScoringStrategy):
    """Scores read from the text: ``"s=0.5 ..."`` scores 0.5 (no model needed)."""

    name: str = "fixed"
    needs_model = False

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> list[float]:
        return [float(e.text.split()[0][2:]) for e in examples]


@attrs.define
class Longest(ScoringStrategy):
    """Scores a text by its words: prefers the long ones, as total token entropy does."""

    name: str = "longest"
    needs_model = False

    def score(self, model: Any, examples: Sequence[Example], *, seed: int = 0) -> list[float]:
        return [float(len(e.text.split())) for e in examples]


def test_a_stochastic_draw_samples_in_proportion_to_score_to_the_power_beta() -> None:
    pool = [Example(text=f"s={s} item {i}") for i, s in enumerate([1, 2, 3, 4])]
    for mode, beta, expected in (
        ("power", 1.0, [0.1, 0.2, 0.3, 0.4]),
        ("power", 2.0, [1 / 30, 4 / 30, 9 / 30, 16 / 30]),
        ("softmax", 1.0, list(np.exp([1, 2, 3, 4]) / np.exp([1, 2, 3, 4]).sum())),
        ("power", 0.0, [0.25] * 4),  # beta 0: random
    ):
        strategy = Stochastic(base=Fixed(), mode=mode, beta=beta)
        draws = Counter(
            strategy.select(None, pool, 1, rng=random.Random(k))[0].id for k in range(4000)
        )
        shares_seen = [draws[e.id] / 4000 for e in pool]
        assert shares_seen == pytest.approx(expected, abs=0.03), (mode, beta)


def test_a_large_beta_is_top_k_and_the_draw_is_a_pure_function_of_seed_and_id() -> None:
    pool = [Example(text=f"s={(i * 37) % 300 / 300} item {i}") for i in range(300)]
    greedy = Stochastic(base=Fixed(), mode="softmax", beta=1e4)
    top = {s.id for s in Fixed().select(None, pool, 10, rng=random.Random(0))}
    assert {s.id for s in greedy.select(None, pool, 10, rng=random.Random(5))} == top
    # an example's perturbed score does not depend on its neighbours in a chunk, so any scorer
    # (local, Ray workers with other batches) draws the same batch
    drawn = Stochastic(base=Fixed())
    whole = drawn.score(None, pool, seed=11)
    parts = [*drawn.score(None, pool[150:], seed=11), *drawn.score(None, pool[:150], seed=11)]
    assert list(whole) == parts[150:] + parts[:150]
    by_chunks = top_n(pool, 10, lambda c: drawn.score(None, c, seed=11), salt=3)
    assert by_chunks == top_n(list(reversed(pool)), 10, lambda c: drawn.score(None, c, seed=11), 3)
    # another seed, another draw; gumbel noise is a standard Gumbel (mean 0.5772)
    assert drawn.score(None, pool, seed=12) != whole
    assert np.mean(gumbel(range(20000), 0)) == pytest.approx(0.5772, abs=0.03)


def test_stochastic_and_length_bins_refuse_what_they_cannot_use() -> None:
    from autonlp_al.strategies import KMeans

    with pytest.raises(StrategyError, match="does not score examples one by one"):
        Stochastic(base=KMeans())  # type: ignore[arg-type]
    for beta in (-1.0, float("inf"), "2"):
        with pytest.raises(StrategyError, match="beta must be a finite number"):
            Stochastic(beta=beta)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode"):
        Stochastic(mode="greedy")
    for bins in (0, 2.5):
        with pytest.raises(StrategyError, match="bins must be a whole number"):
            LengthBins(bins=bins)  # type: ignore[arg-type]
    with pytest.raises(StrategyError, match="needs a trained model"):
        Stochastic().select(None, [Example(text="a")], 1, rng=random.Random(0))


@given(
    lengths=st.lists(st.integers(1, 60), min_size=1, max_size=300),
    bins=st.integers(1, 8),
    data=st.data(),
)
@settings(max_examples=200, deadline=None)
def test_length_shares_fill_the_batch_in_proportion(lengths, bins, data) -> None:
    n = data.draw(st.integers(1, len(lengths)))
    edges, counts = shares(lengths, bins, n)
    assert sum(counts) == n and edges == sorted(set(edges)) and len(counts) == len(edges) + 1
    sizes = Counter(next((b for b, e in enumerate(edges) if x < e), len(edges)) for x in lengths)
    for b, count in enumerate(counts):
        assert count <= sizes[b]
        assert abs(count - n * sizes[b] / len(lengths)) < 1 + 1e-9


def test_length_bins_pick_with_the_pools_lengths_where_top_k_picks_the_longest() -> None:
    rng = random.Random(0)
    pool = [Example(text=" ".join(["w"] * rng.randint(1, 40)) + f" {i}") for i in range(2000)]
    words = {e.id: len(e.text.split()) for e in pool}
    mean_pool = sum(words.values()) / len(pool)
    top = Longest().select(None, pool, 100, rng=random.Random(1))
    binned = LengthBins(base=Longest()).select(None, pool, 100, rng=random.Random(1))
    assert len({s.id for s in binned}) == 100
    mean_top = sum(words[s.id] for s in top) / 100
    mean_binned = sum(words[s.id] for s in binned) / 100
    assert mean_top > 1.5 * mean_pool
    # the pool's tokens per sentence, but for the longest within each of the 10 bins
    assert abs(mean_binned - mean_pool) < 0.1 * mean_pool
    # within each bin the base's best: the longest of each bin
    edges, counts = shares(list(words.values()), 10, 100)
    for b in range(len(counts)):
        in_bin = sorted(
            (w for i, w in words.items() if (next((k for k, e in enumerate(edges) if w < e),
                                                   len(edges))) == b),
            reverse=True,
        )  # fmt: skip
        got = sorted(
            (words[s.id] for s in binned if next((k for k, e in enumerate(edges) if words[s.id]
                                                   < e), len(edges)) == b),
            reverse=True,
        )  # fmt: skip
        assert got == in_bin[: counts[b]]


def test_tempered_token_entropy_lies_between_total_and_mean() -> None:
    marginals = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.99, 0.01]])
    total = TokenEntropy(reduction="sum").sentence(marginals)
    mean = TokenEntropy(reduction="mean").sentence(marginals)
    assert TokenEntropy(reduction="tempered", alpha=0.0).sentence(marginals) == pytest.approx(total)
    assert TokenEntropy(reduction="tempered", alpha=1.0).sentence(marginals) == pytest.approx(mean)
    half = TokenEntropy(reduction="tempered")
    assert half.alpha == 0.5 and half.name == "tempered_token_entropy"
    assert half.sentence(marginals) == pytest.approx(total / 2)  # 4 words: 4 ** 0.5
    with pytest.raises(StrategyError, match="takes none"):
        TokenEntropy(reduction="sum", alpha=0.3)
    for alpha in (-0.1, 1.5, "x"):
        with pytest.raises(StrategyError, match="alpha must be a number from 0 to 1"):
            TokenEntropy(reduction="tempered", alpha=alpha)  # type: ignore[arg-type]


def test_a_config_nests_the_base_and_checks_its_task() -> None:
    def loop(strategy: Part) -> LoopConfig:
        return LoopConfig(
            task="ner",
            labels=["PER"],
            trainer=Part(kind="trainers", name="transformers.v1", args={"model": "m"}),
            strategy=strategy,
        )

    part = Part(
        kind="strategies",
        name="stochastic.v1",
        args={"base": Part(kind="strategies", name="total_token_entropy.v1"), "beta": 2.0},
    )
    config = LoopConfig.from_str(loop(part).to_str())
    built = config.build_strategy()
    assert isinstance(built, Stochastic) and built.beta == 2.0
    assert built.name == "stochastic_total_token_entropy"
    margin = Part(kind="strategies", name="length_bins.v1", args={"base": Part(
        kind="strategies", name="margin.v1")})  # fmt: skip
    with pytest.raises(ConfigError, match="scores textcat, not ner"):
        loop(margin)


def test_the_cli_gives_a_wrapper_its_base_with_uncertainty() -> None:
    from autonlp_al.cli import parse
    from autonlp_al.cli.loop import loop_config

    args = parse(
        ["query", "pool.jsonl", "--from", "jsonl", "--state-dir", "d", "--task", "ner",
         "--labels", "PER", "--model", "m", "--strategy", "length_bins", "--uncertainty",
         "total_token_entropy"]
    )  # fmt: skip
    strategy = loop_config(args).strategy
    assert strategy.name == "length_bins"
    assert strategy.args["base"].name == "total_token_entropy"
    built = strategy.build({"task": "ner"})
    assert isinstance(built, LengthBins) and built.name == "length_bins_total_token_entropy"
