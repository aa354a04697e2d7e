"""Cheap selection models on frozen features: ``encoder.py`` (:class:`FrozenEncoder`, vectors
cached on disk by ``cache.py``), ``model.py`` (:class:`LinearModel`, a logistic-regression head),
``embedding.py`` (:class:`EmbeddingTrainer`: text classification and NER on encoder vectors) and
``tfidf.py`` (:class:`TfidfTrainer`: TF-IDF, optionally with encoder vectors). Extra
``selector`` (scikit-learn) for the heads, ``local`` for the encoder."""
