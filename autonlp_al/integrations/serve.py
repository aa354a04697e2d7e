"""Serving the current model over HTTP (extra ``serve``): ``POST /predict``, ``GET /health``,
``GET /model``, with the model swapped atomically when the learner finishes a round, and Label
Studio's ML backend routes (``/setup``, ``/predict`` with tasks, ``/webhook``; see
:mod:`autonlp_al.integrations.labelstudio`).

The server holds one ``(model, info)`` pair. A request takes that pair once and uses only it, and a
swap replaces the pair in one assignment, so no request fails or mixes two models while a new round
is put in place. Pointed at a state folder, a watcher thread polls the event log and loads each
newly trained round's model (outside the request path) before swapping it in.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

from .._optional import require
from .._transient import transient
from ..errors import AutoNLPALError, StorageError
from ..loop.journal import Journal, is_state
from ..trainers.base import Model
from ._guard import ServeLimits, guarded_protocol
from .slot import ModelSlot, load_for_serving, served, served_version

__all__ = ["ModelSlot", "ServeLimits", "StateWatcher", "create_app", "load_for_serving", "serve"]

log = logging.getLogger("autonlp_al.integrations.serve")


class StateWatcher(threading.Thread):
    """Polls a state folder; when a new round has been trained, loads and swaps in its model."""

    def __init__(
        self, state_dir: Path, slot: ModelSlot, *, poll: float = 5.0, load: Any = None
    ) -> None:
        super().__init__(daemon=True, name="autonlp_al-state-watcher")
        self.state_dir, self.slot, self.poll = state_dir, slot, poll
        self._load = load or load_for_serving
        self._stop = threading.Event()
        self._seen = served_version(Journal(state_dir).served())

    def check(self) -> bool:
        """Swap in a newer model (a newer round's, or a final model) if there is one; ``True``
        if it did."""
        version = served_version(Journal(self.state_dir).served())
        if version <= self._seen:
            return False
        model, info = self._load(self.state_dir)
        self.slot.swap(model, info)
        self._seen = version
        return True

    def run(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.check()
            except Exception:  # a half-written round or a bad model must not stop serving
                log.exception("could not load the new round; still serving the previous model")

    def stop(self) -> None:
        self._stop.set()


def create_app(
    slot: ModelSlot,
    *,
    token: str | None = None,
    limits: ServeLimits | None = None,
    labelstudio: Any = None,
    state_dir: Path | None = None,
) -> Any:
    """The Starlette app. ``token``: require ``Authorization: Bearer <token>`` (or HTTP Basic
    with the token as password, which is how Label Studio authenticates to a model) on every
    route; ``limits``: what one request may ask (body size, texts, characters, pending
    predictions); ``labelstudio``: the :class:`~autonlp_al.integrations.labelstudio.
    LabelStudioBackend` behind ``/setup``, ``/webhook`` and task predictions (default: one that
    predicts with ``slot`` and records nothing); ``state_dir``: where skipped webhook payloads
    are kept."""
    require("starlette", "serve")
    from starlette.applications import Starlette
    from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
    from starlette.middleware import Middleware
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    from .labelstudio import LabelStudioBackend

    limits = limits or ServeLimits()
    backend = labelstudio or LabelStudioBackend(slot=slot, max_chars=limits.max_chars)
    pending = 0  # predictions running or waiting; the event loop is one thread

    def error(status: int, message: str, **headers: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=headers or None)

    async def health(request: Request) -> JSONResponse:
        _, info = slot.get()
        return JSONResponse(
            {"status": "ok", "model_class": "autonlp_al", "version": info["version"]}
        )

    async def model_info(request: Request) -> JSONResponse:
        return JSONResponse(slot.get()[1])

    async def read_body(request: Request) -> bytes | JSONResponse:
        """The body, or a 413 as soon as it is known to be too large (nothing more is read)."""
        too_large = error(413, f"the body is over {limits.max_body} bytes; send fewer texts")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_body:
            return too_large
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limits.max_body:
                return too_large
        return bytes(body)

    def parse(body: bytes) -> Any:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: JSON nested ~1,000 deep
            return error(400, 'the body is not JSON (or nests too deep); send {"texts": [...]}')

    def parse_texts(parsed: Any) -> list[str] | JSONResponse:
        texts = parsed.get("texts") if isinstance(parsed, dict) else None
        if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
            return error(422, '"texts" must be a list of non-empty strings')
        if len(texts) > limits.max_batch:
            return error(413, f"{len(texts)} texts; at most {limits.max_batch} per request")
        for i, text in enumerate(texts):
            if len(text) > limits.max_chars:
                return error(
                    413, f"text {i} has {len(text)} characters; at most {limits.max_chars}"
                )
            if bad := _SURROGATE.search(text):
                return error(
                    422,
                    f"text {i} has a lone surrogate {bad.group()!r} at offset {bad.start()}; "
                    f"send valid Unicode (JSON escapes \\ud800-\\udfff must come in pairs)",
                )
        total = sum(map(len, texts))
        if total > limits.max_total_chars:
            return error(
                413,
                f"{total} characters in all; at most {limits.max_total_chars} per request: "
                f"split the texts over several requests",
            )
        return texts

    async def predict(request: Request) -> JSONResponse:
        nonlocal pending
        try:
            body = await read_body(request)
        except ClientDisconnect:  # gone, or closed for sending too slowly
            return error(400, "the client disconnected before sending the whole body")
        if isinstance(body, JSONResponse):
            return body
        parsed = parse(body)
        if isinstance(parsed, JSONResponse):
            return parsed
        if pending >= limits.max_pending:
            return error(
                503, f"{pending} predictions already waiting; retry shortly", **{"Retry-After": "1"}
            )
        if isinstance(parsed, dict) and "tasks" in parsed:  # Label Studio's ML backend call
            try:  # checked before the reply begins
                pieces = backend.predict(parsed)
            except AutoNLPALError as exc:
                return error(422, str(exc))

            async def streamed() -> Any:
                nonlocal pending
                pending += 1
                try:  # a piece per chunk of tasks: a bulk request never sits silent for long
                    async for piece in iterate_in_threadpool(pieces):
                        yield piece
                finally:
                    pending -= 1

            return StreamingResponse(streamed(), media_type="application/json")  # type: ignore[return-value]
        texts = parse_texts(parsed)
        if isinstance(texts, JSONResponse):
            return texts
        model, info = slot.get()  # this request uses this model, whatever is swapped meanwhile
        if model is None:
            return error(503, "no model is trained yet: label a few examples first")
        pending += 1
        try:
            predictions = await run_in_threadpool(_predictions, model, texts)
        finally:
            pending -= 1
        return JSONResponse({"version": info["version"], "predictions": predictions})

    async def json_body(request: Request) -> Any:
        try:
            body = await read_body(request)
        except ClientDisconnect:
            return error(400, "the client disconnected before sending the whole body")
        return body if isinstance(body, JSONResponse) else parse(body)

    async def setup(request: Request) -> JSONResponse:
        parsed = await json_body(request)
        if isinstance(parsed, JSONResponse):
            return parsed
        if not isinstance(parsed, dict):
            return error(422, "a /setup body is a JSON object with the project's schema")
        try:
            return JSONResponse(backend.setup(parsed))
        except AutoNLPALError as exc:
            return error(422, str(exc))

    async def webhook(request: Request) -> JSONResponse:
        parsed = await json_body(request)
        if isinstance(parsed, JSONResponse):
            return parsed
        # recorded (fsynced) before the reply; bad payloads are counted skips, never a 500
        try:
            done = await run_in_threadpool(backend.webhook, parsed, state_dir=state_dir)
        except StorageError as exc:  # a full disk: nothing is said recorded that is not
            log.error("webhook: %s", exc)
            return error(507, str(exc))
        return JSONResponse(done)

    async def labelstudio_status(request: Request) -> JSONResponse:
        return JSONResponse(backend.status())

    middleware = [] if token is None else [Middleware(BearerCheck, token=token)]
    return Starlette(
        middleware=middleware,
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/model", model_info, methods=["GET"]),
            Route("/predict", predict, methods=["POST"]),
            Route("/setup", setup, methods=["POST"]),
            Route("/webhook", webhook, methods=["POST"]),
            Route("/labelstudio", labelstudio_status, methods=["GET"]),
        ],
    )


_SURROGATE = re.compile("[\\ud800-\\udfff]")


class BearerCheck:
    """ASGI middleware: every request needs ``Authorization: Bearer <token>``, or HTTP Basic
    with the token as the password (how Label Studio authenticates to a model); else 401. One
    check in front of every route, so a route added later cannot forget it."""

    def __init__(self, app: Any, *, token: str) -> None:
        self.app, self.token = app, token

    def authorised(self, given: str) -> bool:
        if given.lower().startswith("basic "):
            try:
                password = base64.b64decode(given[6:], validate=True).decode().partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                return False
            return hmac.compare_digest(password.encode(), self.token.encode())
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.datastructures import Headers
        from starlette.responses import JSONResponse

        if scope["type"] == "http" and not self.authorised(
            Headers(scope=scope).get("authorization", "")
        ):
            response = JSONResponse({"error": "missing or wrong bearer token"}, status_code=401)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _predictions(model: Model, texts: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with transient():  # a request's texts are not kept in any cache (it would grow unbounded)
        predicted = list(model.predict(texts))
    for p in predicted:
        if p.cats:
            out.append({"text": p.text, "label": p.label, "cats": dict(p.cats)})
            continue
        spans = [
            {
                "start": s.start,
                "end": s.end,
                "label": s.label,
                "score": s.score,
                "text": p.text[s.start : s.end],
            }
            for s in p.spans
        ]
        out.append({"text": p.text, "spans": spans})
    return out


def learning_backend(
    state_dir: str | Path, *, retrain_every: int = 1, limits: ServeLimits | None = None
) -> Any:
    """The Label Studio backend of a learner resumed from ``state_dir`` (its saved config):
    answers sent to ``/webhook`` are recorded in its log and trained on in the background."""
    from ..loop.config import LoopConfig
    from .labelstudio import LabelStudioBackend

    learner = LoopConfig.from_state(state_dir).build(state_dir, save=False)
    slot = ModelSlot(*served(learner)) if learner.models.served is not None else ModelSlot(None)
    limits = limits or ServeLimits()
    backend = LabelStudioBackend(
        slot=slot, learner=learner, retrain_every=retrain_every, max_chars=limits.max_chars
    )
    if learner.state.waiting:
        backend.start()  # answers recorded before a stop, or a seed set: train them now
    return backend


def serve(
    path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    limits: ServeLimits | None = None,
    poll: float = 5.0,
    learn: bool = False,
    retrain_every: int = 1,
) -> None:
    """Serve the model in ``path`` (a model folder, or a state folder whose new rounds are
    swapped in as they are trained). Binds to 127.0.0.1 unless told otherwise.

    ``learn``: ``path`` is a state folder; Label Studio answers sent to ``/webhook`` are recorded
    in it and trained on in the background (every ``retrain_every`` answers), each new model
    served at once."""
    uvicorn = require("uvicorn", "serve")
    limits = limits or ServeLimits()
    watcher = None
    backend = None
    if learn:
        if not is_state(path):
            raise AutoNLPALError(
                f"{path}: --learn records answers in a learner's state folder, and this is not "
                f"one; start a loop first (autonlp-al query ...), then serve its folder"
            )
        backend = learning_backend(path, retrain_every=retrain_every, limits=limits)
        slot = backend.slot
    else:
        model, info = load_for_serving(path)
        slot = ModelSlot(model, info)
        if is_state(path):
            watcher = StateWatcher(Path(path), slot, poll=poll)
            watcher.start()
    try:
        uvicorn.run(
            create_app(
                slot,
                token=token,
                limits=limits,
                labelstudio=backend,
                state_dir=Path(path) if learn else None,
            ),
            host=host,
            port=port,
            log_level="info",
            http=guarded_protocol(limits),
            # uvicorn closes idle keep-alive connections after this; the request deadline above
            # covers a request under way
            timeout_keep_alive=5,
        )
    finally:
        if watcher is not None:
            watcher.stop()
