"""Run real things in subprocesses on free loopback ports: the reward service, a Ray cluster.

For tests, benchmarks and notebooks: `with running_service(REWARD_SANDBOX_BACKEND="none") as url:`,
and `with local_ray_cluster(nodes=2) as address:` for a Ray cluster of several nodes on one machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_service(timeout_s: float = 60.0, **env: str) -> Iterator[str]:
    """Yields the base URL of a real uvicorn process once `/healthz` answers; stops it on exit.

    `env` adds `REWARD_*` variables. If the process dies or never gets healthy, the error
    carries the tail of its output.
    """
    port = free_port()
    full_env = {
        **os.environ,
        "REWARD_HOST": "127.0.0.1",
        "REWARD_PORT": str(port),
        "REWARD_LOG_LEVEL": "warning",
        **env,
    }
    # A file, not a pipe: nobody reads while it runs, and a full pipe would stall the server.
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "reward_service"],
            env=full_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"

        def failure(why: str) -> RuntimeError:
            output.seek(0)
            tail = output.read().decode(errors="replace")[-3000:]
            return RuntimeError(f"the reward service {why}; its output:\n{tail}")

        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if process.poll() is not None:
                    raise failure(f"exited early with code {process.returncode}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise failure(f"was not healthy within {timeout_s:.0f} s")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def local_ray_cluster(
    nodes: int = 2, cpus_per_node: float = 1, timeout_s: float = 120.0
) -> Iterator[str]:
    """Yields the address of a Ray cluster of `nodes` nodes on this machine (`ray start`: a head
    and workers, each its own raylet with `cpus_per_node` CPUs); stops them all on exit.

    Each node is a `ray start --block` process in a session of its own, so stopping it takes the
    node's processes (replicas included) with it and leaves any other Ray on the machine alone.
    """
    port = free_port()
    address = f"127.0.0.1:{port}"
    ray_cli = os.path.join(os.path.dirname(sys.executable), "ray")
    common = [
        "--block",
        f"--num-cpus={cpus_per_node:g}",
        "--node-ip-address=127.0.0.1",
        "--disable-usage-stats",
    ]
    head = [
        ray_cli,
        "start",
        "--head",
        f"--port={port}",
        f"--ray-client-server-port={free_port()}",
        "--include-dashboard=false",
        *common,
    ]
    worker = [ray_cli, "start", f"--address={address}", *common]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryFile() as output:

        def start(command: list[str]) -> None:
            processes.append(
                subprocess.Popen(
                    command,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

        def failure(why: str) -> RuntimeError:
            output.seek(0)
            tail = output.read().decode(errors="replace")[-3000:]
            return RuntimeError(f"the local Ray cluster {why}; `ray start` said:\n{tail}")

        try:
            start(head)
            _wait_for_port(port, timeout_s, processes, failure)
            for _ in range(nodes - 1):
                start(worker)
            yield address
        finally:
            for process in reversed(processes):  # workers first, the head (GCS) last
                _stop_session(process)


def _wait_for_port(
    port: int,
    timeout_s: float,
    processes: list[subprocess.Popen[bytes]],
    failure: Callable[[str], RuntimeError],
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        for process in processes:
            if process.poll() is not None:
                raise failure(f"exited early with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise failure(f"did not listen on port {port} within {timeout_s:.0f} s")
        time.sleep(0.2)


def _stop_session(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the node's session (`ray start --block` stops its node), SIGKILL what stays."""
    for sig, wait_s in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError):  # the leader is gone: so goes the rest
            os.killpg(process.pid, signal.SIGKILL)
        break
