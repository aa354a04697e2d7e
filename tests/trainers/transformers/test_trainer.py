"""TransformersTrainer / TransformersModel on a tiny BERT built in the test: it must really learn."""

from __future__ import annotations

import numpy as np
import pytest
import transformers

from autonlp_al import Example, Span
from autonlp_al.converters.iob import ner_tags
from autonlp_al.errors import LabelError, ModelLoadError, TrainingError
from autonlp_al.metrics import evaluate
from autonlp_al.trainers import (
    EmbeddingModel,
    LossModel,
    MarginalsModel,
    Model,
    ProbabilityModel,
    Trainer,
    TransformersModel,
    TransformersTrainer,
    load_model,
)
from tests.models import corpus

NER_LABELS = ["PER", "ORG", "LOC"]


def _saved(model: TransformersModel) -> str:
    import tempfile

    return str(model.save(tempfile.mkdtemp(prefix="loss-")))


CLASSES = ["business", "sport", "tech"]


def ner_trainer(tiny_bert, **kwargs) -> TransformersTrainer:
    options = {"epochs": 10, "lr": 3e-3, "progress": False, "max_length": 64, **kwargs}
    return TransformersTrainer(model=tiny_bert, task="ner", **options)


@pytest.fixture(scope="module")
def ner_model(tiny_bert) -> TransformersModel:
    return ner_trainer(tiny_bert).train(corpus(400, 1, "ner"), labels=NER_LABELS)


@pytest.fixture(scope="module")
def textcat_model(tiny_bert) -> TransformersModel:
    trainer = TransformersTrainer(
        model=tiny_bert, task="textcat", epochs=8, lr=3e-3, progress=False
    )
    return trainer.train(corpus(300, 1, "textcat"), labels=CLASSES)


def test_ner_really_learns(ner_model) -> None:
    scores = evaluate(ner_model, corpus(150, 2, "ner"))
    assert scores.f1 > 0.9, scores
    assert set(scores.per_label) == set(NER_LABELS)


def test_textcat_really_learns(textcat_model) -> None:
    scores = evaluate(textcat_model, corpus(150, 2, "textcat"))
    assert scores.accuracy > 0.9, scores
    assert set(scores.per_class) == set(CLASSES)


def test_an_untrained_model_does_not_pass_the_same_bar(tiny_bert, ner_model) -> None:
    # the bar above is meaningful only if a model that barely trained fails it
    barely = ner_trainer(tiny_bert, max_steps=1, lr=1e-5).train(
        corpus(50, 1, "ner"), labels=NER_LABELS
    )
    assert evaluate(barely, corpus(150, 2, "ner")).f1 < 0.5
    # the training loss it reports (Prodigy's update returns it) says the same
    assert isinstance(ner_model, LossModel) and isinstance(barely, LossModel)
    assert ner_model.train_loss is not None and barely.train_loss is not None
    assert 0 < ner_model.train_loss < barely.train_loss / 3
    assert TransformersModel.load(_saved(ner_model)).train_loss is None


def test_models_implement_the_interfaces(ner_model, textcat_model, tiny_bert) -> None:
    assert isinstance(ner_trainer(tiny_bert), Trainer)
    for model in (ner_model, textcat_model):
        assert isinstance(model, Model) and isinstance(model, EmbeddingModel)
    assert isinstance(ner_model, MarginalsModel) and isinstance(textcat_model, ProbabilityModel)


def test_label_map_layout(ner_model, textcat_model) -> None:
    assert ner_model.tags == ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
    assert ner_model.labels == tuple(NER_LABELS)
    assert ner_model.model.config.id2label[1] == "B-PER"
    assert textcat_model.labels == tuple(CLASSES)


def test_scores_have_the_promised_shapes(ner_model, textcat_model) -> None:
    texts = ["tim cook said apple in london .", "anna berg said the plan was good ."]
    marginals = ner_model.token_marginals(texts)
    assert [m.shape for m in marginals] == [(7, 7), (8, 7)]
    assert all(np.allclose(m.sum(axis=1), 1.0, atol=1e-5) for m in marginals)
    probs = textcat_model.class_probabilities(["match goal team", "chip data phone"])
    assert probs.shape == (2, 3) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert list(probs.argmax(axis=1)) == [1, 2]
    for model in (ner_model, textcat_model):
        vectors = model.embed(texts)
        assert vectors.shape == (2, 32)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_predictions_carry_offsets_scores_and_ids(ner_model, textcat_model) -> None:
    text = "tim cook said the new plan for apple in london was good ."
    (prediction,) = ner_model.predict([text])
    assert [(text[s.start : s.end], s.label) for s in prediction.spans] == [
        ("tim cook", "PER"),
        ("apple", "ORG"),
        ("london", "LOC"),
    ]
    assert all(0.0 < s.score <= 1.0 for s in prediction.spans)
    assert prediction.to_example().spans[0] == Span(0, 8, "PER")
    example = Example(text="match goal team season", labels=["sport"])
    (cat,) = textcat_model.predict([example])
    assert cat.id == example.id and cat.label == "sport"
    assert abs(sum(cat.cats.values()) - 1.0) < 1e-5


