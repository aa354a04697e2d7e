"""Scorers: every scorer selects what the strategy selects over the same examples in memory;
Ray's failures (a killed worker, no cluster, an error in a worker) are typed."""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import attrs
import pytest

from autonlp_al import Example
from autonlp_al.errors import PoolError, ScorerError, ScorerUnreachableError
from autonlp_al.pools import JsonlPool, ListPool
from autonlp_al.scorers import Candidates, LocalScorer, ModelRef, Scorer
from autonlp_al.strategies import MNLP, RandomSampling
from autonlp_al.testing import ScriptedTrainer
from autonlp_al.types import wide_text_hash

TEXTS = [
    f"{name} met {other} in town {i}"
    for i, (name, other) in enumerate(
        (a, b)
        for a in ["anna", "omar", "lena", "raj", "mia"]
        for b in ["ivan", "zoe", "paul", "kim"] * 15
    )
]


@pytest.fixture(scope="module")
def model_ref(tmp_path_factory) -> ModelRef:
    trainer = ScriptedTrainer()
    model = trainer.train([Example(text="anna met ivan in town 0")], labels=["PER"])
    path = tmp_path_factory.mktemp("model") / "round-000"
    model.save(path)
    return ModelRef(trainer, str(path))


def pools(tmp_path: Path) -> dict[str, object]:
    jsonl = tmp_path / "pool.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    out: dict[str, object] = {"jsonl": JsonlPool(jsonl)}
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from autonlp_al.pools import ParquetPool

        folder = tmp_path / "parquet"
        folder.mkdir()
        for k in range(3):  # a folder of files, each of several row groups
            part = TEXTS[k * 100 : (k + 1) * 100] if k < 2 else TEXTS[200:]
            pq.write_table(
                pa.table({"text": part}), str(folder / f"part-{k}.parquet"), row_group_size=30
            )
        out["parquet"] = ParquetPool(folder)
    except ImportError:
        pass
    return out


def expected(model_ref: ModelRef, strategy, exclude: set[int], n: int, rng_seed: int) -> list[int]:
    pool = [Example(text=t, id=wide_text_hash(t)) for t in TEXTS]
    pool = [e for e in pool if e.id not in exclude]
    picks = strategy.select(model_ref.load(), pool, n, rng=random.Random(rng_seed))
    return [p.id for p in picks]


def scorers() -> list[Scorer]:
    out: list[Scorer] = [LocalScorer(batch_size=64)]
    if "ray" in sys.modules or _has_ray():
        from autonlp_al.scorers import RayScorer

        out.append(RayScorer(concurrency=2, batch_size=50))
    return out


def _has_ray() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    yield
    if "ray" in sys.modules:
        import ray

        ray.shutdown()


def test_a_ray_cluster_that_is_not_there_is_named(monkeypatch) -> None:
    pytest.importorskip("ray")
    import ray

    from autonlp_al.scorers import RayScorer

    ray.shutdown()
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:9")
    scorer = RayScorer()
    with pytest.raises(
        ScorerUnreachableError,
        match=r"no Ray cluster is reachable at '127.0.0.1:9'.*ray start --head",
    ):
        scorer._connect()
    assert not ray.is_initialized()


@pytest.mark.parametrize("scorer", scorers(), ids=lambda s: s.name)
@pytest.mark.parametrize("strategy", [MNLP(), RandomSampling()], ids=["mnlp", "random"])
def test_every_scorer_selects_what_the_strategy_selects_in_memory(
    tmp_path, model_ref, scorer, strategy
) -> None:
    exclude = {wide_text_hash(TEXTS[k]) for k in (0, 5, 17)}
    want = expected(model_ref, strategy, exclude, 12, 3)
    for name, pool in pools(tmp_path).items():
        seed, salt = strategy.draws(random.Random(3))
        picks = scorer.top(
            model_ref, strategy, Candidates(pool, exclude=exclude), 12, seed=seed, salt=salt
        )
        assert [p.id for p in picks] == want, name
        assert all(p.example is not None and p.example.id == p.id for p in picks)
        assert not {p.id for p in picks} & exclude


def test_a_list_pool_scored_on_ray_selects_the_same(model_ref) -> None:
    pytest.importorskip("ray")
    from autonlp_al.scorers import RayScorer

    pool = ListPool([Example(text=t, id=wide_text_hash(t)) for t in TEXTS])
    seed, salt = MNLP().draws(random.Random(1))
    picks = RayScorer(batch_size=40).top(
        model_ref, MNLP(), Candidates(pool), 7, seed=seed, salt=salt
    )
    assert [p.id for p in picks] == expected(model_ref, MNLP(), set(), 7, 1)


@attrs.define
class DiesOnce(MNLP):
    """MNLP whose worker process dies when it scores while ``marker`` exists (and removes the
    marker first, unless ``always``)."""

    marker: str = ""
    always: bool = False

    def score(self, model, examples, *, seed=0):
        if os.path.exists(self.marker):
            if not self.always:
                os.remove(self.marker)
            os._exit(1)
        return super().score(model, examples, seed=seed)


def test_a_killed_ray_worker_is_restarted_and_the_round_completes(tmp_path, model_ref) -> None:
    pytest.importorskip("ray")
    import ray

    from autonlp_al.scorers import RayScorer

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    pool = pools(tmp_path)["jsonl"]
    marker = tmp_path / "die"
    marker.touch()
    strategy = DiesOnce(marker=str(marker))
    seed, salt = strategy.draws(random.Random(2))
    picks = RayScorer(batch_size=50).top(
        model_ref, strategy, Candidates(pool), 6, seed=seed, salt=salt
    )
    assert not marker.exists()  # a worker did die
    assert [p.id for p in picks] == expected(model_ref, MNLP(), set(), 6, 2)


def test_a_worker_that_keeps_dying_fails_the_round_with_a_typed_error(tmp_path, model_ref) -> None:
    pytest.importorskip("ray")
    import ray

    from autonlp_al.scorers import RayScorer

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    marker = tmp_path / "die"
    marker.touch()
    strategy = DiesOnce(marker=str(marker), always=True)
    with pytest.raises(ScorerError, match="no selection was recorded: run the round again"):
        RayScorer(batch_size=50, max_restarts=1).top(
            model_ref, strategy, Candidates(pools(tmp_path)["jsonl"]), 6, seed=0, salt=1
        )


def test_our_error_inside_a_ray_worker_comes_back_typed(tmp_path, model_ref) -> None:
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("ray")
    import pyarrow.parquet as pq

    from autonlp_al.pools import ParquetPool
    from autonlp_al.scorers import RayScorer

    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"text": ["a b", "c d"], "key": [1, -5]}), str(path))
    with pytest.raises(PoolError, match="id -5 is not a non-negative integer"):
        RayScorer().top(
            model_ref, MNLP(), Candidates(ParquetPool(path, id_column="key")), 1, seed=0, salt=0
        )
