"""Builds the configured sandbox backend from the service settings, at app start-up."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from reward_service.sandbox.base import SandboxBackend, SandboxObserver
from reward_service.sandbox.errors import SandboxDisabled, SandboxError, SandboxUnavailable

if TYPE_CHECKING:
    from reward_service.sandbox.docker_pool import DockerPoolConfig
    from reward_service.settings import Settings

logger = logging.getLogger(__name__)

RUNNER_OVERHEAD_MB = 128  # the runner's interpreter plus page cache headroom


def pool_config(settings: Settings) -> DockerPoolConfig:
    from reward_service.sandbox.docker_pool import DockerPoolConfig

    tmpfs_mb = settings.sandbox_tmpfs_mb
    return DockerPoolConfig(
        image=settings.sandbox_image,
        pool_size=settings.sandbox_pool_size,
        jobs_per_container=settings.sandbox_jobs_per_container,
        # tmpfs pages count against the container's memory, so the largest job must fit beside it
        container_memory_mb=settings.sandbox_max_memory_mb + tmpfs_mb + RUNNER_OVERHEAD_MB,
        tmpfs_mb=tmpfs_mb,
        cpus_per_container=settings.sandbox_cpus_per_container,
        # the runner and its wipe child need a few pids beyond the program's budget
        pids_per_container=settings.sandbox_processes + 32,
    )


async def start_sandbox(
    settings: Settings, observer: SandboxObserver | None = None
) -> SandboxBackend:
    """The started backend. SandboxUnavailable, saying why, when it is off (SandboxDisabled)
    or cannot start; `observer` hears about the pool's work (the app passes its metrics)."""
    if settings.sandbox_backend == "none":
        raise SandboxDisabled("disabled (REWARD_SANDBOX_BACKEND=none)")
    from reward_service.sandbox.docker_pool import DockerSandbox  # imports the Docker SDK

    sandbox = DockerSandbox(pool_config(settings), observer=observer)
    try:
        await sandbox.start()
    except SandboxError as exc:
        raise SandboxUnavailable(f"the Docker sandbox did not start: {exc}") from exc
    return sandbox
