"""The FastAPI application: routes under /api/v1, the web UI at /, metrics at /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import torch
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from biomedfm import __version__
from biomedfm.affinity.io import list_shipped_models
from biomedfm.config import Settings, get_settings
from biomedfm.errors import BiomedfmError
from biomedfm.service.batching import PredictionBatcher
from biomedfm.service.deps import Services
from biomedfm.service.jobs.queue import JobQueue, open_queue
from biomedfm.service.keys import KeyStore
from biomedfm.service.observability import Metrics, ObserveMiddleware
from biomedfm.service.openapi import (
    document_replays,
    forms_without_null,
    model_choices,
    state_limits,
)
from biomedfm.service.routes import affinity, dynamics, evidence, jobs, system
from biomedfm.service.schemas import Problem

WEB_DIR = Path(__file__).parent / "web"
log = logging.getLogger(__name__)


async def _recover_forever(queue: JobQueue, interval: float) -> None:
    while True:
        try:
            await asyncio.to_thread(queue.recover)
        except Exception:  # the database may be briefly busy; try again next round
            log.warning("looking for lost jobs failed", exc_info=True)
        await asyncio.sleep(interval)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app over ``settings`` (default: from the environment); state opens at startup."""
    settings = settings or get_settings()
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        queue = open_queue(settings)
        app.state.services = Services(settings, KeyStore(queue.store.engine), queue)
        app.state.batcher = PredictionBatcher()
        if settings.service.request_threads:
            torch.set_num_threads(settings.service.request_threads)
        reaper = asyncio.create_task(_recover_forever(queue, settings.service.reaper_interval_s))
        # Everything imported so far (torch, RDKit, pandas, FastAPI: millions of objects) lives
        # as long as the process; freezing it keeps the collector's full passes, which would
        # re-scan all of it, from stalling requests for tens of milliseconds.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            reaper.cancel()
            app.state.batcher.close()
            app.state.services.keys.flush()
            queue.store.engine.dispose()

    app = FastAPI(
        title="biomedfm",
        version=__version__,
        summary="Binding affinity with uncertainty and chain-of-evidence answers, as a service.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
        # every operation can meet these two; the others are listed per operation
        responses={
            400: {"model": Problem, "description": "Malformed body: not parseable JSON or form."},
            500: {"model": Problem, "description": "Internal error (see the server log)."},
        },
    )
    api = APIRouter(prefix="/api/v1")
    for module in (system, affinity, dynamics, evidence, jobs):
        api.include_router(module.router)
    app.include_router(api)
    build_openapi = app.openapi

    def openapi_with_limits() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = state_limits(build_openapi(), settings.service)
            document = model_choices(document_replays(document), list_shipped_models())
            document = forms_without_null(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi_with_limits  # type: ignore[method-assign]
    app.add_middleware(
        ObserveMiddleware, metrics=metrics, max_body_bytes=settings.service.max_upload_bytes
    )

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return metrics.render()

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.exception_handler(BiomedfmError)
    async def user_error(_request: Request, error: BiomedfmError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(Exception)
    async def server_error(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            {"detail": f"internal error ({type(error).__name__}); see the server log"},
            status_code=500,
        )

    return app
