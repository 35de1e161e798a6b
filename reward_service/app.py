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
from reward_service.api import errors, format, health, math, score
from reward_service.api.middleware import BodyLimitMiddleware, MetricsMiddleware
from reward_service.latex_pool import LatexPool
from reward_service.metrics import Metrics
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
        app.state.sandbox = None  # sandbox: started here when a backend is configured
        try:
            yield
        finally:
            app.state.latex_pool.close()

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
    # The last added is outermost: metrics see every response, the 413s included.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    for module in (math, format, score, health):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker runs: settings from the environment."""
    return create_app(Settings())
