"""The frames exchanged with the in-container runner (sandbox_images/sandbox_runner).

A job goes out as `{"id", "language", "kind", "program", "tests", "limits", "isolation",
"judge_in", "entry_point", "stop_on_first_failure", "deadline_s", "call_check",
"dialect"}`, `limits` carrying `SandboxLimits`' fields under their own names, `dialect`
the C/C++ standard or Rust edition (null: the language's default). The runner answers
`{"id", "tests", "clean", "elapsed_ms"}` (plus `compile_ms` for a compiled language), or
`{"id", "error"}` when its own side failed before the program ran.
`RunnerReply.parse` is the one place a reply is read; anything malformed is a lost container
(recycled, the job retried).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from reward_service.sandbox.base import Job, JobResult, ProgramTest, TestResult
from reward_service.sandbox.errors import ContainerLost


def job_frame(job: Job, job_id: str) -> dict[str, Any]:
    """The frame the runner reads for `job`."""
    return {
        "id": job_id,
        "language": job.language,
        "kind": job.kind,
        "program": job.program,
        "tests": [test_frame(t) for t in job.tests],
        "limits": job.limits.model_dump(),
        "isolation": job.isolation,
        "judge_in": job.judge_in,
        "entry_point": job.entry_point,
        "stop_on_first_failure": job.stop_on_first_failure,
        "deadline_s": job.deadline_s,
        "call_check": job.call_check,
        "dialect": job.dialect,
    }


def test_frame(test: ProgramTest) -> dict[str, Any]:
    """A test as the runner reads it (a call's trees as they are: EvalPlus sends thousands)."""
    if test.call is not None:
        return {"call": test.call}
    return test.model_dump(exclude_none=True)


class RunnerReply(BaseModel):
    """A runner's answer to one job. `clean`: the runner proved the container is reset (no
    process, file or IPC object left); otherwise the pool replaces the container."""

    id: str
    tests: list[TestResult]
    clean: bool = False
    elapsed_ms: float = 0.0
    compile_ms: float | None = None

    @classmethod
    def parse(cls, frame: dict[str, Any], job_id: str) -> RunnerReply:
        """The reply to job `job_id`; ContainerLost for an error reply or a malformed one."""
        if "error" in frame:
            raise ContainerLost(f"runner failed: {str(frame['error'])[-300:]}")
        try:
            reply = cls.model_validate(frame)
        except ValidationError as exc:
            raise ContainerLost(f"runner sent an unexpected reply: {exc}") from exc
        if reply.id != job_id:
            raise ContainerLost(f"reply for job {reply.id!r}, expected {job_id!r}")
        return reply

    def result(self) -> JobResult:
        return JobResult(tests=self.tests, elapsed_ms=self.elapsed_ms, compile_ms=self.compile_ms)
