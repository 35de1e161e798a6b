"""The `latex` mode: symbolic equivalence, and timeouts that work inside a server."""

from __future__ import annotations

import asyncio
import time

import pytest

from reward_service.latex_pool import LatexPool
from reward_service.rewards.latex import grade_latex

CASES = [
    ("\\boxed{0.5}", "\\frac{1}{2}", "correct"),
    ("The answer is $\\frac{2}{4}$", "0.5", "correct"),
    ("\\boxed{\\{2, 1\\}}", "\\{1,2\\}", "correct"),
    ("\\boxed{[0, 1)}", "[0,1)", "correct"),
    ("\\boxed{(0, 1]}", "[0,1)", "wrong"),
    ("\\boxed{\\sqrt{2}/2}", "\\frac{\\sqrt{2}}{2}", "correct"),
    ("\\boxed{x^2 + 2x + 1}", "(x+1)^2", "correct"),
    ("\\boxed{3}", "4", "wrong"),
    ("#### 18", "#### 18", "correct"),
    ("\\boxed{18}", 18, "correct"),
    ("I do not know", "4", "missing"),
    # The gsm8k and flexible formats read the same way in latex mode.
    ("#### 1,234", "1234", "correct"),
    ("#### $18", "18", "correct"),
    ("#### 18.", "18", "correct"),
    ("#### 18.00", "18", "correct"),
    ("#### -3", "-3", "correct"),
    ("#### 0.5", "0.5", "correct"),
    ("#### 1,234", "#### 1,234", "correct"),
    ("The answer is 42", "42", "correct"),
    ("Answer: 7", "7", "correct"),
    ("\\boxed{1,234}", 1234, "correct"),
    ("#### 17", "18", "wrong"),
]


@pytest.mark.parametrize(("completion", "gold", "status"), CASES)
def test_grade_latex_on_main_thread(completion: str, gold: str | int, status: str) -> None:
    assert grade_latex(completion, gold, timeout_s=5).status == status


def test_grade_latex_refuses_to_run_off_the_main_thread() -> None:
    # The failure mode we guard against: math-verify's alarm silently failing in a thread.
    async def off_main() -> None:
        await asyncio.to_thread(grade_latex, "\\boxed{1}", "1", 5)

    with pytest.raises(RuntimeError, match="main thread"):
        asyncio.run(off_main())


# Verifying this against 3 makes sympy evaluate a tower of powers: it never finishes in time.
SLOW_GOLD = "2^{2^{2^{2^{2^{30}}}}}"


async def test_pool_times_out_slow_items_and_keeps_the_rest() -> None:
    pool = LatexPool(workers=2, timeout_s=1)
    try:
        start = time.perf_counter()
        grades = await pool.grade(
            [("\\boxed{0.5}", "\\frac{1}{2}"), ("\\boxed{3}", SLOW_GOLD), ("\\boxed{2}", "3")]
        )
        elapsed = time.perf_counter() - start
    finally:
        pool.close()
    assert [g.status for g in grades] == ["correct", "error", "wrong"]
    assert grades[1].error is not None and "took over 1s" in grades[1].error
    assert elapsed < 15  # worker start-up (imports sympy) plus one 1 s alarm


async def test_backstop_kills_stuck_workers_and_the_pool_recovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Make the outer deadline fire before the in-worker alarm, as for code that ignores signals.
    pool = LatexPool(workers=1, timeout_s=5)
    monkeypatch.setattr(pool, "_deadline_s", lambda items: 3.0)
    try:
        await pool.grade([("\\boxed{1}", "1")])  # start the worker (sympy import) first
        grades = await pool.grade([("\\boxed{3}", SLOW_GOLD)])
        assert grades[0].status == "error"
        assert grades[0].error == "latex grading timed out"
        after = await pool.grade([("\\boxed{0.5}", "\\frac{1}{2}")])
        assert after[0].status == "correct"
    finally:
        pool.close()


async def test_a_restart_caught_by_another_request_gives_errors_not_exceptions() -> None:
    pool = LatexPool(workers=1, timeout_s=5)
    try:
        await pool.grade([("\\boxed{1}", "1")])  # start the worker
        many = asyncio.create_task(pool.grade([("\\boxed{2}", "2")] * 3000))
        await asyncio.sleep(0.1)
        executor = pool._executor
        assert executor is not None
        pool._restart(executor, "test: simulate a stuck worker found by another request")
        grades = await many  # must not raise CancelledError or BrokenProcessPool
        assert len(grades) == 3000
        assert {g.status for g in grades} <= {"correct", "error"}
        assert any(g.status == "error" for g in grades)
        assert (await pool.grade([("\\boxed{3}", "3")]))[0].status == "correct"
    finally:
        pool.close()
