"""The active-learning loop: the learner and its records (``learner``), its state on disk
(``state``), the loop's config (``config``), stopping criteria, simulation and learning curves.

Nothing here names a backend: parts arrive as objects, or by registry name through a
:class:`~autonlp_al.loop.config.LoopConfig`.
"""
