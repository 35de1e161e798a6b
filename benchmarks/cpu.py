"""CPU a service spends: its own process and its sandbox containers (the kernel's accounting, so
a benchmark sees what scoring costs the machine, not just how long a batch took).

Containers are found by the pool label the service gives them (/healthz's `pool_id`); a container
recycled during a measurement takes its CPU with it, so measure with recycling off
(`REWARD_SANDBOX_JOBS_PER_CONTAINER` large) when it matters.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import psutil

POOL_LABEL = "reward-service.pool"  # reward_service/sandbox/docker_pool/container.py


def pool_ids(url: str) -> list[str]:
    """The pool labels of the service's sandboxes (one per image)."""
    code = httpx.get(f"{url}/healthz", timeout=30).json()["backends"]["code"]
    found = [code.get("pool_id")] + [
        health.get("pool_id") for health in (code.get("languages") or {}).values()
    ]
    return sorted({pool for pool in found if pool})


def container_ids(pools: list[str]) -> list[str]:
    ids: list[str] = []
    for pool in pools:
        listed = subprocess.run(
            ["docker", "ps", "-q", "--no-trunc", "--filter", f"label={POOL_LABEL}={pool}"],
            capture_output=True,
            text=True,
            check=True,
        )
        ids += listed.stdout.split()
    return ids


def container_seconds(container: str) -> float:
    """CPU seconds a container has used (cgroup v1's cpuacct, else v2's cpu.stat)."""
    v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{container}/cpuacct.usage")
    if v1.exists():
        return int(v1.read_text()) / 1e9
    for v2 in (
        Path(f"/sys/fs/cgroup/system.slice/docker-{container}.scope/cpu.stat"),
        Path(f"/sys/fs/cgroup/docker/{container}/cpu.stat"),
    ):
        if v2.exists():
            usage = next(line for line in v2.read_text().splitlines() if line.startswith("usage"))
            return int(usage.split()[1]) / 1e6
    raise FileNotFoundError(f"no cgroup CPU accounting found for container {container[:12]}")


class CpuMeter:
    """CPU seconds of the service process and of its containers between `start` and `stop`."""

    def __init__(self, url: str, service_pid: int) -> None:
        self.pools = pool_ids(url)
        self.service = psutil.Process(service_pid)

    def _now(self) -> tuple[float, dict[str, float]]:
        times = self.service.cpu_times()
        containers = {c: container_seconds(c) for c in container_ids(self.pools)}
        return times.user + times.system, containers

    def start(self) -> None:
        self.began = self._now()

    def stop(self) -> tuple[float, float]:
        """(service seconds, containers' seconds) since `start` (containers that lived
        through the interval)."""
        service, containers = self._now()
        before_service, before = self.began
        kept = [c for c in containers if c in before]
        return service - before_service, sum(containers[c] - before[c] for c in kept)


def service_pid(port: int) -> int:
    """The pid of the process listening on `port` (the service running_service started)."""
    for process in psutil.process_iter(["pid"]):
        try:
            if any(c.laddr.port == port for c in process.net_connections("tcp")):
                return int(process.info["pid"])
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
    raise LookupError(f"nothing listens on port {port} (pid {os.getpid()} looked)")
