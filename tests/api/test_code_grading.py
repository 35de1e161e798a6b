"""The /code batch over the scripted sandbox (no Docker): jobs from the three test forms, the
reward table applied in order, and a raising backend turned into infra errors."""

from __future__ import annotations

from collections.abc import Sequence

from reward_service.api.code_grading import build_job, grade_code_items
from reward_service.api.code_schemas import CodeItem
from reward_service.sandbox import Job, JobResult, SandboxLimits, TestResult
from reward_service.sandbox.fake import ScriptedSandbox

ADD = "```python\ndef add(a, b):\n    return a + b\n```"


def test_three_test_forms_become_jobs() -> None:
    limits = SandboxLimits()
    asserts = CodeItem(completion=ADD, tests=["assert add(1, 2) == 3"], setup="import math")
    (test,) = build_job(asserts, "p", limits).tests
    assert test.code == "import math\nassert add(1, 2) == 3\n"
    stdio = CodeItem.model_validate({"completion": ADD, "tests": [{"stdin": "1", "stdout": "2"}]})
    (test,) = build_job(stdio, "p", limits).tests
    assert (test.stdin, test.stdout, test.code) == ("1", "2", None)
    humaneval = CodeItem(completion=ADD, test="def check(c):\n    pass", entry_point="add")
    (test,) = build_job(humaneval, "p", limits).tests
    assert test.code is not None and test.code.rstrip().endswith("check(add)")


def test_stdio_compare_rules_travel_with_each_test() -> None:
    limits = SandboxLimits()
    stdio = [{"stdin": "1", "stdout": "2"}, {"stdin": "3", "stdout": "4"}]
    lines = CodeItem.model_validate({"completion": ADD, "tests": stdio})
    assert [t.compare for t in build_job(lines, "p", limits).tests] == [None, None]
    floats = CodeItem.model_validate(
        {"completion": ADD, "tests": stdio, "compare": "float", "abs_tol": 1e-4, "rel_tol": 0}
    )
    rules = [t.compare for t in build_job(floats, "p", limits).tests]
    assert all(
        r is not None and (r.mode, r.abs_tol, r.rel_tol) == ("float", 1e-4, 0) for r in rules
    )
    # the rule is part of the job's identity: the same program under two rules runs twice
    assert build_job(lines, "p", limits).key() != build_job(floats, "p", limits).key()


async def test_reward_table() -> None:
    item = CodeItem(completion=ADD, tests=["assert 'a'", "assert 'b'", "assert 'c'"])
    no_code = CodeItem(completion="sorry", tests=["assert 1"])
    mixed = ScriptedSandbox(lambda job, test: "timeout" if "'b'" in (test.code or "") else "passed")
    load = ScriptedSandbox(lambda job, test: TestResult(status="runtime_error", phase="load"))
    infra = ScriptedSandbox(infra_error="daemon gone")
    cases = [(mixed, "failed", 2 / 3), (load, "error", -1.0), (infra, "infra_error", None)]
    for sandbox, status, reward in cases:
        (graded, missing) = await grade_code_items(sandbox, [item, no_code], SandboxLimits())
        assert (graded.status, graded.reward, graded.total) == (status, reward, 3)
        assert (missing.status, missing.reward) == ("no_code", -1.0)
        assert len(sandbox.jobs) == 1  # the item without code never reaches the sandbox


async def test_a_raising_backend_gives_infra_errors_not_scores() -> None:
    class Broken(ScriptedSandbox):
        async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
            raise RuntimeError("bug")

    item = CodeItem(completion=ADD, tests=["assert 1"])
    (result,) = await grade_code_items(Broken(), [item], SandboxLimits())
    assert (result.status, result.reward) == ("infra_error", None)


def test_the_dialect_travels_with_the_job_and_is_part_of_its_identity() -> None:
    limits = SandboxLimits()
    stdio = [{"stdin": "", "stdout": ""}]

    def job(**fields: object) -> str | None:
        item = CodeItem.model_validate(
            {"completion": ADD, "language": "cpp", "tests": stdio, **fields}
        )
        return build_job(item, "p", limits).dialect

    assert (job(), job(std="gnu++23"), job(std="c++17")) == (None, None, "c++17")
    items = [
        CodeItem.model_validate({"completion": ADD, "language": "cpp", "tests": stdio, **f})
        for f in ({}, {"std": "gnu++23"}, {"std": "c++17"})
    ]
    keys = [build_job(item, "p", limits).key() for item in items]
    assert keys[0] == keys[1] != keys[2]  # the default named or not runs once; c++17 apart
