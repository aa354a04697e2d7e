"""Publishing on the Hugging Face Hub (extra ``hub``): a round's model with a model card, and a
labelled ``datasets`` folder as a dataset repo (extra ``hf`` too)."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._optional import require
from ..errors import AutoNLPALError
from ..trainers.base import Model, is_hub_id

__all__ = ["is_dataset_folder", "model_card", "push_dataset", "push_to_hub"]

_PIPELINE = {"ner": "token-classification", "textcat": "text-classification"}


def model_card(
    model: Model,
    *,
    details: Mapping[str, Any] | None = None,
    name: str = "",
    datasets: Sequence[str] = (),
) -> str:
    """A README.md for the Hub: front matter, then labels, metrics, data size and strategy.

    The front matter carries what the Hub indexes: ``pipeline_tag``, ``base_model`` (when the base
    is a Hub id, not a local folder), ``datasets`` (Hub ids of the training data, if given) and a
    ``model-index`` with the eval metrics, so the scores show on the model page. Values are written
    as JSON, which YAML reads as is (no quoting mistakes with odd names)."""
    details = dict(details or {})
    metrics = dict(getattr(model, "metrics", {}) or {}) or dict(details.pop("metrics", {}) or {})
    base = getattr(model, "base_model", "") or ""
    pipeline = _PIPELINE.get(model.task, model.task)
    front: dict[str, Any] = {
        "library_name": "transformers",
        "pipeline_tag": pipeline,
        "tags": ["autonlp_al", "active-learning", pipeline],
    }
    if is_hub_id(base):
        front["base_model"] = base
    if datasets:
        front["datasets"] = list(datasets)
    if metrics:
        front["model-index"] = [
            _model_index(name or "autonlp_al model", pipeline, metrics, datasets)
        ]
    lines = [
        "---",
        *(f"{key}: {json.dumps(value)}" for key, value in front.items()),
        "---",
        "",
        f"# {details.pop('title', 'autonlp_al model')}",
        "",
        f"A {_PIPELINE.get(model.task, model.task)} model trained with "
        f"[autonlp_al](https://pypi.org/project/autonlp_al/) active learning.",
        "",
        f"- model version: `{model.version}`",
    ]
    if base:
        lines.append(f"- base model: `{base}`")
    for key, value in details.items():
        lines.append(f"- {key.replace('_', ' ')}: {value}")
    lines += ["", "## Labels", "", ", ".join(f"`{label}`" for label in model.labels), ""]
    if metrics:
        lines += ["## Metrics", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4f} |" for k, v in metrics.items()]
        lines.append("")
    return "\n".join(lines)


def _model_index(
    name: str, pipeline: str, metrics: Mapping[str, float], datasets: Sequence[str]
) -> dict[str, Any]:
    dataset = (
        {"name": datasets[0], "type": datasets[0]}
        if datasets
        else {"name": "evaluation set", "type": "custom"}
    )
    return {
        "name": name,
        "results": [
            {
                "task": {"type": pipeline, "name": pipeline.replace("-", " ").title()},
                "dataset": dataset,
                "metrics": [
                    {"type": key, "value": round(float(value), 4), "name": key}
                    for key, value in metrics.items()
                ],
            }
        ],
    }


def push_to_hub(
    model: Model,
    repo_id: str,
    *,
    token: str | None = None,
    endpoint: str | None = None,
    private: bool = True,
    details: Mapping[str, Any] | None = None,
    datasets: Sequence[str] = (),
) -> str:
    """Upload ``model`` (its saved folder plus a model card) to ``repo_id``; returns the commit
    URL. The token comes from ``token``, else ``HF_TOKEN`` or the ``hf auth login``
    token (huggingface_hub's own lookup); it is never written to the card or the logs."""
    hub = require("huggingface_hub", "hub")
    api = hub.HfApi(endpoint=endpoint, token=token)
    with tempfile.TemporaryDirectory(prefix="autonlp_al-push-") as tmp:
        folder = model.save(Path(tmp) / "model")
        card = model_card(model, details=details, name=repo_id.split("/")[-1], datasets=datasets)
        (folder / "README.md").write_text(card)
        with _hub_errors(hub, repo_id):
            api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
            info = api.upload_folder(
                folder_path=folder,
                repo_id=repo_id,
                repo_type="model",
                commit_message=f"autonlp_al model {model.version}",
            )
    return str(getattr(info, "commit_url", info))


@contextlib.contextmanager
def _hub_errors(hub: Any, repo_id: str) -> Iterator[None]:
    """The Hub's HTTP errors as an :class:`AutoNLPALError` naming the repo and what to check
    (never the token)."""
    try:
        yield
    except hub.errors.HfHubHTTPError as exc:
        status = getattr(exc.response, "status_code", "?")
        hint = (
            "check the token (HF_TOKEN or hf auth login) and its write access"
            if status in (401, 403)
            else "see the Hub's message above"
        )
        raise AutoNLPALError(f"pushing to {repo_id!r} failed (HTTP {status}): {hint}") from None


def is_dataset_folder(path: str | Path) -> bool:
    """A folder ``save_to_disk`` wrote: one dataset (``state.json``) or a dict of splits
    (``dataset_dict.json``)."""
    path = Path(path)
    return (path / "state.json").is_file() or (path / "dataset_dict.json").is_file()


def push_dataset(
    path: str | Path,
    repo_id: str,
    *,
    token: str | None = None,
    endpoint: str | None = None,
    private: bool = True,
) -> str:
    """Upload a ``datasets`` folder (``HFDatasetWriter`` / ``--to datasets`` output, or any
    ``save_to_disk`` folder) to the dataset repo ``repo_id`` as parquet, one file per split,
    with a dataset card; returns the commit URL. The parquet files carry the features
    (``ClassLabel`` names included), so ``load_dataset(repo_id)`` gives them back as saved."""
    hub = require("huggingface_hub", "hub")
    datasets = require("datasets", "hf")
    if not is_dataset_folder(path):
        raise AutoNLPALError(
            f"{path}: not a datasets folder (no state.json or dataset_dict.json); write one with "
            f"autonlp-al convert ... --to datasets"
        )
    loaded = datasets.load_from_disk(str(path))
    splits = dict(loaded) if isinstance(loaded, datasets.DatasetDict) else {"train": loaded}
    operations = []
    for split, dataset in splits.items():
        buffer = io.BytesIO()
        dataset.to_parquet(buffer)
        operations.append(
            hub.CommitOperationAdd(
                path_in_repo=f"data/{split}-00000-of-00001.parquet",
                path_or_fileobj=buffer.getvalue(),
            )
        )
    card = _dataset_card(repo_id, splits)
    operations.append(
        hub.CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card.encode())
    )
    api = hub.HfApi(endpoint=endpoint, token=token)
    with _hub_errors(hub, repo_id):
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        rows = ", ".join(f"{k} {len(v)}" for k, v in splits.items())
        info = api.create_commit(
            repo_id=repo_id,
            repo_type="dataset",
            operations=operations,
            commit_message=f"autonlp_al dataset: {rows}",
        )
    return str(getattr(info, "commit_url", info))


def _dataset_card(repo_id: str, splits: Mapping[str, Any]) -> str:
    """The dataset card: front matter naming the parquet file of each split (what
    ``load_dataset`` and the dataset viewer read), then what the columns hold."""
    front = {
        "tags": ["autonlp_al", "active-learning"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [
                    {"split": split, "path": f"data/{split}-*.parquet"} for split in splits
                ],
            }
        ],
    }
    first = next(iter(splits.values()))
    lines = [
        "---",
        *(f"{key}: {json.dumps(value)}" for key, value in front.items()),
        "---",
        "",
        f"# {repo_id.split('/')[-1]}",
        "",
        "Labelled with [autonlp_al](https://pypi.org/project/autonlp_al/) active learning.",
        "",
        *(f"- {split}: {len(data)} rows" for split, data in splits.items()),
        "",
        "## Columns",
        "",
    ]
    for name, feature in first.features.items():
        names = getattr(feature, "names", None) or getattr(
            getattr(feature, "feature", None), "names", None
        )
        kind = f"labels {', '.join(f'`{n}`' for n in names)}" if names else str(feature)
        lines.append(f"- `{name}`: {kind}")
    lines.append("")
    return "\n".join(lines)
