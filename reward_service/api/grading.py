"""Batch grading shared by /math, /format and /score: applies limits, picks the grader, builds
results.

The graders themselves are pure (`reward_service.rewards`); this module is where a batch meets
the server's limits and worker pools.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from reward_service.api.schemas import FormatOptions, FormatResult, MathOptions, MathResult
from reward_service.latex_pool import LatexPool
from reward_service.rewards.format import follows_format
from reward_service.rewards.math import MathGrade, MathRewardTable, grade_math
from reward_service.text import too_long

_INLINE_CHARS = 1_000_000  # below this, grading takes a few milliseconds: not worth a thread hop


class _HasCompletion(Protocol):
    @property
    def completion(self) -> str: ...


class _HasAnswer(_HasCompletion, Protocol):
    @property
    def answer(self) -> str | int | float | None: ...


async def grade_math_items(
    items: Sequence[_HasAnswer],
    options: MathOptions,
    max_completion_chars: int,
    latex_pool: LatexPool,
) -> list[MathResult]:
    grades: list[MathGrade | None] = []
    pending: list[tuple[int, str, str | int | float]] = []  # (index, completion, gold)
    for i, item in enumerate(items):
        refused = too_long(item.completion, max_completion_chars)
        rejected = None if refused is None else MathGrade("error", error=refused)
        if rejected is None and item.answer is None:
            rejected = MathGrade("error", error="item has no `answer` for the math component")
        grades.append(rejected)
        if rejected is None and item.answer is not None:
            pending.append((i, item.completion, item.answer))
    if options.extract == "latex":
        graded = await latex_pool.grade([(completion, gold) for _, completion, gold in pending])
        for (i, _, _), grade in zip(pending, graded, strict=True):
            grades[i] = grade
    else:
        mode = options.extract

        def grade_pending() -> None:
            for i, completion, gold in pending:
                grades[i] = grade_math(completion, gold, mode)

        # Grading is linear in the text, but megabytes of it would still hold the event loop
        # (and /healthz) for a while: large batches run in a thread.
        if sum(len(completion) for _, completion, _ in pending) > _INLINE_CHARS:
            await asyncio.to_thread(grade_pending)
        else:
            grade_pending()
    table = MathRewardTable(**options.rewards.model_dump())
    return [
        MathResult.model_construct(
            reward=table.reward(g.status), status=g.status, extracted=g.extracted, error=g.error
        )
        for g in grades
        if g is not None
    ]


def grade_format_items(
    items: Sequence[_HasCompletion], options: FormatOptions
) -> list[FormatResult]:
    ok = FormatResult(reward=options.format_rewards.ok, status="ok")
    missing = FormatResult(reward=options.format_rewards.missing, status="missing")
    # Results are immutable values; sharing two instances across the batch is safe and cheap.
    return [ok if follows_format(item.completion, options.style) else missing for item in items]
