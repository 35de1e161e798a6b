"""Run a real reward service in a subprocess on a free loopback port.

For tests, benchmarks and notebooks: `with running_service(REWARD_SANDBOX_BACKEND="none") as url:`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
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
