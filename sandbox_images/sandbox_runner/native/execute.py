"""Run one command as an unprivileged uid under limits, and watch it: the runner's only way of
starting a compiler, a compiled program or a checker.

The child process drops to `uid` (after its rlimits are set), writes the files it was given (so
they belong to that uid), changes to `cwd` and execs. Where the image has the compiled launcher
(`support/launch.c`: the images with a C compiler) a run without files starts through it with
posix_spawn, which costs about a millisecond less than a fork of this Python process. The
runner feeds its stdin, caps what it writes (stdout and stderr together), enforces the
wall-clock limit, and afterwards ends every process of that uid, so nothing a command left in
the background outlives it. A harness run also
gets a token on fd 3 and a verdict pipe on fd 4 (see `support/`). What was seen is an
`outcome.Watched`, judged by `outcome.ended`.

A failure on our side before the command ran (no pipe, no fork, an exec that failed) raises
HarnessError: the job's reply is then an error and the service retries it elsewhere. What a
program can break for its next command, its working directory (it owns /tmp/run: a `chmod 0`,
a file in its place) or its uid's process count, raises ProgramFault instead, which the test
that meets it fails with.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import signal
import time
from dataclasses import dataclass

from sandbox_runner.outcome import HarnessError, Watched, oom_kills
from sandbox_runner.reset import kill_leftovers
from sandbox_runner.watch import follow_child

ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    # glibc's malloc keeps an arena (up to 64 MB of address space) per thread; the dozen threads
    # of a JVM or of Node would reserve ~0.9 GB beyond their heap under RLIMIT_AS (languages.py)
    "MALLOC_ARENA_MAX": "2",
}
LAUNCHER = "/opt/sandbox/support/launch"
# how the child or the launcher reports what only the program can have caused: a working
# directory it made unusable, or so many of its processes still around that exec is refused
PROGRAM_FAULTS = (b"cwd: ", b"nproc: ")
FAIL_FD = 5  # where the launcher reports a failure before its exec


class ProgramFault(Exception):
    """The command could not start because the program left its working directory unusable."""


@dataclass(frozen=True)
class Limits:
    """What one command may use; `address_space_mb` is RLIMIT_AS (runtimes that reserve more
    than they use get a larger one and bound their heap with their own flag)."""

    timeout_s: float
    address_space_mb: int
    output_bytes: int
    processes: int
    file_size_mb: int
    # RLIMIT_STACK: None keeps the runner's (8 MB); a program's is unlimited, so that its
    # RLIMIT_AS bounds it (languages.run_limits), as judges allow deep recursion
    stack_bytes: int | None = None


def run(
    argv: list[str],
    *,
    uid: int,
    cwd: str,
    limits: Limits,
    stdin: bytes = b"",
    env: dict[str, str] | None = None,
    files: dict[str, bytes] | None = None,
    token: bytes | None = None,
) -> Watched:
    """Runs `argv` to its end (or its limits); never raises for what the command does."""
    oom_before = oom_kills()
    pipes = _Pipes(token)
    try:
        started = time.monotonic()
        if not files and os.path.exists(LAUNCHER):
            pid = _launch(argv, uid, cwd, limits, env or ENV, pipes.theirs, pipes.fail_w)
        else:
            pid = os.fork()
            if pid == 0:
                _child(argv, uid, cwd, limits, env or ENV, files or {}, pipes.theirs, pipes.fail_w)
    except OSError as exc:
        pipes.close()
        raise HarnessError(f"cannot start a process: {exc}") from exc
    pipes.close_theirs()
    try:
        _check_started(pid, pipes.fail_r, argv)
        ran = follow_child(
            pid,
            limits.timeout_s,
            limits.output_bytes,
            (pipes.out_r, pipes.err_r, pipes.verdict_r),
            (pipes.take_stdin(), stdin),  # the watch closes it
            lambda: kill_leftovers(uid),
        )
        ran.elapsed_s = time.monotonic() - started
        # unknown counter (-1): a SIGKILL nobody else sent is most likely the OOM killer
        ran.oom_killed = oom_before < 0 or oom_kills() > oom_before
        return ran
    finally:
        pipes.close()


class _Pipes:
    """A command's pipes: stdin, stdout, stderr, the failure pipe (closed by a successful exec)
    and, for a harness run, the token (written now: the pipe holds the few bytes until the
    wrapper reads them) and the verdict pipe. HarnessError if they can't be made."""

    def __init__(self, token: bytes | None) -> None:
        self.opened: list[int] = []
        self.verdict_r = -1
        try:
            stdin_r, self.stdin_w = self._pipe()
            self.out_r, out_w = self._pipe()
            self.err_r, err_w = self._pipe()
            self.fail_r, self.fail_w = self._pipe(os.O_CLOEXEC)
            self.theirs = [stdin_r, out_w, err_w]
            if token is not None:
                token_r, token_w = self._pipe()
                self.verdict_r, verdict_w = self._pipe()
                self.theirs += [token_r, verdict_w]
                os.write(token_w, token)
                self.close_fd(token_w)
        except OSError as exc:
            self.close()
            raise HarnessError(f"cannot start a process: {exc}") from exc

    def _pipe(self, flags: int = 0) -> tuple[int, int]:
        pair = os.pipe2(flags)
        self.opened += pair
        return pair

    def take_stdin(self) -> int:
        """The runner's end of stdin, now the caller's to close."""
        self.opened.remove(self.stdin_w)
        return self.stdin_w

    def close_fd(self, fd: int) -> None:
        os.close(fd)
        self.opened.remove(fd)

    def close_theirs(self) -> None:
        """The child's ends, once it has them."""
        for fd in [*self.theirs, self.fail_w]:
            self.close_fd(fd)

    def close(self) -> None:
        for fd in self.opened:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.opened = []


