"""The Docker backend: `DockerSandbox`, a warm pool of locked-down containers (`container.py`),
with Docker SDK errors translated in one place (`docker_errors.py`)."""

from reward_service.sandbox.docker_pool.backend import DockerPoolConfig, DockerSandbox

__all__ = ["DockerPoolConfig", "DockerSandbox"]
