"""The code reward: find the program, turn an item's tests into a sandbox job, reward the result.

Pure logic; the sandbox comes in as an argument (any `SandboxBackend`), nothing here touches
Docker. Rewards (the recipe's):

| outcome                                                 | status               | reward       |
| ------------------------------------------------------- | -------------------- | ------------ |
| no fenced code block                                    | `no_code`            | -1.0         |
| does not compile, or does not load (see below)          | `error`              | -1.0         |
| the tests ran                                           | `passed` / `failed`  | score/total  |
| the item's checker is broken                            | `error`              | null         |
| our sandbox failed (daemon gone, container lost)        | `infra_error`        | null         |

A test scores 1 when it passed, 0 otherwise, or a checker's partial credit (see
`code_checker.py`). What "does not load" covers is the runner's rule, stated once, in the
docstring of sandbox_images/sandbox_runner; the runner marks such results with a `phase`.

>>> extract_program("Here:\\n```python\\nprint(1)\\n```\\nand\\n```\\nprint(2)\\n```")
'print(2)\\n'
>>> extract_program("```cpp\\nint main() {}\\n```\\n```\\n$ ./a.out\\n```", "cpp")
'int main() {}\\n'
>>> extract_program("no code here") is None
True
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reward_service.languages import FENCE_TAGS, Language, LanguageName
from reward_service.rewards.code_checker import (
    CheckerSpec,
    checker_jobs,
    checker_limits,
    judge_with_checkers,
)
from reward_service.sandbox.base import (
    CompareMode,
    Isolation,
    Job,
    JobResult,
    JudgeIn,
    OutputRule,
    ProgramTest,
    SandboxBackend,
    SandboxLimits,
    TestResult,
    TestStatus,
)
from reward_service.text import too_long

logger = logging.getLogger(__name__)

# ``` fences at the start of a line, with the info string's first word (the language tag)
FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#-]*)[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)

ItemStatus = Literal["passed", "failed", "no_code", "error", "infra_error"]
MAX_TESTS = 1000


class StdioTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stdin: str = ""
    stdout: str


class CodeTestFields(BaseModel):
    """An item's tests and how to run them: the fields /code items and /score items share."""

    model_config = ConfigDict(extra="forbid")

    language: LanguageName = Field(
        "python",
        description="python, c, cpp, java, javascript, typescript, go or rust (aliases such as "
        "c++, js, ts, py, golang are accepted). The program is the last fenced block tagged "
        "with it, else the last fenced block.",
    )
    # No length bounds here: /score checks them per item (CodeItem), so one bad item's tests
    # never fail the whole request.
    tests: list[str] | list[StdioTest] | None = Field(
        None,
        description=f"Python assert statements, or stdin/stdout pairs (1 to {MAX_TESTS}).",
    )
    setup: str | None = Field(None, description="Assert form: code run before every assert.")
    test: str | None = Field(
        None,
        description="Python (HumanEval form): defines `check(candidate)`. Other languages: a "
        "test harness in that language, appended to the program (HumanEval-X, MultiPL-E); it "
        "passes only if it runs to completion.",
    )
    entry_point: str | None = Field(
        None, description="Python's HumanEval form: the function to check."
    )
    checker: CheckerSpec | None = Field(
        None,
        description="stdin/stdout form: a special judge that decides each test (testlib's "
        "convention; see the README).",
    )
    fresh: bool = Field(False, description="Run in a container of its own (slower).")
    isolation: Isolation = Field(
        "shared",
        description="`shared`: the tests share one load of the program (as MBPP's asserts share "
        "a module); a test that crashes, hangs or floods output gets a fresh load for the rest. "
        "`per_test`: a fresh load for every test.",
    )
    compare: CompareMode = Field(
        "lines",
        description="stdin/stdout form: `lines` (equal lines, trailing spaces and blank lines "
        "ignored), `tokens` (equal whitespace-separated tokens), or `float` (tokens, with "
        "decimal numbers equal within `abs_tol` or `rel_tol` of the expected value).",
    )
    abs_tol: float = Field(1e-6, ge=0, le=1e9, description="`float`: absolute tolerance.")
    rel_tol: float = Field(1e-6, ge=0, le=1, description="`float`: relative tolerance.")
    judge_in: JudgeIn = Field(
        "auto",
        description="Assert and HumanEval forms: `outside` judges each test in a process the "
        "program cannot reach, calling the program with plain data only; `inside` runs the test "
        "in the program's interpreter (needed when a test uses the program's objects); `auto` "
        "decides from each test's text.",
    )