def _check_started(pid: int, fail_r: int, argv: list[str]) -> None:
    """Waits for the exec (the failure pipe closes); what failed before it is ours
    (HarnessError) or, for a working directory or process count the program broke, the
    program's (ProgramFault)."""
    failure = _read_all(fail_r)
    if not failure:
        return
    os.waitpid(pid, 0)
    said = failure.decode(errors="replace")
    if failure.startswith(PROGRAM_FAULTS):
        raise ProgramFault(f"it could not start again ({said})")
    raise HarnessError(f"could not start {argv[0]}: {said}")


def spawn(
    argv: list[str], *, uid: int, cwd: str, limits: Limits, env: dict[str, str]
) -> tuple[int, int, int, int]:
    """Starts a long-lived command (a warm compiler) set up as `run` sets one up; returns its
    pid and the runner's ends of its stdin, stdout and stderr. HarnessError if it can't start."""
    pipes = [os.pipe() for _ in range(3)]
    fail_r, fail_w = os.pipe2(os.O_CLOEXEC)
    theirs = [pipes[0][0], pipes[1][1], pipes[2][1]]
    try:
        pid = os.fork()
    except OSError as exc:
        for fd in [fail_r, fail_w, *(fd for pair in pipes for fd in pair)]:
            os.close(fd)
        raise HarnessError(f"cannot start {argv[0]}: {exc}") from exc
    if pid == 0:  # no CPU-time limit: it lives for many jobs (each compile has a deadline)
        _child(argv, uid, cwd, limits, env, {}, theirs, fail_w, cpu_limited=False)
    for fd in [*theirs, fail_w]:
        os.close(fd)
    failure = _read_all(fail_r)
    os.close(fail_r)
    ours = (pipes[0][1], pipes[1][0], pipes[2][0])
    if failure:
        for fd in ours:
            os.close(fd)
        os.waitpid(pid, 0)
        raise HarnessError(f"could not start {argv[0]}: {failure.decode(errors='replace')}")
    return pid, *ours


