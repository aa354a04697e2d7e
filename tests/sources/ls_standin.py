"""A loopback stand-in for the two Label Studio API routes the project source calls: the
personal-access-token refresh and the project export. Projects are JSON bytes by id."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned token with ``claims`` (the source reads claims; the server checks)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part(claims)}.signature"


REFRESH = jwt({"token_type": "refresh", "user_id": "1"})
ACCESS = jwt({"token_type": "access", "user_id": "1"})
LEGACY = "0123456789abcdef0123456789abcdef01234567"


class LabelStudio:
    """Serves ``projects[id]`` at ``/api/projects/<id>/export`` to ``Token LEGACY`` or
    ``Bearer ACCESS`` (got from ``REFRESH``); records each request's path."""

    def __init__(self) -> None:
        self.projects: dict[int, bytes] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                outer.requests.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                sent = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/api/token/refresh/" and sent.get("refresh") == REFRESH:
                    return self._send(200, json.dumps({"access": ACCESS}).encode())
                return self._send(401, b'{"detail": "token not valid"}')

            def do_GET(self) -> None:
                outer.requests.append(self.path)
                auth = self.headers.get("Authorization", "")
                if auth not in (f"Token {LEGACY}", f"Bearer {ACCESS}"):
                    return self._send(401, b'{"detail": "Authentication credentials"}')
                head, _, query = self.path.partition("?")
                parts = head.strip("/").split("/")
                if parts[:2] == ["api", "projects"] and parts[3:] == ["export"]:
                    if "exportType=JSON" not in query:
                        return self._send(400, b'{"detail": "exportType"}')
                    body = outer.projects.get(int(parts[2]))
                    if body is None:
                        return self._send(404, b'{"detail": "Not found."}')
                    return self._send(200, body)
                return self._send(404, b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, body: bytes) -> str:
        """A new project holding ``body`` as its export; returns its browser URL."""
        project = len(self.projects) + 1
        self.projects[project] = body
        return f"{self.url}/projects/{project}/data?tab=1"


_SHARED: LabelStudio | None = None


def shared() -> LabelStudio:
    """One server for the whole test run (the contract suite builds many sources)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = LabelStudio()
    return _SHARED
