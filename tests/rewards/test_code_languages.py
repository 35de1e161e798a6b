"""The code reward's language and checker logic over the scripted sandbox (no Docker): which
block is the program, which items are valid in which language, what jobs they become, and how
checker verdicts (partial credit, a broken checker, a lost one) turn into rewards."""

from __future__ import annotations

from typing import Any

import pytest

from reward_service.api.code_grading import build_job, grade_code_items
from reward_service.api.code_schemas import CodeItem
from reward_service.rewards.code import extract_program
from reward_service.rewards.code_checker import CASES_PER_JOB
from reward_service.sandbox import Job, JobResult, ProgramTest, SandboxLimits, TestResult
from reward_service.sandbox.fake import ScriptedSandbox

CPP = "```cpp\nint main() { return 0; }\n```"
STDIO = [{"stdin": "1", "stdout": "1"}, {"stdin": "2", "stdout": "2"}]
CHECKER = {"language": "python", "source": "import sys\nsys.exit(0)\n"}


@pytest.mark.parametrize(
    ("completion", "language", "program"),
    [
        ("```c++\nint a;\n```\n```\n$ g++ a.cpp\n```", "cpp", "int a;\n"),
        ("```cpp\nint a;\n```\ntext\n```cpp\nint b;\n```", "cpp", "int b;\n"),
        ("```\nint a;\n```", "cpp", "int a;\n"),  # no tagged block: the last block
        ("```java\nclass A {}\n```\n```python\nx = 1\n```", "java", "class A {}\n"),
        ("```ts\nlet a = 1;\n```", "typescript", "let a = 1;\n"),
        ("```golang\npackage main\n```", "go", "package main\n"),
        ("```rs\nfn main() {}\n```", "rust", "fn main() {}\n"),
        ("```js\nconsole.log(1)\n```", "javascript", "console.log(1)\n"),
        ("```bash\nls\n```", "python", "ls\n"),  # Python falls back to the last block too
        ("no code", "rust", None),
    ],
)
def test_the_program_is_the_last_block_tagged_with_its_language(
    completion: str, language: Any, program: str | None
) -> None:
    assert extract_program(completion, language) == program


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("C++", "cpp"),
        ("js", "javascript"),
        ("TS", "typescript"),
        ("golang", "go"),
        ("py", "python"),
    ],
)
def test_language_aliases(name: str, language: str) -> None:
    item = CodeItem.model_validate({"completion": CPP, "tests": STDIO, "language": name})
    assert item.language == language


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"language": "cobol", "tests": STDIO}, "supported: python, c, cpp"),
        ({"language": "cpp", "tests": ["assert f() == 1"]}, "assert statements are Python's"),
        ({"language": "cpp", "tests": STDIO, "judge_in": "inside"}, "judge_in"),
        ({"language": "cpp", "entry_point": "f"}, "harness goes in `test`"),
        ({"language": "rust", "test": "fn main() {}", "tests": STDIO}, "either `tests`"),
        ({"tests": ["assert 1"], "checker": CHECKER}, "stdin/stdout tests only"),
        ({"tests": STDIO, "checker": CHECKER, "compare": "tokens"}, "either `compare` or"),
        ({"tests": STDIO, "checker": {"language": "perl", "source": "1"}}, "unknown language"),
        ({"tests": STDIO, "checker": {"language": "c", "source": ""}}, "at least 1 character"),
    ],
)
def test_items_that_do_not_fit_their_language_are_refused(
    body: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CodeItem.model_validate({"completion": CPP, **body})


def test_a_harness_is_one_test_and_a_checker_keeps_the_output() -> None:
    limits = SandboxLimits()
    harness = CodeItem(completion=CPP, language="cpp", test="int main() { assert(f()); }")
    job = build_job(harness, "int f() { return 1; }", limits)
    assert (job.language, [t.code for t in job.tests]) == ("cpp", ["int main() { assert(f()); }"])
    checked = CodeItem.model_validate({"completion": CPP, "tests": STDIO, "checker": CHECKER})
    rules = [t.compare for t in build_job(checked, "p", limits).tests]
    assert all(rule is not None and rule.mode == "checker" for rule in rules)


def program_outputs(job: Job, test: ProgramTest) -> TestResult:
    """A program job: every test ran and printed its input back; a checker job: the script in
    the checker's source says what to answer."""
    if job.kind == "program":
        return TestResult(status="passed", stdout=test.stdin)
    assert test.output is not None
    if "broken" in job.program:
        return TestResult(status="runtime_error", detail="checker crashed")
    score = 0.5 if "half" in job.program else 1.0
    return TestResult(status="passed" if score == 1.0 else "failed", score=score)


def checked_item(source: str, language: str = "python") -> CodeItem:
    checker = {"language": language, "source": source}
    body = {"completion": CPP, "language": "cpp", "tests": STDIO, "checker": checker}
    return CodeItem.model_validate(body)


async def test_checker_verdicts_and_partial_credit_add_up_in_the_reward() -> None:
    sandbox = ScriptedSandbox(program_outputs)
    items = [checked_item("accept"), checked_item("half"), checked_item("accept", "cpp")]
    full, half, other = await grade_code_items(sandbox, items, SandboxLimits())
    assert (full.status, full.reward, full.passed) == ("passed", 1.0, 2)
    assert (half.status, half.reward, half.passed) == ("failed", 0.5, 0)
    assert [t.score for t in half.tests] == [0.5, 0.5]
    assert other.reward == 1.0
    checkers = [job for job in sandbox.jobs if job.kind == "checker"]
    # one job per distinct checker, each with the cases of every item that uses it
    found = sorted((j.language, len(j.tests)) for j in checkers)
    assert found == [("cpp", 2), ("python", 2), ("python", 2)]
    case = checkers[0].tests[0]
    assert (case.stdin, case.stdout, case.output) == ("1", "1", "1")
    assert checkers[0].limits.timeout_s >= 10  # the checker's own limits


async def test_a_broken_checker_is_an_error_with_no_reward_and_spares_the_others() -> None:
    sandbox = ScriptedSandbox(program_outputs)
    broken, fine = await grade_code_items(
        sandbox, [checked_item("broken"), checked_item("accept")], SandboxLimits()
    )
    assert (broken.status, broken.reward, broken.tests) == ("error", None, [])
    assert broken.detail == "the checker failed: checker crashed"
    assert (fine.status, fine.reward) == ("passed", 1.0)


async def test_a_checker_that_could_not_run_is_an_infra_error() -> None:
    class CheckerLost(ScriptedSandbox):
        async def run(self, jobs: Any) -> list[JobResult]:
            done = await super().run(jobs)
            lost = JobResult.infra("container lost")
            return [lost if j.kind == "checker" else r for j, r in zip(jobs, done, strict=True)]

    (result,) = await grade_code_items(
        CheckerLost(program_outputs), [checked_item("accept")], SandboxLimits()
    )
    assert (result.status, result.reward) == ("infra_error", None)
    assert "container lost" in (result.detail or "")


async def test_only_tests_that_ran_cleanly_reach_the_checker() -> None:
    def some_crash(job: Job, test: ProgramTest) -> TestResult:
        if job.kind == "program" and test.stdin == "2":
            return TestResult(status="timeout")
        return program_outputs(job, test)

    sandbox = ScriptedSandbox(some_crash)
    (result,) = await grade_code_items(sandbox, [checked_item("accept")], SandboxLimits())
    assert [t.status for t in result.tests] == ["passed", "timeout"]
    assert result.reward == 0.5
    (checker,) = [job for job in sandbox.jobs if job.kind == "checker"]
    assert [case.stdin for case in checker.tests] == ["1"]


async def test_many_cases_are_split_across_checker_jobs() -> None:
    stdio = [{"stdin": str(i), "stdout": str(i)} for i in range(CASES_PER_JOB + 1)]
    body = {"completion": CPP, "language": "cpp", "tests": stdio, "checker": CHECKER}
    sandbox = ScriptedSandbox(program_outputs)
    (result,) = await grade_code_items(sandbox, [CodeItem.model_validate(body)], SandboxLimits())
    assert result.reward == 1.0
    sizes = [len(job.tests) for job in sandbox.jobs if job.kind == "checker"]
    assert sizes == [CASES_PER_JOB, 1]


async def test_an_output_that_crashes_a_working_checker_fails_only_its_test() -> None:
    """The checker judged the other items' outputs: the one it crashed on is that test's
    failure, not a broken checker (a program can't buy a null reward with a nasty output)."""

    def crash_on_seven(job: Job, test: ProgramTest) -> TestResult:
        if job.kind == "checker" and test.output == "7":
            return TestResult(status="runtime_error", detail="the checker failed: exit code 3")
        return program_outputs(job, test)

    body = {"completion": CPP, "language": "cpp", "tests": [{"stdin": "7", "stdout": "7"}]}
    nasty = CodeItem.model_validate({**body, "checker": CHECKER})
    honest = CodeItem.model_validate({**body, "tests": STDIO, "checker": CHECKER})
    sandbox = ScriptedSandbox(crash_on_seven)
    bad, good = await grade_code_items(sandbox, [nasty, honest], SandboxLimits())
    assert (good.status, good.reward) == ("passed", 1.0)
    assert (bad.status, bad.reward) == ("failed", 0.0)
    assert "on this output" in (bad.tests[0].detail or "")
