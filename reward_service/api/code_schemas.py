"""The /code contract: an item's test fields, the item, its result, the request and response.

The largest part of the HTTP contract, so apart from `schemas.py` (which builds /score's items
on `CodeTestFields`). `code_item` is how /score and the OpenRLHF route make a /code item of a
completion and test fields that came from elsewhere. How a batch of items is graded is
`reward_service.api.code_grading`; what a run earns, `reward_service.rewards.code`. The trainer
sends these fields by name (`trainer.reward_specs.CODE_TEST_FIELDS`, pinned to
`CodeTestFields` by tests/trainer/test_reward_specs.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reward_service import plain_data
from reward_service.languages import DEFAULT_DIALECT, DIALECTS, EditionName, LanguageName, StdName
from reward_service.rewards.code import CodeGrade, ItemStatus
from reward_service.rewards.code_checker import CheckerSpec
from reward_service.sandbox.base import (
    MIN_MEMORY_MB,
    CompareMode,
    DeadlineS,
    Isolation,
    JudgeIn,
    TestResult,
)

MAX_TESTS = 1000
MAX_CALLS = 10_000  # EvalPlus gives a function up to ~1100 inputs


class CallCase(BaseModel):
    """One call of the item's `entry_point`, with values in plain-data JSON
    (`reward_service.plain_data`: JSON, with tags for tuples, sets, dicts with any keys...)."""

    model_config = ConfigDict(extra="forbid")

    args: list[Any] = Field(default_factory=list, description="Positional arguments.")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments.")
    expected: Any = Field(description="The result the call must give (see `call_check`).")

    @model_validator(mode="after")
    def _plain_data(self) -> CallCase:
        for where, tree in (("args", self.args), ("kwargs", list(self.kwargs.values()))):
            why = plain_data.problem(tree)
            if why is not None:
                raise ValueError(f"`{where}` is not plain-data JSON: {why}")
        why = plain_data.problem(self.expected)
        if why is not None:
            raise ValueError(f"`expected` is not plain-data JSON: {why}")
        return self


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
    calls: list[CallCase] | None = Field(
        None,
        description=f"Python: calls of `entry_point` (1 to {MAX_CALLS}), each a test that "
        "passes when the result equals `expected` (or `call_check` says so). Judged outside "
        "the program with no test code to parse: the fast form for many tests (EvalPlus).",
    )
    call_check: str | None = Field(
        None,
        description="With `calls`: Python defining `check(out, expected, args)`, run in the "
        "judge with the real values; a true result passes (tolerances, special oracles). "
        "Default: `out == expected`.",
    )
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
    stop_on_first_failure: bool = Field(
        False,
        description="Stop at the first test that does not pass: the later ones are reported "
        "`skipped` and count as not passed (the reward is still over all tests). With a binary "
        "(all-or-nothing) reward nothing is lost, and most GRPO samples fail early.",
    )
    deadline_s: DeadlineS | None = Field(
        None,
        description="Wall-clock budget for running the whole item's tests (loading included, "
        "compiling not); tests not reached are `skipped`, the one running is a `timeout`. Each "
        "test keeps its own `timeout_s` within it.",
    )
    judge_in: JudgeIn = Field(
        "auto",
        description="Assert and HumanEval forms: `outside` judges each test in a process the "
        "program cannot reach, calling the program with plain data only; `inside` runs the test "
        "in the program's interpreter (needed when a test uses the program's objects); `auto` "
        "decides from each test's text.",
    )
    std: StdName | None = Field(
        None,
        description="C and C++: the language standard, as GCC's -std (C: c99, c11, c17, c23 and "
        "their gnu variants, default gnu23; C++: c++11, c++14, c++17, c++20, c++23 and their gnu "
        "variants, default gnu++23). Old datasets written for C++17 or earlier: see the README.",
    )
    edition: EditionName | None = Field(
        None, description="Rust: the edition, 2015, 2018, 2021 (the default) or 2024."
    )

    @model_validator(mode="after")
    def _dialect_fits_language(self) -> CodeTestFields:
        for field, chosen in (("std", self.std), ("edition", self.edition)):
            if chosen is None or chosen in DIALECTS.get(self.language, ()):
                continue
            if field == "std" and self.language in ("c", "cpp"):
                wanted = "C++" if self.language == "cpp" else "C"
                raise ValueError(
                    f"`std` {chosen} is not a {wanted} standard; choose one of "
                    f"{', '.join(DIALECTS[self.language])}"
                )
            applies = "C and C++ items" if field == "std" else "Rust items"
            own = {"rust": "Rust's is `edition`", "c": "C's is `std`", "cpp": "C++'s is `std`"}
            hint = f"; {own[self.language]}" if self.language in own else ""
            raise ValueError(f"`{field}` applies to {applies}, not to {self.language}{hint}")
        return self

    @property
    def dialect(self) -> str | None:
        """The dialect the item chose (`std` or `edition`), None for its language's default."""
        chosen = self.std or self.edition
        return None if chosen == DEFAULT_DIALECT.get(self.language) else chosen


