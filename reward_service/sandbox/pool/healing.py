"""Keeps a pool at its size, in the background, apart from job dispatch.

Three jobs: replace a member that broke (lost, unclean, cancelled mid-job, found dead), start a
successor for a member at its job limit (the old one serves until the new one is up), and sweep
idle members that died while nobody used them (killed, or the engine went away), so the pool
and /healthz heal without waiting for the next job. While new containers cannot be started
(the engine is gone), it retries with a backoff capped at `MAX_RESTART_DELAY_S`, and once the
pool has no member left, waiting jobs are woken to fail fast as `infra_error`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from reward_service.sandbox.base import RecycleReason, SandboxObserver
from reward_service.sandbox.errors import SandboxError
from reward_service.sandbox.pool.idle import IdleQueue
from reward_service.sandbox.pool.lifecycle import Container, ContainerState, Member, Roster

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 1.0  # how often idle containers are checked for life
MAX_RESTART_DELAY_S = 2.0  # a returning engine is noticed this fast (heal time, docs/RELIABILITY)
FIRST_RESTART_DELAY_S = 0.5

StartContainer = Callable[[], Coroutine[Any, Any, Container]]
RemoveContainer = Callable[[Container], Coroutine[Any, Any, None]]


class Healer:
    def __init__(
        self,
        roster: Roster,
        idle: IdleQueue,
        start: StartContainer,
        remove: RemoveContainer,
        observer: SandboxObserver,
    ) -> None:
        self._roster = roster
        self._idle = idle
        self._start = start
        self._remove = remove
        self._observer = observer
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.closed = False
        self.start_error: str | None = None  # set while no new container can be started
        self.last_error: str | None = None  # the latest sandbox failure anyone saw (/healthz)

    def pool_dead(self) -> bool:
        """No member left, and none coming soon: jobs should fail now rather than wait."""
        repairing = bool(self._tasks) and self.start_error is None
        return self._roster.size == 0 and not repairing

    def note_failure(self, message: str) -> None:
        self.last_error = message

    # --- start and stop --------------------------------------------------------------------

    async def fill(self, count: int) -> None:
        """Starts `count` members at once; raises the first error if none started. Those that
        failed are retried in the background, so the pool grows to its size by itself."""
        started = await asyncio.gather(
            *(self._start() for _ in range(count)), return_exceptions=True
        )
        errors = [outcome for outcome in started if isinstance(outcome, BaseException)]
        for outcome in started:
            if not isinstance(outcome, BaseException):
                self._join(outcome)
        if errors and self._roster.size == 0:
            raise errors[0]
        for error in errors:
            logger.warning("sandbox container failed to start: %s", error)
            self._spawn(self._replacement(None))
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    def close(self) -> None:
        self.closed = True
        for task in [*self._tasks, self._sweeper]:
            if task is not None:
                task.cancel()
        self._idle.wake_all()

    # --- members leaving -------------------------------------------------------------------

    def replace(self, member: Member, reason: RecycleReason) -> None:
        """Takes a broken member out and starts a new one in the background."""
        self._observer.container_recycled(reason)
        if member.state is ContainerState.RETIRING:  # no longer counted: its successor serves
            self.retire(member)
            return
        self._roster.move(member, ContainerState.GONE)
        self._spawn(self._replacement(member))

    def retire(self, member: Member) -> None:
        """Removes a member whose successor already serves."""
        self._roster.move(member, ContainerState.GONE)
        self._spawn(self._remove(member.container))

    def start_successor(self, member: Member) -> None:
        """`member` reached its job limit: it serves on while a successor starts."""
        self._roster.move(member, ContainerState.AWAITING_SUCCESSOR)
        self._spawn(self._successor(member))

    # --- background work -------------------------------------------------------------------

    def _join(self, container: Container) -> None:
        self._idle.put(self._roster.join(container))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _successor(self, old: Member) -> None:
        try:
            container = await self._start()
        except SandboxError as exc:
            if old.state is ContainerState.AWAITING_SUCCESSOR:  # asked again at its next release
                self._roster.move(old, ContainerState.SERVING)
            logger.warning("cannot start a successor container: %s", exc)
            return
        if self.closed or old.state is not ContainerState.AWAITING_SUCCESSOR:
            await self._remove(container)  # the old one was lost meanwhile and already replaced
            return
        self._roster.move(old, ContainerState.RETIRING)  # busy: it leaves at its release
        self._observer.container_recycled("job_limit")
        self._join(container)
        if self._idle.take_where(lambda member: member is old):  # idle: it leaves now
            self.retire(old)

    async def _replacement(self, old: Member | None) -> None:
        if old is not None:
            await self._remove(old.container)
        delay_s = FIRST_RESTART_DELAY_S
        while not self.closed:
            try:
                container = await self._start()
            except SandboxError as exc:
                self.start_error = self.last_error = str(exc)
                if self.pool_dead():
                    self._idle.wake_all()  # the waiting jobs fail fast
                logger.error("cannot start a sandbox container (retry in %.1fs): %s", delay_s, exc)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, MAX_RESTART_DELAY_S)
                continue
            self.start_error = None
            if self.closed:
                await self._remove(container)
            else:
                self._join(container)
            if old is not None and delay_s > FIRST_RESTART_DELAY_S:
                await self._remove(old.container)  # the engine was away: the first removal failed
            return

    async def _sweep_forever(self) -> None:
        while not self.closed:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            for member in self._idle.take_where(_died_while_idle):
                self.replace(member, "dead")


def _died_while_idle(member: Member) -> bool:
    return member.state is not ContainerState.RETIRING and not member.container.looks_alive()
