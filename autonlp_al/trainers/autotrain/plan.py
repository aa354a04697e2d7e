"""What one AutoTrain round sends, built without any network call: the project name, the checks
that run before money is spent, the parquet files (with the ClassLabel schema AutoTrain's trainer
needs), the Space's secrets, README and Dockerfile, and the parser for the model card it returns.

:class:`~autonlp_al.trainers.autotrain.trainer.AutoTrainTrainer` sends exactly these; its dry run writes
them to a folder instead.
"""

from __future__ import annotations

import io
import json
import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..._optional import require
from ...converters.iob import ner_tags
from ...converters.tokenize import SpacyTokenizer
from ...errors import AutoTrainError
from ...types import Example
from ..supervision import NerSupervision

__all__ = [
    "AUTOTRAIN_VERSION",
    "HOURLY_USD",
    "TASK_IDS",
    "RoundPlan",
    "check_examples",
    "dockerfile",
    "parquet_bytes",
    "parse_card_metrics",
    "project_name",
    "space_readme",
    "training_params",
]

#: AutoTrain's task ids (kept from AutoNLP): token classification 4, text classification 2.
TASK_IDS = {"ner": "4", "textcat": "2"}
_TASK_NAMES = {"ner": "token-classification", "textcat": "text-classification"}
#: The last release of autotrain-advanced (January 2025); the Space installs exactly this.
AUTOTRAIN_VERSION = "0.8.36"
#: Approximate Space hardware list prices in USD per hour (not checked live; see
#: https://huggingface.co/pricing); pass ``hourly_usd`` to the trainer to use your own.
HOURLY_USD = {
    "cpu-basic": 0.0,
    "cpu-upgrade": 0.03,
    "t4-small": 0.40,
    "t4-medium": 0.60,
    "l4x1": 0.80,
    "a10g-small": 1.00,
    "a10g-large": 1.50,
    "a100-large": 2.50,
}
_NAME = re.compile(r"^[A-Za-z0-9-]{1,50}$")


def project_name(prefix: str, round_: int, rng: random.Random) -> str:
    """``{prefix}-r{round}-{8 hex}``: fresh per round, so no repo name is ever reused (AutoTrain
    fails a run whose model repo exists). AutoTrain allows letters, digits and hyphens, <= 50."""
    name = f"{prefix}-r{round_}-{rng.getrandbits(32):08x}"
    if not _NAME.match(name):
        raise AutoTrainError(
            f"project name {name!r} is not valid for AutoTrain (letters, digits and hyphens, at "
            f"most 50 characters); choose a shorter prefix of those characters than {prefix!r}"
        )
    return name


# -- checks before anything is created ----------------------------------------------------------


def _where(example: Example) -> str:
    return str(example.origin) if example.origin else f"example {example.id}"


def check_examples(
    task: str,
    train: Sequence[Example],
    validation: Sequence[Example],
    labels: Sequence[str],
    *,
    lang: str = "en",
) -> list[tuple[list[str], list[str]]] | list[tuple[str, str]]:
    """Validate and encode both splits; raises :class:`AutoTrainError` naming the example.

    NER: every token gets a tag from the fixed label set (a partial annotation, with unknown
    tokens, cannot be sent). Text classification: exactly one class per example from the label
    set, at least two classes in train, and every training class present in the validation split
    (AutoTrain's trainer stops otherwise, after the Space has started billing).
    Returns the rows of ``train`` then ``validation`` (tokens + tags, or text + class).
    """
    if not train:
        raise AutoTrainError("no training examples; label some before training")
    rows: list[Any] = []
    if task == "ner":
        # tokenised in the loop's language, as the local trainer and the selectors do
        supervision = NerSupervision(labels=labels, tokenizer=SpacyTokenizer(lang))
        for example in (*train, *validation):
            if example.labels and not example.spans:
                raise AutoTrainError(
                    f"{_where(example)}: has class labels {list(example.labels)} but the task is "
                    f"token classification; pass NER examples or use task='textcat'"
                )
            (sentence,) = supervision.sentences([example])
            if "-" in sentence.tags:
                raise AutoTrainError(
                    f"{_where(example)}: {sentence.tags.count('-')} token(s) have no tag (a "
                    f"partial annotation); AutoTrain needs every token tagged, so annotate the "
                    f"example fully (ner.manual / ner.correct) or leave it out"
                )
            rows.append((list(sentence.words), list(sentence.tags)))
        return rows
    known = set(labels)
    for example in (*train, *validation):
        if len(example.labels) != 1 or example.labels[0] not in known:
            raise AutoTrainError(
                f"{_where(example)}: class labels {list(example.labels)!r}; AutoTrain's text "
                f"classification needs exactly one label from {list(labels)} per example"
            )
        rows.append((example.text, example.labels[0]))
    in_train = {label for _, label in rows[: len(train)]}
    if len(in_train) < 2:
        raise AutoTrainError(
            f"the training split has {len(in_train)} class(es) {sorted(in_train)}; AutoTrain "
            f"needs at least 2, so label examples of another class first"
        )
    if validation:
        in_validation = {label for _, label in rows[len(train) :]}
        missing = sorted(in_train - in_validation)
        if missing:
            raise AutoTrainError(
                f"the validation split lacks class(es) {missing}; AutoTrain's text classification "
                f"fails when validation has fewer classes than train (autotrain issue #784): "
                f"label more examples of them, or pass validation_fraction=0"
            )
    return rows


