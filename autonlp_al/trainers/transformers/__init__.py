"""The local trainer: fine-tuning a transformers encoder here (CPU or GPU).

``trainer.py`` (:class:`TransformersTrainer`), ``model.py`` (:class:`TransformersModel`: predict,
score, save, load) and ``features.py`` (sub-word windows, truncation, padding).
"""
