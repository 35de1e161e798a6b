"""GET /healthz (liveness and readiness of each backend) and GET /metrics (Prometheus)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from reward_service import __version__
from reward_service.api.deps import MetricsDep, ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(services: ServicesDep) -> dict[str, Any]:
    """Always 200 while the process serves; `backends` says what can score right now."""
    return {
        "status": "ok",
        "version": __version__,
        "backends": {
            "math": {"ready": True},
            "format": {"ready": True},
            "code": services.sandbox_health().public(),
        },
    }


@router.get("/metrics", response_class=Response)
async def metrics(services: ServicesDep, metrics: MetricsDep) -> Response:
    # the pool's gauges are read now rather than pushed on every change (cheap, always fresh)
    metrics.set_sandbox_gauges(services.sandbox_health())
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
