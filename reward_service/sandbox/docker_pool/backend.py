"""The Docker backend: a `WarmPool` of locked-down containers on the local Docker engine.

What Docker adds to the generic pool: connecting to the engine and finding the image at start,
removing the containers earlier pools left behind (found by label), and sweeping this pool's own
containers by label at close (busy ones belong to cancelled requests).

The engine is Docker or Podman (rootless or not) through the same Docker API, at
`DockerPoolConfig.engine_url`; `engine.py` finds out which and what it cannot enforce, and the
containers' spec adapts (uids inside a rootless user's subordinate range, the OCI runtime).

Deliberately left out: scheduling across several Docker hosts (replicas of the service do that,
each with its own pool).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import docker

from reward_service.sandbox.base import EngineInfo, SandboxHealth, SandboxObserver
from reward_service.sandbox.docker_pool.container import (
    LABEL,
    POOL_LABEL,
    ContainerSpec,
    SandboxContainer,
)
from reward_service.sandbox.docker_pool.docker_errors import already_gone, docker_errors
from reward_service.sandbox.docker_pool.engine import connect, engine_url, probe
from reward_service.sandbox.errors import SandboxError
from reward_service.sandbox.pool.warm_pool import WarmPool

logger = logging.getLogger(__name__)

ClientFactory = Callable[[], docker.DockerClient]
CREATED_GRACE_S = 300.0  # a created, never started container younger than this may be starting


@dataclass(frozen=True)
class DockerPoolConfig:
    image: str = "reward-sandbox-python:latest"
    pool_size: int = 0  # 0: one container per CPU
    jobs_per_container: int = 1024
    container_memory_mb: int = 1024 + 64 + 128  # largest job + tmpfs + runner
    tmpfs_mb: int = 64
    cpus_per_container: float = 1.0
    pids_per_container: int = 256
    retries: int = 1
    exec_tmp: bool = False  # compiled languages: programs run from /tmp
    pool_id: str = ""  # the containers' pool label; empty: a new random one
    engine_url: str | None = None  # None: DOCKER_HOST, else the default Docker socket
    runtime: str | None = None  # an OCI runtime registered with the engine (`runsc`: gVisor)

    @property
    def size(self) -> int:
        return self.pool_size or os.cpu_count() or 1


class DockerSandbox(WarmPool):
    """`SandboxBackend` on the local Docker engine. Build it, `await start()`, then `run()`."""

    def __init__(
        self,
        config: DockerPoolConfig,
        client_factory: ClientFactory | None = None,
        observer: SandboxObserver | None = None,
    ):
        super().__init__(
            self._new_docker_container,
            size=config.size,
            jobs_per_container=config.jobs_per_container,
            retries=config.retries,
            observer=observer,
        )
        self.config = config
        url = engine_url(config.engine_url)
        self._url = url
        self._client_factory = client_factory or (lambda: connect(url))
        self._client: docker.DockerClient | None = None
        self.engine: EngineInfo | None = None
        self._toolchain: dict[str, str] = {}  # as the image's runner reports it
        self.spec = ContainerSpec(
            image=config.image,
            memory_mb=config.container_memory_mb,
            tmpfs_mb=config.tmpfs_mb,
            cpus=config.cpus_per_container,
            pids_limit=config.pids_per_container,
            pool_id=config.pool_id or secrets.token_hex(6),
            exec_tmp=config.exec_tmp,
            runtime=config.runtime,
        )

    async def start(self) -> None:
        """Connects, removes leftovers, fills the pool; SandboxUnavailable without Docker."""
        try:
            self._client = await self._call(self._connect)
            await self._call(self._remove_leftovers)
            await super().start()
        except BaseException:
            await self.aclose()
            raise
        engine = self.engine
        assert engine is not None
        logger.info(
            "sandbox pool ready: %d containers of %s (pool %s) on %s %s%s, runtime %s",
            self._roster.size,
            self.config.image,
            self.spec.pool_id,
            engine.engine,
            engine.version,
            " rootless" if engine.rootless else "",
            engine.runtime,
        )
        if engine.limits_not_enforced:
            logger.warning(
                "sandbox: the %s engine at %s cannot enforce the containers' %s limits "
                "(rootless without delegated cgroup v2 controllers, or pids under gVisor); each "
                "program still runs under the runner's rlimits (address space, processes, file "
                "size, CPU time) and timers, but nothing caps a container as a whole "
                "(docs/SECURITY.md)",
                engine.engine,
                engine.url,
                ", ".join(engine.limits_not_enforced),
            )

    async def _closing(self) -> None:
        if self._client is not None:
            # containers still busy belong to cancelled requests: sweep by label
            await self._call(self._remove_leftovers, True)
            self._client.close()

    def health(self) -> SandboxHealth:
        pool = super().health()
        return pool.model_copy(
            update={
                "backend": "docker",
                "image": self.config.image,
                "pool_id": self.spec.pool_id,
                "toolchain": self._toolchain,
                "engine": self.engine,
            }
        )

    def _connect(self) -> docker.DockerClient:
        with docker_errors("connect to the container engine"):
            client = self._client_factory()
            client.ping()
        self.engine = engine = probe(client, self._url, self.config.runtime)
        self.spec = replace(
            self.spec,
            runtime=engine.runtime,  # Podman's: its own, whatever a container asks for
            tmpfs_inodes=not engine.podman,
            uid_first=engine.uid_first,
            uid_count=engine.uid_count,
        )
        with docker_errors("find the sandbox image"):
            client.images.get(self.config.image)
        return client

    def _new_docker_container(self) -> SandboxContainer:
        assert self._client is not None, "start() first"
        container = SandboxContainer(self._client, self.spec)
        self._toolchain = container.toolchain
        return container

    def _remove_leftovers(self, own_only: bool = False) -> None:
        """Removes what earlier pools left behind, or (own_only) every container of ours.

        Running containers belong to live pools (a runner exits once its service's stream
        closes); freshly created ones may be another pool starting up right now.
        """
        assert self._client is not None
        label = f"{LABEL}=1" if not own_only else f"{POOL_LABEL}={self.spec.pool_id}"
        with docker_errors("list leftover sandbox containers"):
            found = self._client.api.containers(all=True, filters={"label": label})
        stale = [info for info in found if own_only or is_leftover(info)]
        for info in stale:
            try:
                with docker_errors("remove leftover sandbox container"):
                    self._client.api.remove_container(info["Id"], force=True, v=True)
            except SandboxError as exc:
                if not already_gone(exc):  # the pools of one service sweep the same label
                    logger.warning("leftover %s not removed: %s", info["Id"][:12], exc)
        if stale and not own_only:
            logger.info("sandbox: removed %d leftover container(s)", len(stale))


def is_leftover(info: dict[str, Any]) -> bool:
    state = info.get("State")
    if state == "created":
        return time.time() - float(info.get("Created", 0)) > CREATED_GRACE_S
    return state in ("exited", "dead")
