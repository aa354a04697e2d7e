"""One suite over every trainer (and so every model type it returns): the local transformers
trainer on a tiny BERT, the AutoTrain trainer against the public ``FakeHub`` and against the
loopback stand-in Hub (real HTTP), and the public fake trainer. Each case only supplies a way to
make the trainer."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from autonlp_al.testing import ScriptedTrainer
from autonlp_al.trainers import Model, Trainer, TransformersTrainer
from tests.models import corpus
from tests.trainers.autotrain.test_trainer_http import TOKEN, model_files  # noqa: F401  (the fixture)
from tests.trainers.autotrain.test_trainer_http import trainer as autotrain

LABELS = {"ner": ["PER", "ORG", "LOC"], "textcat": ["business", "sport", "tech"]}
Make = Callable[[str], contextlib.AbstractContextManager[Trainer]]


@contextlib.contextmanager
def scripted(task: str) -> Iterator[Trainer]:
    yield ScriptedTrainer(task=task)


@pytest.fixture
def transformers_trainer(tiny_bert) -> Make:
    @contextlib.contextmanager
    def make(task: str) -> Iterator[Trainer]:
        yield TransformersTrainer(
            model=tiny_bert, task=task, max_steps=4, lr=1e-3, max_length=64, progress=False
        )

    return make


@pytest.fixture
def autotrain_trainer(model_files) -> Make:  # noqa: F811
    pytest.importorskip("pyarrow")
    from autonlp_al.testing import FakeHub
    from autonlp_al.trainers import AutoTrainTrainer

    @contextlib.contextmanager
    def make(task: str) -> Iterator[Trainer]:
        yield AutoTrainTrainer(
            task=task,
            model="sentence-transformers/all-MiniLM-L6-v2",
            token=TOKEN,
            client=FakeHub(model_files=model_files),
            poll_interval=0.0,
            sleep=lambda seconds: None,
        )

    return make


@pytest.fixture
def autotrain_http_trainer(model_files, tmp_path, monkeypatch) -> Make:  # noqa: F811
    pytest.importorskip("huggingface_hub")
    from tests.hub_standin import Hub

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    @contextlib.contextmanager
    def make(task: str) -> Iterator[Trainer]:
        with Hub(token=TOKEN, model_files=model_files) as hub:
            yield autotrain(hub, task=task)

    return make


@pytest.fixture
def embedding_trainer(tiny_bert, tmp_path) -> Make:
    from autonlp_al.trainers.frozen.embedding import EmbeddingTrainer
    from autonlp_al.trainers.frozen.encoder import FrozenEncoder

    @contextlib.contextmanager
    def make(task: str) -> Iterator[Trainer]:
        encoder = FrozenEncoder(model=tiny_bert, cache_dir=tmp_path / "cache", max_length=64)
        yield EmbeddingTrainer(encoder=encoder, task=task)

    return make


@pytest.fixture
def tfidf_trainer(tiny_bert, tmp_path) -> Make:
    from autonlp_al.trainers.frozen.encoder import FrozenEncoder
    from autonlp_al.trainers.frozen.tfidf import TfidfTrainer

    @contextlib.contextmanager
    def make(task: str) -> Iterator[Trainer]:
        if task != "textcat":
            pytest.skip("TF-IDF heads classify texts only")
        encoder = FrozenEncoder(model=tiny_bert, cache_dir=tmp_path / "cache", max_length=64)
        yield TfidfTrainer(encoder=encoder)

    return make


@pytest.fixture(
    params=["scripted", "transformers", "autotrain", "autotrain_http", "embedding", "tfidf"]
)
def make(request) -> Make:
    if request.param == "scripted":
        return scripted
    return request.getfixturevalue(f"{request.param}_trainer")


@pytest.mark.parametrize("task", ["ner", "textcat"])
def test_trains_a_model_that_predicts_saves_and_loads_back(make, task, tmp_path) -> None:
    data = corpus(30, 1, task)
    with make(task) as trainer:
        assert isinstance(trainer, Trainer) and trainer.task == task
        model = trainer.train(data, labels=LABELS[task])
        assert isinstance(model, Model)
        assert model.task == task and tuple(model.labels) == tuple(LABELS[task])
        assert isinstance(model.version, str) and model.version
        items = data[:5]
        predictions = model.predict(items)
        assert [p.id for p in predictions] == [e.id for e in items]
        assert [p.text for p in predictions] == [e.text for e in items]
        if task == "textcat":
            assert all(set(p.cats) <= set(LABELS[task]) and p.cats for p in predictions)
        folder = model.save(tmp_path / "model")
        loaded = trainer.load(folder)
        assert loaded.version == model.version and tuple(loaded.labels) == tuple(model.labels)
        assert loaded.predict(items) == predictions


def test_a_warm_start_keeps_the_label_map(make) -> None:
    data = corpus(30, 2, "ner")
    with make("ner") as trainer:
        first = trainer.train(data, labels=LABELS["ner"])
        second = trainer.train(data, labels=LABELS["ner"], init=first)
        assert tuple(second.labels) == tuple(first.labels)
