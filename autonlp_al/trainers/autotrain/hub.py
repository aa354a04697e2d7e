"""The seam between the AutoTrain trainer and the Hugging Face Hub.

:class:`HubClient` is the small interface a round needs (create, upload, configure, poll, read
the outcome, download, delete), in the trainer's words rather than the Hub's routes. Two
implementations: :class:`HfHubClient` here (``huggingface_hub.HfApi``, with retries on 429 / 5xx /
no answer, Retry-After honoured, and every error mapped to :mod:`autonlp_al.errors` with the
token scrubbed), and :class:`~autonlp_al.testing.FakeHub`, an in-memory Hub with a fake
AutoTrain for tests. Polling a Space to its end and cleaning up are written once, here, over the
interface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs

from ..._optional import require
from ...errors import (
    AutoTrainAuthError,
    AutoTrainConflictError,
    AutoTrainError,
    AutoTrainRunError,
    AutoTrainTimeoutError,
)

__all__ = ["HfHubClient", "HubClient", "delete_repos", "scrub", "wait_for_space"]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Space stages: still going, failed, stopped by someone else
RUNNING = frozenset(
    {"BUILDING", "APP_STARTING", "RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING"}
)
FAILED = frozenset({"BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE"})
ABORTED = frozenset({"STOPPED", "DELETING"})


@runtime_checkable
class HubClient(Protocol):
    """What an AutoTrain round asks of the Hub. ``kind`` is ``"model"``, ``"dataset"`` or
    ``"space"``. Errors are :class:`~autonlp_al.errors.AutoTrainError` and its subclasses."""

    def whoami(self) -> str:
        """The token's user name (the default namespace)."""
        ...

    def create(self, repo_id: str, *, kind: str, hardware: str | None = None) -> None:
        """Create a private repo (a Docker Space on ``hardware`` for ``kind="space"``)."""
        ...

    def upload(self, repo_id: str, *, kind: str, files: Mapping[str, bytes], message: str) -> None:
        """Commit ``files`` (path in repo -> content) in one commit."""
        ...

    def configure_space(self, space: str, *, secrets: Mapping[str, str], sleep_time: int) -> None:
        """Set the Space's secrets and its sleep time."""
        ...

    def stage(self, space: str) -> str:
        """The Space's runtime stage (``BUILDING``, ``RUNNING``, ``PAUSED``, ``BUILD_ERROR``...)."""
        ...

    def pause(self, space: str) -> None: ...

    def logs(self, space: str, *, build: bool) -> list[str]:
        """The Space's build or run log lines (best effort)."""
        ...

    def discussions(self, repo_id: str, *, kind: str) -> list[str]:
        """The titles of the repo's discussions."""
        ...

    def files(self, repo_id: str) -> list[str] | None:
        """The files of a model repo, or ``None`` when there is no such repo."""
        ...

    def download(
        self, repo_id: str, folder: Path, *, allow: Sequence[str], ignore: Sequence[str]
    ) -> Path:
        """Download the matching files of a model repo into ``folder``; return the folder."""
        ...

    def delete(self, repo_id: str, *, kind: str) -> None:
        """Delete a repo; a missing one is fine."""
        ...


def scrub(text: str, token: str) -> str:
    """``text`` with ``token`` replaced by ``<HF_TOKEN>``."""
    return text.replace(token, "<HF_TOKEN>") if token else text


