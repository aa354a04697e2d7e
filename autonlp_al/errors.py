"""The exception tree of autonlp_al.

Every error the library raises on purpose derives from :class:`AutoNLPALError`, and also from the
builtin a caller would catch anyway, so ``except ValueError`` keeps working::

    AutoNLPALError
    ├── SourceError (ValueError)             bad input data: file:line, the value, what to do
    │   ├── DatasetNotFoundError (LookupError)   a Prodigy DB without the dataset asked for
    │   ├── InputFileNotFoundError (FileNotFoundError)
    │   └── PoolError                        a pool file on disk that cannot be read
    │       └── PoolChangedError             a pool file changed since the state was made
    ├── ConversionError (ValueError)         spans/tags that cannot become what was asked
    │   ├── AlignmentError                   span edges off the token boundaries
    │   ├── OverlapError                     two spans share a token
    │   ├── TagSequenceError                 an invalid IOB/BILOU sequence
    │   └── LabelError                       a label outside the declared label set
    ├── TrainingError (ValueError)           training cannot start: no examples, a label-map clash
    │   └── AutoTrainError                   the hosted AutoTrain backend (data checks, Hub errors)
    │       ├── AutoTrainAuthError (PermissionError)  no token, or the Hub refused it (401/403)
    │       ├── AutoTrainConflictError           a repo of that name exists (409)
    │       ├── AutoTrainRunError                the Space failed (stage, discussion, logs)
    │       ├── AutoTrainTimeoutError (TimeoutError)  no result in time; the Space was paused
    │       ├── BudgetError                      the next round could cost more than allowed
    │       └── DryRunFinished                   a dry run wrote its payloads; nothing was sent
    ├── ModelLoadError (OSError)             a folder that is not a saved / transformers model
    ├── CacheError (OSError)                 an embedding cache written by another encoder
    ├── StorageError (OSError)               a file that cannot be written: a full disk, a
    │                                        read-only folder (names the path and the space)
    ├── StateError (ValueError)              a state folder made by another config, or damaged
    │   └── StateLockedError                 another process writes the state folder now
    ├── AnswerError (ValueError)             answers that do not fit the open query
    ├── PoolExhaustedError (ValueError)      fewer unlabelled examples than asked for
    ├── StrategyError (ValueError, TypeError)  no model, or one without what the strategy reads
    ├── ScorerError (RuntimeError)           a distributed scorer failed; nothing was selected
    │   └── ScorerUnreachableError (ConnectionError)  no cluster at the address given
    ├── ConfigError (ValueError)             a loop config that cannot be read or built
    ├── RegistryError (LookupError)          an unknown backend name; lists the known ones
    └── MissingDependencyError (ImportError) an optional extra is not installed

Messages follow one pattern: where (``path:line``), what (the value with ``!r``), and the next step.
"""

from __future__ import annotations

__all__ = [
    "AlignmentError",
    "AnswerError",
    "AutoNLPALError",
    "AutoTrainAuthError",
    "AutoTrainConflictError",
    "AutoTrainError",
    "AutoTrainRunError",
    "AutoTrainTimeoutError",
    "BudgetError",
    "CacheError",
    "ConfigError",
    "ConversionError",
    "DatasetNotFoundError",
    "DryRunFinished",
    "InputFileNotFoundError",
    "LabelError",
    "MissingDependencyError",
    "ModelLoadError",
    "OverlapError",
    "PoolChangedError",
    "PoolError",
    "PoolExhaustedError",
    "RegistryError",
    "ScorerError",
    "ScorerUnreachableError",
    "SourceError",
    "StateError",
    "StateLockedError",
    "StorageError",
    "StrategyError",
    "TagSequenceError",
    "TrainingError",
]


class AutoNLPALError(Exception):
    """Base of every error autonlp_al raises on purpose."""


class SourceError(AutoNLPALError, ValueError):
    """An annotation source met input it cannot read (malformed line, missing field, bad bytes)."""