def split_validation(
    task: str, examples: Sequence[Example], fraction: float, rng: random.Random
) -> tuple[list[Example], list[Example]]:
    """Hold out ``fraction`` of ``examples`` for AutoTrain's validation split. Text
    classification is stratified: each class with at least 2 examples gives at least one."""
    if fraction <= 0:
        return list(examples), []
    if task == "ner":
        order = list(range(len(examples)))
        rng.shuffle(order)
        cut = max(1, round(len(order) * fraction)) if len(order) > 1 else 0
        held = set(order[:cut])
    else:
        by_class: dict[str, list[int]] = {}
        for i, example in enumerate(examples):
            by_class.setdefault(example.labels[0] if example.labels else "", []).append(i)
        held = set()
        for members in by_class.values():
            if len(members) < 2:
                continue
            rng.shuffle(members)
            held |= set(members[: max(1, round(len(members) * fraction))])
    return (
        [e for i, e in enumerate(examples) if i not in held],
        [e for i, e in enumerate(examples) if i in held],
    )


# -- parquet with the datasets schema ------------------------------------------------------------


def features(task: str, names: Sequence[str]) -> dict[str, Any]:
    """The ``datasets`` features JSON: ClassLabel (text) or Sequence(ClassLabel) (tags)."""
    label = {"names": list(names), "_type": "ClassLabel"}
    if task == "ner":
        return {
            "tokens": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"},
            "tags": {"feature": label, "_type": "Sequence"},
        }
    return {"text": {"dtype": "string", "_type": "Value"}, "target": label}


