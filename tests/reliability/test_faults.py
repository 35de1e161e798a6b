"""Faults against a real service: sandbox containers killed mid-batch, the Docker engine
restarted mid-batch, the service itself stopped and restarted while the trainer's client sends.

Each test checks the same contract: an affected item is retried transparently or comes back as
`infra_error` with a null reward (never a score), every other item is unchanged, and the
service heals by itself (pool refilled within 10 s, a new batch scores correctly).
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from benchmarks.load_test import code_batch, format_batch, math_batch, mismatches
from reward_service.testing import free_port, running_service
from tests.docker_support import require_docker
from tests.reliability.support import (
    ServiceProcess,
    code_health,
    dockerd_pids,
    sample,
    start_dockerd,
    stop_dockerd,
    wait_for,
)
from trainer.client import ClientConfig, RewardClient

logger = logging.getLogger(__name__)

HEAL_LIMIT_S = 10.0
POOL_SIZE = 2


def affected_or_expected(results: list[dict[str, Any]], expected: list[Any]) -> int:
    """Asserts each item is as expected or an infra_error with a null reward; counts the latter."""
    infra = 0
    for i, (result, outcome) in enumerate(zip(results, expected, strict=True)):
        if result["status"] == "infra_error":
            assert result["reward"] is None, result
            assert outcome["status"] != "no_code", f"item {i} never needed the sandbox"
            infra += 1
        else:
            assert mismatches([result], [outcome]) == [], (i, result, outcome)
    return infra


def pool_containers(pool_id: str, status: str = "running") -> list[str]:
    """Ids of this pool's containers in `status`, from the Docker CLI."""
    filters = ["--filter", f"label=reward-service.pool={pool_id}", "--filter", f"status={status}"]
    out = subprocess.run(
        ["docker", "ps", "-aq", *filters],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return out.stdout.split()


def healed(url: str, pool_id: str, killed: set[str]) -> bool:
    """Ready, at full size, and none of the serving containers is one that was killed."""
    health = code_health(url)
    running = set(pool_containers(pool_id))
    return (
        health.get("ready") is True
        and health.get("pool_size") == POOL_SIZE
        and len(running) == POOL_SIZE
        and not running & killed
    )


def post_in_background(url: str, path: str, body: dict[str, Any]) -> concurrent.futures.Future[Any]:
    executor = concurrent.futures.ThreadPoolExecutor(1)
    future = executor.submit(lambda: httpx.post(f"{url}{path}", json=body, timeout=120))
    executor.shutdown(wait=False)
    return future


@pytest.fixture(scope="module")
def docker_service() -> Iterator[str]:
    require_docker()
    env = {"REWARD_SANDBOX_BACKEND": "docker", "REWARD_SANDBOX_POOL_SIZE": str(POOL_SIZE)}
    with running_service(**env) as url:
        yield url


@pytest.mark.docker
@pytest.mark.slow
def test_containers_killed_mid_batch_and_while_idle(docker_service: str) -> None:
    url = docker_service
    pool_id = str(code_health(url)["pool_id"])
    # 18 programs of ~0.2 s each on two containers: ~2 s of work, killed after 0.7 s
    body, expected = code_batch(seed=11, size=24, sleep_s=0.2)
    batch = post_in_background(url, "/code", body)
    time.sleep(0.7)
    assert not batch.done()
    killed = set(pool_containers(pool_id))
    subprocess.run(["docker", "kill", *killed], capture_output=True, timeout=30, check=True)
    # the pool heals while the batch goes on
    heal_s = wait_for(lambda: healed(url, pool_id, killed), HEAL_LIMIT_S, every_s=0.1)
    response = batch.result(timeout=120)
    assert response.status_code == 200
    infra = affected_or_expected(response.json()["results"], expected)
    logger.warning("killed mid-batch: %d infra_error items, healed in %.1f s", infra, heal_s)

    # killed while idle: replaced before anyone needs them, so no retry is spent on them
    killed = set(pool_containers(pool_id))
    subprocess.run(["docker", "kill", *killed], capture_output=True, timeout=30, check=True)
    idle_heal_s = wait_for(lambda: healed(url, pool_id, killed), HEAL_LIMIT_S, every_s=0.1)
    logger.warning("killed while idle: healed in %.1f s", idle_heal_s)
    # the metrics tell the two apart: lost while running a job, found dead while idle
    assert sample(url, "reward_sandbox_recycles_total", reason="lost") >= 1
    assert sample(url, "reward_sandbox_recycles_total", reason="dead") >= POOL_SIZE
    body, expected = code_batch(seed=12, size=16)
    response = httpx.post(f"{url}/code", json=body, timeout=60)
    assert mismatches(response.json()["results"], expected) == []


def test_service_restarts_while_the_trainer_client_sends(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="trainer.client")
    service = ServiceProcess(free_port(), REWARD_SANDBOX_BACKEND="none")
    service.start()
    config = ClientConfig(
        url=service.url,
        max_retries=12,
        backoff_initial_s=0.1,
        backoff_max_s=1.0,
        read_timeout_s=20,
        chunk_size=32,
        max_concurrency=4,
    )
    client = RewardClient(config)
    stop = threading.Event()
    outcomes: list[tuple[list[Any], list[Any]]] = []
    errors: list[BaseException] = []

    def send() -> None:
        for seed in range(200):  # bounded; stopped by the flag long before
            if stop.is_set():
                return
            batch = math_batch if seed % 2 else format_batch
            body, expected = batch(seed, 128)
            try:
                endpoint = "math" if seed % 2 else "format"
                outcomes.append((client.fetch_sync(endpoint, body["items"]), expected))
            except BaseException as exc:  # the contract under test: never raises
                errors.append(exc)
                return

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        time.sleep(0.5)
        service.stop(signal.SIGKILL)  # a crash: requests in flight lose their connection
        time.sleep(0.5)
        after_crash_s = service.start()
        time.sleep(0.5)
        service.stop(signal.SIGTERM)  # a graceful restart: in-flight requests finish
        after_stop_s = service.start()
        time.sleep(0.5)
    finally:
        stop.set()
        sender.join(timeout=60)
        service.stop()
    assert not errors, errors
    assert len(outcomes) >= 4
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert retries, "the restarts happened between requests: nothing was tested"
    scored = nones = 0
    for results, expected in outcomes:
        for result, outcome in zip(results, expected, strict=True):
            if result is None:
                nones += 1
            else:
                assert mismatches([result], [outcome]) == [], (result, outcome)
                scored += 1
    # the retry budget (~10 s) outlasts each outage, so every item ends up scored
    assert nones == 0 and scored == 128 * len(outcomes)
    logger.warning(
        "service restarts: healthy %.1f s after the crash's restart, %.1f s after the graceful "
        "one's; %d batches of 128 scored, %d requests retried",
        after_crash_s,
        after_stop_s,
        len(outcomes),
        len(retries),
    )


def engine_restartable() -> str | None:
    """Why this test may not restart the engine here, or None when it may."""
    if os.environ.get("REWARD_TESTS_KEEP_DOCKERD"):
        return "REWARD_TESTS_KEEP_DOCKERD is set"
    if os.geteuid() != 0:
        return "restarting dockerd needs root"
    if os.path.isdir("/run/systemd/system"):
        return "dockerd belongs to systemd here; this test restarts only one started by hand"
    if len(dockerd_pids()) != 1:
        return "no locally managed dockerd (pgrep -x dockerd) to restart"
    return None


@pytest.mark.docker
@pytest.mark.slow
def test_docker_engine_restarted_mid_batch(docker_service: str) -> None:
    reason = engine_restartable()
    if reason is not None:
        pytest.skip(reason)
    url = docker_service
    pool_id = str(code_health(url)["pool_id"])
    body, expected = code_batch(seed=21, size=24, sleep_s=0.2)
    batch = post_in_background(url, "/code", body)
    time.sleep(0.7)
    assert not batch.done()
    before = set(pool_containers(pool_id))
    try:
        stop_dockerd()
        response = batch.result(timeout=120)
        # with the engine gone the pool says so, and waiting items fail fast
        assert code_health(url)["ready"] is False
    finally:
        up_s = start_dockerd()  # whatever happened above, leave an engine running
    assert response.status_code == 200
    infra = affected_or_expected(response.json()["results"], expected)
    heal_s = wait_for(lambda: healed(url, pool_id, before), HEAL_LIMIT_S, every_s=0.1)
    logger.warning(
        "engine restart: %d infra_error items, engine up in %.1f s, pool healed %.1f s later",
        infra,
        up_s,
        heal_s,
    )
    # the containers the engine's shutdown killed are removed once it is back
    wait_for(lambda: not pool_containers(pool_id, "exited"), HEAL_LIMIT_S, every_s=0.2)
    body, expected = code_batch(seed=22, size=16)
    response = httpx.post(f"{url}/code", json=body, timeout=60)
    assert mismatches(response.json()["results"], expected) == []
