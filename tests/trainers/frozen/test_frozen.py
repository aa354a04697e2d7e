"""The cheap selection models: the frozen encoder and its on-disk cache, the linear heads on
its vectors (text classification and NER) and on TF-IDF, on the tiny test BERT."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonlp_al import Example
from autonlp_al.errors import CacheError, ModelLoadError, StrategyError, TrainingError
from autonlp_al.trainers.base import EmbeddingModel, MarginalsModel, ProbabilityModel
from autonlp_al.trainers.frozen.cache import VectorCache, key_of
from autonlp_al.trainers.frozen.embedding import EmbeddingTrainer
from autonlp_al.trainers.frozen.encoder import FrozenEncoder
from autonlp_al.trainers.frozen.model import LinearModel
from autonlp_al.trainers.frozen.tfidf import TfidfTrainer
from tests.models import corpus

TOPICS = ["business", "sport", "tech"]


def encoder(tiny_bert: Path, tmp_path: Path, **kwargs) -> FrozenEncoder:
    return FrozenEncoder(model=tiny_bert, cache_dir=tmp_path / "cache", max_length=64, **kwargs)


def test_vectors_are_cached_on_disk_and_read_back_by_a_new_encoder(tiny_bert, tmp_path) -> None:
    texts = [e.text for e in corpus(40, 1, "textcat")]
    first = encoder(tiny_bert, tmp_path)
    vectors = first.embed(texts)
    assert vectors.shape == (40, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert first.cache.misses == 40 and len(first.cache) == len(set(texts))
    again = encoder(tiny_bert, tmp_path)  # another process, in effect: nothing re-encoded
    assert np.array_equal(again.embed(texts), vectors)
    assert again.cache.hits == 40 and again.cache.misses == 0
    assert again._loaded is None  # the transformers model was never even loaded


def test_a_text_given_twice_is_encoded_once(tiny_bert, tmp_path) -> None:
    enc = encoder(tiny_bert, tmp_path)
    twice = enc.embed(["the match", "the match"])
    assert np.array_equal(twice[0], twice[1])
    (line,) = (tmp_path / "cache" / "parts.jsonl").read_text().splitlines()
    assert json.loads(line)["n"] == 1


def test_token_vectors_give_one_row_per_word(tiny_bert, tmp_path) -> None:
    examples = corpus(5, 2, "ner")
    enc = encoder(tiny_bert, tmp_path)
    rows = enc.token_vectors(examples)
    words = [e.text.split() for e in examples]
    assert [len(r) for r in rows] == [len(w) for w in words]
    assert all(np.abs(r).sum(axis=1).min() > 0 for r in rows)  # every word got a vector


def test_long_texts_are_read_in_windows_when_asked(tiny_bert, tmp_path) -> None:
    long = " ".join(e.text for e in corpus(30, 3, "textcat"))
    head = encoder(tiny_bert, tmp_path, windows=1).embed([long])
    pooled = encoder(tiny_bert, tmp_path / "w", windows=4).embed([long])
    assert not np.allclose(head, pooled)  # the later windows changed the vector


def test_a_cache_of_another_encoder_is_refused(tiny_bert, tmp_path) -> None:
    encoder(tiny_bert, tmp_path).embed(["the match"])
    other = encoder(tiny_bert, tmp_path, windows=2)  # other settings: other vectors
    with pytest.raises(CacheError, match="written by encoder"):
        other.embed(["the match"])


def test_a_part_truncated_by_a_kill_is_rebuilt(tiny_bert, tmp_path) -> None:
    texts = [e.text for e in corpus(20, 4, "textcat")]
    vectors = encoder(tiny_bert, tmp_path).embed(texts)
    (part,) = (tmp_path / "cache").glob("part-*.vectors.npy")
    part.write_bytes(part.read_bytes()[:200])
    again = encoder(tiny_bert, tmp_path)
    assert np.allclose(again.embed(texts), vectors, atol=1e-6)
    assert again.cache.rebuilt == 1 and again.cache.misses == 20


def test_a_torn_manifest_line_and_uncommitted_files_are_dropped(tmp_path) -> None:
    cache = VectorCache.open(tmp_path, fingerprint="f", dim=2)
    cache.add([key_of("a")], [np.ones((1, 2))])
    with (tmp_path / "parts.jsonl").open("a") as f:
        f.write('{"name": "part-torn')  # a kill in the middle of the commit line
    orphan = tmp_path / "part-orphan.vectors.npy"
    orphan.write_bytes(b"half")
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    again = VectorCache.open(tmp_path, fingerprint="f", dim=2)
    assert len(again) == 1 and np.array_equal(again.get(key_of("a")), np.ones((1, 2)))
    assert not orphan.exists()


def test_a_key_is_its_input_only() -> None:
    assert key_of("text", "a b") != key_of("words", ["a", "b"])
    assert key_of("words", ["a b"]) != key_of("words", ["a", "b"])
    assert key_of("text", "x") == key_of("text", "x")


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ({}, "no config.json"),
        ({"config.json": "{not json"}, "not readable JSON"),
        (
            {"config.json": json.dumps({"architectures": ["GPT2LMHeadModel"], "is_decoder": True})},
            "decoder, not an encoder",
        ),
    ],
)
def test_a_folder_that_is_not_an_encoder_is_refused(tmp_path, files, match) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ModelLoadError, match=match):
        FrozenEncoder(model=tmp_path)


def test_weights_transformers_cannot_load_give_a_typed_error(tmp_path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (tmp_path / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelLoadError, match="could not load it as an encoder"):
        FrozenEncoder(model=tmp_path, cache_dir=tmp_path / "c").embed(["x"])


@pytest.mark.parametrize("make", ["embedding", "tfidf", "tfidf+embedding"])
def test_text_classification_heads_learn_the_topics(tiny_bert, tmp_path, make) -> None:
    train, test = corpus(90, 5, "textcat"), corpus(60, 6, "textcat")
    enc = encoder(tiny_bert, tmp_path)
    trainer = {
        "embedding": lambda: EmbeddingTrainer(encoder=enc, task="textcat"),
        "tfidf": lambda: TfidfTrainer(),
        "tfidf+embedding": lambda: TfidfTrainer(encoder=enc),
    }[make]()
    model = trainer.train(train, labels=TOPICS, eval=test)
    assert isinstance(model, ProbabilityModel)
    assert model.metrics["accuracy"] >= 0.9, model.metrics
    probs = model.class_probabilities(test)
    assert probs.shape == (60, 3) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    loaded = trainer.load(model.save(tmp_path / "model"))
    assert loaded.version == model.version
    assert np.allclose(loaded.class_probabilities(test), probs, atol=1e-6)


def test_ner_head_gives_token_marginals_and_spans(tiny_bert, tmp_path) -> None:
    train, test = corpus(120, 7, "ner"), corpus(40, 8, "ner")
    trainer = EmbeddingTrainer(encoder=encoder(tiny_bert, tmp_path), task="ner")
    model = trainer.train(train, labels=["PER", "ORG", "LOC"], eval=test)
    assert isinstance(model, MarginalsModel) and isinstance(model, EmbeddingModel)
    assert model.tags == ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
    marginals = model.token_marginals(test)
    assert [m.shape for m in marginals] == [(len(e.text.split()), 7) for e in test]
    assert model.metrics["f1"] > 0.5, model.metrics  # a linear head on a tiny random BERT
    loaded = trainer.load(model.save(tmp_path / "model"))
    assert loaded.predict(test) == model.predict(test)


def test_a_label_the_selector_never_saw_gets_probability_zero(tiny_bert, tmp_path) -> None:
    train = [e for e in corpus(60, 9, "textcat") if e.labels[0] != "tech"]
    model = TfidfTrainer().train(train, labels=TOPICS)
    probs = model.class_probabilities(["chip phone app"])
    assert probs[0, TOPICS.index("tech")] == 0.0 and probs.sum() == pytest.approx(1.0)


def test_one_class_gives_a_constant_model(tmp_path) -> None:
    model = TfidfTrainer().train([Example(text="a goal", labels=["sport"])], labels=TOPICS)
    assert model.predict(["anything"])[0].cats == {"business": 0.0, "sport": 1.0, "tech": 0.0}


def test_nothing_to_train_on_is_a_typed_error_naming_the_skips(tiny_bert, tmp_path) -> None:
    trainer = TfidfTrainer()
    with pytest.raises(TrainingError, match="no class label"):
        trainer.train([Example(text="unlabelled")], labels=TOPICS)
    assert trainer.report.skipped["no class label"] == 1


def test_a_tfidf_model_offers_no_embeddings(tmp_path) -> None:
    model = TfidfTrainer().train(corpus(20, 10, "textcat"), labels=TOPICS)
    with pytest.raises(StrategyError, match="offers no embeddings"):
        model.embed(["x"])


def test_a_head_loaded_with_another_encoder_is_refused(tiny_bert, tmp_path) -> None:
    enc = encoder(tiny_bert, tmp_path)
    model = EmbeddingTrainer(encoder=enc, task="textcat").train(
        corpus(30, 11, "textcat"), labels=TOPICS
    )
    folder = model.save(tmp_path / "model")
    other = encoder(tiny_bert, tmp_path / "o", windows=2)
    with pytest.raises(ModelLoadError, match="load it with the encoder it was trained with"):
        LinearModel.load(folder, encoder=other)
    assert LinearModel.load(folder).version == model.version  # re-opened from its settings


def test_load_model_reads_a_selector_folder(tiny_bert, tmp_path) -> None:
    from autonlp_al.trainers import load_model

    model = TfidfTrainer(encoder=encoder(tiny_bert, tmp_path)).train(
        corpus(30, 12, "textcat"), labels=TOPICS
    )
    loaded = load_model(str(model.save(tmp_path / "model")))
    assert isinstance(loaded, LinearModel) and loaded.version == model.version


def test_a_damaged_model_folder_is_a_typed_error(tmp_path) -> None:
    (tmp_path / "autonlp_al.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="not a linear selection model"):
        LinearModel.load(tmp_path)


def test_a_balanced_head_does_not_answer_the_majority_class_for_everything() -> None:
    """Issue 29: with few labels per class the L2-shrunk weights could not outvote the
    unpenalised intercept, which learnt the labelled sample's class shares, so every prediction
    became its majority class. Three classes, one of them 6 of 10 labels: the features say
    which class (a one-hot direction plus noise), and the balanced head follows them."""
    from autonlp_al.trainers.frozen.model import LinearHead

    rng = np.random.default_rng(0)
    centres = np.eye(3, 40)

    def sample(classes: list[int]) -> np.ndarray:
        return centres[classes] + rng.normal(scale=0.3, size=(len(classes), 40))

    train_y = [0] * 6 + [1] * 2 + [2] * 2
    test_y = [0, 1, 2] * 30
    x, test = sample(train_y), sample(test_y)
    accuracy = {}
    for balanced in (False, True):
        head = LinearHead.fit(x, train_y, ["a", "b", "c"], c=0.2, balanced=balanced)
        predicted = head.probabilities(test).argmax(axis=1)
        accuracy[balanced] = float((predicted == np.array(test_y)).mean())
    assert accuracy[False] < 0.4 < 0.75 < accuracy[True], accuracy  # all "a", then the topics


def test_unweighted_fit_is_unchanged_by_the_weighting_path() -> None:
    from autonlp_al.trainers.frozen.model import LinearHead

    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 5))
    y = [0, 1, 2] * 4
    balanced = LinearHead.fit(x, y, ["a", "b", "c"], c=1.0, balanced=True)
    plain = LinearHead.fit(x, y, ["a", "b", "c"], c=1.0)
    # equal class counts: the balanced weights are all 1, the same objective
    np.testing.assert_allclose(balanced.coef, plain.coef, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("n", "weight"), [(20, 2.5), (50, 1.0), (100, 0.5), (150, 0.5)])
def test_the_embedding_carries_the_first_rounds_and_tfidf_joins_as_labels_come(
    tiny_bert, tmp_path, n, weight
) -> None:
    """Issue 29: at 20 BBC labels a vocabulary fitted on the labelled texts misled the head
    (42% with the blocks at 0.5, 24% TF-IDF alone, 80% the embedding alone); below
    ``embedding_ramp`` labels the embedding block weighs more, and the saved model keeps it."""
    model = TfidfTrainer(encoder=encoder(tiny_bert, tmp_path)).train(
        corpus(n, 5, "textcat"), labels=TOPICS
    )
    assert model.features.embedding_weight == pytest.approx(weight)
    loaded = TfidfTrainer(encoder=encoder(tiny_bert, tmp_path)).load(model.save(tmp_path / "m"))
    assert loaded.features.embedding_weight == pytest.approx(weight)


def test_served_texts_are_encoded_but_never_stored(tiny_bert, tmp_path) -> None:
    """A server answering /predict with a selector model stored every request's text in the
    vector cache, which grew without bound (issue 30)."""
    from autonlp_al._transient import transient
    from autonlp_al.integrations.serve import _predictions

    labelled = corpus(20, 1, "textcat")
    enc = encoder(tiny_bert, tmp_path)
    model = TfidfTrainer(encoder=enc).train(labelled, labels=TOPICS)
    stored = len(enc.cache)
    requests = [f"request {i} from anyone" for i in range(30)]
    with transient():
        fresh = enc.embed(requests)
    assert len(enc.cache) == stored and fresh.shape == (30, 32)
    np = pytest.importorskip("numpy")
    assert np.allclose(fresh, encoder(tiny_bert, tmp_path / "other").embed(requests), atol=1e-5)
    _predictions(model, [f"another request {i}" for i in range(10)])  # what POST /predict runs
    assert len(enc.cache) == stored
    enc.embed([f"pool text {i}" for i in range(5)])  # outside a request the cache keeps them
    assert len(enc.cache) == stored + 5


def test_word_features_add_neighbours_and_shapes_and_survive_a_save(tiny_bert, tmp_path) -> None:
    from autonlp_al.trainers.frozen.model import SHAPES, TextFeatures, word_shapes

    shapes = word_shapes(["Tim", "Cook", "visited", "NASA", "in", "2024", ".", "McDonald"])
    assert shapes.shape == (8, len(SHAPES))
    on = {i: [SHAPES[k] for k in np.flatnonzero(row)] for i, row in enumerate(shapes)}
    assert on == {0: ["title", "first"], 1: ["title"], 2: [], 3: ["title", "upper"], 4: [],
                  5: ["digit"], 6: ["punct"], 7: ["title", "inner_cap"]}  # fmt: skip
    vectors = [np.arange(6, dtype=np.float32).reshape(3, 2)]
    rows = TextFeatures(window=1).words(vectors, [["a", "b", "c"]])[0]
    assert rows.tolist() == [[0, 1, 0, 0, 2, 3], [2, 3, 0, 1, 4, 5], [4, 5, 2, 3, 0, 0]]
    assert TextFeatures().words(vectors, [["a", "b", "c"]])[0] is vectors[0]
    train, test = corpus(120, 7, "ner"), corpus(40, 8, "ner")
    trainer = EmbeddingTrainer(
        encoder=encoder(tiny_bert, tmp_path), task="ner", window=1, shape=True
    )
    model = trainer.train(train, labels=["PER", "ORG", "LOC"], eval=test)
    assert model.head.coef.shape[1] == 3 * (32 + len(SHAPES))
    assert model.metrics["f1"] > 0.5, model.metrics
    loaded = trainer.load(model.save(tmp_path / "model"))
    assert (loaded.features.window, loaded.features.shape) == (1, True)
    assert loaded.predict(test) == model.predict(test)
    plain = EmbeddingTrainer(encoder=encoder(tiny_bert, tmp_path), task="ner", window=0, shape=0)
    assert (plain.window, plain.shape) == (0, False)
    assert plain._start(model) is None  # a head on other features is not a warm start
    default = EmbeddingTrainer(encoder=encoder(tiny_bert, tmp_path), task="ner")
    assert (default.window, default.shape, default.sequence) == (1, True, True)  # NER defaults
    assert default._start(model) is model.head
    textcat = EmbeddingTrainer(encoder=encoder(tiny_bert, tmp_path), task="textcat")
    assert (textcat.window, textcat.shape, textcat.sequence) == (0, False, False)
    with pytest.raises(TrainingError, match="about a NER selector's words"):
        EmbeddingTrainer(encoder=encoder(tiny_bert, tmp_path), task="textcat", shape=True)


def test_shape_features_tell_apart_what_an_uncased_encoder_cannot(tiny_bert, tmp_path) -> None:
    """The tiny BERT lowercases, as all-MiniLM-L6-v2 does: "Apple" the company and "apple" the
    fruit get one vector, and only the shape features separate them."""
    from autonlp_al import Span

    def example(i: int, company: bool) -> Example:
        word = "Apple" if company else "apple"
        text = f"we saw {word} today {i}"
        spans = [Span(7, 12, "ORG")] if company else []
        return Example(text=text, spans=spans)

    train = [example(i, i % 2 == 0) for i in range(40)]
    test = [example(100 + i, i % 2 == 0) for i in range(20)]
    scores = {}
    for shape in (False, True):
        trainer = EmbeddingTrainer(
            encoder=encoder(tiny_bert, tmp_path), task="ner", shape=shape, window=0
        )
        scores[shape] = trainer.train(train, labels=["ORG"], eval=test).metrics["f1"]
    assert scores[True] == 1.0 and scores[False] < 0.8, scores


TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG")


def _allowed(path: tuple[int, ...]) -> bool:
    for t, j in enumerate(path):
        tag = TAGS[j]
        if tag.startswith("I-") and (t == 0 or TAGS[path[t - 1]] not in (f"B-{tag[2:]}", tag)):
            return False
    return True


@given(
    st.integers(1, 4).flatmap(
        lambda n: st.lists(
            st.lists(st.floats(0.01, 1.0), min_size=len(TAGS), max_size=len(TAGS)),
            min_size=n,
            max_size=n,
        )
    )
)
@settings(max_examples=60, deadline=None)
def test_iob_marginals_are_the_marginals_over_valid_tag_sequences(rows) -> None:
    """Forward-backward equals summing every valid IOB2 path's probability, by brute force."""
    import itertools

    from autonlp_al.trainers.frozen.model import iob_marginals

    probs = np.asarray(rows) / np.asarray(rows).sum(axis=1, keepdims=True)
    n = len(probs)
    expected = np.zeros_like(probs)
    for path in itertools.product(range(len(TAGS)), repeat=n):
        if _allowed(path):
            weight = np.prod([probs[t, j] for t, j in enumerate(path)])
            for t, j in enumerate(path):
                expected[t, j] += weight
    expected /= expected.sum(axis=1, keepdims=True)
    got = iob_marginals(probs.astype(np.float32), TAGS)
    assert np.allclose(got, expected, atol=1e-4)
    assert got[0, TAGS.index("I-PER")] == pytest.approx(0.0, abs=1e-6)


