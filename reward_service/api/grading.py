"""Math and format batches, shared by /math, /format, /score and the OpenRLHF routes: applies
limits, picks the grader, builds results. (/code's batch is `code_grading.py`.)

The graders themselves are pure (`reward_service.rewards`); this module is where a batch meets
the server's limits and worker pools.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from reward_service.api.schemas import FormatOptions, FormatResult, MathOptions, MathResult
from reward_service.in_order import Refused, grade_in_order
from reward_service.latex_pool import LatexPool
from reward_service.rewards.format import follows_format
from reward_service.rewards.math import ExtractMode, MathGrade, MathRewardTable, grade_math
from reward_service.text import too_long

_INLINE_CHARS = 1_000_000  # below this, grading takes a few milliseconds: not worth a thread hop


class _HasCompletion(Protocol):
    @property
    def completion(self) -> str: ...


class _HasAnswer(_HasCompletion, Protocol):
    @property
    def answer(self) -> str | int | float | None: ...


_MathTask = tuple[str, str | int | float]  # (completion, gold)


async def grade_math_items(
    items: Sequence[_HasAnswer],
    options: MathOptions,
    max_completion_chars: int,
    latex_pool: LatexPool,
) -> list[MathResult]:
    """One result per item, in order; items over the size limit or without a gold are `error`."""
    checked = [_math_task(item, max_completion_chars) for item in items]
    grades = await grade_in_order(checked, lambda tasks: _grade(tasks, options.extract, latex_pool))
    table = MathRewardTable(**options.rewards.model_dump())
    return [
        MathResult.model_construct(
            reward=table.reward(g.status), status=g.status, extracted=g.extracted, error=g.error
        )
        for g in grades
    ]


def _math_task(item: _HasAnswer, max_completion_chars: int) -> _MathTask | Refused[MathGrade]:
    """The item's (completion, gold), or its `error` grade when it cannot be graded."""
    refused = too_long(item.completion, max_completion_chars)
    if refused is not None:
        return Refused(MathGrade("error", error=refused))
    if item.answer is None:
        return Refused(MathGrade("error", error="item has no `answer` for the math component"))
    return item.completion, item.answer


async def _grade(
    tasks: list[_MathTask], mode: ExtractMode, latex_pool: LatexPool
) -> list[MathGrade]:
    """`latex` in the worker processes (their time limits work there), the rest here."""
    if mode == "latex":
        return await latex_pool.grade(tasks)

    def grade_all() -> list[MathGrade]:
        return [grade_math(completion, gold, mode) for completion, gold in tasks]

    # Grading is linear in the text, but megabytes of it would still hold the event loop
    # (and /healthz) for a while: large batches run in a thread.
    if sum(len(completion) for completion, _ in tasks) > _INLINE_CHARS:
        return await asyncio.to_thread(grade_all)
    return grade_all()


def grade_format_items(
    items: Sequence[_HasCompletion], options: FormatOptions
) -> list[FormatResult]:
    ok = FormatResult(reward=options.format_rewards.ok, status="ok")
    missing = FormatResult(reward=options.format_rewards.missing, status="missing")
    # Results are immutable values; sharing two instances across the batch is safe and cheap.
    return [ok if follows_format(item.completion, options.style) else missing for item in items]
