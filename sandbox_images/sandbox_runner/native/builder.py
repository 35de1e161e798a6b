"""Compiling a job's program once: the `Builder` runs every compile step as the build uid in
/tmp/build under the job's compile limits (or sends it to a warm compiler, `compile_server.py`),
and a language's recipe (`languages.py`) returns what one test runs (`Built`) or raises
BuildFailed with what the compiler said. Programs run as the program uid in /tmp/run; they can
read and run what was built but not change it.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field, replace

from sandbox_runner import catalogue
from sandbox_runner.native import sources
from sandbox_runner.native.compile_server import CompileServers, ServerFailed
from sandbox_runner.native.execute import ENV, Limits, run
from sandbox_runner.outcome import Watched, ended

BUILD = "/tmp/build"
RUN = "/tmp/run"
SUPPORT = "/opt/sandbox/support"  # what prepare.py made at image build time
VENDOR = "/opt/vendor"  # registry packages the image was built with (Node.js, TypeScript)
GO_ROOT = catalogue.setting("go", "root")
COMPILE_OUTPUT_BYTES = 1 << 20  # diagnostics kept
COMPILE_PROCESSES = 128  # gcc's driver, javac's and go's threads, rustc's linker


class BuildFailed(Exception):
    """The program does not compile (or a compile-time bomb hit a limit): a load failure."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class Built:
    """What one test runs: `argv` in /tmp/run, `harness`: with the verdict pipe."""

    argv: list[str]
    harness: bool = False
    env: dict[str, str] = field(default_factory=lambda: dict(ENV))
    # the program is parsed when a test starts it: a syntax error there is a compile error
    parsed_at_load: bool = False
    # what the harness's wrapper gets after the token on fd 3 (Node: support/harness.js's names)
    handshake: str = ""
    # files each run writes into its own working directory before it starts (JavaScript: the
    # program, which needs no compiler, so no build step costs a process per job)
    files: dict[str, str] = field(default_factory=dict)

    def encoded_files(self) -> dict[str, bytes]:
        return {name: text.encode("utf-8", "surrogatepass") for name, text in self.files.items()}


def which(name: str) -> str:
    path = shutil.which(name, path=ENV["PATH"] + f":{GO_ROOT}/bin")
    if path is None:
        raise FileNotFoundError(f"{name} is not installed in this image")
    return path


class Builder:
    """Runs compile steps as `uid` in /tmp/build under `limits`, or sends them to a warm
    compiler of the container's (`servers`)."""

    def __init__(
        self,
        uid: int,
        limits: Limits,
        env: dict[str, str] | None = None,
        servers: CompileServers | None = None,
    ) -> None:
        self.uid, self.limits, self.env = uid, limits, env or dict(ENV)
        self.servers = servers
        self.elapsed_s = 0.0
        self.deadline = time.monotonic() + limits.timeout_s  # for all the steps together

    def remaining_s(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise BuildFailed("timeout", "the compiler did not finish in time (compile time limit)")
        return remaining

    def serve(self, name: str, argv: list[str], files: dict[str, str]) -> str:
        """Compiles `files` in /tmp/build with the warm compiler `name`; its diagnostics, or
        BuildFailed as a compile step would fail."""
        assert self.servers is not None, "this runner keeps no warm compilers"
        started = time.monotonic()
        try:
            ok, said = self.servers.compile(
                name, argv, "/", self.limits, self.env, files, self.remaining_s()
            )
        except ServerFailed as failed:
            raise BuildFailed(failed.status, failed.detail) from failed
        finally:
            self.elapsed_s += time.monotonic() - started
        if not ok:
            raise BuildFailed("runtime_error", sources.first_lines(said) or "the compiler failed")
        return said

    def step(self, argv: list[str], files: dict[str, str] | None = None) -> Watched:
        limits = replace(self.limits, timeout_s=self.remaining_s())
        encoded = {
            name: text.encode("utf-8", "surrogatepass") for name, text in (files or {}).items()
        }
        ran = run(argv, uid=self.uid, cwd=BUILD, limits=limits, env=self.env, files=encoded)
        self.elapsed_s += ran.elapsed_s
        return ran

    def check(self, ran: Watched, what: str = "the compiler") -> Watched:
        """`ran` if it succeeded; BuildFailed with the compiler's first lines otherwise."""
        if ran.exit_code == 0:
            return ran
        said = sources.first_lines((ran.stderr + b"\n" + ran.stdout).decode("utf-8", "replace"))
        how = ended(ran)
        if how["status"] == "timeout":
            raise BuildFailed("timeout", f"{what} did not finish in time (compile time limit)")
        if how["status"] == "memory" or _out_of_memory(said):
            raise BuildFailed("memory", f"{what} ran out of memory (compile memory limit)")
        if how["status"] == "output_limit":
            raise BuildFailed("output_limit", f"{what} printed too much: {said[:300]}")
        if ran.exit_code is None:
            said = f"{how['detail']}\n{said}".strip()
        raise BuildFailed("runtime_error", said or f"{what} failed ({how['detail']})")


def _out_of_memory(said: str) -> bool:
    signs = ("out of memory", "Cannot allocate memory", "OutOfMemoryError", "memory exhausted")
    signs += ("memory allocation of",)  # Rust's
    return any(sign in said for sign in signs)


def compile_limits(job_limits: dict) -> Limits:
    return Limits(
        timeout_s=job_limits["compile_timeout_s"],
        address_space_mb=job_limits["compile_memory_mb"],
        output_bytes=COMPILE_OUTPUT_BYTES,
        processes=COMPILE_PROCESSES,
        file_size_mb=job_limits["file_size_mb"],
    )
