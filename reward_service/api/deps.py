"""What routes depend on, as `Annotated` aliases, so route signatures read like prose.

Everything lives in one `Services` object per app (`app.state.services`), made by `create_app`
and completed by its lifespan; routes never read `app.state` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from reward_service.api.errors import RequestTooLarge, SandboxNotRunning
from reward_service.api.observe import BatchRecorder
from reward_service.latex_pool import LatexPool
from reward_service.metrics import Metrics
from reward_service.sandbox.base import SandboxBackend, SandboxHealth
from reward_service.settings import Settings


@dataclass
class Services:
    settings: Settings
    metrics: Metrics
    latex_pool: LatexPool
    sandbox: SandboxBackend | None = None  # None: off, or it could not start
    sandbox_down: str = "not started yet"  # why there is no sandbox

    def sandbox_health(self) -> SandboxHealth:
        if self.sandbox is None:
            return SandboxHealth(ready=False, reason=self.sandbox_down)
        return self.sandbox.health()


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_metrics(services: ServicesDep) -> Metrics:
    return services.metrics


def get_latex_pool(services: ServicesDep) -> LatexPool:
    return services.latex_pool


def get_optional_sandbox(services: ServicesDep) -> SandboxBackend | None:
    return services.sandbox


def get_sandbox(services: ServicesDep) -> SandboxBackend:
    """The sandbox, or a 503 that says why there is none and how to enable it."""
    if services.sandbox is None:
        raise SandboxNotRunning(services.sandbox_down)
    return services.sandbox


SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
LatexPoolDep = Annotated[LatexPool, Depends(get_latex_pool)]
SandboxDep = Annotated[SandboxBackend, Depends(get_sandbox)]
OptionalSandboxDep = Annotated[SandboxBackend | None, Depends(get_optional_sandbox)]


def get_recorder(request: Request, metrics: MetricsDep) -> BatchRecorder:
    return BatchRecorder(request, metrics)


RecorderDep = Annotated[BatchRecorder, Depends(get_recorder)]


def check_batch_size(items: int, settings: Settings) -> None:
    """413 when a batch has more items than the server accepts."""
    if items > settings.max_batch_items:
        raise RequestTooLarge(
            f"batch has {items} items, over the limit of {settings.max_batch_items} "
            "(REWARD_MAX_BATCH_ITEMS); split it into smaller requests"
        )