@attrs.define(kw_only=True)
class HfHubClient:
    """:class:`HubClient` over ``huggingface_hub.HfApi``.

    Args:
        token: the write token (only ever sent to the Hub; scrubbed from every message).
        endpoint: the Hub URL (default huggingface_hub's; tests point it at a loopback Hub).
        retries: attempts for a call answered 429 / 5xx or not answered at all.
        sleep: waits between attempts (injected so tests need not wait).
    """

    token: str = attrs.field(repr=False)
    endpoint: str | None = None
    retries: int = 5
    sleep: Callable[[float], None] = attrs.field(repr=False)
    _api: Any = attrs.field(init=False, default=None, repr=False)
    _user: str | None = attrs.field(init=False, default=None, repr=False)

    @property
    def api(self) -> Any:
        if self._api is None:
            hub = require("huggingface_hub", "hub")
            self._api = hub.HfApi(endpoint=self.endpoint, token=self.token)
        return self._api

    def whoami(self) -> str:
        if self._user is None:
            self._user = str(self._call("whoami", self.api.whoami)["name"])
        return self._user

    def create(self, repo_id: str, *, kind: str, hardware: str | None = None) -> None:
        space: dict[str, Any] = (
            {"space_sdk": "docker", "space_hardware": hardware} if kind == "space" else {}
        )
        what = f"creating the {kind} repo {repo_id}"
        try:
            self._call(what, self.api.create_repo, repo_id, repo_type=kind, private=True, **space)
        except _CreatedBeforeRetry:
            # A 409 on a retry: our first attempt may have created it with its answer lost, or
            # someone else has a repo of that name. Touch it (secrets, files, delete) only if
            # it is provably ours: its one commit, the Hub's initial one, is by this token's user.
            commits = self._call(
                f"checking who created {repo_id}",
                lambda: list(self.api.list_repo_commits(repo_id, repo_type=kind)),
            )
            authors = sorted({a for c in commits for a in c.authors})
            if len(commits) == 1 and authors == [self.whoami()]:
                return
            raise AutoTrainConflictError(
                f"{what}: a repo of that name appeared while the create was retried, and it is "
                f"not provably this run's ({len(commits)} commit(s) by {', '.join(authors) or 'nobody'}"
                f"; this token is {self.whoami()}); it was left untouched. Run again (a new "
                f"name is drawn) or use another prefix"
            ) from None

    def upload(self, repo_id: str, *, kind: str, files: Mapping[str, bytes], message: str) -> None:
        hub = require("huggingface_hub", "hub")
        self._call(
            f"uploading to {repo_id}",
            self.api.create_commit,
            repo_id,
            repo_type=kind,
            operations=[
                hub.CommitOperationAdd(path_in_repo=name, path_or_fileobj=data)
                for name, data in files.items()
            ],
            commit_message=message,
        )

    def configure_space(self, space: str, *, secrets: Mapping[str, str], sleep_time: int) -> None:
        for key, value in secrets.items():
            self._call(
                f"setting the Space secret {key}", self.api.add_space_secret, space, key, value
            )
        self._call("setting the Space sleep time", self.api.set_space_sleep_time, space, sleep_time)

    def stage(self, space: str) -> str:
        runtime = self._call(f"reading the runtime of {space}", self.api.get_space_runtime, space)
        return str(runtime.stage)

    def pause(self, space: str) -> None:
        self._call(f"pausing {space}", self.api.pause_space, space)

    def logs(self, space: str, *, build: bool) -> list[str]:
        fetch = getattr(self.api, "fetch_space_logs", None)
        if fetch is None:
            return ["(this huggingface_hub cannot fetch Space logs; see the Space's page)"]
        try:
            return [scrub(line.rstrip("\n"), self.token) for line in fetch(space, build=build)]
        except Exception as exc:  # logs are a courtesy; never hide the real failure
            return [f"(logs unavailable: {type(exc).__name__})"]

    def discussions(self, repo_id: str, *, kind: str) -> list[str]:
        return self._call(
            f"reading the discussions of {repo_id}",
            lambda: [d.title for d in self.api.get_repo_discussions(repo_id, repo_type=kind)],
        )

    def files(self, repo_id: str) -> list[str] | None:
        return self._call(
            f"listing {repo_id}",
            lambda: list(self.api.list_repo_files(repo_id)),
            missing_ok=True,
        )

    def download(
        self, repo_id: str, folder: Path, *, allow: Sequence[str], ignore: Sequence[str]
    ) -> Path:
        return Path(
            self._call(
                f"downloading {repo_id}",
                self.api.snapshot_download,
                repo_id,
                local_dir=folder,
                allow_patterns=list(allow),
                ignore_patterns=list(ignore),
            )
        )

    def delete(self, repo_id: str, *, kind: str) -> None:
        self._call(
            f"deleting {repo_id}", self.api.delete_repo, repo_id, repo_type=kind, missing_ok=True
        )

    def _call(
        self, what: str, fn: Callable[..., T], *args: Any, missing_ok: bool = False, **kwargs: Any
    ) -> T:
        """Call the Hub; retry 429 / 5xx / no answer with backoff; map the rest to our errors.
        ``missing_ok``: a 404 returns ``None``. A request huggingface_hub already retried itself
        (uploads' preupload, listings: 6 requests over 23 s) is not retried again here, so the
        two layers' retries do not multiply."""
        hub = require("huggingface_hub", "hub")
        for attempt in range(self.retries):
            try:
                return fn(*args, **kwargs)
            except hub.errors.HfHubHTTPError as exc:
                status = getattr(exc.response, "status_code", 0)
                server = scrub(str(exc.server_message or ""), self.token)
                if status in (401, 403):
                    raise AutoTrainAuthError(
                        f"{what}: the Hub refused the token (HTTP {status}"
                        f"{': ' + server if server else ''}); check HF_TOKEN or `hf auth login`, "
                        f"that the token can write to the namespace, and (for paid hardware) "
                        f"that the account has a payment method"
                    ) from None
                if status == 404 and missing_ok:
                    return None  # type: ignore[return-value]
                if status == 409 and attempt > 0 and fn == getattr(self._api, "create_repo", 0):
                    raise _CreatedBeforeRetry from None
                if status == 409:
                    raise AutoTrainConflictError(
                        f"{what}: it already exists (HTTP 409); AutoTrain fails on reused names, "
                        f"so use a new prefix or delete the old repo"
                    ) from None
                if status != 429 and status < 500:
                    raise AutoTrainError(f"{what}: HTTP {status} {server}".strip()) from None
                if _retried_inside(exc):
                    raise AutoTrainError(
                        f"{what}: the Hub kept failing (HTTP {status}) through huggingface_hub's "
                        f"own retries; try later"
                    ) from None
                wait = _retry_after(exc.response) or min(2.0**attempt, 60.0)
                reason = f"HTTP {status}"
            except Exception as exc:
                if not _transient(exc):
                    raise AutoTrainError(
                        f"{what}: {type(exc).__name__}: {scrub(str(exc), self.token)}"
                    ) from None
                wait, reason = min(2.0**attempt, 60.0), type(exc).__name__
            if attempt + 1 < self.retries:
                log.warning("%s: %s, retrying in %.0f s", what, reason, wait)
                self.sleep(wait)
        raise AutoTrainError(
            f"{what}: the Hub kept failing ({reason}) after {self.retries} attempts; try later"
        )