def test_long_texts_are_windowed_and_spans_land_on_the_right_offsets(ner_model) -> None:
    sentences = corpus(12, 3, "ner")
    text, gold = "", []
    for sentence in sentences:
        offset = len(text)
        text += sentence.text + " "
        gold += [(s.start + offset, s.end + offset, s.label) for s in sentence.spans]
    long = Example(text=text.strip(), spans=[Span(*g) for g in gold])
    windowed = TransformersModel(
        model=ner_model.model,
        tokenizer=ner_model.tokenizer,
        task="ner",
        labels=ner_model.labels,
        tags=ner_model.tags,
        max_length=24,
        stride=8,
    )
    n_subwords = len(ner_model.tokenizer(long.text)["input_ids"])
    assert n_subwords > 4 * 24  # really several windows
    # The tiny model saw only short sentences, so windows cut mid-text cost it a little.
    scores = evaluate(windowed, [long])
    assert scores.f1 > 0.85, scores
    starts = {t.start for t in windowed.words(long)[1]}
    ends = {t.end for t in windowed.words(long)[1]}
    predicted = windowed.predict([long])[0].spans
    assert len(predicted) >= 0.85 * len(gold)
    assert all(s.start in starts and s.end in ends for s in predicted)


def test_save_load_gives_identical_predictions(ner_model, textcat_model, tmp_path) -> None:
    texts = ["omar khan said nokia in oslo was good .", "shares market profit today"]
    for model, name in ((ner_model, "ner"), (textcat_model, "textcat")):
        folder = model.save(tmp_path / name)
        loaded = load_model(str(folder))
        assert loaded.labels == model.labels and loaded.tags == model.tags
        assert loaded.version == model.version and loaded.task == name
        assert loaded.predict(texts) == model.predict(texts)
    np.testing.assert_allclose(
        load_model(str(tmp_path / "ner")).token_marginals(texts)[0],
        ner_model.token_marginals(texts)[0],
        rtol=1e-5,
    )


def test_a_saved_model_loads_in_a_plain_transformers_pipeline(ner_model, tmp_path) -> None:
    folder = ner_model.save(tmp_path / "m")
    tagger = transformers.pipeline(
        "token-classification", model=str(folder), aggregation_strategy="first"
    )
    entities = tagger("tim cook said the new plan for apple in london was good .")
    assert [(e["word"], e["entity_group"]) for e in entities] == [
        ("tim cook", "PER"),
        ("apple", "ORG"),
        ("london", "LOC"),
    ]


def test_plain_transformers_folders_load_with_labels_from_id2label(ner_model, tmp_path) -> None:
    folder = tmp_path / "autotrain-like"
    ner_model.model.save_pretrained(folder)
    ner_model.tokenizer.save_pretrained(folder)
    loaded = TransformersModel.load(folder)
    assert loaded.task == "ner" and loaded.labels == ("PER", "ORG", "LOC")


def test_warm_start_keeps_the_label_map_and_the_previous_model(ner_model, tiny_bert) -> None:
    probe = ["tim cook said apple in london was good ."]
    before = ner_model.token_marginals(probe)[0].copy()
    more = ner_trainer(tiny_bert, epochs=1)
    grown = more.train(corpus(40, 4, "ner"), labels=[*NER_LABELS, "PRODUCT"], init=ner_model)
    assert grown.tags == (*ner_model.tags, "B-PRODUCT", "I-PRODUCT")
    assert grown.labels == (*NER_LABELS, "PRODUCT")
    assert grown.model.config.num_labels == 9
    np.testing.assert_array_equal(ner_model.token_marginals(probe)[0], before)
    assert evaluate(grown, corpus(100, 5, "ner")).f1 > 0.85  # warm start kept what it knew
    with pytest.raises(LabelError, match="would reorder"):
        more.train(corpus(10, 4, "ner"), labels=["ORG", "PER", "LOC"], init=ner_model)


def test_same_seed_same_model(tiny_bert) -> None:
    data = corpus(40, 6, "ner")
    a = ner_trainer(tiny_bert, epochs=1).train(data, labels=NER_LABELS)
    b = ner_trainer(tiny_bert, epochs=1).train(data, labels=NER_LABELS)
    c = ner_trainer(tiny_bert, epochs=1, seed=1).train(data, labels=NER_LABELS)
    assert a.version == b.version != c.version


