"""The one place where Docker SDK errors become sandbox errors: no other module sees their types."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker.errors
import requests.exceptions

from reward_service.sandbox.errors import ContainerLost, SandboxUnavailable


@contextmanager
def docker_errors(action: str) -> Iterator[None]:
    """Re-raises Docker SDK and transport errors as sandbox errors, naming the action."""
    try:
        yield
    except docker.errors.ImageNotFound as exc:
        raise SandboxUnavailable(
            f"{action}: sandbox image not found ({exc.explanation}); build it with "
            "scripts/build_images.sh"
        ) from exc
    except docker.errors.NotFound as exc:
        raise ContainerLost(f"{action}: container vanished ({exc.explanation})") from exc
    except docker.errors.APIError as exc:
        raise ContainerLost(f"{action}: Docker API error: {exc.explanation or exc}") from exc
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise SandboxUnavailable(f"{action}: Docker engine unreachable: {exc}") from exc
    except (OSError, EOFError) as exc:  # the attach socket: reset, closed, timed out
        raise ContainerLost(f"{action}: {type(exc).__name__}: {exc}") from exc


def already_gone(exc: Exception) -> bool:
    """A removal that failed only because the container is gone or going already."""
    return any(
        sign in str(exc) for sign in ("No such container", "vanished", "already in progress")
    )