def parquet_bytes(task: str, rows: Sequence[Any], names: Sequence[str]) -> bytes:
    """One split as parquet: tags / target as integer ids into ``names``, and the schema metadata
    ``datasets`` reads back as ClassLabel (AutoTrain's trainer reads ``.names`` from it; plain
    string tags fail with "'Value' object has no attribute 'names'", autotrain issue #316)."""
    pa = require("pyarrow", "hub")
    pq = require("pyarrow.parquet", "hub")
    index = {name: i for i, name in enumerate(names)}
    if task == "ner":
        table = pa.table(
            {
                "tokens": pa.array([r[0] for r in rows], type=pa.list_(pa.string())),
                "tags": pa.array([[index[t] for t in r[1]] for r in rows], pa.list_(pa.int64())),
            }
        )
    else:
        table = pa.table(
            {
                "text": pa.array([r[0] for r in rows], type=pa.string()),
                "target": pa.array([index[r[1]] for r in rows], type=pa.int64()),
            }
        )
    info = {"info": {"features": features(task, names)}}
    table = table.replace_schema_metadata({"huggingface": json.dumps(info)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def class_names(task: str, labels: Sequence[str]) -> list[str]:
    """The fixed ClassLabel names: IOB tags of ``labels`` (ner) or the classes, in that order,
    so the label map is the same every round whatever a round's data happens to contain."""
    return list(ner_tags(labels)) if task == "ner" else list(labels)


# -- the Space ------------------------------------------------------------------------------------


def training_params(
    *,
    task: str,
    project: str,
    namespace: str,
    data_repo: str,
    base_model: str,
    token: str,
    hyperparameters: Mapping[str, Any],
    has_validation: bool,
) -> dict[str, Any]:
    """AutoTrain's PARAMS (the fields of its Token/TextClassificationParams)."""
    params: dict[str, Any] = {
        "data_path": data_repo,
        "model": base_model,
        "project_name": project,
        "username": namespace,
        "token": token,
        "push_to_hub": True,
        "train_split": "train",
        "valid_split": "validation" if has_validation else None,
        "log": "tensorboard",
        **dict(hyperparameters),
    }
    if task == "ner":
        params.update(tokens_column="tokens", tags_column="tags")
    else:
        params.update(text_column="text", target_column="target")
    return params


def space_readme(project: str) -> str:
    return (
        "---\n"
        f"title: {project}\n"
        "emoji: 🚀\n"
        "colorFrom: green\n"
        "colorTo: indigo\n"
        "sdk: docker\n"
        "pinned: false\n"
        "tags:\n"
        "- autotrain\n"
        "- autonlp_al\n"
        "---\n\n"
        f"AutoTrain training run `{project}`, started by autonlp_al. It pauses itself when done.\n"
    )


def dockerfile(version: str = AUTOTRAIN_VERSION) -> str:
    return (
        "FROM huggingface/autotrain-advanced:latest\n"
        f"CMD pip uninstall -y autotrain-advanced && pip install autotrain-advanced=={version} "
        "&& autotrain api --port 7860 --host 0.0.0.0\n"
    )


@attrs.frozen
class RoundPlan:
    """Everything one round creates, as data: what the dry run writes and the live run sends.

    ``secrets`` holds the real token under ``HF_TOKEN`` and inside ``PARAMS``; use
    :meth:`redacted` for anything written or shown.
    """

    task: str
    project: str
    namespace: str
    data_repo: str
    space_repo: str
    model_repo: str
    hardware: str
    sleep_time: int
    data_files: Mapping[str, bytes] = attrs.field(repr=False)
    space_files: Mapping[str, str] = attrs.field(repr=False)
    secrets: Mapping[str, str] = attrs.field(repr=False)
    counts: Mapping[str, int] = attrs.field(factory=dict)
    label_counts: Mapping[str, int] = attrs.field(factory=dict)

    def redacted(self) -> dict[str, Any]:
        """The plan as JSON-ready data with the token replaced by ``"<HF_TOKEN>"``."""
        token = self.secrets.get("HF_TOKEN", "")
        secrets = {k: _redact_secret(v, token) for k, v in self.secrets.items()}
        return {
            "task": self.task,
            "project": self.project,
            "data_repo": self.data_repo,
            "space_repo": self.space_repo,
            "model_repo": self.model_repo,
            "hardware": self.hardware,
            "sleep_time": self.sleep_time,
            "data_files": sorted(self.data_files),
            "space_files": sorted(self.space_files),
            "secrets": secrets,
            "params": json.loads(secrets["PARAMS"]),
            "counts": dict(self.counts),
            "label_counts": dict(self.label_counts),
        }


def label_counts(task: str, rows: Sequence[Any]) -> dict[str, int]:
    if task == "ner":
        return dict(Counter(t[2:] for _, tags in rows for t in tags if t.startswith("B-")))
    return dict(Counter(label for _, label in rows))


# -- what comes back ------------------------------------------------------------------------------

_METRIC_NAMES = {"f1_macro": "macro_f1", "f1": "f1"}


def parse_card_metrics(card: str) -> dict[str, float]:
    """The ``key: value`` lines under the model card's ``## Validation Metrics`` heading, as
    floats; AutoTrain's ``f1_macro`` is renamed ``macro_f1`` to match :mod:`autonlp_al.metrics`."""
    metrics: dict[str, float] = {}
    inside = False
    for line in card.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            inside = stripped.lstrip("#").strip().lower() == "validation metrics"
            continue
        if inside and ":" in stripped:
            key, _, value = stripped.partition(":")
            try:
                metrics[_METRIC_NAMES.get(key.strip(), key.strip())] = float(value)
            except ValueError:
                continue
    return metrics


def _redact_secret(value: str, token: str) -> str:
    """``value`` with ``token`` replaced by ``"<HF_TOKEN>"``: inside JSON (``PARAMS``) by walking
    the parsed data, since a token holding a quote or backslash is escaped in the JSON text and a
    plain text replace would miss it; elsewhere in the text, raw and JSON-escaped."""
    if not token:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return item.replace(token, "<HF_TOKEN>")
        if isinstance(item, list):
            return [walk(x) for x in item]
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        return item

    try:
        data = json.loads(value)
    except ValueError:
        escaped = json.dumps(token)[1:-1]
        return value.replace(token, "<HF_TOKEN>").replace(escaped, "<HF_TOKEN>")
    if isinstance(data, str):  # a bare JSON string is just text
        return value.replace(token, "<HF_TOKEN>")
    return json.dumps(walk(data))
