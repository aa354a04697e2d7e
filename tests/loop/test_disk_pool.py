"""The learner over pools on disk: the same selections as a list of the same examples, resume,
people in the loop, and a pool that changes under it."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest

from autonlp_al import Example, Span
from autonlp_al.errors import AnswerError, PoolChangedError, StateError
from autonlp_al.loop.learner import ActiveLearner, GoldOracle
from autonlp_al.pools import JsonlPool, ListPool
from autonlp_al.strategies import MNLP, Hybrid, KMeans, RandomSampling
from autonlp_al.testing import FakeModel, ScriptedTrainer
from autonlp_al.types import wide_text_hash

NAMES = ["anna", "omar", "lena", "raj", "mia", "ivan", "zoe", "paul"]
GOLD = [
    Example(
        text=f"{NAMES[i % 8]} visited plant {i} today", spans=[Span(0, len(NAMES[i % 8]), "PER")]
    )
    for i in range(200)
]


def unlabeled(al: ActiveLearner) -> list:
    return al.picker.unlabeled(al.state.done())


def open_examples(al: ActiveLearner) -> list:
    query = al.state.open
    return [] if query is None else list(al.picker.find(query.ids, query.ids).values())


def jsonl_pool(tmp_path: Path) -> JsonlPool:
    path = tmp_path / "pool.jsonl"
    if not path.exists():
        path.write_text("".join(json.dumps({"text": e.text}) + "\n" for e in GOLD[10:]))
    return JsonlPool(path)


def learner(tmp_path: Path, pool, name: str = "state", **kwargs) -> ActiveLearner:
    options = {
        "trainer": ScriptedTrainer(),
        "strategy": MNLP(),
        "pool": pool,
        "labels": ["PER"],
        "state_dir": tmp_path / name,
        "labeled": GOLD[:4],
        "batch_size": 5,
        "seed": 7,
        "oracle": GoldOracle.wide(GOLD),
        **kwargs,
    }
    return ActiveLearner.create(**options)


def wide_list() -> ListPool:
    return ListPool([Example(text=e.text, id=wide_text_hash(e.text)) for e in GOLD[10:]])


@pytest.mark.parametrize("strategy", [MNLP(), RandomSampling()], ids=["mnlp", "random"])
def test_a_pool_on_disk_selects_what_a_list_of_the_same_examples_selects(
    tmp_path, strategy
) -> None:
    on_disk = learner(tmp_path, jsonl_pool(tmp_path), "disk", strategy=strategy).run(rounds=4)
    in_memory = learner(tmp_path, wide_list(), "list", strategy=strategy).run(rounds=4)
    assert [r.selected for r in on_disk] == [r.selected for r in in_memory]
    assert all(len(r.selected) == 5 for r in on_disk[1:])
    state = json.loads((tmp_path / "disk" / "events.jsonl").read_text().splitlines()[0])
    assert state["pool_uri"].startswith("jsonl://") and "pool_uri" not in json.loads(
        (tmp_path / "list" / "events.jsonl").read_text().splitlines()[0]
    )


def test_a_set_choosing_strategy_runs_on_its_shortlist(tmp_path) -> None:
    al = learner(tmp_path, jsonl_pool(tmp_path), strategy=Hybrid(factor=3))
    rounds = al.run(rounds=3)
    assert [len(r.selected) for r in rounds] == [0, 5, 5]
    cold = learner(
        tmp_path,
        jsonl_pool(tmp_path),
        "cold",
        labeled=(),
        cold_start=KMeans(embedder=FakeModel(task="ner", labels=["PER"]), max_candidates=40),
    )
    first = cold.run(rounds=1)[0]
    assert len(first.selected) == 5 and len(set(first.selected)) == 5


def test_query_resume_and_update_with_a_pool_on_disk(tmp_path) -> None:
    pool = jsonl_pool(tmp_path)
    al = learner(tmp_path, pool, oracle=None)
    al.train_pending()
    query = al.query()
    assert all(e.id == wide_text_hash(e.text) for e in query.examples)
    # a new process: the open query's examples are found again by one pass over the pool
    again = learner(tmp_path, jsonl_pool(tmp_path), oracle=None)
    assert [e.text for e in again.query().examples] == [e.text for e in query.examples]
    answers = [
        attrs.evolve(GOLD[[g.text for g in GOLD].index(e.text)], id=e.id) for e in query.examples
    ]
    with pytest.raises(AnswerError, match="names the pool text"):
        again.update([attrs.evolve(answers[0], text=answers[0].text + " edited")])
    record = again.update(answers[:3])
    assert record is not None and record.n_labeled == 7
    assert again.remaining == len(GOLD) - 10 - 3


def test_a_pool_file_changed_between_rounds_is_refused(tmp_path) -> None:
    pool = jsonl_pool(tmp_path)
    al = learner(tmp_path, pool)
    al.run(rounds=2)
    with (tmp_path / "pool.jsonl").open("a") as f:
        f.write(json.dumps({"text": "a new text"}) + "\n")
    with pytest.raises(
        PoolChangedError, match=r"pool\.jsonl: the pool's files changed during the run"
    ):
        al.step()
    events = (tmp_path / "state" / "events.jsonl").read_text().splitlines()
    assert json.loads(events[-1])["type"] == "trained"  # no partial selection recorded
    with pytest.raises(PoolChangedError, match="start a new state folder"):
        learner(tmp_path, jsonl_pool(tmp_path))


def test_a_list_pool_state_is_refused_for_a_pool_on_disk(tmp_path) -> None:
    learner(tmp_path, wide_list()).run(rounds=1)
    with pytest.raises(StateError, match="differs in: pool, pool_uri"):
        learner(tmp_path, jsonl_pool(tmp_path))


def test_run_stops_when_a_pool_on_disk_is_used_up(tmp_path) -> None:
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps({"text": e.text}) + "\n" for e in GOLD[10:22]))
    al = learner(tmp_path, JsonlPool(path))
    rounds = al.run(rounds=10)
    assert [len(r.selected) for r in rounds] == [0, 5, 5, 2]
    assert al.remaining == 0


def test_an_unasked_answer_for_the_open_query_is_checked_against_its_text(tmp_path) -> None:
    al = learner(tmp_path, jsonl_pool(tmp_path), oracle=None)
    al.train_pending()
    query = al.query()
    with pytest.raises(AnswerError, match="names the pool text"):
        al.record([Example(text="another text", id=query.examples[0].id)])
    assert al.record([Example(text="outside the pool", spans=[])]) == 1


def test_a_list_pool_keeps_its_unlabeled_list_and_a_pool_on_disk_says_why_not(tmp_path) -> None:
    assert len(unlabeled(learner(tmp_path, wide_list(), "l"))) == 190
    with pytest.raises(StateError, match="stays on disk"):
        _ = unlabeled(learner(tmp_path, jsonl_pool(tmp_path)))


def test_pool_sample_keeps_a_seeded_share_of_a_pool_on_disk(tmp_path) -> None:
    a = learner(tmp_path, jsonl_pool(tmp_path), "a", pool_sample=50).run(rounds=3)
    b = learner(tmp_path, jsonl_pool(tmp_path), "b", pool_sample=50).run(rounds=3)
    assert [r.selected for r in a] == [r.selected for r in b]


def test_the_cli_queries_a_parquet_pool_kept_on_disk(tmp_path) -> None:
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("sklearn")
    import pyarrow.parquet as pq

    from autonlp_al.cli import main
    from autonlp_al.loop.config import LoopConfig

    texts = [e.text for e in GOLD]
    pq.write_table(pa.table({"sentence": texts}), str(tmp_path / "pool.parquet"))
    state = tmp_path / "state"
    argv = ["query", str(tmp_path / "pool.parquet"), "--pool-on-disk", "parquet"]
    argv += ["--source-arg", "text=sentence", "--state-dir", str(state), "--task", "textcat"]
    argv += ["--labels", "A,B", "--trainer", "tfidf", "--batch-size", "4", "--scorer", "local"]
    assert main(argv) == 0
    tasks = [json.loads(line) for line in (state / "queries" / "round-000.jsonl").open()]
    assert len(tasks) == 4 and all(t["text"] in texts for t in tasks)
    assert all(int(t["meta"]["autonlp_al_id"]) == wide_text_hash(t["text"]) for t in tasks)
    config = LoopConfig.from_state(state)
    assert config.pool is not None and config.pool.kind == "pools"
    assert config.pool.args["text"] == "sentence" and config.scorer is not None


def test_a_config_names_a_pool_on_disk_and_a_scorer(tmp_path) -> None:
    from autonlp_al.loop.config import LoopConfig

    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps({"text": e.text}) + "\n" for e in GOLD[10:]))
    config = LoopConfig.from_str(
        f"""
