"""Which container engine serves the sandbox, and what it can enforce.

The Docker SDK speaks to Docker and to Podman's Docker-compatible API alike; this module finds out
which one answered (and whether it runs rootless), checks the requested OCI runtime (`runsc` for
gVisor) is registered with it, and says which container limits it cannot enforce. Rootless Podman
on cgroup v1, or on cgroup v2 without delegated controllers, accepts memory, pids and CPU limits
and silently drops them: the runner's per-process rlimits and wall-clock timers still hold, but the
container-wide backstop is gone, and /healthz and the start-up log must say so.

Deliberately left out: driving Podman through its own (libpod) API for anything but this probe.
"""

from __future__ import annotations

import os
from typing import Any

import docker

from reward_service.sandbox.base import EngineInfo
from reward_service.sandbox.docker_pool.docker_errors import docker_errors
from reward_service.sandbox.errors import SandboxUnavailable

# the cgroup controllers behind each container limit we set (ContainerSpec.create)
LIMIT_CONTROLLERS = {"memory": "memory", "pids": "pids", "cpus": "cpu"}
# the runner's uids under a root engine: far above any host account (container.UidSlots)
ROOT_UIDS = (1_000_000, 1_000_000_000)  # first, count; EngineInfo's defaults
# below this, a rootless container's uids may be the image's own accounts
ROOTLESS_FIRST_UID = 1000
UIDS_PER_CONTAINER = 4


def engine_url(configured: str | None) -> str | None:
    """REWARD_SANDBOX_ENGINE_URL, else the conventional DOCKER_HOST, else None (the default
    socket, /var/run/docker.sock)."""
    return configured or os.environ.get("DOCKER_HOST") or None


def connect(url: str | None) -> docker.DockerClient:
    """A client for the engine at `url`; SandboxUnavailable, saying what to do, when no engine
    answers there (a missing socket is the usual case: the engine or service was not started)."""
    socket_path = url.removeprefix("unix://") if url and url.startswith("unix://") else None
    if socket_path is not None and not os.path.exists(socket_path):
        raise SandboxUnavailable(
            f"no container engine socket at {socket_path}: start one (Podman, as the service's "
            f"user: `podman system service --time=0 {url} &`) or point "
            "REWARD_SANDBOX_ENGINE_URL (or DOCKER_HOST) at a running engine"
        )
    with docker_errors(f"connect to the container engine at {url or 'the default socket'}"):
        # DOCKER_HOST's engine through from_env, which also reads DOCKER_TLS_VERIFY/CERT_PATH
        explicit = url is not None and url != os.environ.get("DOCKER_HOST")
        client = docker.DockerClient(base_url=url) if explicit else docker.from_env()
        client.ping()
    return client


def probe(client: docker.DockerClient, url: str | None, runtime: str | None) -> EngineInfo:
    """Asks the engine who it is; SandboxUnavailable for a runtime it does not know."""
    with docker_errors("ask the container engine what it is"):
        version = client.version()
        info = client.info()
    podman = any("podman" in str(c.get("Name", "")).lower() for c in version.get("Components", []))
    runtimes = sorted(info.get("Runtimes") or {})
    chosen = runtime or str(info.get("DefaultRuntime") or "runc")
    if runtime and not podman and runtime not in runtimes:
        raise SandboxUnavailable(
            f"the container engine has no runtime {runtime!r} (it has {', '.join(runtimes)}): "
            "install it (Debian: `apt-get install runsc`) and register it, for Docker in "
            '/etc/docker/daemon.json ("runtimes") followed by `kill -HUP $(pgrep -x dockerd)`; '
            "or unset REWARD_SANDBOX_RUNTIME"
        )
    common: dict[str, Any] = {
        "version": str(version.get("Version", "")),
        "url": url or client.api.base_url,
        "runtime": chosen,
        "cgroup_version": str(info.get("CgroupVersion", "")),
    }
    engine = (
        _podman_info(client, common, runtime) if podman else EngineInfo(engine="docker", **common)
    )
    if engine.runtime == "runsc" and "pids" not in engine.limits_not_enforced:
        # not set under gVisor (ContainerSpec.create says why)
        unenforced = [*engine.limits_not_enforced, "pids"]
        engine = engine.model_copy(update={"limits_not_enforced": unenforced})
    return engine


def _podman_info(
    client: docker.DockerClient, common: dict[str, Any], runtime: str | None
) -> EngineInfo:
    # Podman's Docker-compatible /info claims every limit works; its own /libpod/info tells
    # the truth: rootless or not, the cgroup controllers it may use, the uid mapping, and the
    # runtime its containers get.
    with docker_errors("ask Podman for its host details"):
        response = client.api.get(client.api.base_url + "/v4.0.0/libpod/info", timeout=30)
        response.raise_for_status()
        host = response.json().get("host")
    if not isinstance(host, dict):
        raise SandboxUnavailable("Podman's /libpod/info has no host section: is this Podman 4+?")
    # Podman's Docker-compatible API ignores a container's HostConfig.Runtime (4.3: measured):
    # every container gets the engine's own runtime, so that one must be the one asked for.
    serving = str((host.get("ociRuntime") or {}).get("name") or "runc")
    if runtime and runtime != serving:
        raise SandboxUnavailable(
            f"REWARD_SANDBOX_RUNTIME={runtime}, but this Podman engine runs every container "
            f"under {serving} (its Docker-compatible API cannot choose per container): start "
            f"it as `podman --runtime {runtime} system service ...` (or set `runtime = "
            f'"{runtime}"` under [engine] in containers.conf), or unset REWARD_SANDBOX_RUNTIME'
        )
    common = {**common, "runtime": serving}
    rootless = bool(host.get("security", {}).get("rootless"))
    if not rootless:
        return EngineInfo(engine="podman", **common)
    controllers = set(host.get("cgroupControllers") or [])
    missing = [name for name, ctl in LIMIT_CONTROLLERS.items() if ctl not in controllers]
    # The container's uid 0 is the user; 1..n are the user's subordinate ids (/etc/subuid).
    mapped = sum(int(m.get("size", 0)) for m in (host.get("idMappings") or {}).get("uidmap") or [])
    usable = mapped - ROOTLESS_FIRST_UID
    if usable < 64 * UIDS_PER_CONTAINER:
        raise SandboxUnavailable(
            f"rootless Podman maps only {mapped} uids into a container; the runner needs uids "
            f"from {ROOTLESS_FIRST_UID} up, {UIDS_PER_CONTAINER} per container: give the user a "
            "subordinate range (`usermod --add-subuids 100000-165535 --add-subgids "
            "100000-165535 USER`, then `podman system migrate`)"
        )
    return EngineInfo(
        engine="podman",
        rootless=True,
        limits_not_enforced=missing,
        uid_first=ROOTLESS_FIRST_UID,
        uid_count=usable,
        **common,
    )