# Requests huggingface_hub sends through its own http_backoff (5 retries on 5xx and no answer).
_RETRIED_INSIDE = ("/preupload/", "/tree/", "/commits/", "/info/lfs/")


def _retried_inside(exc: Any) -> bool:
    try:
        path = str(exc.response.request.url.path)
    except AttributeError:
        return False
    return any(part in path for part in _RETRIED_INSIDE)


class _CreatedBeforeRetry(Exception):
    """A create answered 409 on a retry (so the first attempt may have created it)."""


def _retry_after(response: Any) -> float | None:
    try:
        return float(response.headers.get("Retry-After"))
    except (TypeError, ValueError, AttributeError):
        return None


def _transient(exc: Exception) -> bool:
    """No answer from the Hub (refused, reset, timed out): worth another try."""
    module = type(exc).__module__
    name = type(exc).__name__
    if name == "LocalEntryNotFoundError":  # snapshot_download's "could not reach the Hub"
        return True
    return isinstance(exc, ConnectionError | TimeoutError) or (
        module.startswith(("httpx", "httpcore", "requests", "urllib3"))
        and any(word in name for word in ("Connect", "Timeout", "RemoteProtocol", "ReadError"))
    )


# -- written once over the interface ------------------------------------------------------------


def wait_for_space(
    client: HubClient,
    space: str,
    *,
    timeout: float,
    poll_interval: float,
    max_poll_interval: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    log_lines: int = 40,
) -> str:
    """Poll ``space`` until it pauses (AutoTrain pauses it when done; returns ``"PAUSED"``). A
    failed or stopped Space, or one still going at ``timeout``, is paused (so billing stops) and
    raised as :class:`AutoTrainRunError` (with its last log lines) or
    :class:`AutoTrainTimeoutError`. The interval grows 1.5x per poll up to ``max_poll_interval``."""
    start = clock()
    interval = poll_interval
    last = ""
    while True:
        stage = client.stage(space)
        elapsed = clock() - start
        if stage != last:
            log.info("AutoTrain %s: %s after %.0f s", space, stage, elapsed)
            last = stage
        if stage == "PAUSED":
            return stage
        if stage in FAILED or stage in ABORTED:
            logs = tuple(client.logs(space, build=stage == "BUILD_ERROR")[-log_lines:])
            pause_quietly(client, space)
            raise AutoTrainRunError(
                f"AutoTrain Space {space} stopped with {stage} after {elapsed:.0f} s; it was "
                f"paused. Last log lines:\n" + "\n".join(logs),
                stage=stage,
                logs=logs,
            )
        if elapsed >= timeout:
            pause_quietly(client, space)
            raise AutoTrainTimeoutError(
                f"AutoTrain Space {space} was still {stage} after {elapsed:.0f} s (timeout "
                f"{timeout:.0f} s); it was paused so billing stopped. Raise timeout= or use "
                f"faster hardware"
            )
        sleep(interval)
        interval = min(interval * 1.5, max_poll_interval)


def pause_quietly(client: HubClient, space: str) -> None:
    """Pause ``space``; a failure is logged (with what to do), never raised over the real error."""
    try:
        client.pause(space)
    except AutoTrainError as exc:
        log.error("could not pause %s (%s): pause it by hand to stop billing", space, exc)


def delete_repos(client: HubClient, created: Sequence[tuple[str, str]]) -> list[str]:
    """Delete ``(repo_id, kind)`` pairs, newest first; return those deleted. A repo that cannot
    be deleted is logged with what to do, so cleanup never hides the round's own outcome."""
    deleted = []
    for repo, kind in reversed(created):
        try:
            client.delete(repo, kind=kind)
            deleted.append(repo)
        except AutoTrainError as exc:
            log.error("could not delete the %s %s (%s); delete it by hand", kind, repo, exc)
    return deleted
