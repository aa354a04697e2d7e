"""The exception tree of autonlp_al.

Every error the library raises on purpose derives from :class:`AutoNLPALError`, and also from the
builtin a caller would catch anyway, so ``except ValueError`` keeps working::

    AutoNLPALError
    ├── SourceError (ValueError)             bad input data: file:line, the value, what to do
    │   ├── DatasetNotFoundError (LookupError)   a Prodigy DB without the dataset asked for
    │   └── InputFileNotFoundError (FileNotFoundError)
    ├── ConversionError (ValueError)         spans/tags that cannot become what was asked
    │   ├── AlignmentError                   span edges off the token boundaries
    │   ├── OverlapError                     two spans share a token
    │   ├── TagSequenceError                 an invalid IOB/BILOU sequence
    │   └── LabelError                       a label outside the declared label set
    ├── TrainingError (ValueError)           training cannot start: no examples, a label-map clash
    ├── ModelLoadError (OSError)             a folder that is not a saved / transformers model
    ├── RegistryError (LookupError)          an unknown backend name; lists the known ones
    └── MissingDependencyError (ImportError) an optional extra is not installed

Messages follow one pattern: where (``path:line``), what (the value with ``!r``), and the next step.
"""

from __future__ import annotations

__all__ = [
    "AlignmentError",
    "AutoNLPALError",
    "ConversionError",
    "DatasetNotFoundError",
    "InputFileNotFoundError",
    "LabelError",
    "MissingDependencyError",
    "ModelLoadError",
    "OverlapError",
    "RegistryError",
    "SourceError",
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


class ModelLoadError(AutoNLPALError, OSError):
    """A folder holds no model autonlp_al or transformers can load."""


class RegistryError(AutoNLPALError, LookupError):
    """No backend is registered under the requested name."""


class MissingDependencyError(AutoNLPALError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""
