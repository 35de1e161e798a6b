"""The Docker backend against a real engine: container flags, dedup, recycling, lost containers,
fresh mode, start-up and leftovers. (The pool's logic alone: tests/sandbox/pool, no Docker.)"""

from __future__ import annotations

import asyncio
import os

import docker
import pytest

from reward_service.sandbox import (
    Job,
    ProgramTest,
    SandboxBackend,
    SandboxLimits,
    SandboxUnavailable,
)
from reward_service.sandbox.docker_pool import DockerPoolConfig, DockerSandbox
from reward_service.sandbox.docker_pool.container import LABEL, POOL_LABEL, SandboxContainer
from reward_service.sandbox.wire import RunnerReply
from tests.docker_support import IMAGE, docker_pool, require_docker

pytestmark = pytest.mark.docker

LIMITS = SandboxLimits(timeout_s=3.0, memory_mb=128)


def job(program: str = "x = 1\n", test: str = "assert x == 1", **kw: object) -> Job:
    return Job(program=program, tests=(ProgramTest(code=test),), limits=LIMITS, **kw)  # type: ignore[arg-type]


def pool_containers(sandbox: DockerSandbox) -> list[dict[str, object]]:
    client = docker.from_env()
    found = client.api.containers(filters={"label": f"{POOL_LABEL}={sandbox.spec.pool_id}"})
    client.close()
    return list(found)


async def test_is_a_sandbox_backend_and_reports_health() -> None:
    async with docker_pool() as sandbox:
        assert isinstance(sandbox, SandboxBackend)
        health = sandbox.health()
        assert health.ready is True and health.pool_size == 2
        assert health.image == IMAGE


async def test_containers_are_locked_down() -> None:
    os.environ["REWARD_TEST_CANARY"] = "service-secret"
    try:
        async with docker_pool(pool_size=1) as sandbox:
            (info,) = pool_containers(sandbox)
            inspected = docker.from_env().api.inspect_container(info["Id"])
    finally:
        del os.environ["REWARD_TEST_CANARY"]
    host = inspected["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert sorted(host["CapAdd"]) == ["KILL", "SETGID", "SETUID"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Memory"] > 0 and host["MemorySwap"] == host["Memory"]
    assert host["PidsLimit"] > 0 and host["NanoCpus"] > 0
    assert "size=" in host["Tmpfs"]["/tmp"]
    assert not any("REWARD_TEST_CANARY" in e for e in inspected["Config"]["Env"] or [])
    assert inspected["Config"]["Labels"][LABEL] == "1"


async def test_identical_jobs_in_a_batch_run_once() -> None:
    async with docker_pool(pool_size=1) as sandbox:
        batch = [job(), job(), job("x = 2\n"), job()]
        results = await sandbox.run(batch)
        assert [r.tests[0].status for r in results] == ["passed", "passed", "failed", "passed"]
        (member,) = sandbox._idle.peek()
        assert member.container.jobs_done == 2  # two distinct jobs


async def test_containers_are_recycled_after_n_jobs_without_a_gap() -> None:
    async with docker_pool(pool_size=1, jobs_per_container=2) as sandbox:
        seen: set[str] = set()
        for i in range(6):
            (result,) = await sandbox.run([job(f"x = {i}\n", f"assert x == {i}")])
            assert result.tests[0].status == "passed"
            seen.update(str(info["Id"]) for info in pool_containers(sandbox))
            await asyncio.sleep(0.7)  # time for a successor to start
        assert len(seen) >= 3  # recycled after jobs 2 and 4 (at least)
        assert sandbox.health().pool_size == 1
        assert len(pool_containers(sandbox)) == 1  # the retired ones are gone


