"""A loopback stand-in for the Hugging Face Hub routes the real huggingface_hub client calls, with a
fake AutoTrain inside: tests point ``HfApi(endpoint=hub.url)`` at it and everything goes over
HTTP on 127.0.0.1.

Routes: whoami, create / delete repo, validate-yaml, preupload (always "regular", so no LFS or
xet), commit (NDJSON), Space secrets / variables / sleep time / runtime / pause / logs /
discussions, repo info, tree, and file resolve (HEAD + GET).

The fake AutoTrain runs when a Space with a Dockerfile is polled: poll 1 BUILDING, poll 2 RUNNING,
poll 3 it "trains" per ``scenario``: it reads PARAMS and the uploaded parquet, checks the schema
(ClassLabel names, integer tags) as AutoTrain's trainer would, publishes ``model_files(names)`` plus
a model card, checkpoints and logs to ``{user}/{project}``, opens the success discussion and pauses.
Scenarios: ``success``, ``fail`` (failure discussion, no model), ``build_error``,
``runtime_error``, ``hang`` (RUNNING for ever), ``vanish`` (paused, no discussion, no model).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlparse

MODEL_CARD = """---
library_name: transformers
tags:
- autotrain
- {pipeline}
base_model: {base}
---

# Model Trained Using AutoTrain

- Problem type: {problem}

