"""What every sandbox backend speaks: limits, jobs, results and the backend protocol.

A backend is one method in the httpx-transport spirit, `async run(jobs) -> results` (one result
per job, same order), plus `aclose()`. Backends never raise for a job: a failure of the
sandbox itself comes back as a result with `infra_error` set, so callers can tell "the program
failed" from "we could not run it". This module has no Docker in it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

TestStatus = Literal["passed", "failed", "timeout", "memory", "output_limit", "runtime_error"]
LoadPhase = Literal["compile", "load"]


class SandboxLimits(BaseModel):
    """Every limit one job runs under; the container's cgroup limits are only a backstop."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_s: float = Field(
        5.0, gt=0, le=600, description="Wall-clock limit per test, load included."
    )
    memory_mb: int = Field(
        256, ge=16, le=65536, description="Address space per process (RLIMIT_AS)."
    )
    output_bytes: int = Field(65536, ge=1024, description="stdout+stderr cap per test.")
    processes: int = Field(
        32, ge=1, le=4096, description="Processes+threads at once (RLIMIT_NPROC)."
    )
    file_size_mb: int = Field(16, ge=1, description="Largest file the program may write.")


class ProgramTest(BaseModel):
    """Either `code` (run in the program's namespace; passes if it returns) or stdin/stdout."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str | None = None
    stdin: str | None = None
    stdout: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ProgramTest:
        if (self.code is None) == (self.stdout is None):
            raise ValueError("a test has either `code` or `stdin`/`stdout`")
        return self


class Job(BaseModel):
    """One program and its tests. `fresh` asks for a container of its own (slower, paranoid)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    program: str
    tests: tuple[ProgramTest, ...] = Field(min_length=1)
    limits: SandboxLimits = SandboxLimits()
    fresh: bool = False

    def key(self) -> str:
        """Identity for deduplication: identical program, tests and limits run once."""
        payload = self.model_dump(mode="json", exclude={"fresh"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def wire(self, job_id: str) -> dict[str, Any]:
        """The frame the in-container runner reads (sandbox_images/python/sandbox_runner)."""
        limits = self.limits
        return {
            "id": job_id,
            "program": self.program,
            "tests": [t.model_dump(exclude_none=True) for t in self.tests],
            "timeout_s": limits.timeout_s,
            "memory_mb": limits.memory_mb,
            "output_bytes": limits.output_bytes,
            "nproc": limits.processes,
            "file_size_bytes": limits.file_size_mb * 1024 * 1024,
        }

    def backstop_s(self) -> float:
        """How long the service waits for the runner before it kills the container."""
        return len(self.tests) * (self.limits.timeout_s + 1.0) + 10.0


class ProgramTestResult(BaseModel):
    status: TestStatus
    detail: str | None = None
    # set when the program never got as far as the test: it did not compile or its
    # module-level code raised
    phase: LoadPhase | None = None


class JobResult(BaseModel):
    tests: list[ProgramTestResult] = Field(default_factory=list)
    infra_error: str | None = None
    elapsed_ms: float = 0.0

    @classmethod
    def infra(cls, message: str) -> JobResult:
        return cls(infra_error=message)

    @property
    def load_failure(self) -> ProgramTestResult | None:
        return next((t for t in self.tests if t.phase is not None), None)


class SandboxObserver(Protocol):
    """What a backend reports as it works (the service's Prometheus metrics implement it)."""

    def job_waited(self, seconds: float) -> None:
        """A job got a container after waiting `seconds` in the queue."""

    def job_ran(self, seconds: float) -> None:
        """A job's program and tests ran in a container for `seconds` (reply received)."""

    def container_recycled(self, reason: str) -> None:
        """A container left the pool: `job_limit`, `unclean`, `lost`, `dead` or `cancelled`."""


class NullObserver:
    """The default observer: reports go nowhere."""

    def job_waited(self, seconds: float) -> None:
        pass

    def job_ran(self, seconds: float) -> None:
        pass

    def container_recycled(self, reason: str) -> None:
        pass


@runtime_checkable
class SandboxBackend(Protocol):
    async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        """Runs every job; one result per job, in order; never raises for a job's sake."""
        ...

    async def aclose(self) -> None: ...
