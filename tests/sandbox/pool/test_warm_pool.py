"""The warm pool's logic without Docker: dispatch, dedup, recycling at the job limit, unclean,
lost and dead containers, an engine outage, the queue count and fresh jobs, over in-process
containers. (The same behaviour on real containers: tests/sandbox/docker_pool.)"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from reward_service.sandbox.base import Job, ProgramTest, RecycleReason, TestResult
from reward_service.sandbox.errors import ContainerLost, SandboxUnavailable
from reward_service.sandbox.pool import healing
from reward_service.sandbox.pool.lifecycle import ContainerState
from reward_service.sandbox.pool.warm_pool import WarmPool
from reward_service.sandbox.wire import RunnerReply

_ids = itertools.count()


class Box:
    """An in-process container: passes every test; can be made to hang, break or die."""

    def __init__(self) -> None:
        self.short_id = f"box{next(_ids)}"
        self.jobs_done = 0
        self.alive = True
        self.removed = False
        self.unclean = False
        self.lose_next = False
        self.hold: threading.Event | None = None  # run() waits on it when set

    def run(self, job: Job) -> RunnerReply:
        if self.hold is not None:
            self.hold.wait(10)
        if self.lose_next or not self.alive:
            self.alive = False
            raise ContainerLost(f"{self.short_id} lost")
        self.jobs_done += 1
        tests = [TestResult(status="passed") for _ in job.tests]
        return RunnerReply(id="job", tests=tests, clean=not self.unclean)

    def looks_alive(self) -> bool:
        return self.alive

    def remove(self) -> None:
        self.removed = True
        self.alive = False


class Engine:
    """The container factory; `down` makes every start fail as an unreachable engine would."""

    def __init__(self) -> None:
        self.made: list[Box] = []
        self.down = False
        self.hold: threading.Event | None = None

    def __call__(self) -> Box:
        if self.down:
            raise SandboxUnavailable("Docker engine unreachable (simulated)")
        box = Box()
        box.hold = self.hold
        self.made.append(box)
        return box

    def serving(self) -> list[Box]:
        return [box for box in self.made if not box.removed]


class Recycles:
    def __init__(self) -> None:
        self.reasons: list[RecycleReason] = []

    def job_waited(self, seconds: float) -> None:
        pass

    def job_ran(self, seconds: float) -> None:
        pass

    def job_compiled(self, language: str, seconds: float) -> None:
        pass

    def container_recycled(self, reason: RecycleReason) -> None:
        self.reasons.append(reason)


@asynccontextmanager
async def pool(
    engine: Engine, size: int = 1, jobs_per_container: int = 100, retries: int = 1
) -> AsyncIterator[tuple[WarmPool, Recycles]]:
    recycles = Recycles()
    warm = WarmPool(
        engine, size=size, jobs_per_container=jobs_per_container, retries=retries, observer=recycles
    )
    await warm.start()
    try:
        yield warm, recycles
    finally:
        await warm.aclose()


def job(k: int = 0, fresh: bool = False) -> Job:
    return Job(program=f"x = {k}", tests=(ProgramTest(code=f"assert x == {k}"),), fresh=fresh)


async def settle(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout_s)


async def test_identical_jobs_run_once_and_results_keep_order() -> None:
    engine = Engine()
    async with pool(engine) as (warm, _):
        results = await warm.run([job(1), job(2), job(1), job(1)])
    assert [r.tests[0].status for r in results] == ["passed"] * 4
    assert engine.made[0].jobs_done == 2


async def test_at_its_job_limit_a_container_serves_on_until_its_successor_is_up() -> None:
    engine = Engine()
    async with pool(engine, jobs_per_container=2) as (warm, recycles):
        for k in range(6):
            (result,) = await warm.run([job(k)])
            assert result.infra_error is None
            assert warm.health().pool_size == 1  # never a gap while a successor starts
            await settle(lambda: not warm._healer._tasks)
        assert recycles.reasons.count("job_limit") >= 2
        assert len(engine.serving()) == 1  # the retired ones are removed
        assert len(engine.made) >= 3


async def test_an_unclean_container_is_replaced() -> None:
    engine = Engine()
    async with pool(engine) as (warm, recycles):
        engine.made[0].unclean = True
        (result,) = await warm.run([job()])
        assert result.tests[0].status == "passed"  # the job's result stands
        await settle(lambda: len(engine.serving()) == 1 and engine.made[0].removed)
        assert recycles.reasons == ["unclean"]
        assert warm.health().pool_size == 1


async def test_an_unclean_release_while_a_successor_starts_keeps_the_pool_at_its_size() -> None:
    engine = Engine()
    async with pool(engine, jobs_per_container=1) as (warm, _):
        await warm.run([job(1)])  # at its limit: a successor is asked for
        first = engine.made[0]
        assert warm._roster.size == 1
        first.unclean = True
        await warm.run([job(2)])  # may still run on the first one, released unclean
        await settle(lambda: not warm._healer._tasks)
        assert warm.health().pool_size == 1
        assert len(engine.serving()) == 1


async def test_a_lost_container_is_retried_elsewhere_then_infra_error() -> None:
    engine = Engine()
    async with pool(engine) as (warm, recycles):
        engine.made[0].lose_next = True
        (result,) = await warm.run([job()])
        assert result.infra_error is None and result.tests[0].status == "passed"
        assert recycles.reasons == ["lost"]
    engine = Engine()
    async with pool(engine, retries=0) as (warm, _):
        engine.made[0].lose_next = True
        (result,) = await warm.run([job()])
        assert result.infra_error is not None and "lost" in result.infra_error
        assert result.tests == []
        assert warm.health().last_error == result.infra_error


async def test_a_container_that_died_while_idle_is_replaced_without_spending_a_retry() -> None:
    engine = Engine()
    async with pool(engine, retries=0) as (warm, recycles):
        engine.made[0].alive = False
        (result,) = await warm.run([job()])
        assert result.infra_error is None
        assert recycles.reasons == ["dead"]


async def test_the_sweep_heals_the_pool_while_nobody_uses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(healing, "SWEEP_INTERVAL_S", 0.02)
    engine = Engine()
    async with pool(engine, size=2) as (warm, recycles):
        engine.made[0].alive = False
        await settle(lambda: len(engine.made) == 3 and warm.health().pool_size == 2)
        assert recycles.reasons == ["dead"]
        assert warm.health().idle == 2


async def test_an_engine_outage_fails_jobs_fast_and_the_pool_heals_after_it() -> None:
    engine = Engine()
    async with pool(engine, size=2) as (warm, _):
        engine.down = True
        for box in engine.made:
            box.alive = False
        results = await asyncio.wait_for(warm.run([job(1), job(2)]), 10)
        assert all(r.infra_error is not None for r in results)
        health = warm.health()
        assert health.ready is False and "unreachable" in (health.reason or "")
        engine.down = False
        await settle(lambda: warm.health().pool_size == 2, timeout_s=10)
        (result,) = await warm.run([job(3)])
        assert result.infra_error is None


async def test_waiting_jobs_are_counted_and_released_even_when_cancelled() -> None:
    engine = Engine()
    engine.hold = threading.Event()
    async with pool(engine) as (warm, _):
        batch = asyncio.create_task(warm.run([job(k) for k in range(4)]))
        await settle(lambda: warm.health().busy == 1)
        assert warm.health().queued == 3
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch
        assert warm.health().queued == 0
        engine.hold.set()
        await settle(lambda: warm.health().busy == 0 and warm.health().pool_size == 1)
        (result,) = await warm.run([job(9)])
        assert result.infra_error is None


async def test_fresh_jobs_get_a_container_of_their_own() -> None:
    engine = Engine()
    async with pool(engine) as (warm, _):
        (result,) = await warm.run([job(fresh=True)])
        assert result.tests[0].status == "passed"
        pooled, fresh = engine.made
        assert pooled.jobs_done == 0 and fresh.jobs_done == 1 and fresh.removed


async def test_start_fails_when_no_container_starts_and_grows_when_some_do() -> None:
    engine = Engine()
    engine.down = True
    warm = WarmPool(engine, size=2, jobs_per_container=10)
    with pytest.raises(SandboxUnavailable):
        await warm.start()
    await warm.aclose()

    flaky = Engine()
    calls = itertools.count()
    original = flaky.__call__

    def first_start_fails() -> Box:
        if next(calls) == 0:
            raise SandboxUnavailable("first start failed")
        return original()

    async with pool(first_start_fails, size=2) as (warm, _):  # type: ignore[arg-type]
        await settle(lambda: warm.health().pool_size == 2, timeout_s=5)


async def test_after_close_jobs_are_infra_errors_and_idle_containers_are_gone() -> None:
    engine = Engine()
    async with pool(engine, size=2) as (warm, _):
        pass
    assert all(box.removed for box in engine.made)
    (result,) = await warm.run([job()])
    assert result.infra_error == "sandbox is shut down"
    assert warm.health().ready is False


async def test_members_move_only_along_the_lifecycle() -> None:
    engine = Engine()
    async with pool(engine, jobs_per_container=1) as (warm, _):
        (member,) = warm._idle.peek()
        await warm.run([job()])
        await settle(lambda: member.state is ContainerState.GONE)
        assert [m.state for m in warm._roster] == [ContainerState.SERVING]