## Validation Metrics
{metrics}
"""


class Hub:
    def __init__(
        self,
        token: str = "hf_test",
        *,
        user: str = "user",
        scenario: str = "success",
        model_files: Callable[[str, list[str]], dict[str, bytes]] | None = None,
    ) -> None:
        self.token = token
        self.user = user
        self.scenario = scenario
        self.model_files = model_files
        self.repos: dict[str, dict[str, Any]] = {}  # "{type}s/{id}" -> state
        self.deleted: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[bytes] = []  # every request body, to check what was sent
        self.faults: list[tuple[str, str, int]] = []  # (method, path part, status), used once
        self.faults_body: list[tuple[str, str, int]] = []  # the same, matched in the body
        # like faults, but the request is carried out first and only the answer is lost
        self.faults_after: list[tuple[str, str, int]] = []
        self.trained: list[dict[str, Any]] = []  # what the fake AutoTrain read, per run
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            lost_answer: int | None = None

            def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                if self.lost_answer is not None:
                    status, self.lost_answer = self.lost_answer, None
                    data, headers = b'{"error": "injected after the fact"}', {}
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                extra = {"Content-Type": "application/json", **(headers or {})}
                if status >= 400:
                    extra.setdefault("X-Error-Message", str(body.get("error", "")))
                self._send(status, json.dumps(body).encode(), extra)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                path = unquote(url.path)
                with hub.lock:
                    hub.requests.append((self.command, path))
                    hub.bodies.append(raw)
                    fault = next(
                        (f for f in hub.faults if f[0] == self.command and f[1] in path), None
                    )
                    if fault:
                        hub.faults.remove(fault)
                    else:
                        fault = next(
                            (
                                f
                                for f in hub.faults_body
                                if f[0] == self.command and f[1].encode() in raw
                            ),
                            None,
                        )
                        if fault:
                            hub.faults_body.remove(fault)
                    after = next(
                        (f for f in hub.faults_after if f[0] == self.command and f[1] in path),
                        None,
                    )
                    if after:
                        hub.faults_after.remove(after)
                        self.lost_answer = after[2]
                if fault:
                    return self._json(fault[2], {"error": f"injected HTTP {fault[2]}"})
                if self.headers.get("Authorization") != f"Bearer {hub.token}":
                    return self._json(401, {"error": "Invalid credentials in Authorization"})
                try:
                    hub.route(self, self.command, path, url.query, raw)
                except KeyError as exc:
                    self._json(
                        404, {"error": f"not found: {exc}"}, {"X-Error-Code": "RepoNotFound"}
                    )

            do_GET = do_POST = do_DELETE = do_HEAD = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hub:
        self.thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- state ------------------------------------------------------------------------------------

    def repo(self, kind: str, repo_id: str) -> dict[str, Any]:
        return self.repos[f"{kind}s/{repo_id}"]

    def _new_repo(
        self, kind: str, repo_id: str, private: bool, *, author: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A repo with the Hub's "initial commit", by ``author`` (default: the token's user)."""
        state = {"files": {}, "private": private, "sha": "0" * 40, "discussions": [], **extra}
        state["commits"] = [self._commit_record("0" * 40, "initial commit", author or self.user)]
        self.repos[f"{kind}s/{repo_id}"] = state
        return state

    def _commit(self, state: dict[str, Any], files: dict[str, bytes]) -> str:
        state["files"].update(files)
        digest = hashlib.sha1(repr(sorted(state["files"].items())).encode()).hexdigest()
        state["sha"] = digest
        state.setdefault("commits", []).insert(0, self._commit_record(digest, "upload", self.user))
        return digest

    @staticmethod
    def _commit_record(sha: str, title: str, author: str) -> dict[str, Any]:
        return {
            "id": sha,
            "title": title,
            "message": "",
            "authors": [{"user": author}],
            "date": "2026-11-29T00:00:00.000Z",
        }

    # -- routes -----------------------------------------------------------------------------------

    def route(self, h: Any, method: str, path: str, query: str, raw: bytes) -> None:
        parts = path.strip("/").split("/")
        if path == "/api/whoami-v2":
            return h._json(200, {"name": self.user, "type": "user", "orgs": []})
        if path == "/api/validate-yaml":
            return h._json(200, {"errors": [], "warnings": []})
        if path == "/api/repos/create":
            body = json.loads(raw)
            kind = body.get("type") or "model"
            repo_id = f"{body.get('organization') or self.user}/{body['name']}"
            if f"{kind}s/{repo_id}" in self.repos:
                return h._json(409, {"error": "You already created this repo", "url": ""})
            private = body.get("private", body.get("visibility") == "private")
            self._new_repo(
                kind,
                repo_id,
                private,
                sdk=body.get("sdk"),
                hardware=body.get("hardware"),
                secrets={},
                stage="NO_APP_FILE",
                polls=0,
            )
            prefix = "" if kind == "model" else f"{kind}s/"
            return h._json(200, {"url": f"{self.url}/{prefix}{repo_id}", "name": repo_id})
        if path == "/api/repos/delete":
            body = json.loads(raw)
            kind = body.get("type") or "model"
            key = f"{kind}s/{body.get('organization') or self.user}/{body['name']}"
            del self.repos[key]
            self.deleted.append(key)
            return h._json(200, {})
        if parts[0] == "api" and parts[1] in ("models", "datasets", "spaces") and len(parts) >= 4:
            kind, repo_id, rest = parts[1][:-1], f"{parts[2]}/{parts[3]}", parts[4:]
            state = self.repo(kind, repo_id)
            return self._repo_route(h, method, kind, repo_id, state, rest, raw)
        # file resolve: /{id}/resolve/{rev}/{path}, datasets/ and spaces/ prefixed
        kind = "model"
        if parts[0] in ("datasets", "spaces"):
            kind, parts = parts[0][:-1], parts[1:]
        if len(parts) >= 5 and parts[2] == "resolve":
            state = self.repo(kind, f"{parts[0]}/{parts[1]}")
            name = "/".join(parts[4:])
            if name not in state["files"]:
                return h._json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
            data = state["files"][name]
            etag = hashlib.sha1(data).hexdigest()
            return h._send(
                200,
                data,
                {
                    "X-Repo-Commit": state["sha"],
                    "ETag": f'"{etag}"',
                    "Content-Type": "application/octet-stream",
                },
            )
        h._json(404, {"error": f"no route {method} {path}"})

    def _repo_route(
        self,
        h: Any,
        method: str,
        kind: str,
        repo_id: str,
        state: dict[str, Any],
        rest: list[str],
        raw: bytes,
    ) -> None:
        head = rest[0] if rest else ""
        if not rest or head == "revision":
            files = sorted(state["files"])
            return h._json(
                200,
                {
                    "id": repo_id,
                    "sha": state["sha"],
                    "private": state["private"],
                    "siblings": [{"rfilename": f} for f in files],
                },
            )
        if head == "preupload":
            files = json.loads(raw)["files"]
            return h._json(
                200,
                {
                    "files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                        for f in files
                    ]
                },
            )
        if head == "commit":
            added = {}
            for line in raw.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "file":
                    added[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            sha = self._commit(state, added)
            if kind == "space" and "Dockerfile" in state["files"]:
                state["stage"] = "BUILDING"
            return h._json(
                200, {"commitOid": sha, "commitUrl": f"{self.url}/{repo_id}/commit/{sha}"}
            )
        if head == "commits":  # newest first, as the Hub lists them
            return h._json(200, state["commits"])
        if head == "tree":
            entries = [
                {"type": "file", "path": p, "oid": hashlib.sha1(d).hexdigest(), "size": len(d)}
                for p, d in sorted(state["files"].items())
            ]
            return h._json(200, entries)
        if kind != "space":
            return h._json(404, {"error": f"no route {method} {head}"})
        if head == "secrets":
            body = json.loads(raw)
            state["secrets"][body["key"]] = body["value"]
            return h._json(200, {})
        if head == "variables":
            return h._json(200, {})
        if head == "sleeptime":
            state["sleep_time"] = json.loads(raw)["seconds"]
            return h._json(200, self._runtime(state))
        if head == "pause":
            state["stage"] = "PAUSED"
            state["paused_by_client"] = True
            return h._json(200, self._runtime(state))
        if head == "runtime":
            self._advance(repo_id, state)
            return h._json(200, self._runtime(state))
        if head == "discussions":
            items = state["discussions"]
            return h._json(200, {"count": len(items), "start": 0, "discussions": items})
        if head == "logs":
            lines = state.get("build_logs" if rest[1:] == ["build"] else "run_logs", [])
            data = "".join(
                f"data: {json.dumps({'data': line + chr(10), 'timestamp': '2026-11-28T00:00:00Z'})}\n\n"
                for line in lines
            ).encode()
            return h._send(200, data, {"Content-Type": "text/event-stream"})
        h._json(404, {"error": f"no route {method} {head}"})

    def _runtime(self, state: dict[str, Any]) -> dict[str, Any]:
        hardware = state.get("hardware")
        return {
            "stage": state["stage"],
            "hardware": {"current": hardware, "requested": hardware},
            "gcTimeout": state.get("sleep_time"),
            "storage": None,
        }

    # -- the fake AutoTrain ------------------------------------------------------------------------

    def _advance(self, space_id: str, state: dict[str, Any]) -> None:
        if state["stage"] in ("PAUSED", "NO_APP_FILE"):
            return
        state["polls"] += 1
        if state["polls"] == 1:
            state["stage"] = "BUILDING"
        elif state["polls"] == 2:
            state["stage"] = "RUNNING"
        elif self.scenario == "build_error":
            state["stage"] = "BUILD_ERROR"
            state["build_logs"] = [
                "Step 2/2 : RUN pip install autotrain-advanced",
                "ERROR: no space left",
            ]
        elif self.scenario == "runtime_error":
            state["stage"] = "RUNTIME_ERROR"
            state["run_logs"] = [
                "Traceback (most recent call last):",
                "RuntimeError: CUDA out of memory",
            ]
        elif self.scenario == "hang":
            state["stage"] = "RUNNING"
        elif self.scenario == "vanish":  # paused with neither a discussion nor a model
            state["stage"] = "PAUSED"
        else:
            self._train(space_id, state)

    def _train(self, space_id: str, state: dict[str, Any]) -> None:
        secrets = state["secrets"]
        seen: dict[str, Any] = {"space": space_id, "secrets": dict(secrets)}
        self.trained.append(seen)
        try:
            params = json.loads(secrets["PARAMS"])
            seen["params"] = params
            task = {"4": "ner", "2": "textcat"}[secrets["TASK_ID"]]
            data = self.repo("dataset", params["data_path"])
            names, rows = self._read_split(task, data, params["train_split"], params)
            seen["train_rows"] = rows
            seen["names"] = names
            if params.get("valid_split"):
                _, valid = self._read_split(task, data, params["valid_split"], params)
                seen["validation_rows"] = valid
            if self.scenario == "fail":
                raise RuntimeError("scenario fail")
        except Exception as exc:  # AutoTrain's @monitor: log, open a discussion, pause
            seen["error"] = repr(exc)
            # a careless log line with the token in it: the client must scrub it
            state["run_logs"] = [
                f"DEBUG | HF_TOKEN={secrets.get('HF_TOKEN')}",
                f"ERROR | training failed: {exc!r}",
            ]
            self._discussion(state, "Your training has failed ❌")
            state["stage"] = "PAUSED"
            return
        assert self.model_files is not None, "give the stand-in model_files to publish a model"
        model_repo = f"{params['username']}/{params['project_name']}"
        files = dict(self.model_files(task, names))
        metrics = (
            "loss: 0.31\n\nprecision: 0.5\n\nrecall: 0.625\n\nf1: 0.5556\n\naccuracy: 0.9\n"
            if task == "ner"
            else "loss: 0.4\n\nf1_macro: 0.8\n\nf1_micro: 0.85\n\naccuracy: 0.85\n"
        )
        files["README.md"] = MODEL_CARD.format(
            pipeline="token-classification" if task == "ner" else "text-classification",
            base=params["model"],
            problem="Token Classification" if task == "ner" else "Text Classification",
            metrics=metrics,
        ).encode()
        files["training_params.json"] = json.dumps({**params, "token": "*****"}).encode()
        files["checkpoint-2/trainer_state.json"] = b'{"log_history": []}'
        files["checkpoint-2/optimizer.pt"] = b"\0" * 64
        files["runs/events.out.tfevents"] = b"\0" * 16
        self._new_repo("model", model_repo, True)
        self._commit(self.repo("model", model_repo), files)
        state["run_logs"] = ["INFO | training done", "INFO | pushed to the Hub"]
        self._discussion(state, "Your training has finished successfully ✅")
        state["stage"] = "PAUSED"

    def _read_split(
        self, task: str, data: dict[str, Any], split: str, params: dict[str, Any]
    ) -> tuple[list[str], list[Any]]:
        import pyarrow.parquet as pq

        name = f"data/{split}-00000-of-00001.parquet"
        table = pq.read_table(io.BytesIO(data["files"][name]))
        features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
        if task == "ner":
            tokens, tags = params["tokens_column"], params["tags_column"]
            names = features[tags]["feature"]["names"]  # 'Value' has no 'names': issue #316
            rows = list(
                zip(table.column(tokens).to_pylist(), table.column(tags).to_pylist(), strict=True)
            )
            for words, ids in rows:
                assert len(words) == len(ids) and all(0 <= i < len(names) for i in ids)
            return names, [(w, [names[i] for i in t]) for w, t in rows]
        names = features[params["target_column"]]["names"]
        texts = table.column(params["text_column"]).to_pylist()
        targets = table.column(params["target_column"]).to_pylist()
        assert all(0 <= i < len(names) for i in targets)
        return names, [(t, names[i]) for t, i in zip(texts, targets, strict=True)]

    def _discussion(self, state: dict[str, Any], title: str) -> None:
        state["discussions"].append(
            {
                "title": title,
                "num": len(state["discussions"]) + 1,
                "status": "open",
                "isPullRequest": False,
                "createdAt": "2026-11-28T00:00:00.000Z",
                "author": {"name": self.user},
                "repo": {"name": "space", "type": "space"},
            }
        )
