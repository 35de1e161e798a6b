"""What the runner saw of one watched process (`Watched`) and the one classifier of how it
ended (`ended`): every way a program runs (a fresh test child, a program process, a stdio run, a
compiled program, a compiler, a checker) is judged by these, never by an exit code alone.

>>> ended(Watched(timed_out=True))
{'status': 'timeout', 'detail': 'wall-clock time limit exceeded'}
>>> ended(Watched(wait_status=1 << 8))
{'status': 'runtime_error', 'detail': 'exited with code 1'}
>>> ended(Watched(wait_status=9, oom_killed=True))
{'status': 'memory', 'detail': 'killed by the kernel (out of memory)'}
>>> ended(Watched(wait_status=1 << 8, stderr=b"MemoryError"), memory_signs=(b"MemoryError",))
{'status': 'memory', 'detail': 'ran out of memory'}
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field

OUTPUT_LIMIT = {"status": "output_limit", "detail": "output exceeded the limit"}
TIMEOUT = {"status": "timeout", "detail": "wall-clock time limit exceeded"}
OUT_OF_MEMORY = {"status": "memory", "detail": "ran out of memory"}
# the container's OOM-kill counter (cgroup v1, then v2), to tell OOM kills from other SIGKILLs
OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")


class HarnessError(Exception):
    """Our side failed before the program ran (no pipe, no fork, a process that could not drop
    privileges): the job's reply is an error and the service retries on a fresh container.
    Nothing a program does can cause it (what a program can break for its next run is a
    `native.execute.ProgramFault`, which fails that run's test)."""


@dataclass
class Watched:
    """What the runner saw of one process: its output (kept up to the cap), what came on its
    verdict pipe (for processes that report one), how it ended and how long it ran."""

    stdout: bytes = b""
    stderr: bytes = b""
    verdict: bytes = b""
    verdicts: list[dict] = field(default_factory=list)  # the verdict lines, read by token
    wait_status: int | None = None
    timed_out: bool = False
    output_exceeded: bool = False
    oom_killed: bool = False
    elapsed_s: float = 0.0

    @property
    def exit_code(self) -> int | None:
        """The exit code of a process that exited by itself; None if it was killed."""
        if self.wait_status is None or self.timed_out or self.output_exceeded:
            return None
        if os.WIFEXITED(self.wait_status):
            return os.WEXITSTATUS(self.wait_status)
        return None

    @property
    def killed(self) -> bool:
        """Ended by SIGKILL (only then is the container's OOM count worth reading)."""
        status = self.wait_status
        return status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9


def ended(seen: Watched, unfinished: str = "", memory_signs: tuple[bytes, ...] = ()) -> dict:
    """How it ended, as a test status and detail: the output cap, the wall clock, out of memory
    (the OOM killer, or a runtime's report of it in stderr among `memory_signs`), the CPU-time
    limit, a signal, or an exit code (`unfinished` says what that exit cut short)."""
    if seen.output_exceeded:
        return dict(OUTPUT_LIMIT)
    if seen.timed_out:
        return dict(TIMEOUT)
    if seen.exit_code != 0 and any(sign in seen.stderr for sign in memory_signs):
        return dict(OUT_OF_MEMORY)
    return exit_outcome(seen.wait_status, seen.oom_killed, unfinished)


def exit_outcome(wait_status: int | None, oom_killed: bool = True, unfinished: str = "") -> dict:
    """A wait status as a test status and detail (an unknown end: `lost`)."""
    if wait_status is None:
        return {"status": "runtime_error", "detail": "lost"}
    if os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        if sig == signal.SIGXCPU:
            return {"status": "timeout", "detail": "CPU time limit exceeded"}
        if sig == signal.SIGKILL and oom_killed:
            return {"status": "memory", "detail": "killed by the kernel (out of memory)"}
        return {"status": "runtime_error", "detail": f"killed by signal {sig}"}
    code = os.WEXITSTATUS(wait_status)
    return {"status": "runtime_error", "detail": f"exited with code {code}{unfinished}"}


def oom_kills() -> int:
    """How many processes the kernel's OOM killer ended in this container; -1 if unknown."""
    for path in OOM_FILES:
        try:
            with open(path) as fh:
                for line in fh:
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return -1
