"""The Docker backend: a warm pool of locked-down containers, each running one job at a time.

Life of a job: identical jobs in a batch are merged (GRPO groups repeat themselves); each
unique job waits for an idle container, runs there (blocking I/O in a worker thread), and the
container goes back to the pool, or is replaced when it reached `jobs_per_container`, reported
that it could not prove itself clean, or failed in any way. A job whose container was lost is
retried once on a fresh one; a second loss is an `infra_error`, never a score. `fresh` jobs get
a container of their own that is removed afterwards.

Healing: an idle container is checked before each job and once a second (a killed one shows as
end-of-file on its stream) and replaced in the background; while the engine is gone, new
containers are tried with a backoff capped at `MAX_RESTART_DELAY_S`, and waiting jobs fail fast
as `infra_error`. `health()` counts the queue (`queued`) for the service's backpressure and
metrics; an optional `SandboxObserver` hears about waits, run times and recycled containers.

Deliberately left out: scheduling across several Docker hosts, and gVisor (a runtime option
for the future; see docs/notes).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import docker

from reward_service.sandbox.base import (
    Job,
    JobResult,
    NullObserver,
    ProgramTestResult,
    SandboxObserver,
)
from reward_service.sandbox.container import LABEL, POOL_LABEL, ContainerSpec, SandboxContainer
from reward_service.sandbox.errors import (
    ContainerLost,
    SandboxError,
    SandboxUnavailable,
    docker_errors,
)

logger = logging.getLogger(__name__)

ClientFactory = Callable[[], docker.DockerClient]
CREATED_GRACE_S = 300.0  # a created, never started container younger than this may be starting
SWEEP_INTERVAL_S = 1.0  # how often idle containers are checked for life
MAX_RESTART_DELAY_S = 2.0  # a returning engine is noticed this fast (heal time, docs/RELIABILITY)


@dataclass(frozen=True)
class DockerPoolConfig:
    image: str = "reward-sandbox-python:latest"
    pool_size: int = 0  # 0: one container per CPU
    jobs_per_container: int = 256
    container_memory_mb: int = 1024 + 64 + 128  # largest job + tmpfs + runner
    tmpfs_mb: int = 64
    cpus_per_container: float = 1.0
    pids_per_container: int = 256
    retries: int = 1

    @property
    def size(self) -> int:
        return self.pool_size or os.cpu_count() or 1


class DockerSandbox:
    """`SandboxBackend` on the local Docker engine. Build it, `await start()`, then `run()`."""

    def __init__(
        self,
        config: DockerPoolConfig,
        client_factory: ClientFactory | None = None,
        observer: SandboxObserver | None = None,
    ):
        self.config = config
        self._observer: SandboxObserver = observer or NullObserver()
        self._client_factory = client_factory or docker.from_env
        self._client: docker.DockerClient | None = None
        self._spec = ContainerSpec(
            image=config.image,
            memory_mb=config.container_memory_mb,
            tmpfs_mb=config.tmpfs_mb,
            cpus=config.cpus_per_container,
            pids_limit=config.pids_per_container,
            pool_id=secrets.token_hex(6),
        )
        # a thread per container plus room for creating replacements
        self._executor = ThreadPoolExecutor(config.size * 2 + 2, thread_name_prefix="sandbox")
        # None in the queue is a wake-up: "the pool may be dead, look again" (see _acquire)
        self._idle: asyncio.Queue[SandboxContainer | None] = asyncio.Queue()
        self._live = 0
        # unique jobs accepted and not finished / holding a container: the queue is the difference
        self._pending = 0
        self._running = 0
        self._fresh_slots = asyncio.Semaphore(config.size)
        self._background: set[asyncio.Task[None]] = set()
        self._last_error: str | None = None
        self._start_error: str | None = None  # set while replacements can't be started
        self._closed = False
        self._sweeper: asyncio.Task[None] | None = None

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Connects, removes leftovers, fills the pool; SandboxUnavailable without Docker."""
        self._client = await self._call(self._connect)
        await self._call(self._remove_leftovers)
        results = await asyncio.gather(
            *(self._call(self._new_container) for _ in range(self.config.size)),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, SandboxContainer):
                self._add(result)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors and self._live == 0:
            await self.aclose()
            raise errors[0]
        for error in errors:
            logger.warning("sandbox container failed to start: %s", error)
            self._spawn(self._replacement(None))  # the pool grows to its size in the background
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        logger.info(
            "sandbox pool ready: %d containers of %s (pool %s)",
            self._live,
            self.config.image,
            self._spec.pool_id,
        )

    async def aclose(self) -> None:
        self._closed = True
        for task in [*self._background, self._sweeper]:
            if task is not None:
                task.cancel()
        containers = []
        while not self._idle.empty():
            box = self._idle.get_nowait()
            if box is not None:
                containers.append(box)
        await asyncio.gather(*(self._call(c.remove) for c in containers), return_exceptions=True)
        if self._client is not None:
            # containers still busy belong to cancelled requests: sweep by label
            await self._call(self._remove_leftovers, True)
            self._client.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def health(self) -> dict[str, Any]:
        return {
            "ready": self._live > 0 and not self._closed,
            "backend": "docker",
            "image": self.config.image,
            "pool_id": self._spec.pool_id,  # the value of the containers' pool label
            "pool_size": self._live,
            "pool_target": self.config.size,
            "idle": self._idle.qsize(),  # may count one wake-up marker
            "busy": self._running,
            "queued": self.queued,  # jobs waiting for a container
            "last_error": self._last_error,
        }

    @property
    def queued(self) -> int:
        return self._pending - self._running

    # --- running jobs -----------------------------------------------------------------------

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
        if self._closed:
            return JobResult.infra("sandbox is shut down")
        last = "no attempt"
        for _attempt in range(self.config.retries + 1):
            try:
                if job.fresh:
                    return await self._run_fresh(job)
                return await self._run_pooled(job)
            except ContainerLost as exc:
                last = str(exc)
                logger.warning("sandbox container lost, job retried: %s", exc)
            except SandboxError as exc:
                last = str(exc)
                break
        self._last_error = last
        return JobResult.infra(last)

    async def _run_pooled(self, job: Job) -> JobResult:
        asked = time.monotonic()
        box = await self._acquire()
        started = time.monotonic()
        self._observer.job_waited(started - asked)
        self._running += 1
        try:
            reply = await self._call(box.run, job.wire(secrets.token_hex(8)), job.backstop_s())
            result = parse_reply(reply)
        except asyncio.CancelledError:
            self._replace(box, "cancelled")  # the runner may be mid-job
            raise
        except BaseException:
            self._replace(box, "lost")
            raise
        finally:
            self._running -= 1
        self._observer.job_ran(time.monotonic() - started)
        self._release(box, clean=bool(reply.get("clean", False)))
        return result

    def _release(self, box: SandboxContainer, clean: bool) -> None:
        """Back to the pool, or out of it. A container at its job limit keeps serving until
        its successor is up, so recycling never leaves a CPU idle for a container start."""
        if not clean:
            self._replace(box, "unclean")
        elif box.jobs_done < self.config.jobs_per_container:
            self._idle.put_nowait(box)
        elif box.retire:
            self._retire(box)
        else:
            if not box.successor_requested:
                box.successor_requested = True
                self._spawn(self._successor(box))
            self._idle.put_nowait(box)

    async def _run_fresh(self, job: Job) -> JobResult:
        asked = time.monotonic()
        async with self._fresh_slots:
            self._observer.job_waited(time.monotonic() - asked)
            self._running += 1
            try:
                box = await self._call(self._new_container)
                started = time.monotonic()
                try:
                    wire = job.wire(secrets.token_hex(8))
                    reply = await self._call(box.run, wire, job.backstop_s())
                finally:
                    await self._call(box.remove)
            finally:
                self._running -= 1
        self._observer.job_ran(time.monotonic() - started)
        return parse_reply(reply)

    async def _acquire(self) -> SandboxContainer:
        """Waits for an idle container; gives up only when the pool has none left at all."""
        while True:
            if self._dead():
                self._idle.put_nowait(None)  # pass the news on to the next waiter
                raise SandboxUnavailable(self._start_error or "no sandbox containers are running")
            box = await self._idle.get()
            if box is not None and box.retire:
                self._retire(box)
            elif box is not None and not box.looks_alive():
                self._replace(box, "dead")  # killed while idle: don't spend a retry on it
            elif box is not None:
                return box

    def _dead(self) -> bool:
        return self._live == 0 and (self._start_error is not None or not self._background)

    # --- pool maintenance -------------------------------------------------------------------

    def _add(self, box: SandboxContainer) -> None:
        self._live += 1
        self._idle.put_nowait(box)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _replace(self, box: SandboxContainer, reason: str) -> None:
        """Swaps a broken container for a new one, in the background."""
        self._observer.container_recycled(reason)
        if box.retire:  # no longer counted; its successor already serves
            self._spawn(self._call(box.remove))
            return
        box.replaced = True
        self._live -= 1
        self._spawn(self._replacement(box))

    def _retire(self, box: SandboxContainer) -> None:
        """Removes a container whose successor already serves (it was uncounted then)."""
        self._spawn(self._call(box.remove))

    async def _successor(self, old: SandboxContainer) -> None:
        try:
            box = await self._call(self._new_container)
        except SandboxError as exc:
            old.successor_requested = False  # the old one serves on; asked again next release
            logger.warning("cannot start a successor container: %s", exc)
            return
        if self._closed or old.replaced:  # the old one was lost meanwhile and already replaced
            await self._call(box.remove)
            return
        old.retire = True  # busy: it leaves at its release; idle: right now
        self._observer.container_recycled("job_limit")
        self._live -= 1
        self._add(box)
        if self._take_idle(lambda box: box is old):
            self._retire(old)

    def _take_idle(self, pick: Callable[[SandboxContainer], bool]) -> list[SandboxContainer]:
        """Takes the idle containers `pick` chooses out of the queue, keeping the others in
        order (synchronous: no waiter interleaves)."""
        taken: list[SandboxContainer] = []
        kept: list[SandboxContainer | None] = []
        while not self._idle.empty():
            item = self._idle.get_nowait()
            if item is not None and pick(item):
                taken.append(item)
            else:
                kept.append(item)
        for item in kept:
            self._idle.put_nowait(item)
        return taken

    async def _sweep(self) -> None:
        """Replaces idle containers that died (killed, or the engine went away) while nobody
        used them, so the pool and /healthz heal without waiting for the next job."""
        while not self._closed:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            for box in self._take_idle(lambda box: not box.retire and not box.looks_alive()):
                self._replace(box, "dead")

    async def _replacement(self, old: SandboxContainer | None) -> None:
        if old is not None:
            await self._call(old.remove)
        delay_s = 0.5
        while not self._closed:
            try:
                box = await self._call(self._new_container)
            except SandboxError as exc:
                self._start_error = self._last_error = str(exc)
                if self._dead():
                    self._idle.put_nowait(None)  # wake the waiters: they fail fast
                logger.error("cannot start a sandbox container (retry in %.1fs): %s", delay_s, exc)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, MAX_RESTART_DELAY_S)
                continue
            self._start_error = None
            if self._closed:
                await self._call(box.remove)
            else:
                self._add(box)
            if old is not None and delay_s > 0.5:  # the engine was away: the first removal failed
                await self._call(old.remove)
            return

    def _connect(self) -> docker.DockerClient:
        with docker_errors("connect to Docker"):
            client = self._client_factory()
            client.ping()
            client.images.get(self.config.image)
        return client

    def _new_container(self) -> SandboxContainer:
        assert self._client is not None, "start() first"
        return SandboxContainer(self._client, self._spec)

    def _remove_leftovers(self, own_only: bool = False) -> None:
        """Removes what earlier pools left behind, or (own_only) every container of ours.

        Running containers belong to live pools (a runner exits once its service's stream
        closes); freshly created ones may be another pool starting up right now.
        """
        assert self._client is not None
        label = f"{LABEL}=1" if not own_only else f"{POOL_LABEL}={self._spec.pool_id}"
        with docker_errors("list leftover sandbox containers"):
            found = self._client.api.containers(all=True, filters={"label": label})
        stale = [info for info in found if own_only or is_leftover(info)]
        for info in stale:
            try:
                with docker_errors("remove leftover sandbox container"):
                    self._client.api.remove_container(info["Id"], force=True, v=True)
            except SandboxError as exc:
                logger.warning("leftover %s not removed: %s", info["Id"][:12], exc)
        if stale and not own_only:
            logger.info("sandbox: removed %d leftover container(s)", len(stale))

    async def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)


def is_leftover(info: dict[str, Any]) -> bool:
    state = info.get("State")
    if state == "created":
        return time.time() - float(info.get("Created", 0)) > CREATED_GRACE_S
    return state in ("exited", "dead")


def parse_reply(reply: dict[str, Any]) -> JobResult:
    """The runner's reply frame as a JobResult; a runner-side crash is a lost container."""
    if "error" in reply:
        raise ContainerLost(f"runner failed: {str(reply['error'])[-300:]}")
    try:
        tests = [ProgramTestResult.model_validate(t) for t in reply["tests"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ContainerLost(f"runner sent an unexpected reply: {exc}") from exc
    return JobResult(tests=tests, elapsed_ms=float(reply.get("elapsed_ms", 0.0)))
