"""`grade_in_order`: refused items keep their results, the rest are graded in one call, and
every result lands in its item's place."""

from __future__ import annotations

import pytest

from reward_service.in_order import Refused, grade_in_order


async def test_only_valid_items_are_graded_once_and_order_is_kept() -> None:
    calls: list[list[int]] = []

    async def double(items: list[int]) -> list[int]:
        calls.append(items)
        return [2 * item for item in items]

    checked: list[int | Refused[int]] = [Refused(-1), 1, Refused(-2), 3, 4]
    assert await grade_in_order(checked, double) == [-1, 2, -2, 6, 8]
    assert calls == [[1, 3, 4]]


async def test_all_refused_still_calls_grade_with_nothing() -> None:
    calls: list[list[str]] = []

    async def grade(items: list[str]) -> list[str]:
        calls.append(items)
        return []

    assert await grade_in_order([Refused("a"), Refused(None)], grade) == ["a", None]
    assert calls == [[]]


async def test_a_grader_that_loses_a_result_is_an_error_not_a_shift() -> None:
    async def lossy(items: list[int]) -> list[int]:
        return items[1:]

    with pytest.raises(ValueError, match="1 results for 2 graded items"):
        await grade_in_order([1, Refused(0), 2], lossy)