class CodeItem(CodeTestFields):
    """A completion and its tests, in exactly one of three forms (see the /code docs)."""

    completion: str

    @model_validator(mode="after")
    def _one_form(self) -> CodeItem:
        python = self.language == "python"
        humaneval = self.test is not None or self.entry_point is not None
        if python and humaneval and (self.test is None or self.entry_point is None):
            raise ValueError("the HumanEval form needs both `test` and `entry_point`")
        if not python and self.entry_point is not None and self.test is None:
            raise ValueError(f"a {self.language} test harness goes in `test`")
        if humaneval == (self.tests is not None):
            what = "`test` + `entry_point`" if python else "`test` (a test harness)"
            raise ValueError(f"give either `tests` or {what}")
        stdio = bool(self.tests) and isinstance(self.tests[0], StdioTest)  # type: ignore[index]
        if not python and self.tests is not None and not stdio:
            raise ValueError(
                f"assert statements are Python's; for {self.language}, give stdin/stdout "
                "`tests` or a test harness in `test`"
            )
        if not python and self.judge_in != "auto":
            raise ValueError("`judge_in` applies to Python's assert and HumanEval tests")
        if self.compare != "lines" and not stdio:
            raise ValueError("`compare` applies to stdin/stdout tests only")
        if self.checker is not None and not stdio:
            raise ValueError("`checker` applies to stdin/stdout tests only")
        if self.checker is not None and self.compare != "lines":
            raise ValueError("give either `compare` or `checker`: the checker decides alone")
        if self.tests is not None and not self.tests:
            raise ValueError("`tests` must not be empty")
        if self.tests is not None and len(self.tests) > MAX_TESTS:
            raise ValueError(
                f"`tests` has {len(self.tests)} entries, over the limit of {MAX_TESTS}"
            )
        if self.setup is not None and not (self.tests and isinstance(self.tests[0], str)):
            raise ValueError("`setup` goes with assert-statement tests")
        return self

    @property
    def total(self) -> int:
        return 1 if self.tests is None else len(self.tests)


class CodeResult(BaseModel):
    reward: float | None
    status: ItemStatus
    passed: int = 0
    total: int = 0
    tests: list[TestResult] = Field(default_factory=list)
    detail: str | None = Field(None, description="Why, for no_code, error and infra_error.")


def extract_program(completion: str, language: Language = "python") -> str | None:
    """The last fenced block tagged with `language` (for Python, untagged blocks too), else the
    last fenced block; None without one."""
    blocks = FENCE.findall(completion)
    tags = FENCE_TAGS[language]
    tagged = [code for tag, code in blocks if tag.lower() in tags]
    if tagged:
        return str(tagged[-1])
    return str(blocks[-1][1]) if blocks else None


def build_job(item: CodeItem, program: str, limits: SandboxLimits) -> Job:
    if item.tests is None and item.language != "python":  # a harness: one test
        assert item.test is not None
        tests = [ProgramTest(code=item.test)]
    elif item.tests is None:  # HumanEval: one test, check(<entry_point>)
        assert item.test is not None and item.entry_point is not None
        tests = [ProgramTest(code=f"{item.test}\n\ncheck({item.entry_point})\n")]
    elif isinstance(item.tests[0], StdioTest):
        rule = None
        if item.checker is not None:  # the runner keeps the output for the checker
            rule = OutputRule(mode="checker")
        elif item.compare != "lines":
            rule = OutputRule(mode=item.compare, abs_tol=item.abs_tol, rel_tol=item.rel_tol)
        tests = [ProgramTest(stdin=t.stdin, stdout=t.stdout, compare=rule) for t in item.tests]
    else:
        setup = f"{item.setup}\n" if item.setup else ""
        tests = [ProgramTest(code=f"{setup}{t}\n") for t in item.tests]
    return Job(
        program=program,
        language=item.language,
        tests=tuple(tests),
        limits=limits,
        fresh=item.fresh,
        isolation=item.isolation,
        judge_in=item.judge_in,
        entry_point=item.entry_point,
    )


