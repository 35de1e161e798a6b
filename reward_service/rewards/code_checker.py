"""Special judges (checkers) for stdin/stdout tests: many valid outputs, answers within a
tolerance only the problem knows, partial credit.

A checker is a program in any supported language, run in the sandbox (in its own language's
image, under `checker_limits`) with testlib's convention: `checker input output answer`, where
`output` is the file with the program's output and `answer` the expected one. Exit code 0
accepts; it may print a score in [0, 1] as the last line of its stdout for partial credit
(nothing printed: 1). Exit code 3 (testlib's `_fail`), a crash, a limit or a checker that does
not compile means the checker is broken: the item is `error` with a null reward (the dataset's
fault, not the policy's). Any other exit code rejects. A checker that fails on some cases of a
job but judges the others is not broken: the output it failed on fails that test (a program must
not escape its penalty with an output that crashes the checker); a checker that judges no case
of its job is, for every item in the job.

The flow: the program's tests run first, the runner keeping each output instead of comparing
it; every test that ran cleanly becomes a case of a checker job, one job per distinct checker
and up to `CASES_PER_JOB` cases (so one batch's checkers are compiled a few times, not once per
item); the verdicts then replace the tests' results.

>>> checker_limits(SandboxLimits(timeout_s=1, memory_mb=128)).timeout_s
10.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from reward_service.languages import LanguageName
from reward_service.sandbox.base import Job, JobResult, ProgramTest, SandboxLimits, TestResult

CHECKER_TIMEOUT_S = 10.0
CHECKER_MEMORY_MB = 512
CASES_PER_JOB = 64
MAX_CHECKER_CHARS = 200_000


class CheckerSpec(BaseModel):
    """An item's special judge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: LanguageName = Field(description="Any /code language.")
    source: str = Field(
        min_length=1,
        max_length=MAX_CHECKER_CHARS,
        description="The checker's source: reads argv[1] (input), argv[2] (the program's "
        "output) and argv[3] (the expected answer); exit 0 accepts.",
    )


def checker_limits(limits: SandboxLimits) -> SandboxLimits:
    """A checker's own limits: the program's, raised to at least 10 s and 512 MB a case."""
    return limits.model_copy(
        update={
            "timeout_s": max(limits.timeout_s, CHECKER_TIMEOUT_S),
            "memory_mb": max(limits.memory_mb, CHECKER_MEMORY_MB),
        }
    )


@dataclass(frozen=True)
class CheckerCases:
    """One checker job, and the (item, test) each of its cases came from."""

    job: Job
    origins: list[tuple[int, int]]


def checker_jobs(
    jobs: Sequence[Job],
    checkers: Sequence[CheckerSpec | None],
    outcomes: Sequence[JobResult],
    limits: SandboxLimits,
) -> list[CheckerCases]:
    """Checker jobs for every test that ran cleanly, grouped by checker."""
    groups: dict[CheckerSpec, list[tuple[ProgramTest, tuple[int, int]]]] = {}
    for index, (job, checker, outcome) in enumerate(zip(jobs, checkers, outcomes, strict=True)):
        if checker is None or outcome.infra_error is not None or outcome.load_failure:
            continue
        for number, (test, result) in enumerate(zip(job.tests, outcome.tests, strict=True)):
            if result.status == "passed" and result.stdout is not None:
                case = ProgramTest(stdin=test.stdin or "", stdout=test.stdout, output=result.stdout)
                groups.setdefault(checker, []).append((case, (index, number)))
    cases = []
    for checker, found in groups.items():
        for start in range(0, len(found), CASES_PER_JOB):
            chunk = found[start : start + CASES_PER_JOB]
            job = Job(
                program=checker.source,
                language=checker.language,
                kind="checker",
                tests=tuple(case for case, _ in chunk),
                limits=limits,
            )
            cases.append(CheckerCases(job, [origin for _, origin in chunk]))
    return cases


def judge_with_checkers(
    outcomes: Sequence[JobResult], cases: Sequence[CheckerCases], verdicts: Sequence[JobResult]
) -> list[JobResult]:
    """The program results with each checked test's result replaced by the checker's verdict;
    an item whose checker broke gets `checker_error`, one whose checker could not run (our
    failure) an `infra_error`."""
    tests = [list(outcome.tests) for outcome in outcomes]
    broken: dict[int, str] = {}
    lost: dict[int, str] = {}
    for group, verdict in zip(cases, verdicts, strict=True):
        items = {index for index, _ in group.origins}
        if verdict.infra_error is not None:
            lost.update(dict.fromkeys(items, f"the checker could not run: {verdict.infra_error}"))
            continue
        judged = [v.status in ("passed", "failed") for v in verdict.tests]
        if len(verdict.tests) != len(group.origins) or not any(judged):
            failure = next((v for v in verdict.tests if v.status not in ("passed", "failed")), None)
            why = (failure.detail if failure else None) or "it gave no verdict"
            if not why.startswith("the checker"):
                why = f"the checker failed: {why}"
            broken.update(dict.fromkeys(items, why))
            continue
        for (index, number), result in zip(group.origins, verdict.tests, strict=True):
            if result.status in ("passed", "failed"):
                tests[index][number] = TestResult(
                    status=result.status,
                    detail=result.detail,
                    judged_in="outside",
                    score=result.score,
                )
            else:  # it judged other outputs: this one is what it failed on
                tests[index][number] = TestResult(
                    status="failed",
                    detail=f"{result.detail} (on this output)",
                    judged_in="outside",
                    score=0.0,
                )
    checked = []
    for index, outcome in enumerate(outcomes):
        if index in lost:
            checked.append(JobResult.infra(lost[index]))
        else:
            update = {"tests": tests[index], "checker_error": broken.get(index)}
            checked.append(outcome.model_copy(update=update))
    return checked