def test_a_sequence_head_scores_consistent_marginals_and_saves_the_choice(
    tiny_bert, tmp_path
) -> None:
    train, test = corpus(120, 7, "ner"), corpus(40, 8, "ner")
    trainer = EmbeddingTrainer(encoder=encoder(tiny_bert, tmp_path), task="ner", sequence=True)
    model = trainer.train(train, labels=["PER", "ORG", "LOC"], eval=test)
    assert model.metrics["f1"] > 0.5, model.metrics
    first = [m[0, [model.tags.index(t) for t in model.tags if t.startswith("I-")]] for m in
             model.token_marginals(test)]  # fmt: skip
    assert max(float(v.max()) for v in first) < 1e-5  # no sentence starts inside an entity
    loaded = trainer.load(model.save(tmp_path / "model"))
    assert loaded.sequence and loaded.version == model.version
    plain = EmbeddingTrainer(encoder=encoder(tiny_bert, tmp_path), task="ner", sequence=False)
    assert plain.train(train, labels=["PER", "ORG", "LOC"]).version != model.version


@given(
    lengths=st.lists(st.integers(0, 6), min_size=1, max_size=6),
    window=st.integers(0, 3),
    shape=st.booleans(),
)
@settings(max_examples=80, deadline=None)
def test_word_features_of_many_sentences_are_each_sentences_own(lengths, window, shape) -> None:
    """Built for all sentences at once, a word's neighbours never come from another sentence."""
    from autonlp_al.trainers.frozen.model import TextFeatures, word_shapes

    rng = np.random.default_rng(sum(lengths))
    vectors = [rng.normal(size=(n, 3)).astype(np.float32) for n in lengths]
    words = [[["Tim", "cook", "NASA", "2024", ".", "x"][i % 6] for i in range(n)] for n in lengths]
    got = TextFeatures(window=window, shape=shape).words(vectors, words)
    for v, w, rows in zip(vectors, words, got, strict=True):
        base = np.concatenate([v, word_shapes(w)], axis=1) if shape else v
        want = [base]
        for offset in range(1, window + 1):
            before = np.zeros_like(base)
            after = np.zeros_like(base)
            for i in range(len(base)):
                if i - offset >= 0:
                    before[i] = base[i - offset]
                if i + offset < len(base):
                    after[i] = base[i + offset]
            want += [before, after]
        assert np.array_equal(rows, np.concatenate(want, axis=1))


