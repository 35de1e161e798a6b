"""Sandbox metrics and the bounded sandbox queue, over HTTP against a real service."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from benchmarks.load_test import code_batch, mismatches
from reward_service.sandbox import Job, ProgramTest
from reward_service.testing import running_service
from tests.docker_support import docker_pool, require_docker
from tests.reliability.support import sample, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    require_docker()
    env = {
        "REWARD_SANDBOX_BACKEND": "docker",
        "REWARD_SANDBOX_POOL_SIZE": "1",
        "REWARD_SANDBOX_JOBS_PER_CONTAINER": "2",
        "REWARD_SANDBOX_MAX_QUEUED_JOBS": "2",
    }
    with running_service(**env) as base:
        yield base


def test_metrics_show_pool_size_run_times_and_recycles(url: str) -> None:
    assert sample(url, "reward_sandbox_ready") == 1
    assert sample(url, "reward_sandbox_containers") == 1
    assert sample(url, "reward_sandbox_containers_target") == 1
    body, expected = code_batch(seed=1, size=4)  # three programs and one item without code
    response = httpx.post(f"{url}/code", json=body, timeout=60)
    assert mismatches(response.json()["results"], expected) == []
    assert sample(url, "reward_sandbox_job_seconds_count") >= 3
    assert sample(url, "reward_sandbox_wait_seconds_count") >= 3
    # two jobs per container: the third job's container was recycled at its limit
    wait_for(lambda: sample(url, "reward_sandbox_recycles_total", reason="job_limit") >= 1, 10)
    assert sample(url, "reward_items_total", endpoint="code", status="passed") >= 2
    assert sample(url, "reward_sandbox_queued_jobs") == 0


async def test_a_full_sandbox_queue_answers_429_and_other_endpoints_serve_on(url: str) -> None:
    slow_body, slow_expected = code_batch(seed=2, size=4, sleep_s=0.6)  # 3 programs, one by one
    quick_body, quick_expected = code_batch(seed=3, size=2)
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        slow = asyncio.create_task(http.post("/code", json=slow_body))
        # one program runs, two wait: the queue is at its bound of 2
        await asyncio.to_thread(
            wait_for, lambda: sample(url, "reward_sandbox_queued_jobs") >= 2, 10
        )
        assert sample(url, "reward_sandbox_busy_containers") == 1
        rejected = await http.post("/code", json=quick_body)
        score_body = {
            "items": [{"completion": "```python\nx = 1\n```", "tests": ["assert x == 1"]}],
            "components": {"code": 1.0},
        }
        rejected_score = await http.post("/score", json=score_body)  # the same bound applies
        math = await http.post("/math", json={"items": [{"completion": "#### 2", "answer": 2}]})
        slow_response = await slow
        after = await http.post("/code", json=quick_body)
    assert rejected.status_code == 429
    assert rejected.headers["retry-after"] == "1"
    assert rejected.json()["error"] == "overloaded"
    assert "REWARD_SANDBOX_MAX_QUEUED_JOBS" in rejected.json()["detail"]
    assert rejected_score.status_code == 429
    assert math.status_code == 200
    assert mismatches(slow_response.json()["results"], slow_expected) == []
    assert mismatches(after.json()["results"], quick_expected) == []
    assert sample(url, "reward_requests_total", path="/code", code="429") == 1
    assert sample(url, "reward_sandbox_queued_jobs") == 0


async def test_cancelled_batches_leave_nothing_in_the_queue() -> None:
    """A leaked queue count would make /code answer 429 for ever."""

    def jobs(pause_s: float) -> list[Job]:
        program = f"import time\ntime.sleep({pause_s})\n"
        return [Job(program=program, tests=(ProgramTest(code=f"x = {i}"),)) for i in range(4)]

    async with docker_pool(pool_size=1) as sandbox:
        # after a tick the jobs are queued but not started; after 0.3 s one runs, three wait
        for delay_s in (0.0, 0.3):
            batch = asyncio.create_task(sandbox.run(jobs(0.5)))
            await asyncio.sleep(delay_s)
            assert sandbox.queued > 0
            batch.cancel()
            with pytest.raises(asyncio.CancelledError):
                await batch
            assert sandbox.queued == 0 and sandbox.health().busy == 0
        results = await sandbox.run(jobs(0.0))
        assert [r.tests[0].status for r in results] == ["passed"] * 4
