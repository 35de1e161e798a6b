"""Grade where valid, keep order: how a batch with some refused items is graded.

Every scoring path refuses some items before grading (a completion over the size limit, no
code block, a label that is not a /code item, a dataset row without tests) and grades the
rest in one call, then hands back one result per item in the items' order. That is written
once, here: a refused item carries its result already (`Refused`), everything else goes to
`grade` together. Standard library only, so the trainer uses it too.

>>> import asyncio
>>> async def shout(words): return [w.upper() for w in words]
>>> asyncio.run(grade_in_order(["a", Refused("-"), "b"], shout))
['A', '-', 'B']
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")  # an item to grade
R = TypeVar("R")  # its result
R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True)
class Refused(Generic[R_co]):
    """An item that is not graded: its result is known already (why it was refused)."""

    result: R_co


async def grade_in_order(
    checked: Sequence[T | Refused[R]], grade: Callable[[list[T]], Awaitable[Sequence[R]]]
) -> list[R]:
    """The refused items' own results and `grade`'s for the rest, in the items' order.

    `grade` is called once, with every item that was not refused (possibly none), and must
    return one result per item it was given, in order."""
    valid = [item for item in checked if not isinstance(item, Refused)]
    graded = await grade(valid)
    if len(graded) != len(valid):
        raise ValueError(f"{len(graded)} results for {len(valid)} graded items")
    results = iter(graded)
    return [item.result if isinstance(item, Refused) else next(results) for item in checked]
