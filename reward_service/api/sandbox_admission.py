"""What a batch of programs may ask of the sandbox: its limits, and a place in the queue.

Used by /code and by the code component of /score, so both clamp alike and share one bound.
"""

from __future__ import annotations

from reward_service.api.code_schemas import CodeLimits
from reward_service.api.errors import Overloaded
from reward_service.sandbox.base import SandboxBackend, SandboxLimits
from reward_service.settings import Settings


def resolve_limits(settings: Settings, requested: CodeLimits | None = None) -> SandboxLimits:
    """The server defaults, overridden by the request, clamped to the server maxima."""
    timeout_s = settings.sandbox_timeout_s
    memory_mb = settings.sandbox_memory_mb
    if requested is not None:
        timeout_s = requested.timeout_s or timeout_s
        memory_mb = requested.memory_mb or memory_mb
    return SandboxLimits(
        timeout_s=min(timeout_s, settings.sandbox_max_timeout_s),
        memory_mb=min(memory_mb, settings.sandbox_max_memory_mb),
        output_bytes=settings.sandbox_output_bytes,
        processes=settings.sandbox_processes,
        # one file may fill the work dir, no more
        file_size_mb=settings.sandbox_tmpfs_mb,
        compile_timeout_s=settings.sandbox_compile_timeout_s,
        compile_memory_mb=settings.sandbox_compile_memory_mb,
    )


def admit(sandbox: SandboxBackend, settings: Settings) -> None:
    """Raises Overloaded (429 + Retry-After) while the sandbox queue is at its bound.

    Called right before the batch is queued, with no await in between, so the queue never
    grows past the bound by more than one batch."""
    queued = sandbox.health().queued
    if queued >= settings.sandbox_max_queued_jobs:
        raise Overloaded(
            f"{queued} programs are waiting for a sandbox container "
            f"(REWARD_SANDBOX_MAX_QUEUED_JOBS={settings.sandbox_max_queued_jobs}); "
            "retry after the delay"
        )
