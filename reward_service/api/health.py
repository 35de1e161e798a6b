"""GET /healthz (liveness and readiness of each backend) and GET /metrics (Prometheus)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from reward_service import __version__
from reward_service.metrics import Metrics

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    """Always 200 while the process serves; `backends` says what can score right now."""
    sandbox = request.app.state.sandbox
    settings = request.app.state.settings
    if sandbox is not None and hasattr(sandbox, "health"):
        code: dict[str, Any] = {"ready": True, **sandbox.health()}
    else:
        reason = (
            "disabled (REWARD_SANDBOX_BACKEND=none)"
            if settings.sandbox_backend == "none"
            else "Docker sandbox unavailable: is dockerd running and the image built? "
            "See the service log."
        )
        code = {"ready": False, "reason": reason}
    return {
        "status": "ok",
        "version": __version__,
        "backends": {"math": {"ready": True}, "format": {"ready": True}, "code": code},
    }


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    sandbox = request.app.state.sandbox
    # the pool's gauges are read now rather than pushed on every change (cheap, always fresh)
    metrics.observe_sandbox(sandbox.health() if hasattr(sandbox, "health") else None)
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
