"""Run a real reward service in a subprocess on a free loopback port.

For tests, benchmarks and notebooks: `with running_service(REWARD_SANDBOX_BACKEND="none") as url:`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_service(timeout_s: float = 60.0, **env: str) -> Iterator[str]:
    """Yields the base URL of a real uvicorn process; stops it on exit."""
    port = free_port()
    full_env = {
        **os.environ,
        "REWARD_HOST": "127.0.0.1",
        "REWARD_PORT": str(port),
        "REWARD_LOG_LEVEL": "warning",
        **env,
    }
    process = subprocess.Popen([sys.executable, "-m", "reward_service"], env=full_env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the reward service did not start; see its output above")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
