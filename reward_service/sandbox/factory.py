"""Builds the configured sandbox backend from the service settings, at app start-up: one warm
pool of containers per image family of the enabled languages, behind `LanguageSandboxes`."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from reward_service.languages import FAMILY, Family
from reward_service.sandbox.base import SandboxBackend, SandboxObserver
from reward_service.sandbox.by_language import LanguageSandboxes, Starter
from reward_service.sandbox.errors import SandboxDisabled, SandboxError, SandboxUnavailable

if TYPE_CHECKING:
    from reward_service.sandbox.docker_pool import DockerPoolConfig
    from reward_service.settings import Settings

logger = logging.getLogger(__name__)

RUNNER_OVERHEAD_MB = 128  # the runner's interpreter plus page cache headroom
# compiled languages: the compiler's processes and threads (languages.COMPILE_PROCESSES in the
# runner), and a JVM's or Node's heap plus what the runtime itself takes beside it
COMPILE_PROCESSES = 128
RUNTIME_OVERHEAD_MB = 256


def pool_config(
    settings: Settings, family: Family = "python", pool_id: str = ""
) -> DockerPoolConfig:
    from reward_service.sandbox.docker_pool import DockerPoolConfig

    tmpfs_mb = settings.sandbox_tmpfs_mb
    # tmpfs pages count against the container's memory, so the largest job must fit beside it
    memory_mb = settings.sandbox_max_memory_mb
    # the runner and its wipe child need a few pids beyond the program's budget
    pids = settings.sandbox_processes
    if family != "python":
        memory_mb = max(memory_mb + RUNTIME_OVERHEAD_MB, settings.sandbox_compile_memory_mb)
        pids = max(pids, COMPILE_PROCESSES)
    return DockerPoolConfig(
        image=settings.image_for(family),
        pool_size=settings.sandbox_pool_size,
        jobs_per_container=settings.sandbox_jobs_per_container,
        container_memory_mb=memory_mb + tmpfs_mb + RUNNER_OVERHEAD_MB,
        tmpfs_mb=tmpfs_mb,
        cpus_per_container=settings.sandbox_cpus_per_container,
        pids_per_container=pids + 32,
        exec_tmp=family != "python",  # compiled programs run from /tmp
        pool_id=pool_id or secrets.token_hex(6),
        engine_url=settings.sandbox_engine_url,
        runtime=settings.sandbox_runtime,
    )


async def start_sandbox(
    settings: Settings, observer: SandboxObserver | None = None
) -> SandboxBackend:
    """The started backend. SandboxUnavailable, saying why, when it is off (SandboxDisabled)
    or no language's pool could start; `observer` hears about the pools' work (the app passes
    its metrics). A family that can't start alone is reported per language by /healthz."""
    if settings.sandbox_backend == "none":
        raise SandboxDisabled("disabled (REWARD_SANDBOX_BACKEND=none)")
    from reward_service.sandbox.docker_pool import DockerSandbox  # imports the Docker SDK

    pool_id = secrets.token_hex(6)  # one label for every container this service starts

    def starter(family: Family) -> Starter:
        async def start() -> SandboxBackend:
            sandbox = DockerSandbox(pool_config(settings, family, pool_id), observer=observer)
            try:
                await sandbox.start()
            except SandboxError as exc:
                image = settings.image_for(family)
                raise SandboxUnavailable(
                    f"{exc} (build {image} with `scripts/build_images.sh {family}`)"
                ) from exc
            return sandbox

        return start

    families = dict.fromkeys(FAMILY[language] for language in settings.languages)
    sandboxes = LanguageSandboxes(
        {family: (starter(family), settings.image_for(family)) for family in families},
        settings.languages,
    )
    try:
        await sandboxes.start()
    except SandboxError as exc:
        raise SandboxUnavailable(f"the Docker sandbox did not start: {exc}") from exc
    health = sandboxes.health().languages or {}
    up = [language for language in settings.languages if health[language].ready]
    logger.info("code sandbox ready for %s", ", ".join(up))
    return sandboxes
