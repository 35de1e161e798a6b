"""Helpers for tests that need a real Docker engine and the sandbox image.

They skip (with the reason) when either is missing, so `pytest` stays green on a laptop without
Docker; CI has both (see .ci/run), and sets REWARD_REQUIRE_DOCKER=1 so that a missing engine or
image fails these tests there instead of skipping them.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import pytest

from reward_service.sandbox.docker_pool import DockerPoolConfig, DockerSandbox

# The images tests run against, named as scripts/build_images.sh names them: SANDBOX_IMAGE_PREFIX
# (default reward-sandbox-) picks another set, e.g. images built from a branch beside the usual
# ones (tests/conftest.py hands the names to every service a test starts).
IMAGE_PREFIX = os.environ.get("SANDBOX_IMAGE_PREFIX", "reward-sandbox-")
IMAGE = os.environ.get("REWARD_SANDBOX_IMAGE", f"{IMAGE_PREFIX}python:latest")
FAMILIES = ("python", "cpp", "java", "node", "go", "rust")


def family_image(family: str) -> str:
    """The image a family's sandboxes start from in these tests."""
    return IMAGE if family == "python" else f"{IMAGE_PREFIX}{family}:latest"


def image_environment() -> dict[str, str]:
    """The service settings (REWARD_*) that name these tests' images."""
    others = {family: family_image(family) for family in FAMILIES if family != "python"}
    return {"REWARD_SANDBOX_IMAGE": IMAGE, "REWARD_SANDBOX_IMAGES": json.dumps(others)}


@cache
def docker_problem() -> str | None:
    """Why Docker tests can't run here, or None when they can."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
    except Exception as exc:
        return f"Docker engine not reachable ({type(exc).__name__}: {exc}); start dockerd"
    try:
        client.images.get(IMAGE)
    except Exception:
        return f"sandbox image {IMAGE} not built; run scripts/build_images.sh"
    finally:
        client.close()
    return None


def require_docker() -> None:
    problem = docker_problem()
    if problem is not None:
        skip_or_fail(problem)


def skip_or_fail(problem: str) -> None:
    if os.environ.get("REWARD_REQUIRE_DOCKER"):
        pytest.fail(f"{problem} (REWARD_REQUIRE_DOCKER is set)")
    pytest.skip(problem)


def require_images(*images: str) -> None:
    """Docker, and every named image (the language images: scripts/build_images.sh)."""
    require_docker()
    import docker

    client = docker.from_env(timeout=5)
    try:
        missing = [image for image in images if not _has_image(client, image)]
    finally:
        client.close()
    if missing:
        skip_or_fail(f"images not built: {', '.join(missing)}; run scripts/build_images.sh")


def _has_image(client: Any, image: str) -> bool:
    try:
        client.images.get(image)
    except Exception:
        return False
    return True


@asynccontextmanager
async def docker_pool(**config: Any) -> AsyncIterator[DockerSandbox]:
    """A started pool (2 containers unless told otherwise), closed afterwards."""
    require_docker()
    values: dict[str, Any] = {"image": IMAGE, "pool_size": 2, **config}
    sandbox = DockerSandbox(DockerPoolConfig(**values))
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.aclose()
