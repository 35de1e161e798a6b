"""Warm compilers: one long-lived compiler process per container and language, kept between jobs.

A TypeScript compile from cold spends about a second loading the compiler and parsing its
libraries, a Java one about 0.4 s starting a JVM and warming javac; the warm ones
(support/tsc_server.js, support/JavacServer.java) keep all that and spend milliseconds on the
program itself. An image has at most one. It runs as the container's third uid (the server
uid), which nothing else uses: the program (another uid) can neither signal nor read it, the
build uid's clean-up after each compile step does not reach it, and the reset between jobs
leaves it running (it holds nothing of a job but the files it wrote, which the wipe removes).

A compile that overruns the compile time limit, or a server that dies (a compile-time bomb ran
it out of memory), ends the server; the compile fails as the cold one would (`BuildFailed`) and
the next compile starts a fresh server. A server that had served other compiles and dies or
answers out of turn on this one is given the benefit of the doubt once: the compile runs again
on a fresh server before the program is blamed. A server is also replaced after
`COMPILES_PER_SERVER` compiles, so what it caches can't grow without bound. It has no CPU-time
limit (it lives for many jobs); each compile has the job's compile deadline.

Protocol (both ways, lines with byte counts, no escaping):
    request: <files>\\n then per file <name>\\n<bytes>\\n<content>
    answer:  <1 compiled, 0 not>\\n<bytes>\\n<the compiler's diagnostics>
"""

from __future__ import annotations

import contextlib
import os
import select
import time

from sandbox_runner.native.execute import Limits, spawn
from sandbox_runner.reset import kill_leftovers

COMPILES_PER_SERVER = 200
MAX_ANSWER_BYTES = 1 << 20


class ServerFailed(Exception):
    """The server did not answer: `status` is `timeout`, `memory` or `runtime_error`."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class CompileServer:
    """One running server; `compile()` until it fails, then `close()`."""

    def __init__(self, argv: list[str], uid: int, cwd: str, limits: Limits, env: dict) -> None:
        self.argv, self.uid, self.limits = argv, uid, limits
        self.pid, self.stdin, self.stdout, self.stderr = spawn(
            argv, uid=uid, cwd=cwd, limits=limits, env=env
        )
        for fd in (self.stdin, self.stdout, self.stderr):
            os.set_blocking(fd, False)
        self.compiles = 0
        self.stderr_tail = b""

    def compile(self, files: dict[str, str], timeout_s: float) -> tuple[bool, str]:
        request = bytearray(f"{len(files)}\n".encode())
        for name, text in files.items():
            data = text.encode("utf-8", "surrogatepass")
            request += f"{name}\n{len(data)}\n".encode() + data
        deadline = time.monotonic() + timeout_s
        answer = self._exchange(bytes(request), deadline)
        self.compiles += 1
        ok, size, rest = answer.split(b"\n", 2)
        if ok not in (b"0", b"1") or len(rest) != int(size):
            # what it wrote is not (only) its answer: it is out of step with the runner
            raise ServerFailed("runtime_error", "the compiler answered out of turn")
        return ok == b"1", rest.decode("utf-8", "replace")

    def _exchange(self, request: bytes, deadline: float) -> bytes:
        """Sends the request while reading the answer (a big request can't fill a pipe the
        server is not reading); ServerFailed when it ends or the deadline passes."""
        pending, answer = request, bytearray()
        poller = select.poll()
        poller.register(self.stdout, select.POLLIN)
        poller.register(self.stderr, select.POLLIN)
        poller.register(self.stdin, select.POLLOUT)
        while not _complete(answer):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerFailed("timeout", "the compiler did not finish in time")
            for fd, _ in poller.poll(remaining * 1000):
                if fd == self.stdin:
                    try:
                        pending = pending[os.write(self.stdin, pending[:65536]) :]
                    except BlockingIOError:
                        pass
                    except OSError as exc:  # it stopped reading: it is ending
                        raise self._died() from exc
                    if not pending:
                        poller.unregister(self.stdin)
                    continue
                chunk = _read(fd)
                if chunk == b"":
                    raise self._died()
                if fd == self.stderr:
                    self.stderr_tail = (self.stderr_tail + (chunk or b""))[-4096:]
                elif chunk:
                    answer += chunk
                    if len(answer) > MAX_ANSWER_BYTES:
                        raise ServerFailed("output_limit", "the compiler printed too much")
        return bytes(answer)

    def _died(self) -> ServerFailed:
        kill_leftovers(self.uid)  # it ended (or closed its output): nothing writes any more
        os.set_blocking(self.stderr, True)
        while chunk := _read(self.stderr):
            self.stderr_tail = (self.stderr_tail + chunk)[-4096:]
        said = self.stderr_tail.decode("utf-8", "replace")
        if "out of memory" in said or "allocation failed" in said:
            return ServerFailed("memory", "the compiler ran out of memory (compile memory limit)")
        last = said.strip().splitlines()[-1:] or ["no message"]
        return ServerFailed("runtime_error", f"the compiler stopped: {last[0][:300]}")

    def close(self) -> None:
        kill_leftovers(self.uid)  # the server uid runs nothing else
        for fd in (self.stdin, self.stdout, self.stderr):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, os.WNOHANG)


def _read(fd: int) -> bytes | None:
    """What is there (None: nothing yet, b"": the end)."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _complete(answer: bytearray) -> bool:
    """Whether the answer is all there (or cannot become a well-formed one: compile() says)."""
    parts = bytes(answer).split(b"\n", 2)
    if len(parts) < 3:
        return False
    return not parts[1].isdigit() or len(parts[2]) >= int(parts[1])


class CompileServers:
    """The container's warm compilers, started on first use, by name."""

    def __init__(self, uid: int) -> None:
        self.uid = uid
        self.running: dict[str, CompileServer] = {}

    def compile(
        self,
        name: str,
        argv: list[str],
        cwd: str,
        limits: Limits,
        env: dict,
        files: dict[str, str],
        timeout_s: float,
    ) -> tuple[bool, str]:
        """Compiles `files` with the server `name` (started as `argv` under `limits` if none
        fits) within `timeout_s`; ServerFailed when it could not answer (it is then gone)."""
        deadline = time.monotonic() + timeout_s
        for attempt in range(2):
            server = self.running.get(name)
            if server is not None and (server.argv != argv or server.limits != limits):
                self.stop(name)
                server = None
            if server is None:
                server = self.running[name] = CompileServer(argv, self.uid, cwd, limits, env)
            served_before = server.compiles > 0
            try:
                return server.compile(files, deadline - time.monotonic())
            except ServerFailed as failed:
                self.stop(name)
                # a server that worked before may have broken on an earlier job: once more
                retry = attempt == 0 and served_before and failed.status == "runtime_error"
                if not retry or deadline - time.monotonic() <= 0:
                    raise
            finally:
                if name in self.running and server.compiles >= COMPILES_PER_SERVER:
                    self.stop(name)
        raise AssertionError("unreachable")

    def stop(self, name: str) -> None:
        server = self.running.pop(name, None)
        if server is not None:
            server.close()
