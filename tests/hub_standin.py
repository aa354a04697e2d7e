"""A loopback stand-in for the few Hugging Face Hub routes that ``create_repo`` and
``upload_folder`` call, for tests: the real huggingface_hub client talks to it over HTTP."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Hub:
    def __init__(self, token: str = "hf_test") -> None:
        self.token = token
        self.repos: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 401:
                    self.send_header("X-Error-Message", "Invalid credentials")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                hub.requests.append(("GET", self.path, dict(self.headers)))
                self._reply(404, {"error": f"no route {self.path}"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                hub.requests.append(("POST", self.path, dict(self.headers)))
                if self.headers.get("Authorization") != f"Bearer {hub.token}":
                    return self._reply(401, {"error": "Invalid credentials in Authorization"})
                path = self.path.split("?")[0]
                if path == "/api/repos/create":
                    body = json.loads(raw)
                    repo = f"{body.get('organization') or 'user'}/{body['name']}"
                    hub.repos.setdefault(
                        repo,
                        {
                            "files": {},
                            "private": body.get("private", body.get("visibility") == "private"),
                        },
                    )
                    return self._reply(200, {"url": f"{hub.url}/{repo}", "name": repo})
                if path == "/api/validate-yaml":
                    return self._reply(200, {"errors": [], "warnings": []})
                parts = path.split("/")
                if len(parts) >= 6 and parts[1] == "api" and parts[2] == "models":
                    repo = f"{parts[3]}/{parts[4]}"
                    if parts[5] == "preupload":
                        files = json.loads(raw)["files"]
                        return self._reply(
                            200,
                            {
                                "files": [
                                    {
                                        "path": f["path"],
                                        "uploadMode": "regular",
                                        "shouldIgnore": False,
                                    }
                                    for f in files
                                ]
                            },
                        )
                    if parts[5] == "commit":
                        for line in raw.decode().splitlines():
                            item = json.loads(line)
                            if item["key"] == "file":
                                value = item["value"]
                                hub.repos[repo]["files"][value["path"]] = base64.b64decode(
                                    value["content"]
                                )
                        return self._reply(
                            200,
                            {"commitOid": "a" * 40, "commitUrl": f"{hub.url}/{repo}/commit/aaaa"},
                        )
                self._reply(404, {"error": f"no route {path}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hub:
        self.thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
