"""A live Label Studio project, read through Label Studio's API: no export file to make first.

``path`` is the project's URL as the browser shows it (``http://localhost:8080/projects/3``, any
``/data?...`` after it is ignored). The token comes from an environment variable (never from a
config file or the command line, where others can read it): a personal access token (Label
Studio's Account & Settings; it is exchanged for an access token at ``/api/token/refresh/``) or
a legacy API token.

One ``GET /api/projects/<id>/export?exportType=JSON&download_all_tasks=true`` gives every task
with its annotations, the same JSON an export file holds, read by
:class:`~autonlp_al.sources.LabelStudioSource`'s rules (policy, cancelled annotations,
predictions, counts). The standard library's HTTP client does the two requests; the
``label-studio-sdk`` client wraps the same route, and pins older numpy than this project uses.
"""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from ..errors import DatasetNotFoundError, SourceError
from ..registry import sources
from ..report import Report
from ..types import Example
from .base import OnError
from .labelstudio import _POLICIES, LabelStudioSource

__all__ = ["LabelStudioProjectSource"]

_PROJECT = re.compile(r"^(https?://[^/?#]+(?:/[^?#]*?)?)/projects/(\d+)(?:[/?#].*)?$")


@sources.register("labelstudio_api.v1")
@attrs.define(kw_only=True)
class LabelStudioProjectSource:
    """Examples from a live Label Studio project (see the module docstring).

    Args:
        path: the project's URL, ``http(s)://host[:port][/prefix]/projects/<id>``.
        token_env: the environment variable that holds the token.
        data_key / policy / use_predictions / on_error: as :class:`LabelStudioSource`.
        timeout: seconds to wait for Label Studio.
    """

    path: str = attrs.field(converter=str)
    token_env: str = "LABEL_STUDIO_API_KEY"
    data_key: str = "text"
    policy: str = attrs.field(default="latest", validator=attrs.validators.in_(_POLICIES))
    use_predictions: bool = False
    timeout: float = 60.0
    on_error: OnError = attrs.field(default=OnError.RAISE, converter=OnError)
    report: Report = attrs.field(factory=Report)

    def read(self) -> Iterator[Example]:
        base, project = self._project()
        tasks = self._export(base, project)
        where = f"{base}/projects/{project}"
        source = LabelStudioSource(
            path=Path(where.replace("://", "_")),  # never opened: ``where`` names the origins
            data_key=self.data_key,
            policy=self.policy,
            use_predictions=self.use_predictions,
            on_error=self.on_error,
            report=self.report,
            where=where,
        )
        yield from source.read_tasks(tasks)

    def _project(self) -> tuple[str, int]:
        match = _PROJECT.match(self.path.strip())
        if match is None:
            raise SourceError(
                f"{self.path!r} is not a Label Studio project URL; give it as the browser shows "
                f"it: http://host:8080/projects/<id>"
            )
        return match.group(1), int(match.group(2))

    def _authorization(self, base: str) -> str:
        token = os.environ.get(self.token_env, "").strip()
        if not token:
            raise SourceError(
                f"no Label Studio token in ${self.token_env}; copy a personal access token from "
                f"Label Studio's Account & Settings into it (export {self.token_env}=...)"
            )
        claims = _jwt_claims(token)
        if claims is None:
            return f"Token {token}"  # a legacy API token
        if claims.get("token_type") == "refresh":  # a personal access token: get an access token
            answer = self._call(
                f"{base}/api/token/refresh/",
                data=json.dumps({"refresh": token}).encode(),
                headers={"Content-Type": "application/json"},
                what="exchanging the personal access token",
            )
            access = answer.get("access") if isinstance(answer, dict) else None
            if not isinstance(access, str):
                raise SourceError(
                    f"{base}/api/token/refresh/ gave no access token; make a new personal "
                    f"access token in Label Studio"
                )
            token = access
        return f"Bearer {token}"

    def _export(self, base: str, project: int) -> list[Any]:
        url = f"{base}/api/projects/{project}/export?exportType=JSON&download_all_tasks=true"
        tasks = self._call(
            url,
            headers={"Authorization": self._authorization(base)},
            what=f"exporting project {project}",
            project=project,
        )
        if not isinstance(tasks, list):
            raise SourceError(
                f"{url}: Label Studio answered {type(tasks).__name__}, not a list of tasks; "
                f"is {base} a Label Studio server?"
            )
        return tasks

    def _call(
        self,
        url: str,
        *,
        what: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        project: int | None = None,
    ) -> Any:
        request = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise SourceError(
                    f"{url}: Label Studio refused the token in ${self.token_env} (HTTP "
                    f"{exc.code}) while {what}; make a new personal access token, and check "
                    f"that its user may see the project"
                ) from None
            if exc.code == 404 and project is not None:
                raise DatasetNotFoundError(
                    f"{url}: Label Studio has no project {project} (HTTP 404); copy the "
                    f"project's URL from the browser"
                ) from None
            raise SourceError(f"{url}: HTTP {exc.code} while {what}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceError(
                f"{url}: could not reach Label Studio ({reason}) while {what}; is it running there?"
            ) from None
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise SourceError(
                f"{url}: not JSON ({exc!r:.80}) while {what}; is this a Label Studio server?"
            ) from None


def _jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT (a personal access token), or ``None`` for a legacy token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None