@given(st.lists(st.integers(0, 7), min_size=1, max_size=8), st.integers(0, 100))
@settings(max_examples=60, deadline=None)
def test_iob_marginals_of_many_sentences_equal_each_sentences_own(lengths, seed) -> None:
    from autonlp_al.trainers.frozen.model import iob_marginals, iob_marginals_many

    rng = np.random.default_rng(seed)
    blocks = [rng.dirichlet(np.ones(len(TAGS)), size=n).astype(np.float32) for n in lengths]
    many = iob_marginals_many(blocks, TAGS)
    for block, got in zip(blocks, many, strict=True):
        assert got.shape == block.shape
        assert np.allclose(got, iob_marginals(block, TAGS), atol=1e-5)


def test_vectors_from_more_than_the_last_layer_are_cached_apart(tiny_bert, tmp_path) -> None:
    import torch
    import transformers

    texts = corpus(6, 3, "ner")
    last = FrozenEncoder(model=tiny_bert, max_length=64, cache_dir=tmp_path / "a")
    mean = FrozenEncoder(model=tiny_bert, max_length=64, cache_dir=tmp_path / "b", layers=2)
    assert last.fingerprint == FrozenEncoder(model=tiny_bert, max_length=64).fingerprint
    assert mean.fingerprint != last.fingerprint and mean.settings()["layers"] == 2
    rows = mean.token_vectors(texts)
    assert not np.allclose(rows[0], last.token_vectors(texts)[0])
    # the mean of the last two hidden layers, at each word's first word piece
    model = transformers.AutoModel.from_pretrained(tiny_bert)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_bert)
    words = texts[0].text.split()
    batch = tokenizer(words, is_split_into_words=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch, output_hidden_states=True).hidden_states
    firsts = [batch.word_ids().index(w) for w in range(len(words))]
    want = torch.stack(hidden[-2:]).mean(0)[0, firsts].numpy()
    assert np.allclose(rows[0], want, atol=1e-4)
    model_dir = (
        EmbeddingTrainer(encoder=mean, task="ner")
        .train(corpus(30, 4, "ner"), labels=["PER", "ORG", "LOC"])
        .save(tmp_path / "head")
    )
    assert LinearModel.load(model_dir).features.encoder.layers == 2
    with pytest.raises(ValueError, match="layers=0"):
        FrozenEncoder(model=tiny_bert, layers=0)
