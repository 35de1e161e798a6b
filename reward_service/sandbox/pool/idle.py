"""The idle members of a pool, first in first out, and the jobs waiting for one.

Like `asyncio.Queue`, with two things it lacks: waiters can be told that no member will come
(`wake_all`, when the pool has died, so queued jobs fail fast instead of hanging), and members
can be taken out from the middle (`take_where`, for the sweep and for retiring one container).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from reward_service.sandbox.pool.lifecycle import Member


class IdleQueue:
    def __init__(self) -> None:
        self._members: deque[Member] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()

    def __len__(self) -> int:
        return len(self._members)

    def peek(self) -> list[Member]:
        return list(self._members)

    def put(self, member: Member) -> None:
        self._members.append(member)
        self._wake_one()

    async def get(self, give_up: Callable[[], bool]) -> Member | None:
        """The next idle member; None as soon as `give_up()` holds while none is idle."""
        while not self._members:
            if give_up():
                return None
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                woken = waiter.done() and not waiter.cancelled()
                waiter.cancel()
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                if woken:  # a member was meant for us: pass the wake-up on
                    self._wake_one()
                raise
        return self._members.popleft()

    def take_where(self, pick: Callable[[Member], bool]) -> list[Member]:
        """Takes out the idle members `pick` chooses, keeping the others in order."""
        taken: list[Member] = []
        kept: deque[Member] = deque()
        for member in self._members:  # `pick` runs once per member: it may be a syscall
            (taken if pick(member) else kept).append(member)
        self._members = kept
        return taken

    def wake_all(self) -> None:
        """Every waiter looks again (and gives up if it should)."""
        while self._waiters:
            self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
