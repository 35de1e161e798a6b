"""The runner's side of tests judged outside the program: program processes from the zygote,
the judge, and the watch over both (deadlines, output caps, how processes ended).

A *generation* is one program process serving a run of a job's tests. In the assert and
HumanEval forms the judge (`judge.py`) runs them and calls the program over the bridge; in the
stdin/stdout form the program process runs itself once per test on that test's pipes and the
runner compares the output (`watch.decide`). A test that times out, floods output, or during
which the program process ends, fails with that status, and the next test starts a new
generation (a fresh load); reloading after a failed test is no load failure (the program did
load once). The first load of a job decides load failures, by the rule in the package docstring.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import signal
import socket
import time

from sandbox_runner import bridge
from sandbox_runner.child import verdict_prefix
from sandbox_runner.judge import JOBS_PER_JUDGE, judge_loop
from sandbox_runner.reset import kill_uid, uid_alive
from sandbox_runner.watch import (
    HarnessError,
    Watched,
    decide,
    drain,
    exit_detail,
    oom_kills,
    parse_verdicts,
)

READ_BYTES = 1 << 16
REPORT_WINDOW = 8 << 20  # the load report is the last line written; older bytes may go


class FrameReader:
    """Frames from a non-blocking pipe, as they complete."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.closed = False

    def pump(self) -> list[bytes]:
        try:
            chunk = os.read(self.fd, READ_BYTES)
        except BlockingIOError:
            chunk = None
        except OSError:
            chunk = b""
        if chunk == b"":
            self.closed = True
        elif chunk:
            self.buffer += chunk
        frames = []
        while len(self.buffer) >= bridge.HEADER.size:
            (size,) = bridge.HEADER.unpack(self.buffer[: bridge.HEADER.size])
            if size > bridge.MAX_FRAME_BYTES:
                raise bridge.NotPlainData(f"a {size}-byte frame")
            end = bridge.HEADER.size + size
            if len(self.buffer) < end:
                break
            frames.append(bytes(self.buffer[bridge.HEADER.size : end]))
            del self.buffer[:end]
        return frames


class ProgramProcess:
    """A program process spawned by the zygote, and the runner's ends of its pipes.

    One is spawned ahead of time, between jobs (a spare that has already dropped its
    privileges under the expected limits and warmed up); `start` gives it its job."""

    def __init__(self, zygote, uid: int, limits: dict) -> None:
        self.zygote, self.uid, self.limits = zygote, uid, limits
        self.oom_before = 0  # the container's OOM kills when this generation began
        ctl_r, self.ctl_w = os.pipe()
        self.reply_r, reply_w = os.pipe()
        self.out_r, out_w = os.pipe()
        self.err_r, err_w = os.pipe()
        self.tests_sock, program_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        theirs = [ctl_r, reply_w, out_w, err_w, program_sock.fileno()]
        try:
            self.pid = zygote.spawn(uid, limits, theirs)
        finally:
            program_sock.close()
            for fd in theirs[:4]:
                os.close(fd)
        for fd in (self.reply_r, self.out_r, self.err_r):
            os.set_blocking(fd, False)
        self.outputs = {self.out_r, self.err_r}  # output pipes not yet at end of file
        self.output = 0  # bytes of stdout+stderr since the current test began
        self.stderr_tail = bytearray()
        self.token = secrets.token_hex(16)
        self.prefix = verdict_prefix(self.token)

    def start(self, job: dict, role: str) -> None:
        try:
            bridge.send(self.ctl_w, {"role": role, "program": job["program"], "token": self.token})
        except OSError as exc:
            raise HarnessError(f"the program process did not start ({exc})") from exc

    def status(self, wait_s: float = 0.0) -> int | None:
        """Its wait status once it ended, else None."""
        return self.zygote.exit_status(self.pid, wait_s)

    def take_output(self) -> None:
        for fd in tuple(self.outputs):
            while True:
                try:
                    chunk = os.read(fd, READ_BYTES)
                except BlockingIOError:
                    break
                except OSError:
                    chunk = b""
                if not chunk:  # at end of file: no longer watched (select would never wait)
                    self.outputs.discard(fd)
                    break
                self.output += len(chunk)
                if fd == self.err_r:
                    self.stderr_tail = (self.stderr_tail + chunk)[-2048:]

    def await_load(self) -> dict:
        """The load report (`names`), or a load failure (`phase`, `status`, `detail`)."""
        received = bytearray()
        deadline = time.monotonic() + self.limits["timeout_s"]
        self.oom_before = oom_before = oom_kills()
        closed = False
        while True:
            closed = _read_into(self.reply_r, received, REPORT_WINDOW, keep_tail=True) or closed
            reports = parse_verdicts(bytes(received), self.token) if self.prefix in received else []
            if reports:
                return self._load_report(reports[-1])
            self.take_output()
            if self.output > self.limits["output_bytes"]:
                return self._load_failure("output_limit", "output exceeded the limit")
            status = self.status()
            if status is not None and closed:
                return self._load_failure(**exit_detail(status, oom_kills() > oom_before))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._load_failure("timeout", "wall-clock time limit exceeded")
            watched = [*self.outputs, self.zygote] + ([] if closed else [self.reply_r])
            select.select(watched, [], [], remaining)

    def _load_report(self, report: dict) -> dict:
        if "load" in report:  # the program did not compile, or its module-level code failed
            phase = "compile" if report.get("load") == "compile" else "load"
            status = report.get("status") if report.get("status") == "memory" else "runtime_error"
            detail = report.get("detail") if type(report.get("detail")) is str else None
            return {"phase": phase, "status": status, "detail": detail}
        names = report.get("names")
        if report.get("loaded") is not True or type(names) is not dict:
            return self._load_failure("runtime_error", "sent a malformed load report")
        return {"names": {str(k): str(v) for k, v in names.items() if type(k) is type(v) is str}}

    def _load_failure(self, status: str, detail: str | None) -> dict:
        self.kill()
        if status == "runtime_error" and not detail and self.stderr_tail:
            detail = self.stderr_tail.decode("utf-8", "replace").strip().splitlines()[-1:][0]
        return {
            "phase": "load",
            "status": status,
            "detail": f"{detail} (while loading the program)",
        }

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        # no grace period: nothing the program process could still do is of use to us
        with contextlib.suppress(OSError):
            os.close(self.ctl_w)
        if self.tests_sock is not None:
            self.tests_sock.close()
        self.kill()
        self.status(wait_s=1.0)  # dead and reaped: the reset finds nothing left to kill
        for fd in (self.ctl_w, self.reply_r, self.out_r, self.err_r):
            with contextlib.suppress(OSError):
                os.close(fd)


