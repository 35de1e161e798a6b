"""The service on rootless Podman, with no root process on the scoring path: an unprivileged user
runs `podman system service`, the reward service (and, for the suites, pytest) against it.

By default: Python's image, a real service over HTTP (its /healthz, honest and hostile items,
the engine killed mid-batch), Python's hostile suites run whole as the user, and Python's image
built with Podman. The `engines` marker adds every language (all six images loaded into the
user's store: about 3 min more, then the suites) and gVisor under the user's engine.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.load_test import code_batch, mismatches
from reward_service.testing import free_port
from tests.catalogue import catalogue
from tests.docker_support import FAMILIES, family_image, require_images
from tests.engines.rootless import RootlessEngine, load_images, rootless_podman
from tests.engines.test_gvisor import HEALTHZ_UNDER_RUNSC
from tests.reliability.support import code_health, wait_for
from tests.reliability.test_faults import affected_or_expected, post_in_background
from tests.sandbox.test_hostile import HOSTILE, honest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# a few of each kind: bombs, escapes, a forged pass; the whole suite runs below as the user
PICKS = [
    "fork bomb",
    "memory bomb",
    "escaping the process group",
    "network egress",
    "reading the service's environment",
    "writing outside the work dir",
    "killing the parent",
    "forged output",
]


@pytest.fixture(scope="module")
def python_engine() -> Iterator[RootlessEngine]:
    with rootless_podman([family_image("python")]) as engine:
        yield engine


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            children = [int(child) for child in task.read_text().split()]
            found += children
            todo += children
    return found


def real_uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


@pytest.fixture(scope="module")
def service(python_engine: RootlessEngine) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m reward_service` as the user, on its rootless engine."""
    engine, port = python_engine, free_port()
    env = dict(
        REWARD_PORT=str(port),
        REWARD_SANDBOX_BACKEND="docker",
        REWARD_SANDBOX_POOL_SIZE="2",
        REWARD_SANDBOX_LANGUAGES="python",
        REWARD_SANDBOX_IMAGE=family_image("python"),
        REWARD_TEST_CANARY="reward-service-canary-4f1d",  # the hostile item looks for it
    )
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            engine.as_user(engine.python, "-m", "reward_service", env=env),
            cwd=engine.repo,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180  # a loaded CI machine is slow
            while not ready(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"service did not start: {log.read().decode()[-3000:]}")
                time.sleep(0.3)
            engine_info = httpx.get(f"{url}/healthz").json()["backends"]["code"]["engine"]
            yield url, process
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.seek(0)
            output = log.read().decode(errors="replace")
    # the start-up log warns exactly when the engine cannot enforce a limit (checked at the end)
    assert ("cannot enforce" in output) == bool(engine_info["limits_not_enforced"]), output[-3000:]


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).json()["backends"]["code"]["ready"] is True
    except (httpx.HTTPError, KeyError, ValueError):
        return False


def cgroup_v2() -> bool:
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def test_healthz_names_the_rootless_engine_and_what_it_cannot_enforce(
    service: tuple[str, subprocess.Popen[bytes]], python_engine: RootlessEngine
) -> None:
    url, process = service
    engine = httpx.get(f"{url}/healthz").json()["backends"]["code"]["engine"]
    assert engine["engine"] == "podman" and engine["rootless"] is True, engine
    assert engine["runtime"] in ("runc", "crun"), engine
    assert engine["url"] == python_engine.url
    if not cgroup_v2():  # rootless on cgroup v1 can set no cgroup limit at all
        assert {"memory", "pids", "cpus"} <= set(engine["limits_not_enforced"]), engine
    # the uids of the runner lie inside the user's subordinate range
    assert engine["uid_first"] >= 1 and engine["uid_first"] + engine["uid_count"] <= 65537
    # nothing of ours on this path runs as root: the service and everything it started
    tree = [process.pid, *descendants(process.pid)]
    service_pids = [pid for pid in tree if Path(f"/proc/{pid}/cmdline").exists()][1:]  # runuser
    assert service_pids and all(real_uid(pid) == python_engine.uid for pid in service_pids)


