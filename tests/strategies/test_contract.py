"""One suite over every strategy: each case only supplies the strategy and the model it needs."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonlp_al import Example, registry
from autonlp_al.errors import StrategyError
from autonlp_al.strategies import (
    MNLP,
    CoreSet,
    Entropy,
    KMeans,
    LeastConfidence,
    LeastConfidentSequence,
    Margin,
    PoolExhaustedError,
    RandomSampling,
    Strategy,
    TokenEntropy,
)
from autonlp_al.testing import FakeModel
from autonlp_al.trainers import MarginalsModel

WORDS = ["apple", "berlin", "goal", "market", "chip", "anna", "said", "the", "plan", "new"]
TEXTCAT = FakeModel(task="textcat", labels=["a", "b", "c"])
NER = FakeModel(task="ner", labels=["PER", "ORG"])

# arguments for the cases where the defaults would make the suite slow or miss a path
ARGS = {"bald": {"samples": 4}, "hybrid": {"factor": 3}}


def _model_for(strategy: object) -> FakeModel | None:
    """The fake model a strategy needs: none for random, token marginals (and embeddings) for
    NER strategies and diversity, class probabilities for the rest."""
    if isinstance(strategy, RandomSampling):
        return None
    needs = getattr(type(strategy), "needs", None)
    if needs is None or needs is MarginalsModel:
        return NER
    return TEXTCAT


def _registered() -> dict[str, tuple[Strategy, FakeModel | None]]:
    """Every registered strategy, built by name: a new one is covered on registration."""
    out = {}
    for name in registry.short_names("strategies"):
        strategy = registry.get("strategies", name)(**ARGS.get(name, {}))
        out[name] = (strategy, _model_for(strategy))
    return out


CASES = {
    **_registered(),
    "kmeans_cold_start": (KMeans(embedder=NER), None),
    "coreset_textcat": (CoreSet(), TEXTCAT),
    "hybrid_textcat": (registry.get("strategies", "hybrid")(), TEXTCAT),
    "stochastic_textcat": (registry.get("strategies", "stochastic")(mode="softmax"), TEXTCAT),
    "length_bins_textcat": (registry.get("strategies", "length_bins")(base=Margin()), TEXTCAT),
    "tempered_alpha_0": (registry.get("strategies", "tempered_token_entropy")(alpha=0.0), NER),
}
cases = pytest.mark.parametrize(("strategy", "model"), CASES.values(), ids=CASES.keys())


def pool(n: int, seed: int = 0) -> list[Example]:
    rng = random.Random(seed)
    texts = {" ".join(rng.choices(WORDS, k=rng.randint(2, 9))) + f" {i}" for i in range(n)}
    return [Example(text=t) for t in sorted(texts)]


@cases
@given(size=st.integers(1, 40), n=st.integers(1, 12), seed=st.integers(0, 10))
@settings(max_examples=25, deadline=None)
def test_n_in_gives_n_distinct_ids_from_the_pool(strategy, model, size, n, seed) -> None:
    candidates = pool(size, seed)
    if n > len(candidates):
        with pytest.raises(PoolExhaustedError):
            strategy.select(model, candidates, n, rng=random.Random(seed))
        return
    picks = strategy.select(model, candidates, n, rng=random.Random(seed))
    ids = [p.id for p in picks]
    assert len(ids) == n == len(set(ids))
    assert set(ids) <= {e.id for e in candidates}


@cases
def test_deterministic_under_a_seed(strategy, model) -> None:
    candidates = pool(60)
    first = strategy.select(model, candidates, 7, rng=random.Random(3))
    again = strategy.select(model, candidates, 7, rng=random.Random(3))
    assert first == again


@cases
def test_empty_pool_is_a_typed_error(strategy, model) -> None:
    assert isinstance(strategy, Strategy)
    with pytest.raises(PoolExhaustedError, match="only 0 remain"):
        strategy.select(model, [], 1, rng=random.Random(0))


@cases
def test_never_picks_outside_the_given_pool(strategy, model) -> None:
    # the learner passes only unlabelled examples; labelled ones must never come back
    everything = pool(50)
    labeled, unlabeled = everything[:20], everything[20:]
    picks = strategy.select(model, unlabeled, 10, labeled=labeled, rng=random.Random(1))
    assert not {p.id for p in picks} & {e.id for e in labeled}


def test_uncertainty_needs_a_model_and_the_right_capability() -> None:
    with pytest.raises(StrategyError, match="needs a trained model"):
        Margin().select(None, pool(5), 1, rng=random.Random(0))
    with pytest.raises(StrategyError, match="token marginals"):
        MNLP().select(object(), pool(5), 1, rng=random.Random(0))  # type: ignore[arg-type]
    with pytest.raises(StrategyError, match="needs embeddings"):
        KMeans().select(None, pool(5), 1, rng=random.Random(0))
    # a model of the other task: named, not a crash inside the model
    with pytest.raises(StrategyError, match="mnlp scores ner, and the model is textcat"):
        MNLP().select(Fixed({}), pool(5), 1, rng=random.Random(0))  # type: ignore[arg-type]


class Fixed:
    """A model with given class probabilities / marginals per text, to check the arithmetic."""

    labels = ("a", "b")

    def __init__(self, table, task="textcat"):
        self.table = table
        self.task = task
        self.tags = ("O", "B-X", "I-X")

    def class_probabilities(self, items):
        return np.array([self.table[e.text] for e in items])

    def token_marginals(self, items):
        return [np.array(self.table[e.text]) for e in items]


def test_textcat_scores_rank_as_defined() -> None:
    table = {"sure": [0.99, 0.01], "torn": [0.5, 0.5], "leaning": [0.8, 0.2]}
    examples = [Example(text=t) for t in table]
    for strategy in (LeastConfidence(), Margin(), Entropy()):
        picks = strategy.select(Fixed(table), examples, 3, rng=random.Random(0))
        assert [p.id for p in picks] == [Example(text=t).id for t in ("torn", "leaning", "sure")]
    (top,) = Margin().select(Fixed(table), examples, 1, rng=random.Random(0))
    assert top.score == pytest.approx(1.0)


def test_mnlp_normalises_by_length_and_lc_does_not() -> None:
    # long: 10 words each 0.9 sure; short: 1 word 0.6 sure
    long = [[0.9, 0.05, 0.05]] * 10
    short = [[0.6, 0.2, 0.2]]
    table = {"long": long, "short": short}
    examples = [Example(text="long"), Example(text="short")]
    (mnlp,) = MNLP().select(Fixed(table, "ner"), examples, 1, rng=random.Random(0))
    (lc,) = LeastConfidentSequence().select(Fixed(table, "ner"), examples, 1, rng=random.Random(0))
    assert mnlp.id == Example(text="short").id  # -log 0.6 > -log 0.9
    assert lc.id == Example(text="long").id  # 1 - 0.9**10 = 0.65 > 1 - 0.6
    assert mnlp.score == pytest.approx(-np.log(0.6), rel=1e-6)


def test_coreset_picks_the_farthest_first() -> None:
    class Points:
        def embed(self, items):
            return np.array([[float(e.text), 0.0] for e in items])

    examples = [Example(text=str(x)) for x in (0, 1, 2, 10, 11)]
    picks = CoreSet(embedder=Points()).select(
        None, examples, 2, labeled=[Example(text="0.5")], rng=random.Random(0)
    )
    assert [p.id for p in picks] == [Example(text="11").id, Example(text="2").id]


def test_token_entropy_mean_prefers_the_torn_word_total_the_long_sentence() -> None:
    # long: 10 words, each fairly sure; short: 1 word split evenly between three tags
    long = [[0.9, 0.05, 0.05]] * 10
    short = [[1 / 3, 1 / 3, 1 / 3]]
    table = {"long": long, "short": short}
    examples = [Example(text="long"), Example(text="short")]
    (mean,) = TokenEntropy().select(Fixed(table, "ner"), examples, 1, rng=random.Random(0))
    (total,) = TokenEntropy("sum").select(Fixed(table, "ner"), examples, 1, rng=random.Random(0))
    word = -(0.9 * np.log(0.9) + 2 * 0.05 * np.log(0.05))
    assert mean.id == Example(text="short").id  # log 3 = 1.10 > 0.39
    assert total.id == Example(text="long").id  # 10 * 0.39 = 3.9 > 1.10
    assert total.score == pytest.approx(10 * word, rel=1e-6)


def test_every_registered_strategy_is_a_case_and_names_itself() -> None:
    names = registry.short_names("strategies")
    assert {"random", "margin", "mnlp", "total_token_entropy", "hybrid"} <= set(names)
    assert set(names) <= set(CASES)
    # the reductions registered by name build the one TokenEntropy class
    for reduction, name in (
        ("mean", "mean_token_entropy"),
        ("sum", "total_token_entropy"),
        ("max", "max_token_entropy"),
    ):
        built = registry.get("strategies", name)()
        assert isinstance(built, TokenEntropy)
        assert (built.reduction, built.name) == (reduction, name)


def test_a_strategy_registered_in_a_test_joins_the_registry() -> None:
    @registry.strategies.register("first_n.v1")
    class FirstN(RandomSampling):
        name: str = "first_n"

    assert "first_n" in registry.short_names("strategies")
    assert isinstance(registry.get("strategies", "first_n")(), RandomSampling)


def test_the_registry_is_reset_after_a_test_that_registered() -> None:
    assert "first_n" not in registry.short_names("strategies")  # runs after the test above


@cases
def test_a_scoring_strategys_scores_are_what_select_ranks_by(strategy, model) -> None:
    """``scores`` (what a server gives Label Studio as the task score) is the per-example score
    ``select`` ranks by, for every strategy that scores one example at a time."""
    from autonlp_al.strategies.base import ScoringStrategy

    if not isinstance(strategy, ScoringStrategy):
        return
    examples = pool(30, seed=4)
    scores = strategy.scores(model, examples)
    assert len(scores) == len(examples) and all(isinstance(s, float) for s in scores)
    picks = strategy.select(model, examples, 5, rng=random.Random(0))
    by_id = dict(zip((e.id for e in examples), scores, strict=True))
    if not strategy.stochastic:  # MC dropout draws a seed per selection
        assert [p.score for p in picks] == pytest.approx([by_id[p.id] for p in picks])
        assert min(p.score for p in picks) >= sorted(scores)[-5] - 1e-12
    if strategy.needs_model:
        with pytest.raises(StrategyError, match="needs a trained model"):
            strategy.scores(None, examples)
