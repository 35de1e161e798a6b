"""Confining a process before untrusted code runs in it: its environment, descriptors, limits
and uid. Used by every process that runs a program (a program process, a fresh test child) and
by the judge, which runs the tests' own code under a uid of its own.
"""

from __future__ import annotations

import builtins
import math
import os
import resource
import sys

# every process that runs a program gets this environment and nothing of the image's
CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
# taken at import (in PID 1, before any program ran): a test child or a stdio run restores
# the builtins from a private copy of this
PRISTINE_BUILTINS = dict(builtins.__dict__)
RUNNER_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not on a program's path
OPEN_FILES = 256


def shed_environment() -> None:
    """PID 1 starts itself again with an empty environment, then clears `os.environ`. Clearing
    `os.environ` alone leaves the block `/proc/1/environ` shows (laid out at exec, kept by every
    fork); Linux hides it from other uids, Debian's gVisor (20221219) does not. The block, not
    `os.environ`, says whether to start again: Python itself adds LC_CTYPE (PEP 538)."""
    with open("/proc/self/environ", "rb") as block:
        if block.read(1):
            os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {})
    os.environ.clear()


def close_all_but(keep: tuple[int, ...] | list[int]) -> None:
    """Closes every descriptor from 3 up but `keep` (a few syscalls, not one per number)."""
    low = 3
    for fd in sorted(set(keep)):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1024)


def drop_privileges(uid: int, limits: dict, tests: int = 1) -> None:
    """Limits first (lowering rlimits needs no privilege), then the uid switch. A process that
    serves `tests` tests gets CPU time for all of them (the runner's wall clock is per test)."""
    memory = limits["memory_mb"] * 1024 * 1024
    cpu_s = (math.ceil(limits["timeout_s"]) + 1) * max(1, tests)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    file_size = limits["file_size_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
    try:  # make the OOM killer pick us, never the runner (os, not io: fewer pages touched)
        adjust = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        try:
            os.write(adjust, b"1000")
        finally:
            os.close(adjust)
    except OSError:
        pass
    become(uid)


def become(uid: int) -> None:
    """Switches to `uid` for good (and its group, no supplementary ones); never stays root."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() == 0 or os.geteuid() == 0:  # defence in depth: never run untrusted as root
        os._exit(99)
