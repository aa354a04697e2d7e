"""AutoTrain's settings in four records: what the Space trains with, where on the Hub, what it
may cost, and how often to look.

:class:`~autonlp_al.trainers.autotrain.trainer.AutoTrainTrainer` takes each record whole
(``hyperparameters=Hyperparameters(epochs=5)``, or a dict of its fields, as a config's
``[trainer.hyperparameters]`` section gives) or any of their fields as flat keywords
(``epochs=5``), the way earlier versions and the CLI pass them.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import attrs

from ...errors import ConfigError
from ..transformers.schedule import steps
from .plan import AUTOTRAIN_VERSION

__all__ = ["Budget", "Hub", "Hyperparameters", "Polling", "grouped", "signature"]


def _hardware(value: str) -> str:
    return value.removeprefix("spaces-")


@attrs.frozen(kw_only=True)
class Hyperparameters:
    """What AutoTrain fine-tunes with (``max_length`` is its ``max_seq_length``). Without
    ``epochs`` the schedule fits the round's data as the local trainer's does: 10 epochs,
    bounded to 60-800 optimiser steps (AutoTrain takes epochs, so the bound is rounded to
    whole epochs)."""

    epochs: int | None = None
    lr: float = 1e-4
    batch_size: int = 8
    max_length: int = 128
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    gradient_accumulation: int = 1
    mixed_precision: str | None = None
    seed: int = 42

    def params(self, n_train: int) -> dict[str, Any]:
        """The names AutoTrain's ``PARAMS`` use, for ``n_train`` training rows."""
        values = attrs.asdict(self)
        values["max_seq_length"] = values.pop("max_length")
        if self.epochs is None:
            batch = self.batch_size * self.gradient_accumulation
            per_epoch = math.ceil(max(n_train, 1) / batch)
            values["epochs"] = max(
                1, round(steps(n_train, batch, epochs=None, max_steps=None) / per_epoch)
            )
        return values


@attrs.frozen(kw_only=True)
class Hub:
    """Where the run lives: the account, the token (never shown), names and clean-up.

    ``prefix`` names projects ``{prefix}-r{round}-{8 hex}``; ``retries`` counts attempts for a
    call answered 429 / 5xx or not at all; ``cleanup`` deletes the Space and the data repo (it
    holds your labelled data) after each round; ``keep_model`` keeps the model repo.
    """

    namespace: str | None = None
    token: str | None = attrs.field(default=None, repr=False)
    endpoint: str | None = None
    prefix: str = "autonlp-al"
    retries: int = 5
    cleanup: bool = True
    keep_model: bool = True
    autotrain_version: str = AUTOTRAIN_VERSION


@attrs.frozen(kw_only=True)
class Budget:
    """What a round may cost: the hardware and its price, the cap over all rounds, and the
    timeout that bounds one round (the budget check counts it as the worst case)."""

    hardware: str = attrs.field(default="t4-small", converter=_hardware)
    hourly_usd: float | None = None
    max_usd: float | None = None
    timeout: float = 4 * 3600.0
    sleep_time: int = 7 * 24 * 3600


@attrs.frozen(kw_only=True)
class Polling:
    """Seconds between runtime polls (growing 1.5x per poll up to ``max_poll_interval``) and
    how many log lines a failure quotes."""

    poll_interval: float = 30.0
    max_poll_interval: float = 300.0
    log_lines: int = 40


RECORDS: dict[str, type[Any]] = {
    "hyperparameters": Hyperparameters,
    "hub": Hub,
    "budget": Budget,
    "polling": Polling,
}
FLAT = {f.name: group for group, record in RECORDS.items() for f in attrs.fields(record)}


def grouped(records: Mapping[str, Any], flat: Mapping[str, Any]) -> dict[str, Any]:
    """The four records from the ones given (records, dicts of fields, or ``None``) and the
    flat keywords; a flat keyword for a record also given whole, or an unknown one, is refused."""
    unknown = sorted(set(flat) - set(FLAT))
    if unknown:
        raise ConfigError(
            f"AutoTrainTrainer got unknown setting {unknown[0]!r}; it takes "
            f"{', '.join(sorted(FLAT))}, or the records {', '.join(RECORDS)}"
        )
    out: dict[str, Any] = {}
    for group, record in RECORDS.items():
        given = records.get(group)
        fields = {k: v for k, v in flat.items() if FLAT[k] == group}
        if given is not None and fields:
            raise ConfigError(
                f"AutoTrainTrainer got {group}= and {sorted(fields)[0]!r} too; put "
                f"{', '.join(sorted(fields))} in {group}, or pass them all flat"
            )
        if isinstance(given, Mapping):
            fields, given = dict(given), None
        try:
            out[group] = given if given is not None else record(**fields)
        except TypeError as exc:
            raise ConfigError(
                f"AutoTrainTrainer's {group}: {exc}; it takes "
                f"{', '.join(f.name for f in attrs.fields(record))}"
            ) from exc
    return out


def signature(direct: inspect.Signature) -> inspect.Signature:
    """``direct``'s keyword-only parameters, then every record field as a flat keyword, so
    the CLI and the config see each setting by name."""
    named = [p for p in direct.parameters.values() if p.kind is p.KEYWORD_ONLY]
    flat = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default)
        for record in RECORDS.values()
        for f in attrs.fields(record)
    ]
    return direct.replace(parameters=named + flat)