async def test_an_unclean_release_while_a_successor_starts_keeps_the_pool_at_its_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: the container was replaced twice (once as unclean, once by its successor)."""
    original = SandboxContainer.run
    calls = {"n": 0}

    def second_reply_unclean(self: SandboxContainer, job: Job) -> RunnerReply:
        reply = original(self, job)
        calls["n"] += 1
        if calls["n"] == 2:
            reply = reply.model_copy(update={"clean": False})  # the runner could not prove it
        return reply

    monkeypatch.setattr(SandboxContainer, "run", second_reply_unclean)
    async with docker_pool(pool_size=1, jobs_per_container=1) as sandbox:
        await sandbox.run([job()])  # reaches its job limit: a successor is requested
        await sandbox.run([job("x = 2\n", "assert x == 2")])  # released unclean meanwhile
        for _ in range(200):  # the replacement and the successor both start in the background
            await asyncio.sleep(0.1)
            if not sandbox._healer._tasks:
                break
        assert sandbox.health().pool_size == 1
        assert len(pool_containers(sandbox)) == 1
        assert (await sandbox.run([job()]))[0].tests[0].status == "passed"


async def test_a_container_lost_mid_job_is_retried_then_reported_as_infra_error() -> None:
    slow = job("import time\n", "time.sleep(1.5)")
    for retries, expected in ((1, "passed"), (0, None)):
        async with docker_pool(pool_size=1, retries=retries) as sandbox:
            task = asyncio.create_task(sandbox.run([slow]))
            await asyncio.sleep(0.5)
            client = docker.from_env()
            for info in pool_containers(sandbox):
                client.api.kill(info["Id"])
            (result,) = await task
            if expected is None:
                assert result.infra_error is not None and result.tests == []
            else:
                assert result.infra_error is None and result.tests[0].status == expected
            # the pool heals itself
            (after,) = await sandbox.run([job()])
            assert after.tests[0].status == "passed"


async def test_fresh_jobs_get_a_container_of_their_own() -> None:
    async with docker_pool(pool_size=1) as sandbox:
        program = "import os\nopen('/tmp/mark', 'w').write('1')\n"
        (result,) = await sandbox.run(
            [job(program, "assert os.path.exists('/tmp/mark')", fresh=True)]
        )
        assert result.tests[0].status == "passed"
        (member,) = sandbox._idle.peek()
        assert member.container.jobs_done == 0


async def test_start_removes_stopped_leftovers() -> None:
    require_docker()
    client = docker.from_env()
    labels = {LABEL: "1", POOL_LABEL: "old"}
    stopped = client.api.create_container(IMAGE, command=["--uid", "12345678"], labels=labels)
    client.api.start(stopped["Id"])  # no stdin attached: the runner exits at once
    client.api.wait(stopped["Id"], timeout=30)
    starting = client.api.create_container(IMAGE, labels=labels)  # another pool, starting up
    try:
        async with docker_pool(pool_size=1):
            assert client.api.containers(all=True, filters={"id": stopped["Id"]}) == []
            assert len(client.api.containers(all=True, filters={"id": starting["Id"]})) == 1
    finally:
        client.api.remove_container(starting["Id"], force=True)
        client.close()


async def test_close_removes_every_container() -> None:
    async with docker_pool(pool_size=2) as sandbox:
        assert len(pool_containers(sandbox)) == 2
    assert pool_containers(sandbox) == []


async def test_start_fails_clearly_without_docker_or_image() -> None:
    require_docker()
    unreachable = DockerSandbox(
        DockerPoolConfig(image=IMAGE, pool_size=1),
        client_factory=lambda: docker.DockerClient(base_url="unix:///nonexistent/docker.sock"),
    )
    with pytest.raises(SandboxUnavailable, match="unreachable"):
        await unreachable.start()
    missing = DockerSandbox(DockerPoolConfig(image="reward-sandbox-missing:none", pool_size=1))
    with pytest.raises(SandboxUnavailable, match="build_images"):
        await missing.start()


async def test_engine_gone_gives_infra_errors_quickly_not_a_hang() -> None:
    async with docker_pool(pool_size=1) as sandbox:

        def engine_gone() -> None:
            raise SandboxUnavailable("Docker engine unreachable (simulated)")

        sandbox._new_container = engine_gone  # type: ignore[method-assign,assignment]
        client = docker.from_env()
        for info in pool_containers(sandbox):
            client.api.remove_container(info["Id"], force=True)
        results = await asyncio.wait_for(sandbox.run([job(), job("x = 2\n")]), timeout=30)
        assert all(r.infra_error is not None and r.tests == [] for r in results)
        assert sandbox.health().ready is False