def test_partial_examples_are_masked_not_trained_as_outside(tiny_bert) -> None:
    # Only "PER" is annotated; everything else is unknown. Were unknown tokens trained as O,
    # the model would learn that companies and cities are O and miss them in the full data.
    partial = [
        Example(text=e.text, spans=[s for s in e.spans if s.label == "PER"], complete=False)
        for e in corpus(300, 7, "ner")
    ]
    full = corpus(60, 8, "ner")
    trainer = ner_trainer(tiny_bert, epochs=6)
    model = trainer.train(partial + full, labels=NER_LABELS)
    scores = evaluate(model, corpus(150, 2, "ner"))
    assert scores.per_label["ORG"].recall > 0.8, scores.per_label
    assert trainer.report.counts["converted"] == 360


def test_early_stopping_keeps_the_best_epoch(tiny_bert) -> None:
    trainer = ner_trainer(tiny_bert, epochs=6, early_stopping_patience=1)
    model = trainer.train(corpus(100, 9, "ner"), eval=corpus(50, 10, "ner"), labels=NER_LABELS)
    assert model.metrics["f1"] == pytest.approx(evaluate(model, corpus(50, 10, "ner")).f1)


def test_bad_input_gives_typed_errors(tiny_bert, ner_model, tmp_path) -> None:
    with pytest.raises(TrainingError, match="no usable training examples"):
        TransformersTrainer(model=tiny_bert, task="textcat", progress=False).train(
            [Example(text="no label here")], labels=CLASSES
        )
    with pytest.raises(LabelError, match="label 'PRODUCT', which is not in the label set"):
        ner_trainer(tiny_bert).train(
            [Example(text="ipad", spans=[Span(0, 4, "PRODUCT")])], labels=NER_LABELS
        )
    with pytest.raises(TrainingError, match="labels is empty"):
        ner_trainer(tiny_bert).train(corpus(5, 1, "ner"), labels=[])
    with pytest.raises(ModelLoadError, match="not a transformers model folder"):
        TransformersModel.load(tmp_path)
    with pytest.raises(ModelLoadError, match="cannot load a base model"):
        TransformersTrainer(model=tmp_path, task="ner", progress=False).train(
            corpus(5, 1, "ner"), labels=NER_LABELS
        )
    with pytest.raises(LabelError, match="'PRODUCT' is not one the model knows"):
        evaluate(ner_model, [Example(text="ipad", spans=[Span(0, 4, "PRODUCT")])])
    with pytest.raises(TrainingError, match="partial annotation"):
        evaluate(ner_model, [Example(text="ipad", complete=False)])


def test_a_wrong_label_fails_before_the_model_is_loaded(tmp_path) -> None:
    # the base model folder is empty: had it been loaded first, this would be a ModelLoadError
    trainer = TransformersTrainer(model=tmp_path, task="textcat", progress=False)
    with pytest.raises(LabelError, match="'sports' is not in the label set"):
        trainer.train([Example(text="a match", labels=["sports"])], labels=["sport"])


def test_hybrid_on_a_classifier_shortlists_by_margin_not_token_marginals(textcat_model) -> None:
    import random

    from autonlp_al.errors import StrategyError
    from autonlp_al.strategies import MNLP, Hybrid

    pool = corpus(30, 7, "textcat")
    picks = Hybrid().select(textcat_model, pool, 3, rng=random.Random(0))  # crashed in MNLP
    assert len({p.id for p in picks}) == 3
    with pytest.raises(StrategyError, match="mnlp scores ner, and the model is textcat"):
        MNLP().select(textcat_model, pool, 3, rng=random.Random(0))
    with pytest.raises(StrategyError, match="token marginals come from a ner model"):
        textcat_model.token_marginals(pool[:1])


def test_save_and_load_print_no_transformers_progress_bars(textcat_model, tmp_path, capfd) -> None:
    from transformers.utils import logging

    logging.enable_progress_bar()
    textcat_model.save(tmp_path / "m")
    TransformersModel.load(tmp_path / "m")
    err = capfd.readouterr().err
    assert "Writing model shards" not in err and "Loading weights" not in err
    assert logging.is_progress_bar_enabled()  # left as it was


def test_ner_tags_only_ever_append() -> None:
    assert ner_tags(["A", "B"]) == ner_tags(["A", "B", "C"])[:5]


def test_a_base_encoder_gives_cold_start_embeddings(tiny_bert) -> None:
    import random

    from autonlp_al.strategies import KMeans

    base = TransformersModel.from_base(tiny_bert, task="ner", labels=NER_LABELS)
    pool = corpus(30, 11, "ner")
    picks = KMeans(embedder=base).select(None, pool, 5, rng=random.Random(0))
    assert len({p.id for p in picks}) == 5
    assert base.embed(pool[:2]).shape == (2, 32)