class CodeItem(CodeTestFields):
    """A completion and its tests, in exactly one of three forms (see the /code docs)."""

    completion: str

    @model_validator(mode="after")
    def _one_form(self) -> CodeItem:
        if self.calls is not None or self.call_check is not None:
            return self._calls_form()
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

    def _calls_form(self) -> CodeItem:
        if self.calls is None:
            raise ValueError("`call_check` goes with `calls`")
        if self.language != "python":
            raise ValueError("`calls` are Python's; for another language, give `tests` or `test`")
        if self.entry_point is None:
            raise ValueError("`calls` need `entry_point`: the function they call")
        if self.tests is not None or self.test is not None or self.setup is not None:
            raise ValueError("give either `calls` or `tests`/`test`")
        if self.checker is not None or self.compare != "lines":
            raise ValueError("`checker` and `compare` apply to stdin/stdout tests only")
        if self.judge_in == "inside":
            raise ValueError("`calls` are judged outside the program (`judge_in`)")
        if not self.calls:
            raise ValueError("`calls` must not be empty")
        if len(self.calls) > MAX_CALLS:
            raise ValueError(f"`calls` has {len(self.calls)} entries, over the limit {MAX_CALLS}")
        return self

    @property
    def total(self) -> int:
        if self.calls is not None:
            return len(self.calls)
        return 1 if self.tests is None else len(self.tests)


class CodeResult(BaseModel):
    reward: float | None
    status: ItemStatus
    passed: int = 0
    total: int = 0
    tests: list[TestResult] = Field(default_factory=list)
    detail: str | None = Field(None, description="Why, for no_code, error and infra_error.")

    @classmethod
    def of(cls, grade: CodeGrade, total: int) -> CodeResult:
        """The result of an item with `total` tests that earned `grade`."""
        return cls(
            reward=grade.reward,
            status=grade.status,
            passed=grade.passed,
            total=total,
            tests=list(grade.tests),
            detail=grade.detail,
        )

    @classmethod
    def unusable(cls, why: str, total: int = 0) -> CodeResult:
        """An item that could not be graded as given (`error`, a null reward)."""
        return cls(reward=None, status="error", total=total, detail=why)


class CodeLimits(BaseModel):
    """Requested limits; anything above the server's maxima is lowered to them."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    # Lower bounds only: a request above the server's maxima is clamped, not refused.
    timeout_s: float | None = Field(None, gt=0, description="Wall-clock limit per test.")
    memory_mb: int | None = Field(None, ge=MIN_MEMORY_MB, description="Memory per program process.")


class CodeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "completion": "```python\ndef add(a, b):\n    return a + b\n```",
                            "tests": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"],
                        },
                        {
                            "completion": "```python\nprint(sum(map(int, input().split())))\n```",
                            "tests": [{"stdin": "1 2\n", "stdout": "3\n"}],
                        },
                        {
                            "completion": "```python\ndef inc(x):\n    return x + 1\n```",
                            "test": "def check(candidate):\n    assert candidate(1) == 2\n",
                            "entry_point": "inc",
                        },
                        {"completion": "I don't know.", "tests": ["assert inc(1) == 2"]},
                    ],
                    "limits": {"timeout_s": 5, "memory_mb": 256},
                }
            ]
        },
    )

    items: list[CodeItem]
    limits: CodeLimits | None = None


class CodeResponse(BaseModel):
    results: list[CodeResult]


def code_item(completion: str, fields: Mapping[str, Any]) -> CodeItem | str:
    """`completion` with test `fields` from elsewhere (a /score item, an OpenRLHF label) as a
    /code item, or why they do not form one: one item's error, never the batch's."""
    try:
        tests = CodeTestFields.model_validate(fields)
        return CodeItem(completion=completion, **tests.model_dump(exclude_unset=True))
    except ValidationError as exc:
        return "; ".join(error["msg"] for error in exc.errors())
