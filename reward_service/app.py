"""Assembles the FastAPI app: routers, middleware, error handlers and the lifespan.

Everything the app needs lives on `app.state` (settings, metrics, latex pool, sandbox), created
in the lifespan, so two apps in one process never share state.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reward_service import __version__
from reward_service.api import code, errors, format, health, math, score
from reward_service.api.middleware import (
    AuthMiddleware,
    BodyLimitMiddleware,
    ConcurrencyLimitMiddleware,
)
from reward_service.api.observe import ObserveMiddleware
from reward_service.latex_pool import LatexPool
from reward_service.logs import configure_logging
from reward_service.metrics import Metrics
from reward_service.sandbox import start_sandbox
from reward_service.settings import Settings

logger = logging.getLogger(__name__)

DESCRIPTION = """
Verifiable rewards for GRPO. Every scoring endpoint takes a batch and returns one result per
item, in order; a bad item gets its own `status` and a `null` reward instead of failing the batch.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.latex_pool = LatexPool(settings.latex_workers, settings.latex_timeout_s)
        # None when disabled or Docker is unusable: /math still works, /healthz says why
        app.state.sandbox = await start_sandbox(settings, observer=app.state.metrics)
        try:
            yield
        finally:
            app.state.latex_pool.close()
            if app.state.sandbox is not None:
                await app.state.sandbox.aclose()

    app = FastAPI(
        title="Verifiable reward service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.sandbox = None
    errors.install(app)
    # The last added is outermost: observation sees every response, 401/413/429 included;
    # auth runs before anything reads the body.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ConcurrencyLimitMiddleware, max_requests=settings.max_concurrent_requests)
    if settings.api_key is not None:
        app.add_middleware(AuthMiddleware, api_key=settings.api_key.get_secret_value())
    app.add_middleware(ObserveMiddleware, metrics=app.state.metrics)
    for module in (math, format, score, code, health):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker runs: settings from the environment."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
