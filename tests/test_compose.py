"""End to end: `compose up reward_service` builds everything, serves on loopback, scores a batch
over HTTP, and `compose down` leaves no sandbox container behind.

Uses Compose v2 (`docker compose`) when present, else v1 (`docker-compose`). Without a registry
the base image is the offline one from scripts/build_images.sh; when PyPI is not reachable
from containers either, a wheelhouse built here (build/wheels) makes the image build offline.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reward_service.testing import free_port
from tests.docker_support import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
BASES = ("python:3.12-slim", "reward-sandbox-base:bookworm")
START_TIMEOUT_S = 600
BUILD = ["setuptools>=77", "wheel"]  # the build backend, for an offline `pip install .`


def compose_command() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("neither `docker compose` nor `docker-compose` is installed")


def base_image() -> str:
    candidates = [os.environ["BASE_IMAGE"]] if "BASE_IMAGE" in os.environ else list(BASES)
    for image in candidates:
        if (
            subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode
            == 0
        ):
            return image
    pytest.skip(f"no base image among {candidates}; run scripts/build_images.sh")


def prepare_wheelhouse(base: str) -> None:
    """Wheels for the service image when the base's Python matches ours (offline install)."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    found = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "python3",
            base,
            "-c",
            probe,
        ],
        capture_output=True,
        text=True,
    )
    if found.stdout.strip() != "{}.{}".format(*sys.version_info[:2]):
        return  # the image build will use PyPI
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", "build/wheels", ".", *BUILD],
        cwd=ROOT,
        check=True,
    )


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, list[str], dict[str, str]]]:
    require_docker()
    compose = compose_command()
    base = base_image()
    prepare_wheelhouse(base)
    port = free_port()
    project = f"rstest{secrets.token_hex(3)}"
    env = {**os.environ, "BASE_IMAGE": base, "REWARD_PUBLISH_PORT": str(port)}
    run = [*compose, "-p", project]
    url = f"http://127.0.0.1:{port}"
    try:
        subprocess.run(
            [*run, "up", "-d", "--build", "reward_service"], cwd=ROOT, env=env, check=True
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2).json()
                if health["backends"]["code"]["ready"]:
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                subprocess.run([*run, "logs", "--tail", "50"], cwd=ROOT, env=env)
                pytest.fail("the compose service did not become ready")
            time.sleep(1)
        yield url, run, env
    finally:
        subprocess.run([*run, "down", "--remove-orphans", "-t", "20"], cwd=ROOT, env=env)


ADD = "def add(a, b):\n    return a + b"
DOUBLE = "print(int(input()) * 2)"


def test_scores_a_batch_over_http(service: tuple[str, list[str], dict[str, str]]) -> None:
    url, _, _ = service
    body = {
        "items": [
            {"completion": f"```python\n{ADD}\n```", "tests": ["assert add(1, 2) == 3"]},
            {"completion": f"```python\n{DOUBLE}\n```", "tests": [{"stdin": "4", "stdout": "8"}]},
            {"completion": "```python\nwhile True: pass\n```", "tests": ["assert True"]},
            {"completion": "no code", "tests": ["assert True"]},
        ],
        "limits": {"timeout_s": 1},
    }  # fmt: skip
    response = httpx.post(f"{url}/code", json=body, timeout=60)
    assert response.status_code == 200, response.text
    got = [(r["status"], r["reward"]) for r in response.json()["results"]]
    # an endless loop at module level never finishes loading: a load failure (-1.0)
    assert got == [("passed", 1.0), ("passed", 1.0), ("error", -1.0), ("no_code", -1.0)]


def test_published_on_loopback_only_and_cleans_up(
    service: tuple[str, list[str], dict[str, str]],
) -> None:
    url, run, env = service
    ids = subprocess.run(
        [*run, "ps", "-q", "reward_service"], cwd=ROOT, env=env, capture_output=True, text=True
    ).stdout.split()
    assert len(ids) == 1
    inspected = json.loads(subprocess.check_output(["docker", "inspect", ids[0]]))[0]
    bindings = inspected["HostConfig"]["PortBindings"]["8000/tcp"]
    assert [b["HostIp"] for b in bindings] == ["127.0.0.1"]
    binds = inspected["HostConfig"]["Binds"]
    assert any(b.startswith("/var/run/docker.sock:/var/run/docker.sock") for b in binds)
    pool_id = httpx.get(f"{url}/healthz").json()["backends"]["code"]["pool_id"]
    label = f"label=reward-service.pool={pool_id}"

    def sandboxes() -> list[str]:
        listing = ["docker", "ps", "-aq", "--filter", label]
        return subprocess.check_output(listing, text=True).split()

    assert len(sandboxes()) >= 1
    subprocess.run([*run, "stop", "-t", "20", "reward_service"], cwd=ROOT, env=env, check=True)
    assert sandboxes() == []
