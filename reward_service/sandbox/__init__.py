"""Runs untrusted programs: the backend protocol and its types, with no Docker import.

`SandboxBackend` is the whole interface (`async run(jobs) -> results`, `health()`, `aclose()`).
Backends: `docker_pool.DockerSandbox` (a warm pool of locked-down containers of one image;
importing it imports the Docker SDK), `by_language.LanguageSandboxes` (one backend per image
family, each job to its language's) and `fake.ScriptedSandbox` (in memory, for tests).
`factory.start_sandbox` builds the configured one from the service settings.
"""

from reward_service.sandbox.base import (
    DEFAULT_LIMITS,
    Job,
    JobResult,
    ProgramTest,
    SandboxBackend,
    SandboxHealth,
    SandboxLimits,
    SandboxObserver,
    TestResult,
    TestStatus,
)
from reward_service.sandbox.errors import ContainerLost, SandboxError, SandboxUnavailable

__all__ = [
    "DEFAULT_LIMITS",
    "ContainerLost",
    "Job",
    "JobResult",
    "ProgramTest",
    "SandboxBackend",
    "SandboxError",
    "SandboxHealth",
    "SandboxLimits",
    "SandboxObserver",
    "SandboxUnavailable",
    "TestResult",
    "TestStatus",
]
