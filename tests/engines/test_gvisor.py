"""The sandbox under gVisor (`REWARD_SANDBOX_RUNTIME=runsc`, Debian's runsc registered with the
Docker engine, see .ci/run): our own suites, run whole with that runtime.

By default Python's hostile suites, the bridge's and the fault tests (containers killed); the
`engines` marker adds every language's honest and hostile suites.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from tests.docker_support import require_docker, skip_or_fail

pytestmark = [pytest.mark.docker, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
HEALTHZ_UNDER_RUNSC = (
    "tests/engines/test_gvisor.py::test_healthz_names_the_runtime_and_the_pids_limit_it_drops"
)


def require_runsc() -> None:
    require_docker()
    client = docker.from_env(timeout=10)
    try:
        runtimes = client.info().get("Runtimes") or {}
    finally:
        client.close()
    if "runsc" not in runtimes:
        skip_or_fail(
            "gVisor is not registered with the Docker engine: apt-get install runsc, add "
            '{"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}}}'
            " to /etc/docker/daemon.json and `kill -HUP $(pgrep -x dockerd)` (.ci/run does)"
        )


def run_suites_under_runsc(*paths: str, languages: str = "python") -> None:
    """pytest over suites of ours with every service and pool they start on runsc."""
    require_runsc()
    env = {
        **os.environ,
        "REWARD_SANDBOX_RUNTIME": "runsc",
        "REWARD_SANDBOX_LANGUAGES": languages,
        "REWARD_REQUIRE_DOCKER": "1",  # a missing image fails instead of skipping
        "REWARD_TESTS_KEEP_DOCKERD": "1",  # the engine-restart test is runc's (tests/reliability)
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    done = subprocess.run(
        [*command, *paths],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    tail = (done.stdout + done.stderr)[-6000:]
    assert done.returncode == 0, tail
    assert " passed" in tail, tail


def test_python_suites_pass_under_runsc() -> None:
    run_suites_under_runsc(
        "tests/sandbox/test_hostile.py",
        "tests/sandbox/test_hostile_bridge.py",
        "tests/reliability/test_faults.py::test_containers_killed_mid_batch_and_while_idle",
        HEALTHZ_UNDER_RUNSC,
    )


def test_healthz_names_the_runtime_and_the_pids_limit_it_drops() -> None:
    """Also run inside the suites' runs (here and as the rootless user), so they prove their
    programs really met gVisor's kernel."""
    from fastapi.testclient import TestClient

    from reward_service.app import create_app
    from tests.conftest import make_settings

    require_runsc()
    settings = make_settings(sandbox_backend="docker", sandbox_pool_size=1, sandbox_runtime="runsc")
    with TestClient(create_app(settings)) as client:
        engine = client.get("/healthz").json()["backends"]["code"]["engine"]
        assert engine["runtime"] == "runsc" and engine["engine"] in ("docker", "podman"), engine
        assert "pids" in engine["limits_not_enforced"], engine
        item = {"completion": "```python\nimport os\nprint(os.uname().release)\n```"}
        item["tests"] = [{"stdin": "", "stdout": os.uname().release}]
        # gVisor's kernel is not the host's: a program sees its own release (4.4.0)
        result = client.post("/code", json={"items": [item]}).json()["results"][0]
        assert result["tests"][0]["status"] == "failed", result


@pytest.mark.engines
def test_every_language_under_runsc() -> None:
    run_suites_under_runsc(
        "tests/sandbox/test_hostile_languages.py",
        "tests/sandbox/test_languages.py",
        languages="python",
    )
