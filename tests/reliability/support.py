"""Helpers for the reliability tests: Prometheus samples, waiting, a restartable service."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families


def sample(url: str, name: str, **labels: str) -> float:
    """One sample's value from /metrics (0.0 when absent, as for a counter never touched)."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def wait_for(condition: Callable[[], bool], timeout_s: float, every_s: float = 0.05) -> float:
    """Seconds until `condition()` held; AssertionError after `timeout_s`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(every_s)
    return time.monotonic() - started


def code_health(url: str) -> dict[str, object]:
    body: dict[str, object] = httpx.get(f"{url}/healthz", timeout=5).json()["backends"]["code"]
    return body


class ServiceProcess:
    """A reward service on a fixed loopback port that a test can kill and start again."""

    def __init__(self, port: int, **env: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "REWARD_HOST": "127.0.0.1",
            "REWARD_PORT": str(port),
            "REWARD_LOG_LEVEL": "warning",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> float:
        """Starts the service; seconds until /healthz answered."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reward_service"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def healthy() -> bool:
            assert self.process is not None and self.process.poll() is None, "service exited"
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        return wait_for(healthy, timeout_s, every_s=0.1)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- the Docker engine, managed the way .ci/run starts it ----------------------------------------


def dockerd_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True, text=True, timeout=10)
    return [int(pid) for pid in found.stdout.split()]


def docker_answers() -> bool:
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def stop_dockerd(timeout_s: float = 60.0) -> None:
    """SIGTERM to the engine (its containers go down with it); waits until it exited."""
    for pid in dockerd_pids():
        os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not dockerd_pids(), timeout_s, every_s=0.1)


def start_dockerd(timeout_s: float = 60.0) -> float:
    """Starts the engine as .ci/run does; seconds until `docker info` answers."""
    if not dockerd_pids():
        # a dockerd that did not exit cleanly leaves its pid file, and the next refuses to start
        with contextlib.suppress(FileNotFoundError):
            os.remove("/var/run/docker.pid")
        # the same line as .ci/run: detached, so the engine outlives this test process
        start = "(setsid dockerd >>/var/log/dockerd-ci.log 2>&1 &)"
        subprocess.run(["bash", "-c", start], check=True, timeout=30)
    return wait_for(docker_answers, timeout_s, every_s=0.2)
