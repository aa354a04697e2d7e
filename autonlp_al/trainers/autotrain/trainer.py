"""The hosted trainer: Hugging Face AutoTrain (AutoNLP's successor) in a private Space.

AutoTrain has no job API: a training run is a private Docker Space in your account that runs
``autotrain-advanced`` with the job in its secrets, pushes the model to ``{user}/{project}``,
opens a discussion saying how it went, and pauses itself. This backend does those steps with
plain ``huggingface_hub`` calls (it does not import ``autotrain-advanced``, whose pins conflict
with transformers 5), then downloads the model and returns it as a
:class:`~autonlp_al.trainers.transformers.model.TransformersModel`, so strategies score the pool locally
exactly as with :class:`~autonlp_al.trainers.transformers.trainer.TransformersTrainer`.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..._optional import require
from ...errors import (
    AutoTrainAuthError,
    AutoTrainError,
    AutoTrainRunError,
    AutoTrainTimeoutError,
    BudgetError,
    DryRunFinished,
)
from ...registry import trainers
from ...types import Example
from ..base import Examples, Labels, Model
from ..transformers.model import TransformersModel, weights_fingerprint
from .hub import HfHubClient, HubClient, delete_repos, wait_for_space
from .plan import (
    HOURLY_USD,
    TASK_IDS,
    RoundPlan,
    check_examples,
    class_names,
    dockerfile,
    label_counts,
    parquet_bytes,
    parse_card_metrics,
    project_name,
    space_readme,
    split_validation,
    training_params,
)
from .settings import Budget, Hub, Hyperparameters, Polling, grouped, signature

__all__ = ["AutoTrainRun", "AutoTrainTrainer"]

log = logging.getLogger(__name__)

_FAILURE_TITLE = "failed"
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_DOWNLOAD = ["*.json", "*.safetensors", "*.bin", "*.txt", "*.model", "README.md"]
_SKIP = ["checkpoint-*", "checkpoint-*/*", "runs/*", "training_params.json"]


@attrs.frozen
class AutoTrainRun:
    """What one round did on the Hub (no token): names, the final stage, time and cost."""

    round: int
    project: str
    space_repo: str
    data_repo: str
    model_repo: str
    stage: str
    seconds: float
    usd: float
    metrics: dict[str, float]
    deleted: tuple[str, ...]


@trainers.register("autotrain.v1")
@attrs.define(kw_only=True, eq=False, init=False)
class AutoTrainTrainer:
    """Trains each round on Hugging Face AutoTrain; a drop-in for ``TransformersTrainer``.

    Args:
        task: ``"ner"`` (token classification) or ``"textcat"`` (text classification).
        model: the Hub id AutoTrain fine-tunes (the base model, as ``TransformersTrainer``'s
            ``model`` is), e.g.
            ``"sentence-transformers/all-MiniLM-L6-v2"`` (every round starts from it).
        lang: the language whose tokenizer splits NER texts into words (spaCy's blank model).
        validation_fraction: held out of each round's labelled examples as AutoTrain's
            validation split (stratified for text classification), when ``train`` gets no
            ``eval``; 0 sends no validation split (the model card then has no metrics).
        hyperparameters: :class:`~.settings.Hyperparameters` (epochs, lr, batch_size,
            max_length, warmup_ratio, weight_decay, gradient_accumulation, mixed_precision,
            seed).
        hub: :class:`~.settings.Hub`: namespace (default the token's user), token (default
            ``HF_TOKEN`` or the ``hf auth login`` token; sent only to the Hub and, as
            AutoTrain needs, in the private Space's secrets; never logged, written to a file
            by this library, or put in an exception), endpoint, prefix, retries, cleanup,
            keep_model, autotrain_version.
        budget: :class:`~.settings.Budget`: hardware (``t4-small``; ``spaces-t4-small`` is
            accepted too), hourly_usd (default from :data:`HOURLY_USD`), max_usd (a round is
            refused with :class:`BudgetError`, nothing created, when the cost so far plus its
            worst case, ``timeout`` hours at ``hourly_usd``, would exceed it), timeout
            (seconds before the Space is paused and the round fails), sleep_time.
        polling: :class:`~.settings.Polling`: poll_interval, max_poll_interval, log_lines.
        **flat: any field of the four records by its name (``epochs=5``, ``timeout=3600``),
            as earlier versions, configs and the CLI pass them; not together with its record.
        dry_run: a folder: write each round's exact payloads there (parquet files, README,
            Dockerfile, PARAMS with the token redacted) and raise :class:`DryRunFinished`
            without calling the Hub.
        client: the :class:`~autonlp_al.trainers.autotrain.hub.HubClient` to talk to; default
            an :class:`~autonlp_al.trainers.autotrain.hub.HfHubClient` for ``token`` and
            ``endpoint`` (tests pass :class:`~autonlp_al.testing.FakeHub`).
    """

    task: str = attrs.field(validator=attrs.validators.in_(tuple(TASK_IDS)))
    model: str
    lang: str = "en"
    validation_fraction: float = 0.1
    hyperparameters: Hyperparameters = attrs.field(factory=Hyperparameters)
    hub: Hub = attrs.field(factory=Hub)
    budget: Budget = attrs.field(factory=Budget)
    polling: Polling = attrs.field(factory=Polling)
    dry_run: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    client: HubClient | None = attrs.field(default=None, repr=False)
    rng: random.Random = attrs.field(factory=random.Random, repr=False)
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, repr=False)
    clock: Callable[[], float] = attrs.field(default=time.monotonic, repr=False)
    runs: list[AutoTrainRun] = attrs.field(init=False, factory=list)
    spent_usd: float = attrs.field(init=False, default=0.0)
    _round: int = attrs.field(init=False, default=0)

    def __init__(
        self,
        *,
        task: str,
        model: str,
        lang: str = "en",
        validation_fraction: float = 0.1,
        hyperparameters: Hyperparameters | Mapping[str, Any] | None = None,
        hub: Hub | Mapping[str, Any] | None = None,
        budget: Budget | Mapping[str, Any] | None = None,
        polling: Polling | Mapping[str, Any] | None = None,
        dry_run: str | Path | None = None,
        client: HubClient | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        **flat: Any,
    ) -> None:
        records = {"hyperparameters": hyperparameters, "hub": hub, "budget": budget}
        self.__attrs_init__(
            task=task,
            model=model,
            lang=lang,
            validation_fraction=validation_fraction,
            **grouped({**records, "polling": polling}, flat),
            dry_run=dry_run,
            client=client,
            rng=rng if rng is not None else random.Random(),
            sleep=sleep,
            clock=clock,
        )

    # -- the round ------------------------------------------------------------------------------

    def load(self, path: str | Path) -> TransformersModel:
        """A model folder saved from one of this trainer's rounds (a transformers folder)."""
        return TransformersModel.load(path)

    def train(
        self, train: Examples, *, eval: Examples = (), labels: Labels, init: Model | None = None
    ) -> TransformersModel:
        """One AutoTrain run on ``train``. ``init`` is ignored: AutoTrain fine-tunes
        ``model`` each round (the label map stays fixed, so rounds are comparable)."""
        round_ = self._round
        self._round += 1
        labels = list(dict.fromkeys(labels))
        plan = self.plan(train, eval=eval, labels=labels, round_=round_)
        if self.dry_run is not None:
            folder = self._write_dry_run(plan, round_)
            raise DryRunFinished(
                f"dry run: round {round_}'s payloads are in {folder} (plan.json, data/, space/); "
                f"nothing was sent. Set dry_run=None to train on AutoTrain",
                folder=str(folder),
            )
        price = self._hourly()
        worst = price * self.budget.timeout / 3600
        if self.budget.max_usd is not None and self.spent_usd + worst > self.budget.max_usd:
            raise BudgetError(
                f"round {round_} could cost up to ${worst:.2f} ({self.budget.hardware} at "
                f"${price:.2f}/h for the {self.budget.timeout / 3600:.1f} h timeout) on top of "
                f"${self.spent_usd:.2f} spent, over max_usd=${self.budget.max_usd:.2f}; raise max_usd "
                f"(--max-usd), lower timeout (--timeout SECONDS), or pick cheaper hardware"
            )
        return self._run(plan, round_, price)

    def plan(
        self,
        train: Sequence[Example],
        *,
        eval: Sequence[Example] = (),
        labels: Sequence[str],
        round_: int = 0,
    ) -> RoundPlan:
        """Check the data and build everything a round sends (nothing is sent)."""
        if eval:
            train_part, validation = list(train), list(eval)
        else:
            train_part, validation = split_validation(
                self.task,
                train,
                self.validation_fraction,
                random.Random(f"{self.hyperparameters.seed}-{round_}"),
            )
        rows = check_examples(self.task, train_part, validation, labels, lang=self.lang)
        names = class_names(self.task, labels)
        token = (self._token() if self.dry_run is None else self._token(required=False)) or ""
        namespace = self.hub.namespace or (
            self._whoami(token) if self.dry_run is None else "<your-namespace>"
        )
        project = project_name(self.hub.prefix, round_, self.rng)
        data_repo = f"{namespace}/autotrain-data-{project}"
        data_files = {
            "data/train-00000-of-00001.parquet": parquet_bytes(
                self.task, rows[: len(train_part)], names
            )
        }
        if validation:
            data_files["data/validation-00000-of-00001.parquet"] = parquet_bytes(
                self.task, rows[len(train_part) :], names
            )
        params = training_params(
            task=self.task,
            project=project,
            namespace=namespace,
            data_repo=data_repo,
            base_model=self.model,
            token=token,
            hyperparameters=self.hyperparameters.params(len(train_part)),
            has_validation=bool(validation),
        )
        secrets = {
            "HF_TOKEN": token,
            "AUTOTRAIN_USERNAME": namespace,
            "PROJECT_NAME": project,
            "TASK_ID": TASK_IDS[self.task],
            "PARAMS": json.dumps(params),
            "DATA_PATH": data_repo,
            "MODEL": self.model,
        }
        return RoundPlan(
            task=self.task,
            project=project,
            namespace=namespace,
            data_repo=data_repo,
            space_repo=f"{namespace}/autotrain-{project}",
            model_repo=f"{namespace}/{project}",
            hardware=self.budget.hardware,
            sleep_time=self.budget.sleep_time,
            data_files=data_files,
            space_files={
                "README.md": space_readme(project),
                "Dockerfile": dockerfile(self.hub.autotrain_version),
            },
            secrets=secrets,
            counts={"train": len(train_part), "validation": len(validation)},
            label_counts=label_counts(self.task, rows[: len(train_part)]),
        )

    def _hourly(self) -> float:
        if self.budget.hourly_usd is not None:
            return self.budget.hourly_usd
        if self.budget.hardware not in HOURLY_USD:
            raise AutoTrainError(
                f"no price known for hardware {self.budget.hardware!r}; pass hourly_usd= (see "
                f"https://huggingface.co/pricing) or one of {sorted(HOURLY_USD)}"
            )
        return HOURLY_USD[self.budget.hardware]

    def _write_dry_run(self, plan: RoundPlan, round_: int) -> Path:
        assert self.dry_run is not None
        folder = self.dry_run / f"round-{round_:03d}-{plan.project}"
        for name, data in plan.data_files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        for name, text in plan.space_files.items():
            (folder / "space" / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / "space" / name).write_text(text)
        (folder / "plan.json").write_text(json.dumps(plan.redacted(), indent=2) + "\n")
        return folder

    # -- the Hub --------------------------------------------------------------------------------

    def _token(self, *, required: bool = True) -> str | None:
        token = self.hub.token or os.environ.get("HF_TOKEN")
        if not token:
            hub = require("huggingface_hub", "hub")
            token = hub.get_token()
        if not token and required:
            raise AutoTrainAuthError(
                "no Hugging Face token: pass token=..., set HF_TOKEN, or run `hf auth login` "
                "(it needs write access to create the private Space and repos)"
            )
        return token

    def _client(self, token: str) -> HubClient:
        if self.client is not None:
            return self.client
        return HfHubClient(
            token=token, endpoint=self.hub.endpoint, retries=self.hub.retries, sleep=self.sleep
        )

    def _whoami(self, token: str | None) -> str:
        return self._client(token or "").whoami()

    def _run(self, plan: RoundPlan, round_: int, price: float) -> TransformersModel:
        token = self._token()
        assert token is not None
        client = self._client(token)
        created: list[tuple[str, str]] = []
        space_since: float | None = None  # billed from the Space's create to the round's end
        stage = "NOT_STARTED"
        metrics: dict[str, float] = {}
        deleted: list[str] = []
        try:
            log.info(
                "AutoTrain round %d: %s on %s (%d train, %d validation)",
                round_,
                plan.project,
                plan.hardware,
                plan.counts["train"],
                plan.counts["validation"],
            )
            client.create(plan.data_repo, kind="dataset")
            created.append((plan.data_repo, "dataset"))
            client.upload(
                plan.data_repo,
                kind="dataset",
                files=plan.data_files,
                message=f"autonlp_al round {round_} data",
            )
            space_since = self.clock()  # from the call: a create whose answer is lost did create
            client.create(plan.space_repo, kind="space", hardware=plan.hardware)
            created.append((plan.space_repo, "space"))
            client.configure_space(
                plan.space_repo, secrets=plan.secrets, sleep_time=plan.sleep_time
            )
            client.upload(
                plan.space_repo,
                kind="space",
                files={name: text.encode() for name, text in plan.space_files.items()},
                message=f"autonlp_al round {round_}: start AutoTrain",
            )
            stage = "STARTED"
            try:
                stage = wait_for_space(
                    client,
                    plan.space_repo,
                    timeout=self.budget.timeout,
                    poll_interval=self.polling.poll_interval,
                    max_poll_interval=self.polling.max_poll_interval,
                    sleep=self.sleep,
                    clock=self.clock,
                    log_lines=self.polling.log_lines,
                )
            except AutoTrainRunError as exc:
                stage = exc.stage or stage
                raise
            except AutoTrainTimeoutError:
                stage = "TIMEOUT"
                raise
            if not self.hub.keep_model:
                created.insert(0, (plan.model_repo, "model"))
            self._check_outcome(client, plan, stage)
            model, card = self._download_model(client, plan)
            metrics = parse_card_metrics(card)
            model.metrics = metrics
            log.info("AutoTrain round %d: %s done, %s", round_, plan.model_repo, metrics or "")
            return model
        finally:
            if self.hub.cleanup:
                deleted = delete_repos(client, created)
            # every second the Space existed, whatever the outcome (a Space that failed to
            # build, or that was created before a later step failed, is billed too)
            seconds = self.clock() - space_since if space_since is not None else 0.0
            usd = price * seconds / 3600
            self.spent_usd += usd
            self.runs.append(
                AutoTrainRun(
                    round=round_,
                    project=plan.project,
                    space_repo=plan.space_repo,
                    data_repo=plan.data_repo,
                    model_repo=plan.model_repo,
                    stage=stage,
                    seconds=round(seconds, 1),
                    usd=round(usd, 4),
                    metrics=metrics,
                    deleted=tuple(deleted),
                )
            )

    def _logs(self, client: HubClient, space: str) -> tuple[str, ...]:
        return tuple(client.logs(space, build=False)[-self.polling.log_lines :])

    def _check_outcome(self, client: HubClient, plan: RoundPlan, stage: str) -> None:
        titles = client.discussions(plan.space_repo, kind="space")
        failed = next((t for t in titles if _FAILURE_TITLE in t.lower()), "")
        if failed:
            logs = self._logs(client, plan.space_repo)
            raise AutoTrainRunError(
                f"AutoTrain reported {failed!r} for {plan.project} (Space {plan.space_repo}). "
                f"Last log lines:\n" + "\n".join(logs),
                stage=stage,
                discussion=failed,
                logs=logs,
            )
        # no model repo at all: reported below as a run without a model
        files = set(client.files(plan.model_repo) or ())
        missing = [f for f in ("config.json", "README.md") if f not in files]
        if not any(w in files for w in _WEIGHTS):
            missing.append(" or ".join(_WEIGHTS))
        if missing:
            logs = self._logs(client, plan.space_repo)
            raise AutoTrainRunError(
                f"AutoTrain Space {plan.space_repo} paused without a usable model in "
                f"{plan.model_repo} (missing {', '.join(missing)}; discussions: {titles}). "
                f"Last log lines:\n" + "\n".join(logs),
                stage=stage,
                discussion=titles[0] if titles else "",
                logs=logs,
            )

    def _download_model(self, client: HubClient, plan: RoundPlan) -> tuple[TransformersModel, str]:
        """The model (weights, config, tokenizer; not checkpoints or logs) and its card."""
        with tempfile.TemporaryDirectory(prefix="autonlp_al-autotrain-") as tmp:
            folder = client.download(plan.model_repo, Path(tmp), allow=_DOWNLOAD, ignore=_SKIP)
            model = TransformersModel.load(folder)
            card = (folder / "README.md").read_text(encoding="utf-8")
        model.version = weights_fingerprint(model.model, self.task)
        model.base_model = self.model
        model.max_length = min(model.max_length, self.hyperparameters.max_length)
        return model, card


# the CLI and the config see every setting by its flat name
AutoTrainTrainer.__signature__ = signature(inspect.signature(AutoTrainTrainer.__init__))  # type: ignore[attr-defined]
