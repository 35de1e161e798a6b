"""What every sandbox backend speaks: limits, jobs, results, health and the backend protocol.

A backend is one small protocol in the httpx-transport spirit: `async run(jobs) -> results` (one
result per job, same order), `health()` and `aclose()`. Backends never raise for a job: a failure
of the sandbox itself comes back as a result with `infra_error` set, so callers can tell "the
program failed" from "we could not run it". This module has no Docker in it.

The limits' names and bounds are defined here once; the request schema, the settings and the
runner's wire frame all use these names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reward_service.languages import DIALECTS, Language

# `skipped`: not run (an earlier failure with `stop_on_first_failure`, or the item's deadline)
TestStatus = Literal[
    "passed", "failed", "timeout", "memory", "output_limit", "runtime_error", "skipped"
]
LoadPhase = Literal["compile", "load"]
# where a test's verdict was reached: outside the program (a judge process calling it over the
# plain-data bridge, or the runner comparing stdout) or inside the program's own interpreter
JudgedIn = Literal["outside", "inside"]
JudgeIn = Literal["auto", "outside", "inside"]
Isolation = Literal["shared", "per_test"]
CompareMode = Literal["lines", "tokens", "float"]
# `checker`: the runner compares nothing and returns the output, which the item's checker judges
OutputMode = Literal["lines", "tokens", "float", "checker"]
# `program`: run a program's tests; `checker`: run a checker on (input, output, answer) cases
JobKind = Literal["program", "checker"]

# Below ~24 MB the interpreter cannot even compile a small program; 32 leaves a margin.
MIN_MEMORY_MB = 32
MAX_TIMEOUT_S = 600.0
TimeoutS = Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S)]
DeadlineS = Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S * 10)]
MemoryMB = Annotated[int, Field(ge=MIN_MEMORY_MB, le=65536)]
OutputBytes = Annotated[int, Field(ge=1024)]
Processes = Annotated[int, Field(ge=1, le=4096)]
FileSizeMB = Annotated[int, Field(ge=1)]


class SandboxLimits(BaseModel):
    """Every limit one job runs under; the container's cgroup limits are only a backstop.

    The runner receives exactly these fields, under these names (`Job.frame`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_s: TimeoutS = Field(5.0, description="Wall-clock limit per test, load included.")
    memory_mb: MemoryMB = Field(256, description="Address space per process (RLIMIT_AS).")
    output_bytes: OutputBytes = Field(65536, description="stdout+stderr cap per test.")
    processes: Processes = Field(32, description="Processes+threads at once (RLIMIT_NPROC).")
    file_size_mb: FileSizeMB = Field(16, description="Largest file the program may write.")
    compile_timeout_s: TimeoutS = Field(30.0, description="Wall-clock limit of the compile step.")
    compile_memory_mb: MemoryMB = Field(
        2048, description="Address space of each compiler process (a JVM's heap is half)."
    )


DEFAULT_LIMITS = SandboxLimits()


class OutputRule(BaseModel):
    """How a stdin/stdout test's output is compared (the runner's `compare.py` applies it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: OutputMode = "lines"
    abs_tol: float = Field(1e-6, ge=0, le=1e9)
    rel_tol: float = Field(1e-6, ge=0, le=1)


class ProgramTest(BaseModel):
    """Either `code` (Python: run in the program's namespace, passes if it returns; another
    language: a test harness appended to the program, passes if it runs to completion),
    stdin/stdout, with the rule its output is compared by (`None`: lines), or a `call` of the
    job's `entry_point` (Python: `{"args", "kwargs", "expected"}` as plain-data trees, judged
    by the job's `call_check` or `==`). A checker job's case also carries `output`, the
    program's output for that input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str | None = None
    stdin: str | None = None
    stdout: str | None = None
    compare: OutputRule | None = None
    output: str | None = None
    call: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ProgramTest:
        if [self.code, self.stdout, self.call].count(None) != 2:
            raise ValueError("a test has one of `code`, `stdin`/`stdout` or `call`")
        if self.compare is not None and self.stdout is None:
            raise ValueError("`compare` applies to stdin/stdout tests only")
        return self


class Job(BaseModel):
    """One program and its tests, in `language`. `fresh` asks for a container of its own
    (slower, paranoid); `isolation`, `judge_in` and `entry_point` are the /code item's (see
    CodeTestFields); `dialect` is the item's `std` (C, C++) or `edition` (Rust), None for the
    language's default. A `checker` job's program is an item's checker and its tests are cases."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    program: str
    language: Language = "python"
    kind: JobKind = "program"
    tests: tuple[ProgramTest, ...] = Field(min_length=1)
    limits: SandboxLimits = DEFAULT_LIMITS
    fresh: bool = False
    isolation: Isolation = "shared"
    judge_in: JudgeIn = "auto"
    entry_point: str | None = None
    stop_on_first_failure: bool = False
    deadline_s: DeadlineS | None = None
    call_check: str | None = None
    dialect: str | None = None

    @model_validator(mode="after")
    def _known_dialect(self) -> Job:
        if self.dialect is not None and self.dialect not in DIALECTS.get(self.language, ()):
            raise ValueError(f"{self.language} has no dialect {self.dialect!r}")
        return self

    def key(self) -> str:
        """Identity for deduplication: identical program, dialect, tests and limits run once."""
        # pydantic's own serializer: fields in declaration order, so equal jobs give equal bytes
        try:
            payload = self.model_dump_json(exclude={"fresh"}).encode()
        except ValueError:  # a lone surrogate, which it refuses: json escapes it
            payload = json.dumps(self.model_dump(exclude={"fresh"}), default=repr).encode()
        return hashlib.sha256(payload).hexdigest()

    def backstop_s(self) -> float:
        """How long a backend waits for its runner before it gives the container up."""
        compile_s = 0.0 if self.language == "python" else self.limits.compile_timeout_s * 2
        tests_s = len(self.tests) * (self.limits.timeout_s + 1.0)
        if self.deadline_s is not None:
            tests_s = min(tests_s, self.deadline_s + self.limits.timeout_s + 1.0)
        return tests_s + compile_s + 10.0


class TestResult(BaseModel):
    """One test's outcome; also what `/code` returns per test (`phase` stays internal)."""

    __test__ = False  # a model, not a pytest test class

    status: TestStatus
    detail: str | None = None
    judged_in: JudgedIn | None = Field(
        None,
        description="`outside` the program (plain data only, or stdout compared by the runner) "
        "or `inside` its process (a test harness, or a Python test that needs its objects).",
    )
    score: float | None = Field(
        None,
        description="The checker's score in [0, 1] (items with a `checker` only).",
        exclude_if=lambda value: value is None,
    )
    # a stdin/stdout test's output when the item's checker judges it (never sent back)
    stdout: str | None = Field(None, exclude=True)
    # Set when the program never got as far as the test (it did not compile, or its module-level
    # code failed): the item is then a load failure (see reward_service.rewards.code).
    phase: LoadPhase | None = Field(None, exclude=True)


class JobResult(BaseModel):
    tests: list[TestResult] = Field(default_factory=list)
    infra_error: str | None = None
    elapsed_ms: float = 0.0
    compile_ms: float | None = None  # compiled languages: the share of elapsed_ms spent compiling
    # the item's checker could not judge the program's output (set by the code reward)
    checker_error: str | None = None

    @classmethod
    def infra(cls, message: str) -> JobResult:
        return cls(infra_error=message)

    @property
    def load_failure(self) -> TestResult | None:
        return next((t for t in self.tests if t.phase is not None), None)


class LanguageHealth(BaseModel):
    """Whether one language can be scored now, and with which toolchain."""

    ready: bool
    reason: str | None = Field(None, description="Why it is not ready, and what to do.")
    image: str | None = None
    toolchain: str | None = Field(None, description="The compiler or runtime and its version.")


class EngineInfo(BaseModel):
    """The container engine behind a pool, for /healthz; the containers' spec adapts to it
    (sandbox/docker_pool/engine.py finds it out)."""

    model_config = ConfigDict(frozen=True)

    engine: str = Field(description="`docker` or `podman`.")
    version: str = ""
    url: str = Field("", description="The engine's API address.")
    rootless: bool = False
    runtime: str = Field("runc", description="The OCI runtime containers run under.")
    cgroup_version: str = ""
    limits_not_enforced: list[str] = Field(
        default_factory=list,
        description="Container limits the engine accepts but cannot enforce (memory, pids, cpus).",
    )
    uid_first: int = Field(1_000_000, description="Lowest uid the runner may use.")
    uid_count: int = Field(
        1_000_000_000, description="How many uids from uid_first the runner may use."
    )

    @property
    def podman(self) -> bool:
        return self.engine == "podman"


class SandboxHealth(BaseModel):
    """What a backend can say about itself, for /healthz, /metrics and the queue bound.

    A backend reports the fields it knows; /healthz shows the ones it set (pool figures only for
    a pool), so `ready` and `reason` alone describe a sandbox that is off. A sandbox of several
    pools sums their figures and says per language what is ready (`languages`)."""

    ready: bool
    reason: str | None = Field(None, description="Why it is not ready.")
    backend: str | None = None
    image: str | None = None
    pool_id: str | None = Field(None, description="The value of the containers' pool label.")
    pool_size: int = Field(0, description="Healthy containers.")
    pool_target: int = Field(0, description="Containers the pool aims for.")
    idle: int = 0
    busy: int = 0
    queued: int = Field(0, description="Jobs waiting for a container.")
    last_error: str | None = None
    toolchain: dict[str, str] | None = Field(
        None, description="Language -> toolchain version, as the image reports it."
    )
    languages: dict[str, LanguageHealth] | None = None
    engine: EngineInfo | None = Field(
        None, description="Which engine and runtime serve, and the limits they cannot enforce."
    )

    def public(self) -> dict[str, object]:
        shown = self.model_dump(exclude_unset=True)
        if self.engine is not None:  # whole: a default (no unenforced limit, not rootless) is news
            shown["engine"] = self.engine.model_dump()
        return shown


RecycleReason = Literal["job_limit", "unclean", "lost", "dead", "cancelled"]


class SandboxObserver(Protocol):
    """What a backend reports as it works (the service's Prometheus metrics implement it)."""

    def job_waited(self, seconds: float) -> None:
        """A job got a container after waiting `seconds` in the queue."""

    def job_ran(self, seconds: float) -> None:
        """A job's program and tests ran in a container for `seconds` (reply received)."""

    def job_compiled(self, language: str, seconds: float) -> None:
        """A compiled language's job spent `seconds` of its run compiling."""

    def container_recycled(self, reason: RecycleReason) -> None:
        """A container left the pool, and why."""


class NullObserver:
    """The default observer: reports go nowhere."""

    def job_waited(self, seconds: float) -> None:
        pass

    def job_ran(self, seconds: float) -> None:
        pass

    def job_compiled(self, language: str, seconds: float) -> None:
        pass

    def container_recycled(self, reason: RecycleReason) -> None:
        pass


@runtime_checkable
class SandboxBackend(Protocol):
    async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        """Runs every job; one result per job, in order; never raises for a job's sake."""
        ...

    def health(self) -> SandboxHealth:
        """Cheap and synchronous: called on every /code request for the queue bound."""
        ...

    async def aclose(self) -> None: ...