class DatasetNotFoundError(SourceError, LookupError):
    """A Prodigy database has no dataset of the requested name."""


class InputFileNotFoundError(SourceError, FileNotFoundError):
    """The input file or folder does not exist."""


class PoolError(SourceError):
    """A pool on disk that cannot be read: a truncated or unreadable file, a missing column."""


class PoolChangedError(PoolError):
    """A pool file changed (size, time or sampled bytes) since the state folder recorded it."""


class ConversionError(AutoNLPALError, ValueError):
    """Spans or tags cannot be converted as asked."""


class AlignmentError(ConversionError):
    """A character span does not start and end on token boundaries."""


class OverlapError(ConversionError):
    """Two spans of one example share a token; IOB and BILOU cannot express that."""


class TagSequenceError(ConversionError):
    """A tag sequence is not valid in its scheme (e.g. ``L-PER`` without ``B-PER``)."""


class LabelError(ConversionError):
    """A label is not in the declared label set."""


class TrainingError(AutoNLPALError, ValueError):
    """Training cannot start or go on: no usable examples, labels that clash with the model's."""


class AutoTrainError(TrainingError):
    """The hosted AutoTrain backend could not train: bad data for AutoTrain, or a Hub error."""


class AutoTrainAuthError(AutoTrainError, PermissionError):
    """No Hugging Face token was found, or the Hub refused it. The token is never in the message."""


class AutoTrainConflictError(AutoTrainError):
    """A repository of that name already exists (HTTP 409)."""


class AutoTrainRunError(AutoTrainError):
    """The AutoTrain Space failed; ``stage``, ``discussion`` and the last ``logs`` lines say how."""

    def __init__(
        self, message: str, *, stage: str = "", discussion: str = "", logs: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.stage = stage
        self.discussion = discussion
        self.logs = logs


class AutoTrainTimeoutError(AutoTrainError, TimeoutError):
    """The Space gave no result within the timeout; it was paused so billing stopped."""


class BudgetError(AutoTrainError):
    """Starting another round could spend more than the budget allows; nothing was created."""


class DryRunFinished(AutoTrainError):
    """A dry run wrote the round's payloads to a folder and sent nothing; ``folder`` is where."""

    def __init__(self, message: str, *, folder: str) -> None:
        super().__init__(message)
        self.folder = folder


class ModelLoadError(AutoNLPALError, OSError):
    """A folder holds no model autonlp_al or transformers can load."""


class CacheError(AutoNLPALError, OSError):
    """An embedding cache folder written by another encoder (or unusable): never reused."""


class StateError(AutoNLPALError, ValueError):
    """A state folder that does not fit: another configuration, or a damaged log."""


class StorageError(AutoNLPALError, OSError):
    """A file that cannot be written (a full disk, a quota, a read-only folder): names the path,
    the space free and needed, and that the state folder resumes once it can be written."""


class StateLockedError(StateError):
    """Another process writes the state folder now (one writer at a time); names the holder."""


class AnswerError(AutoNLPALError, ValueError):
    """Answers that do not fit the open query: unknown ids, duplicates."""


class PoolExhaustedError(AutoNLPALError, ValueError):
    """The unlabelled pool has fewer examples than were asked for."""


class StrategyError(AutoNLPALError, ValueError, TypeError):
    """A strategy given no model, a model without the capability it reads (token marginals,
    embeddings ...), or a model of another task than the strategy scores."""


class ScorerError(AutoNLPALError, RuntimeError):
    """A scorer (e.g. on Ray) failed part-way: no selection is recorded; the round can be
    retried."""


class ScorerUnreachableError(ScorerError, ConnectionError):
    """The scorer's cluster could not be reached at the address given."""


class ConfigError(AutoNLPALError, ValueError):
    """A loop config that cannot be read, validated or built (names the key and the fix)."""


class RegistryError(AutoNLPALError, LookupError):
    """No backend is registered under the requested name."""


class MissingDependencyError(AutoNLPALError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""
