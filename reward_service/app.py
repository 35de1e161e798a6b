"""Assembles the FastAPI app: routers, middleware, error handlers and the lifespan.

Everything the app needs lives in one `Services` object (`api.deps`), created here and completed
by the lifespan, so two apps in one process never share state.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from reward_service import __version__
from reward_service.api import (
    code_router,
    errors,
    format_router,
    health_router,
    math_router,
    openrlhf_router,
    score_router,
)
from reward_service.api.deps import Services
from reward_service.api.middleware import (
    AuthMiddleware,
    BodyLimitMiddleware,
    ConcurrencyLimitMiddleware,
)
from reward_service.api.observe import ObserveMiddleware
from reward_service.latex_pool import LatexPool
from reward_service.logs import configure_logging
from reward_service.metrics import Metrics
from reward_service.sandbox.base import SandboxBackend
from reward_service.sandbox.errors import SandboxDisabled, SandboxUnavailable
from reward_service.sandbox.factory import start_sandbox
from reward_service.settings import Settings

logger = logging.getLogger(__name__)

DESCRIPTION = """
Verifiable rewards for GRPO. Every scoring endpoint takes a batch and returns one result per
item, in order; a bad item gets its own `status` and a `null` reward instead of failing the batch.
"""
ROUTERS = (
    math_router,
    format_router,
    score_router,
    code_router,
    openrlhf_router,
    health_router,
)
SCORING_TAG = "rewards"  # the routers' tag for endpoints that take a batch (and the 429 bound)


def create_app(settings: Settings | None = None, sandbox: SandboxBackend | None = None) -> FastAPI:
    """The app for `settings`. With `sandbox`, that backend serves /code as given (its owner
    starts and closes it); otherwise the lifespan starts the configured one and closes it."""
    settings = settings or Settings()
    services = Services(
        settings=settings,
        metrics=Metrics(),
        latex_pool=LatexPool(settings.latex_workers, settings.latex_timeout_s),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = None
        if sandbox is not None:
            services.sandbox = sandbox
        else:
            owned = services.sandbox = await _start_sandbox(services)
        try:
            yield
        finally:
            services.latex_pool.close()
            if owned is not None:
                await owned.aclose()

    app = FastAPI(
        title="Verifiable reward service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.services = services
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    routes = [r for module in ROUTERS for r in module.router.routes if isinstance(r, APIRoute)]
    scoring_paths = {route.path for route in routes if SCORING_TAG in route.tags}
    docs_paths = {path for path in (app.openapi_url, app.docs_url, app.redoc_url) if path}
    known_paths = {route.path for route in routes} | docs_paths
    # The last added is outermost: observation sees every response, 401/413/429 included;
    # auth runs before anything reads the body.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(
        ConcurrencyLimitMiddleware,
        max_requests=settings.max_concurrent_requests,
        scoring_paths=scoring_paths,
    )
    if settings.api_key is not None:
        app.add_middleware(AuthMiddleware, api_key=settings.api_key.get_secret_value())
    app.add_middleware(ObserveMiddleware, metrics=services.metrics, known_paths=known_paths)
    return app


async def _start_sandbox(services: Services) -> SandboxBackend | None:
    """The configured backend, or None with the reason kept for /healthz and the 503."""
    try:
        return await start_sandbox(services.settings, observer=services.metrics)
    except SandboxDisabled as exc:
        logger.info("code sandbox %s: /code answers 503", exc)
        services.sandbox_down = str(exc)
    except SandboxUnavailable as exc:
        logger.warning(
            "code sandbox unavailable, /code answers 503 until restart: %s. Start Docker and "
            "build the image (scripts/build_images.sh), or set REWARD_SANDBOX_BACKEND=none.",
            exc,
        )
        services.sandbox_down = str(exc)
    return None


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker runs: settings from the environment."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