[loop]
task = "ner"
labels = ["PER"]
batch_size = 3

[trainer]
@trainers = "transformers.v1"
model = "unused"

[strategy]
@strategies = "mnlp.v1"

[pool]
@pools = "jsonl.v1"
path = "{path}"

[scorer]
@scorers = "local.v1"
batch_size = 50
"""
    )
    learner = config.build(tmp_path / "state", trainer=ScriptedTrainer(), labeled=GOLD[:3])
    assert isinstance(learner.picker.pool, JsonlPool) and learner.picker.scorer.batch_size == 50
    assert (
        learner.picker.on_disk and LoopConfig.from_state(tmp_path / "state").scorer == config.scorer
    )


def test_open_examples_are_the_open_querys_examples(tmp_path) -> None:
    al = learner(tmp_path, jsonl_pool(tmp_path), oracle=None)
    assert open_examples(al) == []
    al.train_pending()
    query = al.query()
    assert [e.id for e in open_examples(al)] == [e.id for e in query.examples]


def test_a_state_folder_from_before_pools_resumes_unchanged(tmp_path) -> None:
    import hashlib

    pool = [Example(text=e.text) for e in GOLD[10:]]
    state = tmp_path / "old"
    state.mkdir()
    # the config event as 0.1 wrote it: the pool fingerprinted by a hash of its ids, no pool_uri
    ids = json.dumps([e.id for e in pool]).encode()
    seeds = json.dumps([e.id for e in GOLD[:4]]).encode()
    config = {
        "type": "config",
        "strategy": "mnlp",
        "cold_start": "random",
        "labels": ["PER"],
        "batch_size": 5,
        "seed": 7,
        "pool": hashlib.blake2b(ids, digest_size=8).hexdigest(),
        "labeled": hashlib.blake2b(seeds, digest_size=8).hexdigest(),
    }
    (state / "events.jsonl").write_text(json.dumps(config) + "\n")
    al = learner(tmp_path, pool, "old", oracle=GoldOracle(GOLD))
    assert len(al.run(rounds=2)) == 2


@attrs.define
class CountingPool:
    """A pool made on the fly, batch by batch: it cannot be listed or indexed, and it counts
    the passes made over it."""

    size: int
    uri: str = "counting://"
    passes: int = 0
    report: object = attrs.field(factory=lambda: __import__("autonlp_al").report.Report())

    def __len__(self) -> int:
        return self.size

    def batches(self, size: int = 1024):
        self.passes += 1
        for start in range(0, self.size, size):
            yield [
                Example(text=(t := f"{NAMES[i % 8]} visited plant {i} today"), id=wide_text_hash(t))
                for i in range(start, min(self.size, start + size))
            ]

    def fingerprint(self) -> str:
        return f"counting-{self.size}"


def test_the_learner_needs_only_batches_from_a_pool(tmp_path) -> None:
    pool = CountingPool(3000)
    gold = [Example(text=f"{NAMES[i % 8]} visited plant {i} today") for i in range(3000)]
    gold = [attrs.evolve(e, spans=[Span(0, e.text.index(" "), "PER")]) for e in gold]
    al = learner(tmp_path, pool, oracle=GoldOracle.wide(gold), stability_sample=0)
    rounds = al.run(rounds=3)
    assert [len(r.selected) for r in rounds] == [0, 5, 5]
    assert pool.passes == 2  # one pass per selection, nothing else read the pool
