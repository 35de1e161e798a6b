"""A `SandboxBackend` over any warm containers: job dispatch (healing lives in `healing.py`).

Life of a job: identical jobs in a batch are merged (GRPO groups repeat themselves); each unique
job waits for an idle member, runs there (blocking I/O in a worker thread), and the member goes
back to the idle queue, or out of the pool when it reported that it could not prove itself clean
or failed in any way (see `lifecycle.py` for the states). A job whose container was lost is
retried on a fresh one `retries` times; after that it is an `infra_error`, never a score.
`fresh` jobs get a container of their own that is removed afterwards.

The containers come from a factory, so this module knows nothing of Docker: `DockerSandbox`
plugs in Docker containers, and the unit tests plug in in-process ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from reward_service.sandbox.base import (
    Job,
    JobResult,
    NullObserver,
    SandboxHealth,
    SandboxObserver,
)
from reward_service.sandbox.errors import ContainerLost, SandboxError, SandboxUnavailable
from reward_service.sandbox.pool.healing import Healer
from reward_service.sandbox.pool.idle import IdleQueue
from reward_service.sandbox.pool.lifecycle import Container, ContainerState, Member, Roster
from reward_service.sandbox.wire import RunnerReply

logger = logging.getLogger(__name__)

T = TypeVar("T")
ContainerFactory = Callable[[], Container]  # blocking; raises SandboxError


class WarmPool:
    """`size` warm containers from `new_container`; `await start()`, then `run()`."""

    def __init__(
        self,
        new_container: ContainerFactory,
        *,
        size: int,
        jobs_per_container: int,
        retries: int = 1,
        observer: SandboxObserver | None = None,
    ) -> None:
        self.size = size
        self.jobs_per_container = jobs_per_container
        self.retries = retries
        self._new_container = new_container
        self._observer: SandboxObserver = observer or NullObserver()
        # a thread per container plus room for creating replacements
        self._executor = ThreadPoolExecutor(size * 2 + 2, thread_name_prefix="sandbox")
        self._roster = Roster()
        self._idle = IdleQueue()
        self._healer = Healer(
            self._roster, self._idle, self._start_container, self._remove, self._observer
        )
        # unique jobs accepted and not finished / holding a container: the queue is the difference
        self._pending = 0
        self._running = 0
        self._fresh_slots = asyncio.Semaphore(size)

    async def start(self) -> None:
        """Fills the pool; raises the first SandboxError if no container started."""
        await self._healer.fill(self.size)

    async def aclose(self) -> None:
        """Idempotent: a second call finds nothing left to do."""
        if self._healer.closed:
            return
        self._healer.close()
        idle = self._idle.take_where(lambda member: True)
        await asyncio.gather(*(self._remove(m.container) for m in idle), return_exceptions=True)
        await self._closing()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _closing(self) -> None:
        """For subclasses: last clean-up at close, while the worker threads still run."""

    def health(self) -> SandboxHealth:
        ready = self._roster.size > 0 and not self._healer.closed
        reason = None
        if self._healer.closed:
            reason = "the sandbox is shut down"
        elif not ready:
            reason = self._healer.start_error or "no sandbox container is up"
        return SandboxHealth(
            ready=ready,
            reason=reason,
            pool_size=self._roster.size,
            pool_target=self.size,
            idle=len(self._idle),
            busy=self._running,
            queued=self.queued,
            last_error=self._healer.last_error,
        )

    @property
    def queued(self) -> int:
        """Unique jobs waiting for a container."""
        return self._pending - self._running

    # --- running jobs ----------------------------------------------------------------------

    async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        keys = [job.key() for job in jobs]
        unique: dict[str, Job] = {}
        for key, job in zip(keys, jobs, strict=True):
            # one fresh request in a group is enough to make the whole group paranoid
            if key not in unique or job.fresh:
                unique[key] = job
        self._pending += len(unique)  # counted at once, so a caller's queue check sees them
        tasks = [asyncio.ensure_future(self._run_one(job)) for job in unique.values()]
        for task in tasks:
            # a callback, not a `finally`: it runs even for a task cancelled before it started
            task.add_done_callback(self._job_left)
        done = await asyncio.gather(*tasks)
        by_key = dict(zip(unique, done, strict=True))
        return [by_key[key] for key in keys]

    def _job_left(self, _: asyncio.Future[JobResult]) -> None:
        self._pending -= 1

    async def _run_one(self, job: Job) -> JobResult:
        if self._healer.closed:
            return JobResult.infra("sandbox is shut down")
        last = "no attempt"
        for _attempt in range(self.retries + 1):
            try:
                reply = await (self._run_fresh(job) if job.fresh else self._run_pooled(job))
                return reply.result()
            except ContainerLost as exc:
                last = str(exc)
                logger.warning("sandbox container lost, job retried: %s", exc)
            except SandboxError as exc:
                last = str(exc)
                break
        self._healer.note_failure(last)
        return JobResult.infra(last)

    async def _run_pooled(self, job: Job) -> RunnerReply:
        asked = time.monotonic()
        member = await self._acquire()
        started = time.monotonic()
        self._observer.job_waited(started - asked)
        self._running += 1
        try:
            reply = await self._call(member.container.run, job)
        except asyncio.CancelledError:
            self._healer.replace(member, "cancelled")  # the runner may be mid-job
            raise
        except BaseException:
            self._healer.replace(member, "lost")
            raise
        finally:
            self._running -= 1
        self._observed(job, reply, time.monotonic() - started)
        self._release(member, reply.clean)
        return reply

    def _observed(self, job: Job, reply: RunnerReply, seconds: float) -> None:
        self._observer.job_ran(seconds)
        if reply.compile_ms is not None:
            self._observer.job_compiled(job.language, reply.compile_ms / 1000)

    def _release(self, member: Member, clean: bool) -> None:
        """Back to the idle queue, or out of the pool."""
        if not clean:
            self._healer.replace(member, "unclean")
        elif member.state is ContainerState.RETIRING:
            self._healer.retire(member)
        else:
            at_limit = member.container.jobs_done >= self.jobs_per_container
            if at_limit and member.state is ContainerState.SERVING:
                self._healer.start_successor(member)
            self._idle.put(member)

    async def _run_fresh(self, job: Job) -> RunnerReply:
        asked = time.monotonic()
        async with self._fresh_slots:
            self._observer.job_waited(time.monotonic() - asked)
            self._running += 1
            try:
                container = await self._start_container()
                started = time.monotonic()
                try:
                    reply = await self._call(container.run, job)
                finally:
                    await self._remove(container)
            finally:
                self._running -= 1
        self._observed(job, reply, time.monotonic() - started)
        return reply

    async def _acquire(self) -> Member:
        """Waits for an idle member; gives up only when the pool has none left at all."""
        while True:
            member = await self._idle.get(give_up=self._healer.pool_dead)
            if member is None:
                why = self._healer.start_error or "no sandbox containers are running"
                raise SandboxUnavailable(why)
            if member.state is ContainerState.RETIRING:
                self._healer.retire(member)
            elif not member.container.looks_alive():
                self._healer.replace(member, "dead")  # killed while idle: don't spend a retry
            else:
                return member

    # --- threads ---------------------------------------------------------------------------

    async def _start_container(self) -> Container:
        container: Container = await self._call(self._new_container)
        return container

    async def _remove(self, container: Container) -> None:
        await self._call(container.remove)

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)
