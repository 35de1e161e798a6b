"""The one loop that watches a running process: `Watch.run`.

Every way a program runs is watched by it: a fresh test child and a compiled program or compiler
(a child of the runner's: `ChildExit`, a pidfd), a program process while it loads, while the
judge calls it, or while it runs one stdin/stdout test (a child of the zygote's: `ZygoteExit`,
the zygote's notice). The loop feeds the process its stdin, reads its output pipes (`Capture`,
counted against the output cap) and any other pipe of the caller's (a channel: the verdict pipe,
the judge's reports), and stops at the first of: the process ended, a condition of the caller's,
the counted output over the cap, the deadline. The caller decides what each means
(`outcome.ended` for how the process ended).

`follow_child` is the whole watch of a runner's child from start to reaped end.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Callable
from typing import Protocol

from sandbox_runner.outcome import Watched

READ_BYTES = 1 << 16
WRITE_BYTES = 1 << 16
DRAIN_READS = 1024  # after the end: what is left in a pipe, within reason


class Capture:
    """One pipe a watched process writes: every byte read is counted; the first `keep` bytes are
    kept (with `tail`, the last `keep`); `at_end` once it reached end of file."""

    def __init__(self, fd: int, keep: int, tail: bool = False) -> None:
        self.fd, self.keep, self.tail = fd, keep, tail
        self.data = bytearray()
        self.at_end = False
        os.set_blocking(fd, False)

    def read(self) -> int:
        """One read of what is there; the number of bytes read."""
        try:
            chunk = os.read(self.fd, READ_BYTES)
        except BlockingIOError:
            return 0
        except OSError:
            chunk = b""
        if not chunk:
            self.at_end = True
            return 0
        if self.tail:
            self.data += chunk
            del self.data[: max(0, len(self.data) - self.keep)]
        elif len(self.data) < self.keep:
            self.data += chunk[: self.keep - len(self.data)]
        return len(chunk)

    def drain(self) -> int:
        """Reads until the pipe is empty (or at its end); the bytes read."""
        total = 0
        for _ in range(DRAIN_READS):
            count = self.read()
            if not count:
                break
            total += count
        return total


class Exit(Protocol):
    """How the watch learns that its process ended, and how it ends one."""

    def fileno(self) -> int:
        """Readable when the process may have ended; -1: look every millisecond."""
        ...

    def ended(self) -> bool: ...

    def kill(self) -> None: ...

    def reap(self) -> int | None:
        """Its wait status, once ended (waits for it); None if it could not be learnt."""
        ...


class ChildExit:
    """A child of this process: a pidfd says when it ended (without one, waitid looks)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self.fd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # an old kernel, or a seccomp profile without it
            self.fd = -1

    def fileno(self) -> int:
        return self.fd

    def ended(self) -> bool:
        if self.fd >= 0:
            return True  # asked only once the pidfd is readable
        found = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return found is not None

    def kill(self) -> None:
        """Its whole process group."""
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError):
                kill(self.pid, signal.SIGKILL)

    def reap(self) -> int | None:
        _, status = os.waitpid(self.pid, 0)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        return status


