"""A pool member's lifecycle: one enum of states and the only transitions allowed between them.

    SERVING ──at its job limit──▶ AWAITING_SUCCESSOR ──successor up──▶ RETIRING ──removed──▶ GONE
       ▲                                 │
       └───the successor did not start───┘
    SERVING, AWAITING_SUCCESSOR ──lost, unclean, dead or cancelled: replaced──▶ GONE

A member counts towards the pool's size while SERVING or AWAITING_SUCCESSOR (it takes jobs in
both: a container at its job limit serves on until its successor is up, so recycling never
leaves a CPU idle for a container start). A RETIRING member finishes the job it holds and takes
no other. GONE is final: a member that was replaced can never be counted or replaced again.
Whether a member is idle or busy is not a state but a place: in the idle queue, or held by a job.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Protocol

from reward_service.sandbox.base import Job
from reward_service.sandbox.wire import RunnerReply


class Container(Protocol):
    """One warm sandbox. Blocking methods: the pool calls them from worker threads."""

    short_id: str
    jobs_done: int

    def run(self, job: Job) -> RunnerReply:
        """Runs one job; ContainerLost when the runner fails to answer properly."""
        ...

    def looks_alive(self) -> bool:
        """For an idle container, a cheap liveness check (no blocking call)."""
        ...

    def remove(self) -> None:
        """Kills and deletes it; best effort, never raises."""
        ...


class ContainerState(enum.Enum):
    SERVING = "serving"
    AWAITING_SUCCESSOR = "awaiting_successor"
    RETIRING = "retiring"
    GONE = "gone"

    @property
    def counted(self) -> bool:
        return self in (ContainerState.SERVING, ContainerState.AWAITING_SUCCESSOR)


TRANSITIONS: dict[ContainerState, frozenset[ContainerState]] = {
    ContainerState.SERVING: frozenset({ContainerState.AWAITING_SUCCESSOR, ContainerState.GONE}),
    ContainerState.AWAITING_SUCCESSOR: frozenset(
        {ContainerState.SERVING, ContainerState.RETIRING, ContainerState.GONE}
    ),
    ContainerState.RETIRING: frozenset({ContainerState.GONE}),
    ContainerState.GONE: frozenset(),
}


class InvalidTransition(RuntimeError):
    """A bug in the pool: a member was moved along an edge the diagram above does not have."""


class Member:
    """A container and where it stands in the pool."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.state = ContainerState.SERVING

    def __repr__(self) -> str:
        return f"Member({self.container.short_id}, {self.state.value})"


class Roster:
    """Who is in the pool, and the one place members change state.

    >>> class Box:
    ...     short_id, jobs_done = "c1", 0
    >>> roster = Roster()
    >>> member = roster.join(Box())
    >>> roster.move(member, ContainerState.AWAITING_SUCCESSOR); roster.size
    1
    >>> roster.move(member, ContainerState.RETIRING); roster.size
    0
    >>> roster.move(member, ContainerState.SERVING)
    Traceback (most recent call last):
    ...
    reward_service.sandbox.pool.lifecycle.InvalidTransition: c1: retiring -> serving
    """

    def __init__(self) -> None:
        self._members: set[Member] = set()

    def join(self, container: Container) -> Member:
        member = Member(container)
        self._members.add(member)
        return member

    def move(self, member: Member, state: ContainerState) -> None:
        if state not in TRANSITIONS[member.state]:
            name = member.container.short_id
            raise InvalidTransition(f"{name}: {member.state.value} -> {state.value}")
        member.state = state
        if state is ContainerState.GONE:
            self._members.discard(member)

    @property
    def size(self) -> int:
        """Members that count towards the pool's size."""
        return sum(member.state.counted for member in self._members)

    def __iter__(self) -> Iterator[Member]:
        return iter(list(self._members))
