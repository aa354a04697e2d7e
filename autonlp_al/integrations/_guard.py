"""Connection-level limits for ``autonlp-al serve``: how many connections, and how long a client
may take to send a whole request.

uvicorn has neither: a socket that sends its headers one byte at a time holds a connection for as
long as it likes, and any number of them can be open. The protocol below is uvicorn's own h11
protocol with a deadline per request (headers and body) and a connection cap, each answered with a
short HTTP status (408, 503) before the socket is closed. What it closes is counted and logged at
most once per interval, so an attack cannot fill the log either.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import attrs

__all__ = ["ServeLimits", "guarded_protocol"]

log = logging.getLogger("autonlp_al.integrations.serve")


@attrs.frozen(kw_only=True)
class ServeLimits:
    """What one client may ask of the server.

    Args:
        max_connections: open connections at once; more are answered 503 and closed.
        read_timeout: seconds a client has to send a whole request (headers and body), counted
            from its first byte; a slower one is answered 408 and closed.
        max_body: bytes per request body; a larger one is refused with 413 before it is read
            (by its ``Content-Length``) or as soon as the streamed body passes the limit.
        max_batch: texts per request.
        max_chars: characters per text.
        max_total_chars: characters per request, all texts together: the bound on one request's
            work (a 20,000-character text is many model windows).
        max_pending: predictions running or waiting at once; more are answered 503 with
            ``Retry-After``.
    """

    max_connections: int = attrs.field(default=512, validator=attrs.validators.ge(1))
    read_timeout: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    max_body: int = attrs.field(default=2 * 2**20, validator=attrs.validators.ge(1))
    max_batch: int = attrs.field(default=64, validator=attrs.validators.ge(1))
    max_chars: int = attrs.field(default=20_000, validator=attrs.validators.ge(1))
    max_total_chars: int = attrs.field(default=100_000, validator=attrs.validators.ge(1))
    max_pending: int = attrs.field(default=32, validator=attrs.validators.ge(1))


class _Tally:
    """Counts closed connections by reason; logs the counts at most once per ``every`` s."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self.counts: dict[str, int] = {}
        self._pending: dict[str, int] = {}
        self._last = 0.0

    def add(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self._pending[reason] = self._pending.get(reason, 0) + 1
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            log.warning(
                "closed connections: %s",
                ", ".join(f"{n} {reason}" for reason, n in sorted(self._pending.items())),
            )
            self._pending.clear()


def _raw_response(status: int, phrase: str, message: str, *extra: str) -> bytes:
    body = json.dumps({"error": message}).encode()
    head = [
        f"HTTP/1.1 {status} {phrase}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def guarded_protocol(limits: ServeLimits, tally: _Tally | None = None) -> type[Any]:
    """uvicorn's h11 protocol class with ``limits`` on connections and request read time."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    seen = tally or _Tally()

    class GuardedH11Protocol(H11Protocol):
        tally = seen
        _deadline: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                self.tally.add("over the connection limit (503)")
                transport.write(
                    _raw_response(
                        503,
                        "Service Unavailable",
                        f"more than {limits.max_connections} open connections; retry shortly",
                        "retry-after: 1",
                    )
                )
                transport.close()
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                self._arm()  # a request under way: its deadline runs from its first byte
            else:
                self._disarm()  # received whole (or the connection is done)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            self._disarm()  # an idle keep-alive connection is uvicorn's keep-alive timeout's
            super().on_response_complete()

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(limits.read_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            self.tally.add(f"no whole request within {limits.read_timeout:g} s (408)")
            if self.cycle is None or self.cycle.response_complete:  # nothing sent on it yet
                self.transport.write(
                    _raw_response(
                        408,
                        "Request Timeout",
                        f"the request was not received within {limits.read_timeout:g} s",
                    )
                )
            self.transport.close()

    return GuardedH11Protocol