def test_honest_and_hostile_items_score_over_http(
    service: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, _ = service
    items: list[dict[str, Any]] = []
    for k, name in enumerate(PICKS):
        items += [HOSTILE[name], honest(k)]
    body = {"items": items, "limits": {"timeout_s": 1, "memory_mb": 256}}
    results = httpx.post(f"{url}/code", json=body, timeout=120).json()["results"]
    for k, name in enumerate(PICKS):
        hostile, neighbour = results[2 * k], results[2 * k + 1]
        assert hostile["status"] in ("failed", "error"), (name, hostile)
        assert hostile["reward"] is not None and hostile["reward"] <= 0.0, (name, hostile)
        assert neighbour["reward"] == 1.0, (name, neighbour)
    health = httpx.get(f"{url}/healthz").json()["backends"]["code"]
    assert health["ready"] is True and health["pool_size"] == 2


def test_engine_killed_and_restarted_mid_batch(
    service: tuple[str, subprocess.Popen[bytes]], python_engine: RootlessEngine
) -> None:
    """Podman's API service dies mid-batch (its attach streams, and so the containers, go with
    it): affected items come back retried or as infra_error with a null reward, never a score,
    and the pool heals once the engine is back."""
    url, _ = service
    body, expected = code_batch(seed=31, size=24, sleep_s=0.2)
    batch = post_in_background(url, "/code", body)
    time.sleep(0.7)
    assert not batch.done()
    try:
        python_engine.stop()
        response = batch.result(timeout=120)
    finally:
        python_engine.start()
    assert response.status_code == 200
    affected_or_expected(response.json()["results"], expected)
    wait_for(lambda: code_health(url).get("pool_size") == 2 and ready(url), 60, every_s=0.2)
    body, expected = code_batch(seed=32, size=16)
    results = httpx.post(f"{url}/code", json=body, timeout=120).json()["results"]
    assert mismatches(results, expected) == []


def test_the_python_image_builds_with_podman_as_the_user(python_engine: RootlessEngine) -> None:
    """scripts/build_images.sh with CONTAINER_ENGINE=podman, as the user, on the offline base
    (loaded from Docker's store: debootstrap needs root); the image's runner then says hello."""
    engine, image = python_engine, "reward-sandbox-python:podman-build"
    base = str(catalogue.get("debian.offline_base_image"))
    require_images(base)
    load_images(engine, [base])
    engine.run("podman", "rmi", "--force", image)
    built = engine.run(
        "bash",
        "scripts/build_images.sh",
        "--offline",
        "python",
        env={
            "CONTAINER_ENGINE": "podman",
            "SANDBOX_IMAGE": image,
            "OFFLINE_BASE_IMAGE": base,
            "BUILD_NETWORK": "none",  # nothing to fetch; /dev/net/tun may be root's alone
        },
    )
    assert built.returncode == 0, built.stderr[-3000:]
    assert f"built {image}" in built.stderr, built.stderr
    hello = engine.run(
        *("podman", "run", "--rm", "-i", "--network", "none", "--cap-drop", "ALL"),
        *("--cap-add", "SETUID,SETGID,KILL", image),
        *("--uid", "2000", "--judge-uid", "2001", "--server-uid", "2002"),
    )
    assert '"ready"' in hello.stdout, hello.stdout[-2000:] + hello.stderr[-2000:]


def run_suites_as_user(
    engine: RootlessEngine, *paths: str, languages: str, runtime: str = ""
) -> None:
    """pytest, as the user, over suites of ours: their services run in its process, on its
    engine. REWARD_REQUIRE_DOCKER turns a skip for a missing image into a failure."""
    command = [engine.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths]
    command += ["-o", "addopts=", "--rootdir", str(engine.repo)]
    env = {
        "REWARD_REQUIRE_DOCKER": "1",
        "REWARD_TESTS_KEEP_DOCKERD": "1",  # never the root engine's restart test
        "REWARD_SANDBOX_LANGUAGES": languages,
        "REWARD_SANDBOX_IMAGE": family_image("python"),
        "TMPDIR": "/tmp",
        **({"REWARD_SANDBOX_RUNTIME": runtime} if runtime else {}),
    }
    done = engine.run(*command, env=env, timeout=1500)
    tail = (done.stdout + done.stderr)[-6000:]
    assert done.returncode == 0, tail
    assert " passed" in tail and "skipped" not in tail, tail


def test_python_hostile_suites_pass_as_the_user(python_engine: RootlessEngine) -> None:
    run_suites_as_user(
        python_engine,
        "tests/sandbox/test_hostile.py",
        "tests/sandbox/test_contract.py",
        "tests/reliability/test_faults.py::test_containers_killed_mid_batch_and_while_idle",
        languages="python",
    )


@pytest.mark.engines  # 1.5 min on a quiet machine, 12 under a load average of 20-45
def test_python_hostile_suite_under_gvisor_as_the_user(python_engine: RootlessEngine) -> None:
    """No root anywhere and a user-space kernel: runsc under the user's Podman (rootless.py
    registers it, with --ignore-cgroups). Podman's Docker API cannot pick a runtime per
    container, so the engine restarts with runsc as its own, and a service asking for runsc
    of an engine serving runc refuses to start (checked first)."""
    start_on_runsc = (
        "import asyncio; from reward_service.sandbox.docker_pool import *; "
        "asyncio.run(DockerSandbox(DockerPoolConfig(pool_size=1, runtime='runsc')).start())"
    )
    refused = python_engine.run(python_engine.python, "-c", start_on_runsc)
    assert refused.returncode != 0 and "podman --runtime runsc" in refused.stderr, refused.stderr
    python_engine.stop()
    try:
        python_engine.start(runtime="runsc")
        run_suites_as_user(
            python_engine,
            "tests/sandbox/test_hostile.py",
            HEALTHZ_UNDER_RUNSC,
            languages="python",
            runtime="runsc",
        )
    finally:
        python_engine.stop()
        python_engine.start()


@pytest.mark.engines
def test_every_language_honest_and_hostile_as_the_user(python_engine: RootlessEngine) -> None:
    load_images(python_engine, [family_image(family) for family in FAMILIES])
    run_suites_as_user(
        python_engine,
        "tests/sandbox/test_hostile_bridge.py",
        "tests/sandbox/test_hostile_languages.py",
        "tests/sandbox/test_languages.py",
        languages="python",
    )