class Watch:
    """One watch of a process: its pipes, its stdin, its deadline and output cap. Attributes the
    caller may change between runs (or from a channel's handler): `deadline` (monotonic time,
    None: none), `cap` (None: none) and `counted` (the output counted against it)."""

    def __init__(self, exit: Exit, timeout_s: float | None, cap: int | None) -> None:
        self.exit = exit
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.cap = cap
        self.counted = 0
        self.exited = False
        self.captures: list[tuple[Capture, bool]] = []
        self.channels: dict[int, Callable[[], None]] = {}
        self.stdin_fd, self.stdin = -1, b""

    def capture(self, capture: Capture, counted: bool = True) -> Capture:
        self.captures.append((capture, counted))
        return capture

    def channel(self, fd: int, on_readable: Callable[[], None]) -> None:
        """Another pipe: `on_readable` reads it (and may change this watch) when it is."""
        self.channels[fd] = on_readable

    def feed(self, fd: int, data: bytes) -> None:
        """Writes `data` to the process's stdin `fd` as it reads, then closes it (the watch owns
        the fd from here: `close_stdin`)."""
        self.stdin_fd, self.stdin = fd, data
        if data:
            os.set_blocking(fd, False)
        else:
            self.close_stdin()

    def run(
        self,
        until: Callable[[], bool] | None = None,
        on_exit: Callable[[], bool] | None = None,
    ) -> str:
        """Watches until the process ended (`exited`; with `on_exit`, only when it returns
        True), `until()` holds (`done`), the counted output is over the cap (`output`) or the
        deadline passed (`timeout`); says which."""
        poller = self._poller()
        exit_fd = self.exit.fileno() if not self.exited else -1
        while True:
            wait = None if self.deadline is None else self.deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return "timeout"
            if not self.exited and exit_fd < 0:
                wait = 0.001 if wait is None else min(wait, 0.001)
            ended_now = False
            for fd, _ in poller.poll(None if wait is None else wait * 1000):
                if fd == exit_fd:
                    ended_now = self.exit.ended()
                elif fd == self.stdin_fd:
                    self._write_stdin(poller)
                elif fd in self.channels:
                    self.channels[fd]()
                else:
                    self._read(fd, poller)
            if not self.exited and exit_fd < 0:
                ended_now = self.exit.ended()
            stop_at_exit = False
            if ended_now:
                self.exited = True
                if exit_fd >= 0:
                    poller.unregister(exit_fd)
                    exit_fd = -1
                stop_at_exit = on_exit is None or on_exit()
            if until is not None and until():
                return "done"
            if self.over_cap():
                return "output"
            if stop_at_exit:
                return "exited"

    def over_cap(self) -> bool:
        return self.cap is not None and self.counted > self.cap

    def drain(self) -> None:
        """What the pipes still hold, once the process and what it left behind are gone."""
        for capture, counted in self.captures:
            read = capture.drain()
            self.counted += read if counted else 0

    def close_stdin(self) -> None:
        if self.stdin_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.stdin_fd)
            self.stdin_fd = -1

    def _poller(self) -> select.poll:
        poller = select.poll()
        for capture, _ in self.captures:
            if not capture.at_end:
                poller.register(capture.fd, select.POLLIN)
        for fd in self.channels:
            poller.register(fd, select.POLLIN)
        if self.stdin_fd >= 0:
            poller.register(self.stdin_fd, select.POLLOUT)
        if not self.exited and self.exit.fileno() >= 0:
            poller.register(self.exit.fileno(), select.POLLIN)
        return poller

    def _read(self, fd: int, poller: select.poll) -> None:
        for capture, counted in self.captures:
            if capture.fd == fd:
                read = capture.read()
                self.counted += read if counted else 0
                if capture.at_end:  # select would never wait on it again
                    poller.unregister(fd)
                return

    def _write_stdin(self, poller: select.poll) -> None:
        try:
            self.stdin = self.stdin[os.write(self.stdin_fd, self.stdin[:WRITE_BYTES]) :]
        except BlockingIOError:
            pass
        except OSError:  # the program stopped reading: fine
            self.stdin = b""
        if not self.stdin:
            poller.unregister(self.stdin_fd)
            self.close_stdin()


def follow_child(
    pid: int,
    timeout_s: float,
    cap: int,
    pipes: tuple[int, int, int],
    stdin: tuple[int, bytes],
    end_others: Callable[[], object],
) -> Watched:
    """Watches child `pid` to its end: `pipes` are the runner's ends of its stdout, stderr (both
    counted towards `cap` bytes) and verdict pipe (-1: none); `stdin` is its stdin's fd and what
    to feed it (closed here). At the deadline or the cap its process group is killed; once it is
    reaped, `end_others()` stops any writer it left behind and what they wrote is taken."""
    started = time.monotonic()
    watch = Watch(ChildExit(pid), timeout_s, cap)
    out, err, verdict_fd = pipes
    stdout = watch.capture(Capture(out, cap + 1))
    stderr = watch.capture(Capture(err, cap + 1))
    verdict = (
        watch.capture(Capture(verdict_fd, cap + 1), counted=False) if verdict_fd >= 0 else None
    )
    watch.feed(*stdin)
    try:
        why = watch.run()
        if why != "exited":  # the deadline or the cap: its whole process group goes
            watch.exit.kill()
        status = watch.exit.reap()
        end_others()
        watch.drain()
    finally:
        watch.close_stdin()
    return Watched(
        stdout=bytes(stdout.data),
        stderr=bytes(stderr.data),
        verdict=bytes(verdict.data) if verdict is not None else b"",
        wait_status=status,
        timed_out=why == "timeout",
        output_exceeded=why == "output" or watch.counted > cap,
        elapsed_s=time.monotonic() - started,
    )
