"""Sandbox exceptions (no Docker here; `docker_pool.docker_errors` translates the SDK's):

    SandboxError
    ├── SandboxUnavailable   the engine or the image is missing: /code can't work at all
    └── ContainerLost        one container died, hung or broke protocol: recycle it, retry

They never leave a backend's `run()`: a backend turns them into `infra_error` results.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base class: a failure of the sandbox, never of the program under test."""


class SandboxUnavailable(SandboxError):
    """Docker is unreachable or the execution image is missing."""


class ContainerLost(SandboxError):
    """A container stopped answering, exited or sent garbage."""


class SandboxDisabled(SandboxUnavailable):
    """The operator turned the sandbox off (`REWARD_SANDBOX_BACKEND=none`): /code is off."""
