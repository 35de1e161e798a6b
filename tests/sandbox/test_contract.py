"""One contract, every backend: the scripted one and the Docker one (skipped without Docker).

What any `SandboxBackend` promises the code reward: one result per job, in input order (even
with duplicates); statuses per test; `health()` as a typed model that is ready while it serves
and counts no queue when idle; an empty batch costs nothing; and after `aclose()` jobs come back
as `infra_error` results, never as an exception or a score.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reward_service.sandbox.base import (
    Job,
    ProgramTest,
    SandboxBackend,
    SandboxHealth,
    SandboxLimits,
    TestStatus,
)
from reward_service.sandbox.fake import ScriptedSandbox
from tests.docker_support import IMAGE, require_docker

LIMITS = SandboxLimits(timeout_s=2.0, memory_mb=128)
X_IS_1 = "x = 1\n"
# (program, test) -> the status a real sandbox gives it; the scripted backend is told the same
TABLE: dict[tuple[str, str], TestStatus] = {
    (X_IS_1, "assert x == 1"): "passed",
    (X_IS_1, "assert x == 2"): "failed",
    (X_IS_1, "raise ValueError('no')"): "runtime_error",
    ("y = 2\n", "assert y == 2"): "passed",
}


def job(program: str, *tests: str) -> Job:
    return Job(program=program, tests=tuple(ProgramTest(code=t) for t in tests), limits=LIMITS)


def scripted() -> ScriptedSandbox:
    return ScriptedSandbox(lambda job, test: TABLE[job.program, test.code or ""])


@pytest.fixture(params=["scripted", "docker"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[SandboxBackend]:
    if request.param == "scripted":
        sandbox: SandboxBackend = scripted()
    else:
        require_docker()
        from reward_service.sandbox.docker_pool import DockerPoolConfig, DockerSandbox

        docker = DockerSandbox(DockerPoolConfig(image=IMAGE, pool_size=1))
        await docker.start()
        sandbox = docker
    try:
        yield sandbox
    finally:
        await sandbox.aclose()


async def test_one_result_per_job_in_order_with_statuses_per_test(backend: SandboxBackend) -> None:
    batch = [
        job(X_IS_1, "assert x == 1", "assert x == 2", "raise ValueError('no')"),
        job("y = 2\n", "assert y == 2"),
        job(X_IS_1, "assert x == 1", "assert x == 2", "raise ValueError('no')"),  # a duplicate
    ]
    results = await backend.run(batch)
    assert [[t.status for t in r.tests] for r in results] == [
        ["passed", "failed", "runtime_error"],
        ["passed"],
        ["passed", "failed", "runtime_error"],
    ]
    assert all(r.infra_error is None and r.load_failure is None for r in results)


async def test_health_is_typed_ready_and_idle(backend: SandboxBackend) -> None:
    health = backend.health()
    assert isinstance(health, SandboxHealth)
    assert health.ready is True and health.reason is None
    assert health.queued == 0 and health.busy == 0
    assert health.public()["ready"] is True


async def test_an_empty_batch_is_an_empty_answer(backend: SandboxBackend) -> None:
    assert await backend.run([]) == []


async def test_after_close_jobs_are_infra_errors_not_exceptions(backend: SandboxBackend) -> None:
    await backend.aclose()
    (result,) = await backend.run([job("y = 2\n", "assert y == 2")])
    assert result.infra_error is not None and result.tests == []
    assert backend.health().ready is False
