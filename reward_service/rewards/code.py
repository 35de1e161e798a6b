"""The code reward: find the program in a completion, and what a run of its tests earns.

Pure logic: no sandbox, no HTTP. What an item is and how a batch of them runs in the sandbox
is the API's (`reward_service.api.code_schemas`, `reward_service.api.code_grading`), as math's
is. Rewards (the recipe's):

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
>>> grade_run(JobResult.infra("daemon gone"), total=3).status
'infra_error'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reward_service.languages import FENCE_TAGS, Language
from reward_service.sandbox.base import JobResult, TestResult, TestStatus

# ``` fences at the start of a line, with the info string's first word (the language tag)
FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#-]*)[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)

ItemStatus = Literal["passed", "failed", "no_code", "error", "infra_error"]


@dataclass(frozen=True, slots=True)
class CodeGrade:
    """One item's grade: its reward and status by the table above, how many of its tests
    passed, the test results it reports, and why (for `no_code`, `error`, `infra_error`)."""

    reward: float | None
    status: ItemStatus
    passed: int = 0
    tests: Sequence[TestResult] = ()
    detail: str | None = None


NO_CODE = CodeGrade(reward=-1.0, status="no_code", detail="no fenced code block found")


def extract_program(completion: str, language: Language = "python") -> str | None:
    """The last fenced block tagged with `language` (for Python, untagged blocks too), else the
    last fenced block; None without one."""
    blocks = FENCE.findall(completion)
    tags = FENCE_TAGS[language]
    tagged = [code for tag, code in blocks if tag.lower() in tags]
    if tagged:
        return str(tagged[-1])
    return str(blocks[-1][1]) if blocks else None


def grade_run(result: JobResult, total: int) -> CodeGrade:
    """The reward table above, applied to one sandbox result of an item with `total` tests."""
    if result.infra_error is not None:
        return CodeGrade(reward=None, status="infra_error", detail=result.infra_error)
    if result.checker_error is not None:  # no test was judged: none is reported
        return CodeGrade(reward=None, status="error", detail=result.checker_error)
    failure = result.load_failure
    if failure is not None:
        detail = f"program {load_failure_text(failure.phase, failure.status)}"
        if failure.detail:
            detail += f": {failure.detail}"
        return CodeGrade(reward=-1.0, status="error", tests=result.tests, detail=detail)
    tests = result.tests
    passed = sum(t.status == "passed" for t in tests)
    score = sum(t.score if t.score is not None else float(t.status == "passed") for t in tests)
    status: ItemStatus = "passed" if passed == total else "failed"
    return CodeGrade(reward=score / total, status=status, passed=passed, tests=tests)


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
