"""The /code batch: items become sandbox jobs, the jobs run (their checkers after them), and the
results come back in the items' order. Used by /code, the code component of /score and
/openrlhf/code.

An item never reaches the sandbox when its completion is over the size limit (`error`, a null
reward), has no fenced code block (`no_code`), or was refused by its caller already (a label
that is not a /code item); the rest run in one `SandboxBackend.run` call. What a run earns is
`reward_service.rewards.code`; the item and result models, `reward_service.api.code_schemas`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from reward_service.api.code_schemas import CodeItem, CodeResult, StdioTest
from reward_service.in_order import Refused, grade_in_order
from reward_service.rewards.code import NO_CODE, extract_program, grade_run
from reward_service.rewards.code_checker import checker_jobs, checker_limits, judge_with_checkers
from reward_service.sandbox.base import (
    Job,
    JobResult,
    OutputRule,
    ProgramTest,
    SandboxBackend,
    SandboxLimits,
)
from reward_service.text import too_long

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Program:
    """An item whose program was found, and the job that runs it."""

    item: CodeItem
    job: Job


async def grade_code_items(
    sandbox: SandboxBackend,
    items: Sequence[CodeItem | Refused[CodeResult]],
    limits: SandboxLimits,
    max_completion_chars: int | None = None,
) -> list[CodeResult]:
    """Grades every item, in order; items without code never reach the sandbox.

    A completion longer than `max_completion_chars` gets status `error` and a null reward.
    """
    checked = [_program(item, limits, max_completion_chars) for item in items]
    return await grade_in_order(checked, lambda programs: _run(sandbox, programs, limits))


def _program(
    item: CodeItem | Refused[CodeResult], limits: SandboxLimits, max_completion_chars: int | None
) -> _Program | Refused[CodeResult]:
    """The item's program and job, or its result when it cannot reach the sandbox."""
    if isinstance(item, Refused):
        return item
    refused = too_long(item.completion, max_completion_chars)
    if refused is not None:
        return Refused(CodeResult.unusable(refused, total=item.total))
    program = extract_program(item.completion, item.language)
    if program is None:
        return Refused(CodeResult.of(NO_CODE, item.total))
    return _Program(item, build_job(item, program, limits))


async def _run(
    sandbox: SandboxBackend, programs: list[_Program], limits: SandboxLimits
) -> list[CodeResult]:
    """Runs the programs' jobs, then their checkers' (stdin/stdout items with a `checker`)."""
    jobs = [program.job for program in programs]
    outcomes = await run_jobs(sandbox, jobs)
    checkers = [program.item.checker for program in programs]
    if any(checkers):
        cases = checker_jobs(jobs, checkers, outcomes, checker_limits(limits))
        verdicts = await run_jobs(sandbox, [case.job for case in cases])
        outcomes = judge_with_checkers(outcomes, cases, verdicts)
    return [
        CodeResult.of(grade_run(outcome, program.item.total), program.item.total)
        for program, outcome in zip(programs, outcomes, strict=True)
    ]


def build_job(item: CodeItem, program: str, limits: SandboxLimits) -> Job:
    """The sandbox job for an item's program: its tests in the form the runner takes."""
    return Job(
        program=program,
        language=item.language,
        tests=tuple(_tests(item)),
        limits=limits,
        fresh=item.fresh,
        isolation=item.isolation,
        judge_in=item.judge_in,
        entry_point=item.entry_point,
        stop_on_first_failure=item.stop_on_first_failure,
        deadline_s=item.deadline_s,
        call_check=item.call_check,
        dialect=item.dialect,
    )


def _tests(item: CodeItem) -> list[ProgramTest]:
    if item.calls is not None:  # kwargs as the bridge's dict tree, like every other value
        # validated with the item already: no second pass over thousands of cases
        return [
            ProgramTest.model_construct(
                call={
                    "args": case.args,
                    "kwargs": {"d": [[k, v] for k, v in case.kwargs.items()]},
                    "expected": case.expected,
                }
            )
            for case in item.calls
        ]
    if item.tests is None and item.language != "python":  # a harness: one test
        assert item.test is not None
        return [ProgramTest(code=item.test)]
    if item.tests is None:  # HumanEval: one test, check(<entry_point>)
        assert item.test is not None and item.entry_point is not None
        return [ProgramTest(code=f"{item.test}\n\ncheck({item.entry_point})\n")]
    if isinstance(item.tests[0], StdioTest):
        rule = None
        if item.checker is not None:  # the runner keeps the output for the checker
            rule = OutputRule(mode="checker")
        elif item.compare != "lines":
            rule = OutputRule(mode=item.compare, abs_tol=item.abs_tol, rel_tol=item.rel_tol)
        return [ProgramTest(stdin=t.stdin, stdout=t.stdout, compare=rule) for t in item.tests]
    setup = f"{item.setup}\n" if item.setup else ""
    return [ProgramTest(code=f"{setup}{t}\n") for t in item.tests]


async def run_jobs(sandbox: SandboxBackend, jobs: list[Job]) -> list[JobResult]:
    """The backend's results; a backend that raises gives `infra_error`s, never scores."""
    try:
        return await sandbox.run(jobs) if jobs else []
    except Exception as exc:  # a backend bug must not become a score
        logger.exception("sandbox backend raised")
        return [JobResult.infra(f"sandbox failed: {type(exc).__name__}: {exc}")] * len(jobs)
