"""Serving the current model over HTTP (extra ``serve``): ``POST /predict``, ``GET /health``,
``GET /model``, with the model swapped atomically when the learner finishes a round.

The server holds one ``(model, info)`` pair. A request takes that pair once and uses only it, and a
swap replaces the pair in one assignment, so no request fails or mixes two models while a new round
is put in place. Pointed at a state folder, a watcher thread polls the event log and loads each
newly trained round's model (outside the request path) before swapping it in.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._optional import require
from ..errors import AutoNLPALError
from ..loop.state import EventLog, is_state, model_path
from ..trainers.base import Model

__all__ = ["ModelSlot", "StateWatcher", "create_app", "load_for_serving", "serve"]

log = logging.getLogger("autonlp_al.integrations.serve")


def describe(model: Model, **extra: Any) -> dict[str, Any]:
    """What ``GET /model`` says about a model."""
    return {
        "version": model.version,
        "task": model.task,
        "labels": list(model.labels),
        "metrics": dict(getattr(model, "metrics", {}) or {}),
        **extra,
    }


class ModelSlot:
    """The model being served; :meth:`swap` replaces it atomically."""

    def __init__(self, model: Model, info: dict[str, Any] | None = None) -> None:
        self._current = (model, info or describe(model))
        self._lock = threading.Lock()

    def get(self) -> tuple[Model, dict[str, Any]]:
        return self._current  # one read of one reference: never half of a swap

    def swap(self, model: Model, info: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._current = (model, info or describe(model))
        log.info("serving model %s", model.version)


def _latest_round(state_dir: Path) -> dict[str, Any] | None:
    rounds = EventLog.of(state_dir).rounds()
    return rounds[-1] if rounds else None


def _loader(state_dir: Path) -> Callable[[str], Model]:
    """How a state folder's models load: through the loop's own trainer when its config is saved
    there (so any registered trainer's models can be served), else as transformers folders (a
    learner made in Python without a config)."""
    from ..loop.config import CONFIG_FILE, LoopConfig
    from ..trainers import load_model

    if (state_dir / CONFIG_FILE).is_file():
        loader: Callable[[str], Model] = LoopConfig.from_state(state_dir).build_trainer().load
        return loader
    return load_model


def load_for_serving(path: str | Path) -> tuple[Model, dict[str, Any]]:
    """A model folder, or a learner's state folder (its latest round's model)."""
    from ..trainers import load_model

    path = Path(path)
    if is_state(path):
        record = _latest_round(path)
        if record is None:
            raise AutoNLPALError(f"{path}: no round has been trained yet; nothing to serve")
        model = _loader(path)(str(model_path(path, record["model_dir"])))
        return model, describe(
            model,
            round=record["round"],
            n_labeled=record["n_labeled"],
            strategy=record["strategy"],
            metrics=record["metrics"],
        )
    model = load_model(str(path))
    return model, describe(model)


class StateWatcher(threading.Thread):
    """Polls a state folder; when a new round has been trained, loads and swaps in its model."""

    def __init__(
        self, state_dir: Path, slot: ModelSlot, *, poll: float = 5.0, load: Any = None
    ) -> None:
        super().__init__(daemon=True, name="autonlp_al-state-watcher")
        self.state_dir, self.slot, self.poll = state_dir, slot, poll
        self._load = load or load_for_serving
        self._stop = threading.Event()
        record = _latest_round(state_dir)
        self._seen = record["round"] if record else -1

    def check(self) -> bool:
        """Swap in a newer round's model if there is one; ``True`` if it did."""
        record = _latest_round(self.state_dir)
        if record is None or record["round"] <= self._seen:
            return False
        model, info = self._load(self.state_dir)
        self.slot.swap(model, info)
        self._seen = record["round"]
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
    slot: ModelSlot, *, token: str | None = None, max_batch: int = 64, max_chars: int = 20_000
) -> Any:
    """The Starlette app. ``token``: require ``Authorization: Bearer <token>`` on every route."""
    require("starlette", "serve")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def authorised(request: Request) -> bool:
        if token is None:
            return True
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    async def health(request: Request) -> JSONResponse:
        if not authorised(request):
            return error(401, "missing or wrong bearer token")
        _, info = slot.get()
        return JSONResponse({"status": "ok", "version": info["version"]})

    async def model_info(request: Request) -> JSONResponse:
        if not authorised(request):
            return error(401, "missing or wrong bearer token")
        return JSONResponse(slot.get()[1])

    def run_predict(model: Model, texts: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for p in model.predict(texts):
            if p.cats:
                out.append({"text": p.text, "label": p.label, "cats": dict(p.cats)})
            else:
                out.append(
                    {
                        "text": p.text,
                        "spans": [
                            {
                                "start": s.start,
                                "end": s.end,
                                "label": s.label,
                                "score": s.score,
                                "text": p.text[s.start : s.end],
                            }
                            for s in p.spans
                        ],
                    }
                )
        return out

    async def predict(request: Request) -> JSONResponse:
        if not authorised(request):
            return error(401, "missing or wrong bearer token")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return error(400, 'the body is not JSON; send {"texts": ["...", ...]}')
        texts = body.get("texts") if isinstance(body, dict) else None
        if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
            return error(422, '"texts" must be a list of non-empty strings')
        if len(texts) > max_batch:
            return error(413, f"{len(texts)} texts; at most {max_batch} per request")
        too_long = next((i for i, t in enumerate(texts) if len(t) > max_chars), None)
        if too_long is not None:
            return error(
                413, f"text {too_long} has {len(texts[too_long])} characters; at most {max_chars}"
            )
        model, info = slot.get()  # this request uses this model, whatever is swapped meanwhile
        from starlette.concurrency import run_in_threadpool

        predictions = await run_in_threadpool(run_predict, model, texts)
        return JSONResponse({"version": info["version"], "predictions": predictions})

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/model", model_info, methods=["GET"]),
            Route("/predict", predict, methods=["POST"]),
        ]
    )


def serve(
    path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    max_batch: int = 64,
    max_chars: int = 20_000,
    poll: float = 5.0,
) -> None:
    """Serve the model in ``path`` (a model folder, or a state folder whose new rounds are
    swapped in as they are trained). Binds to 127.0.0.1 unless told otherwise."""
    uvicorn = require("uvicorn", "serve")
    model, info = load_for_serving(path)
    slot = ModelSlot(model, info)
    watcher = None
    if is_state(path):
        watcher = StateWatcher(Path(path), slot, poll=poll)
        watcher.start()
    try:
        uvicorn.run(
            create_app(slot, token=token, max_batch=max_batch, max_chars=max_chars),
            host=host,
            port=port,
            log_level="info",
        )
    finally:
        if watcher is not None:
            watcher.stop()
