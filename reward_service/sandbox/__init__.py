"""Runs untrusted programs: the backend protocol, limits, and the Docker backend.

`SandboxBackend` is the whole interface (`async run(jobs) -> results`, `aclose()`);
`DockerSandbox` implements it with a warm pool of locked-down containers; `start_sandbox`
builds the configured backend from the service settings.
"""

from reward_service.sandbox.base import (
    Job,
    JobResult,
    ProgramTest,
    ProgramTestResult,
    SandboxBackend,
    SandboxLimits,
    TestStatus,
)
from reward_service.sandbox.docker_pool import DockerPoolConfig, DockerSandbox
from reward_service.sandbox.errors import ContainerLost, SandboxError, SandboxUnavailable
from reward_service.sandbox.factory import start_sandbox

__all__ = [
    "ContainerLost",
    "DockerPoolConfig",
    "DockerSandbox",
    "Job",
    "JobResult",
    "ProgramTest",
    "ProgramTestResult",
    "SandboxBackend",
    "SandboxError",
    "SandboxLimits",
    "SandboxUnavailable",
    "TestStatus",
    "start_sandbox",
]