def test_multi_label_textcat_learns_each_label(tiny_bert) -> None:
    import random

    from tests.models import FILLER, TOPICS

    rng = random.Random(1)

    def example() -> Example:
        labels = rng.sample(sorted(TOPICS), rng.randint(1, 2))
        words = [w for label in labels for w in rng.sample(TOPICS[label], 3)]
        words += rng.sample(FILLER, 3)
        rng.shuffle(words)
        return Example(text=" ".join(words), labels=labels)

    # The 2-layer, 32-wide model sits on a plateau (predicting label frequencies) for a while
    # before it separates co-occurring labels, so this needs more steps than one label per text.
    trainer = TransformersTrainer(
        model=tiny_bert, task="textcat", epochs=60, lr=1e-3, multi_label=True, progress=False
    )
    model = trainer.train([example() for _ in range(200)], labels=CLASSES)
    test = [example() for _ in range(100)]
    probs = model.class_probabilities(test)
    assert probs.shape == (100, 3) and not np.allclose(probs.sum(axis=1), 1.0)  # sigmoids
    predicted = [{CLASSES[j] for j in range(3) if row[j] > 0.5} for row in probs]
    exact = sum(p == set(e.labels) for p, e in zip(predicted, test, strict=True)) / len(test)
    assert exact > 0.9  # exact set match; chance is 1/6


def test_mc_dropout_samples_differ_and_repeat_under_a_seed(textcat_model) -> None:
    import random

    from autonlp_al.strategies import BALD

    texts = ["match goal team", "chip data phone", "shares market profit"]
    runs = textcat_model.mc_class_probabilities(texts, samples=5, seed=3)
    assert runs.shape == (5, 3, 3)
    assert np.allclose(runs.sum(axis=2), 1.0, atol=1e-5)
    assert not np.allclose(runs[0], runs[1])  # dropout was on
    np.testing.assert_array_equal(
        runs, textcat_model.mc_class_probabilities(texts, samples=5, seed=3)
    )
    deterministic = textcat_model.class_probabilities(texts)
    np.testing.assert_array_equal(deterministic, textcat_model.class_probabilities(texts))
    pool = corpus(30, 4, "textcat")
    picks = BALD(samples=4).select(textcat_model, pool, 5, rng=random.Random(0))
    assert len({p.id for p in picks}) == 5 and all(p.score >= -1e-6 for p in picks)


def test_group_by_length_batches_cover_every_input_once_with_less_padding(tiny_bert) -> None:
    import random

    rng = random.Random(0)
    features = [([1] * rng.randint(3, 120), 0) for _ in range(300)]
    plain = TransformersTrainer(model=tiny_bert, task="ner", batch_size=16)
    grouped = TransformersTrainer(model=tiny_bert, task="ner", batch_size=16, group_by_length=True)

    def padded(batches) -> int:
        return sum(len(b) * max(len(features[i][0]) for i in b) for b in batches)

    a = plain._epoch_batches(features, random.Random(1))
    b = grouped._epoch_batches(features, random.Random(1))
    for batches in (a, b):
        assert sorted(i for batch in batches for i in batch) == list(range(300))
        assert max(len(batch) for batch in batches) == 16
    assert padded(b) < 0.7 * padded(a)
    assert b != grouped._epoch_batches(features, random.Random(2))  # still shuffled per seed


def test_group_by_length_trains_as_well(tiny_bert) -> None:
    model = ner_trainer(tiny_bert, group_by_length=True, batch_size=8).train(
        corpus(400, 1, "ner"), labels=NER_LABELS
    )
    assert evaluate(model, corpus(150, 2, "ner")).f1 > 0.9


def test_training_and_prediction_tokenise_in_the_trainer_language(tiny_bert) -> None:
    """With lang="de", "z.B." is one word when the model predicts, and one word in training too
    (the training converter used to tokenise as English: two words, so tags shifted)."""
    from autonlp_al.trainers.transformers.features import IGNORE

    text = "Das ist z.B. gut bei siemens"
    example = Example(text=text, spans=[Span(text.index("siemens"), len(text), "ORG")])
    trainer = TransformersTrainer(
        model=tiny_bert, task="ner", lang="de", max_steps=1, progress=False
    )
    model = trainer.train([example], labels=["ORG"])
    words = [t.text for t in model.words(text)[1]]
    assert words == ["Das", "ist", "z.B.", "gut", "bei", "siemens"]
    ((_, targets),) = trainer._ner_features(model, [example], ["ORG"])
    tagged = [t for t in targets if t != IGNORE]
    assert len(tagged) == len(words)
    assert tagged[-1] == model.tags.index("B-ORG")