def _launch(
    argv: list[str],
    uid: int,
    cwd: str,
    limits: Limits,
    env: dict[str, str],
    theirs: list[int],
    fail_w: int,
) -> int:
    """The launcher, spawned with `theirs` as fds 0.. and the failure pipe as FAIL_FD."""
    settings = [
        str(uid),
        str(limits.address_space_mb * 1024 * 1024),
        str(int(limits.timeout_s) + 2),
        str(limits.processes),
        str(limits.file_size_mb * 1024 * 1024),
        "-" if limits.stack_bytes is None else str(limits.stack_bytes),
        cwd,
        str(len(theirs)),  # the fds the command keeps: 3, or 5 with a harness's pipes
    ]
    # out of the way of 0..5 first, then into place: a source may already be one of them
    moves = [(fd, 64 + i) for i, fd in enumerate([*theirs, fail_w])]
    places = [(64 + i, target) for i, target in enumerate([*range(len(theirs)), FAIL_FD])]
    actions = [(os.POSIX_SPAWN_DUP2, a, b) for a, b in moves + places]
    actions += [(os.POSIX_SPAWN_CLOSE, 64 + i) for i in range(len(moves))]
    return os.posix_spawn(
        LAUNCHER,
        [LAUNCHER, *settings, "--", *argv],
        env,
        file_actions=actions,
        setpgroup=0,
        setsigdef=(signal.SIGPIPE,),
    )


def _child(
    argv: list[str],
    uid: int,
    cwd: str,
    limits: Limits,
    env: dict[str, str],
    files: dict[str, bytes],
    theirs: list[int],
    fail_w: int,
    cpu_limited: bool = True,
) -> None:
    """In the forked child: never returns. Anything that goes wrong before exec is ours, and
    is reported on the close-on-exec pipe."""
    try:
        os.setpgid(0, 0)
        # out of the way of 0..4 first, then into place: a source may already be one of them
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in theirs]
        for target, fd in enumerate(high):
            os.dup2(fd, target)
        os.closerange(len(theirs), fail_w)
        os.closerange(fail_w + 1, 65536)
        _limit(limits, cpu_limited)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getuid() == 0 or os.geteuid() == 0:  # never run anything untrusted as root
            raise PermissionError("still root after dropping privileges")
        os.umask(0o022)  # what it builds, other uids may read and run, not change
        try:
            os.makedirs(cwd, mode=0o755, exist_ok=True)
            os.chdir(cwd)
        except OSError as exc:
            os.write(fail_w, b"cwd: " + str(exc).encode()[:500])
            os._exit(127)
        for name, data in files.items():
            path = os.path.join(cwd, name)
            try:
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)  # whatever an earlier run left there: a link, a read-only file
                with open(path, "xb") as fh:
                    fh.write(data)
            except OSError as exc:  # a working directory the command's uid made unusable
                os.write(fail_w, b"cwd: " + str(exc).encode()[:500])
                os._exit(127)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # the runner ignores it; programs expect it
        try:
            os.execve(argv[0], argv, env)
        except BlockingIOError as exc:  # EAGAIN: its uid is over RLIMIT_NPROC
            os.write(fail_w, b"nproc: " + str(exc).encode()[:500])
            os._exit(127)
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            os.write(fail_w, f"{type(exc).__name__}: {exc}".encode()[:1000])
    finally:
        os._exit(127)


def _limit(limits: Limits, cpu_limited: bool) -> None:
    """The command's rlimits (as the launcher sets them: support/launch.c)."""
    address_space = limits.address_space_mb * 1024 * 1024
    cpu_s = int(limits.timeout_s) + 2
    file_size = limits.file_size_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    if cpu_limited:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    if limits.stack_bytes is not None:
        resource.setrlimit(resource.RLIMIT_STACK, (limits.stack_bytes, limits.stack_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    # the OOM killer picks it, never the runner
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as fh:
        fh.write("1000")


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
