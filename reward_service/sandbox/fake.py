"""An in-memory `SandboxBackend` that runs nothing: every test's outcome comes from a script.

For testing what sits above the sandbox (the code reward, the routes, the trainer's code reward,
backpressure) without Docker: `create_app(settings, sandbox=ScriptedSandbox())`. It never
executes a program; the contract test (tests/sandbox/test_contract.py) holds it and the Docker
backend to the same promises.

>>> import asyncio
>>> from reward_service.sandbox.base import Job, ProgramTest
>>> sandbox = ScriptedSandbox(lambda job, test: "failed" if "4" in test.code else "passed")
>>> tests = (ProgramTest(code="assert x == 2"), ProgramTest(code="assert x == 4"))
>>> [t.status for t in asyncio.run(sandbox.run([Job(program="x = 2", tests=tests)]))[0].tests]
['passed', 'failed']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reward_service.sandbox.base import (
    Job,
    JobResult,
    ProgramTest,
    SandboxHealth,
    TestResult,
    TestStatus,
)

Verdict = Callable[[Job, ProgramTest], TestStatus | TestResult]


def every_test_passes(job: Job, test: ProgramTest) -> TestStatus:
    return "passed"


class ScriptedSandbox:
    """`verdict(job, test)` gives each test's status (or whole result); by default all pass.

    `queued` is what `health()` reports as waiting (to test the queue bound), `infra_error`
    makes every job come back as that failure of ours, `ready=False` reports not ready."""

    def __init__(
        self,
        verdict: Verdict = every_test_passes,
        *,
        queued: int = 0,
        infra_error: str | None = None,
        ready: bool = True,
    ) -> None:
        self.verdict = verdict
        self.queued = queued
        self.infra_error = infra_error
        self.ready = ready
        self.jobs: list[Job] = []  # every job it was given, in order
        self.closed = False

    async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        self.jobs.extend(jobs)
        if self.closed:
            return [JobResult.infra("sandbox is shut down") for _ in jobs]
        if self.infra_error is not None:
            return [JobResult.infra(self.infra_error) for _ in jobs]
        return [JobResult(tests=[self._judge(job, test) for test in job.tests]) for job in jobs]

    def health(self) -> SandboxHealth:
        ready = self.ready and not self.closed
        return SandboxHealth(
            ready=ready,
            reason=None if ready else "the scripted sandbox is not ready",
            backend="fake",
            queued=self.queued,
        )

    async def aclose(self) -> None:
        self.closed = True

    def _judge(self, job: Job, test: ProgramTest) -> TestResult:
        outcome = self.verdict(job, test)
        return outcome if isinstance(outcome, TestResult) else TestResult(status=outcome)
