"""End to end, the README's way: its offline compose commands, run as written, build everything
and serve on loopback; a batch is scored over HTTP, and stopping the service leaves no sandbox
container behind.

The commands are read from the README block marked `offline-compose`, so the README cannot drift
from what works. Compose v2 (`docker compose`) runs them when present; on a machine with only
v1 the same line runs with `docker-compose`. The environment (not the commands) picks a free
port and a project name of its own.
"""

from __future__ import annotations

import json
import os
import re
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
START_TIMEOUT_S = 600
OFFLINE_BASE = "reward-sandbox-service-base"  # its Python is the wheels' (this machine's)


def readme_offline_commands() -> list[str]:
    """The command lines of the README's `offline-compose` block, in order."""
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- offline-compose[^>]*-->\s*```bash\n(.*?)```", readme, re.DOTALL)
    assert found, "README.md lost its offline-compose block"
    return [line for line in found.group(1).splitlines() if line.strip()]


def compose_command() -> str:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return "docker compose"
    if shutil.which("docker-compose"):
        return "docker-compose"
    pytest.skip("neither `docker compose` nor `docker-compose` is installed")


def base_python(image: str) -> str:
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
            image,
            "-c",
            probe,
        ],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip()


def test_readme_offline_block_is_the_three_steps() -> None:
    lines = readme_offline_commands()
    assert lines[0] == "bash scripts/build_images.sh --offline --service-base"
    assert lines[1].startswith("pip wheel --wheel-dir build/wheels . ") and "setuptools" in lines[1]
    assert lines[2].endswith("docker compose up --build reward_service")


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, list[str], dict[str, str]]]:
    require_docker()
    compose = compose_command()
    setup, wheels, up = readme_offline_commands()
    port = free_port()
    project = f"rstest{secrets.token_hex(3)}"
    env = {
        **os.environ,
        # `pip` is this interpreter's, whatever PATH the tests were started with
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "REWARD_PUBLISH_PORT": str(port),
        "COMPOSE_PROJECT_NAME": project,
    }
    run = [*compose.split(), "-p", project]
    subprocess.run(["bash", "-c", setup], cwd=ROOT, env=env, check=True)
    if base_python(OFFLINE_BASE) != "{}.{}".format(*sys.version_info[:2]):
        pytest.skip(f"{OFFLINE_BASE}'s Python is not this one's: the wheels would not install")
    subprocess.run(["bash", "-c", wheels], cwd=ROOT, env=env, check=True)
    up_line = up.replace("docker compose", compose)
    url = f"http://127.0.0.1:{port}"
    (ROOT / "build").mkdir(exist_ok=True)
    log = (ROOT / "build" / f"compose-{project}.log").open("wb")
    serving = subprocess.Popen(
        ["bash", "-c", up_line], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2).json()
                if health["backends"]["code"]["ready"]:
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            if serving.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = Path(log.name).read_text(errors="replace")[-3000:]
                pytest.fail(f"`{up_line}` did not serve (exit {serving.poll()}):\n{tail}")
            time.sleep(1)
        yield url, run, env
    finally:
        subprocess.run([*run, "down", "--remove-orphans", "-t", "20"], cwd=ROOT, env=env)
        serving.wait(timeout=60)
        log.close()


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