# --- assert and HumanEval forms: the judge ----------------------------------------------------


class JudgeProcess:
    """The judge (`judge.py`), forked once and fed job after job."""

    def __init__(self, uid: int, limits: dict) -> None:
        self.limits = limits
        self.jobs = 0
        self.broken = False
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        jobs_r, self.jobs_w = os.pipe()
        verdict_r, verdict_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                judge_loop(theirs.fileno(), jobs_r, verdict_w, uid, limits)
            finally:
                os._exit(97)
        theirs.close()
        os.close(jobs_r)
        os.close(verdict_w)
        self.verdicts = FrameReader(verdict_r)
        os.set_blocking(verdict_r, False)

    def fits(self, limits: dict) -> bool:
        return self.limits == limits and self.jobs < JOBS_PER_JUDGE and not self.verdicts.closed

    def run(self, process: ProgramProcess, job: dict, indices: list[int], names: dict) -> dict:
        """Tests `indices` against a loaded program process; results by index for every test
        it finished, the one it was on included (the rest need a new generation). Sets
        `broken` when the judge was left mid-test (the caller then starts a fresh one)."""
        self.jobs += 1
        os.set_blocking(process.reply_r, True)  # the judge reads replies one at a time
        tests = [(i, job["tests"][i]["code"]) for i in indices]
        socket.send_fds(self.sock, [b"job"], [process.ctl_w, process.reply_r])
        work = {"tests": tests, "names": names, "entry_point": job.get("entry_point")}
        bridge.send(self.jobs_w, work)
        results, finished = _watch_judge(process, self.verdicts)
        self.broken = not finished
        return results

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.sock.close()
        for fd in (self.jobs_w, self.verdicts.fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def _watch_judge(process: ProgramProcess, verdicts: FrameReader) -> tuple[dict, bool]:
    """(results, whether the judge finished the job and waits for the next one).

    The program process may run ahead of the judge (calls asked ahead), so when it ends, the
    test it ended in is the one the judge reports `lost` for once it has judged those it had
    answers for: the runner waits for that report, under the current test's deadline. Output
    is capped per test window; while later tests' calls may be running (`ahead`), the window
    allows their share too, and a flood ends the process and is charged the same way."""
    limits = process.limits
    results: dict[int, dict] = {}
    current, deadline, ended, ahead, flooded = None, None, None, 0, False
    while True:
        for frame in verdicts.pump():
            message = bridge.decode_message(frame)
            if "ahead" in message:
                ahead = _count(message["ahead"])
            if "start" in message:
                current, process.output = message["start"], 0
                deadline = time.monotonic() + limits["timeout_s"]
            elif "test" in message and message.get("lost"):
                status = ended if ended is not None else process.status(wait_s=1.0)
                results[message["test"]] = (
                    {"status": "output_limit", "detail": "output exceeded the limit"}
                    if flooded
                    else exit_detail(status, oom_kills() > process.oom_before)
                )
                return results, True
            elif "test" in message:
                results[message["test"]] = {
                    "status": message["status"],
                    "detail": message["detail"],
                }
                current = None
            elif "done" in message:
                return results, True
        process.take_output()
        if current is not None and process.output > limits["output_bytes"] * (1 + ahead):
            if not ahead:
                results[current] = {"status": "output_limit", "detail": "output exceeded the limit"}
                return results, False
            flooded = True  # a call asked ahead may be the one: the judge says which
            process.kill()
        if ended is None:
            ended = process.status()
            if ended is not None and uid_alive(process.uid):
                kill_uid(process.uid)  # what it left holding its reply pipe: the judge reads EOF
        if verdicts.closed:  # the judge ended early: a test it could not survive (ours)
            if current is not None:
                results[current] = {"status": "runtime_error", "detail": "the judge ended"}
            return results, False
        now = time.monotonic()
        if deadline is not None and current is not None and now >= deadline:
            results[current] = {"status": "timeout", "detail": "wall-clock time limit exceeded"}
            return results, False
        wait = None if deadline is None or current is None else max(0.0, deadline - now)
        fds = [verdicts.fd, *process.outputs]
        if ended is None:
            fds.append(process.zygote.fileno())
        select.select(fds, [], [], wait if wait is not None else limits["timeout_s"])


def _count(value: object) -> int:
    return min(value, bridge.AHEAD_CALLS) if type(value) is int and value > 0 else 0


# --- stdin/stdout form: the program runs itself once per test --------------------------------


def stdio_test(process: ProgramProcess, test: dict) -> tuple[dict, bool]:
    """One stdin/stdout test in a loaded stdio process: its result, and whether the process
    can take the next test."""
    token = secrets.token_hex(16)
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    verdict_r, verdict_w = os.pipe()
    theirs = [stdin_r, out_w, err_w, verdict_w]
    try:
        socket.send_fds(process.tests_sock, [bridge.json_bytes({"token": token})], theirs)
    except OSError as exc:
        for fd in (*theirs, stdin_w, out_r, err_r, verdict_r):
            os.close(fd)
        raise HarnessError(f"the program process is gone ({exc})") from exc
    for fd in theirs:
        os.close(fd)
    seen = Watched()
    try:
        _watch_stdio(process, test, seen, (stdin_w, out_r, err_r, verdict_r), token)
    finally:
        for fd in (stdin_w, out_r, err_r, verdict_r):
            with contextlib.suppress(OSError):
                os.close(fd)
    status = seen.wait_status  # the cgroup's OOM count is read only for a SIGKILL
    killed = status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    seen.oom_killed = killed and oom_kills() > process.oom_before
    result = decide(test, seen)
    reusable = not (seen.timed_out or seen.output_exceeded or seen.wait_status is not None)
    return result, reusable


def _watch_stdio(
    process: ProgramProcess, test: dict, seen: Watched, fds: tuple, token: str
) -> None:
    stdin_w, out_r, err_r, verdict_r = fds
    limit = process.limits["output_bytes"]
    pending = test.get("stdin", "").encode("utf-8", "surrogatepass")
    deadline = time.monotonic() + process.limits["timeout_s"]
    verdict = bytearray()
    readers = {out_r: seen.stdout, err_r: seen.stderr, verdict_r: verdict}
    open_fds = set(readers)
    for fd in readers:
        os.set_blocking(fd, False)
    os.set_blocking(stdin_w, False)
    if not pending:
        os.close(stdin_w)
        stdin_w = -1
    poller = select.poll()
    for fd in open_fds:
        poller.register(fd, select.POLLIN)
    if stdin_w >= 0:
        poller.register(stdin_w, select.POLLOUT)
    zygote = process.zygote.fileno()
    poller.register(zygote, select.POLLIN)
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            seen.timed_out = True
            break
        reported = False  # the zygote said a process ended: only then ask whether it was ours
        for fd, _ in poller.poll(remaining * 1000):
            if fd == zygote:
                reported = True
            elif fd == stdin_w:
                try:
                    pending = pending[os.write(stdin_w, pending[:65536]) :]
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    pending = b""
                if not pending:
                    poller.unregister(stdin_w)
                    os.close(stdin_w)
                    stdin_w = -1
            elif fd in open_fds and _read_into(fd, readers[fd], limit):
                open_fds.discard(fd)
                poller.unregister(fd)
        if len(seen.stdout) + len(seen.stderr) > limit:
            seen.output_exceeded = True
            break
        status = process.status() if reported else None
        if status is not None:
            seen.wait_status = status
            for fd in readers:
                drain(fd, readers[fd], limit, None, until_empty=True)
            break
    if stdin_w >= 0:
        os.close(stdin_w)
    if seen.timed_out or seen.output_exceeded:
        process.kill()
        seen.wait_status = process.status(wait_s=1.0)
    seen.verdicts = parse_verdicts(bytes(verdict), token)


def _read_into(fd: int, buffer: bytearray, limit: int, keep_tail: bool = False) -> bool:
    """Reads what is there, keeping at most limit+1 bytes (the first ones, or with `keep_tail`
    the last ones); True at end of file."""
    try:
        chunk = os.read(fd, READ_BYTES)
    except BlockingIOError:
        return False
    except OSError:
        return True
    if keep_tail:
        buffer += chunk
        del buffer[: max(0, len(buffer) - limit - 1)]
    elif len(buffer) <= limit:
        buffer += chunk[: limit + 1 - len(buffer)]
    return not chunk
