"""PID 1 as a zygote: the pristine process every program process is forked from.

PID 1 forks the job runner at start and from then on only serves it: on request it forks a
program process (`program.py`) with the pipes the runner passed over a unix socket, answers with
the child's pid, and reports each such child's exit status when it ends. It never reads a job:
the frames, the tests and the expected outputs reach the runner only, so no test is anywhere in
a program process's memory, not even in freed pages a program could scan for with ctypes.

PID 1 is also init: it reaps every orphan. `kill(-1)` from the runner, which empties the
container between jobs, spares PID 1 (the kernel never sends it to init), so the zygote outlives
every job. When the runner ends (the service closed the stream), PID 1 ends the container.

    request:  {"uid": int, "limits": {...}} + fds (the job comes later, from the runner)
    answers:  {"pid": int}, and later, unasked, {"exited": pid, "status": wait status}
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import time

MAX_MESSAGE = 65536
MAX_FDS = 8


def serve(sock: socket.socket, runner_pid: int) -> int:
    """PID 1's loop; returns the runner's exit code once it ended."""
    from sandbox_runner.program import program_main

    woken_r, woken_w = os.pipe()
    os.set_blocking(woken_w, False)
    signal.set_wakeup_fd(woken_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the poll below
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    poller.register(woken_r, select.POLLIN)
    spawned: set[int] = set()
    while True:
        for fd, _ in poller.poll():
            if fd == woken_r:
                os.read(woken_r, 4096)
                continue
            try:
                message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, MAX_FDS)
            except InterruptedError:
                continue
            if not message:
                break  # the runner closed its end
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(woken_r)
                os.close(woken_w)
                sock.close()
                try:
                    program_main(json.loads(message), fds)
                finally:
                    os._exit(97)
            for passed in fds:
                os.close(passed)
            spawned.add(pid)
            _send(sock, {"pid": pid})
        runner_status = _reap(sock, spawned, runner_pid)
        if runner_status is not None:
            return os.waitstatus_to_exitcode(runner_status)


def _reap(sock: socket.socket, spawned: set[int], runner_pid: int) -> int | None:
    """Reaps every ended child; reports program processes; the runner's status if it ended."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return None
        if pid == 0:
            return None
        if pid == runner_pid:
            return status
        if pid in spawned:
            spawned.discard(pid)
            _send(sock, {"exited": pid, "status": status})


def _send(sock: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):  # the runner is gone; the loop notices
        sock.send(json.dumps(message).encode())


class Zygote:
    """The runner's end: spawn program processes, learn how they ended."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.exits: dict[int, int] = {}

    def fileno(self) -> int:
        return self.sock.fileno()

    def spawn(self, uid: int, limits: dict, fds: list[int]) -> int:
        request = {"uid": uid, "limits": limits}
        socket.send_fds(self.sock, [json.dumps(request).encode()], fds)
        while True:
            message = self._receive(block=True)
            if "pid" in message:
                return int(message["pid"])

    def collect(self) -> None:
        """Takes the exit reports that arrived (non-blocking)."""
        while select.select([self.sock], [], [], 0)[0]:
            self._receive(block=False)

    def exit_status(self, pid: int, timeout_s: float) -> int | None:
        """`pid`'s wait status, waiting up to `timeout_s` for the report; None if it is alive."""
        deadline = time.monotonic() + timeout_s
        self.collect()
        while pid not in self.exits:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                break
            self.collect()
        return self.exits.get(pid)

    def _receive(self, block: bool) -> dict:
        data = self.sock.recv(MAX_MESSAGE)
        if not data:
            raise OSError("the zygote (PID 1) closed its socket")
        message = json.loads(data)
        if "exited" in message:
            self.exits[int(message["exited"])] = int(message["status"])
        return message


class ZygoteExit:
    """A program process's end, as the zygote reports it (`watch.Exit`): the zygote's socket is
    readable when some process of its ended; only then is it asked whether it was this one."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.zygote, self.pid = zygote, pid
        self.status: int | None = None

    def fileno(self) -> int:
        return self.zygote.fileno()

    def ended(self) -> bool:
        self.status = self.zygote.exit_status(self.pid, 0.0)
        return self.status is not None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def reap(self) -> int | None:
        if self.status is None:
            self.status = self.zygote.exit_status(self.pid, 1.0)
        return self.status
