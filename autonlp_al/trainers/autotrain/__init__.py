"""The hosted trainer: each round trained on Hugging Face AutoTrain (AutoNLP's successor).

``trainer.py`` (:class:`AutoTrainTrainer`: the round, budget, polling, cleanup) and ``plan.py``
(everything built before a request is sent: names, data files, parameters, the Space's files).
"""