def code_result(item: CodeItem, result: JobResult) -> CodeResult:
    """The reward table above, applied to one sandbox result."""
    total = item.total
    if result.infra_error is not None:
        return CodeResult(reward=None, status="infra_error", total=total, detail=result.infra_error)
    tests = result.tests
    passed = sum(t.status == "passed" for t in tests)
    if result.checker_error is not None:  # no test was judged: none is reported
        return CodeResult(reward=None, status="error", total=total, detail=result.checker_error)
    failure = result.load_failure
    if failure is not None:
        detail = f"program {load_failure_text(failure.phase, failure.status)}"
        if failure.detail:
            detail += f": {failure.detail}"
        return CodeResult(reward=-1.0, status="error", total=total, tests=tests, detail=detail)
    score = sum(t.score if t.score is not None else float(t.status == "passed") for t in tests)
    status: ItemStatus = "passed" if passed == total else "failed"
    return CodeResult(reward=score / total, status=status, passed=passed, total=total, tests=tests)


def load_failure_text(phase: str | None, status: TestStatus) -> str:
    """How a program failed to load, for the result's detail.

    >>> load_failure_text("load", "timeout")
    'did not finish loading in time'
    """
    if phase == "compile":
        return {"timeout": "did not compile in time", "memory": "ran out of memory compiling"}.get(
            status, "does not compile"
        )
    return {
        "timeout": "did not finish loading in time",
        "memory": "ran out of memory while loading",
        "output_limit": "printed too much while loading",
    }.get(status, "failed while loading")


def no_code(item: CodeItem) -> CodeResult:
    return CodeResult(
        reward=-1.0, status="no_code", total=item.total, detail="no fenced code block found"
    )


async def grade_code_items(
    sandbox: SandboxBackend,
    items: Sequence[CodeItem],
    limits: SandboxLimits,
    max_completion_chars: int | None = None,
) -> list[CodeResult]:
    """Grades every item, in order; items without code never reach the sandbox.

    A completion longer than `max_completion_chars` gets status `error` and a null reward.
    """
    results: list[CodeResult | None] = []
    jobs: list[Job] = []
    waiting: list[tuple[int, CodeItem]] = []
    for item in items:
        refused = too_long(item.completion, max_completion_chars)
        if refused is not None:
            results.append(
                CodeResult(reward=None, status="error", total=item.total, detail=refused)
            )
            continue
        program = extract_program(item.completion, item.language)
        if program is None:
            results.append(no_code(item))
            continue
        waiting.append((len(results), item))
        jobs.append(build_job(item, program, limits))
        results.append(None)
    outcomes = await run_jobs(sandbox, jobs)
    checked = [item.checker for _, item in waiting]
    if any(checked):
        cases = checker_jobs(jobs, checked, outcomes, checker_limits(limits))
        verdicts = await run_jobs(sandbox, [case.job for case in cases])
        outcomes = judge_with_checkers(outcomes, cases, verdicts)
    for (index, item), outcome in zip(waiting, outcomes, strict=True):
        results[index] = code_result(item, outcome)
    return [r for r in results if r is not None]


async def run_jobs(sandbox: SandboxBackend, jobs: list[Job]) -> list[JobResult]:
    try:
        return await sandbox.run(jobs) if jobs else []
    except Exception as exc:  # a backend bug must not become a score
        logger.exception("sandbox backend raised")
        return [JobResult.infra(f"sandbox failed: {type(exc).__name__}: {exc}")] * len(jobs)
