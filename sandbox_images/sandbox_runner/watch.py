"""The runner's side of one test: fork the child, watch it (feed stdin, cap output, enforce the
wall-clock limit), then decide the verdict from what was seen (never from an exit code)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import signal
import time
from collections.abc import Callable

from sandbox_runner.child import STATUSES, child_main, short, verdict_prefix
from sandbox_runner.compare import outputs_match
from sandbox_runner.reset import kill_uid

# what a test result may say (the service's TestStatus)
RESULT_STATUSES = frozenset(STATUSES) | {"timeout", "output_limit"}
MAX_VERDICTS = 16
# the container's OOM-kill counter (cgroup v1, then v2), to tell OOM kills from other SIGKILLs
OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")


class HarnessError(Exception):
    """Our side of a test failed before the program ran (no pipe, no fork, the child could not
    drop privileges): the job's reply is an error and the service retries on a fresh container.
    Nothing a program does can cause it (the compiled languages' runner raises ProgramFault for
    what a program can break: native/execute.py)."""


class Watched:
    """What the runner saw of one test child."""

    def __init__(self) -> None:
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.verdicts: list[dict] = []
        self.timed_out = False
        self.output_exceeded = False
        self.wait_status: int | None = None
        self.oom_killed = False


def run_child(job: dict, test: dict, uid: int) -> Watched:
    token = secrets.token_hex(16)
    oom_before = oom_kills()
    try:
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        verdict_r, verdict_w = os.pipe()
        pid = os.fork()
    except OSError as exc:
        raise HarnessError(f"cannot start a test process: {exc}") from exc
    if pid == 0:
        try:  # child_main ends the process itself; this is the backstop
            child_main(job, test, uid, (stdin_r, out_w, err_w, verdict_w), token)
        finally:
            os._exit(97)
    for fd in (stdin_r, out_w, err_w, verdict_w):
        os.close(fd)
    seen = Watched()
    try:
        watch(pid, job, test, seen, (stdin_w, out_r, err_r, verdict_r), token, uid)
        # unknown counter (-1): a SIGKILL nobody else sent is most likely the OOM killer
        seen.oom_killed = oom_before < 0 or oom_kills() > oom_before
    finally:
        for fd in (stdin_w, out_r, err_r, verdict_r):
            with contextlib.suppress(OSError):
                os.close(fd)
    return seen


def watch(pid: int, job: dict, test: dict, seen: Watched, fds: tuple, token: str, uid: int) -> None:
    stdin_w, out_r, err_r, verdict_r = fds
    # a lone surrogate in the input goes through as its UTF-8-style bytes: the program sees
    # undecodable input, the runner doesn't crash
    stdin = test.get("stdin", "").encode("utf-8", "surrogatepass")
    verdicts = bytearray()
    readers = {out_r: seen.stdout, err_r: seen.stderr, verdict_r: verdicts}
    limits = job["limits"]
    followed = follow(
        pid, limits["timeout_s"], limits["output_bytes"], stdin, stdin_w, readers, kill_uid, uid
    )
    seen.timed_out, seen.output_exceeded, seen.wait_status = followed
    seen.verdicts = parse_verdicts(bytes(verdicts), token)


def follow(
    pid: int,
    timeout_s: float,
    cap: int,
    stdin: bytes,
    stdin_w: int,
    readers: dict[int, bytearray],
    end_others: Callable[[int], object],
    uid: int,
) -> tuple[bool, bool, int]:
    """Watches child `pid` to its end: feeds it `stdin` on `stdin_w` (closed here), reads its
    pipes into `readers` (the first two, stdout and stderr, count towards `cap` bytes), kills
    its process group at the deadline or the cap, reaps it, then `end_others(uid)` stops any
    writer it left behind and what they wrote is taken from the pipes.
    Returns (timed_out, output_exceeded, wait_status)."""
    deadline = time.monotonic() + timeout_s
    counted = list(readers.values())[:2]
    timed_out = exceeded = exited = False
    pidfd = open_pidfd(pid)
    poller = select.poll()
    for fd in readers:
        os.set_blocking(fd, False)
        poller.register(fd, select.POLLIN)
    if pidfd >= 0:
        poller.register(pidfd, select.POLLIN)
    pending, writing = stdin, stdin_w
    if pending:
        os.set_blocking(writing, False)
        poller.register(writing, select.POLLOUT)
    else:
        os.close(writing)
        writing = -1
    try:
        while not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if pidfd < 0:  # no pidfd: look for the exit every millisecond
                remaining = min(remaining, 0.001)
                exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
            for fd, _event in poller.poll(remaining * 1000):
                if fd == pidfd:
                    exited = True
                elif fd == writing:
                    try:
                        pending = pending[os.write(writing, pending[:65536]) :]
                    except BlockingIOError:
                        pass
                    except OSError:  # the program stopped reading: fine
                        pending = b""
                    if not pending:
                        poller.unregister(writing)
                        os.close(writing)
                        writing = -1
                else:
                    drain(fd, readers[fd], cap, poller)
            if sum(len(buffer) for buffer in counted) > cap:
                exceeded = True
                break
        if not exited:  # timeout or output cap: its whole process group goes
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(ProcessLookupError):
                    kill(pid, signal.SIGKILL)
        _, wait_status = os.waitpid(pid, 0)
        end_others(uid)  # stop any writer left behind, then take what is already in the pipes
        for fd, buffer in readers.items():
            drain(fd, buffer, cap, None, until_empty=True)
    finally:
        if pidfd >= 0:
            os.close(pidfd)
        if writing >= 0:
            os.close(writing)
    exceeded = exceeded or sum(len(buffer) for buffer in counted) > cap
    return timed_out, exceeded, wait_status


def open_pidfd(pid: int) -> int:
    """A descriptor that becomes readable when the child exits; -1 where the kernel or a
    seccomp profile lacks pidfd_open (the caller then polls)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return -1


def drain(
    fd: int, buffer: bytearray, limit: int, poller: object, until_empty: bool = False
) -> None:
    """Reads what is available (fd is non-blocking); keeps at most limit+1 bytes."""
    for _ in range(1024 if until_empty else 1):
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            if poller is not None:
                poller.unregister(fd)  # type: ignore[attr-defined]
            return
        if len(buffer) <= limit:
            buffer += chunk[: limit + 1 - len(buffer)]


def parse_verdicts(data: bytes, token: str) -> list[dict]:
    """The harness's lines: those that start with this test's token, nothing else. Whatever
    else the program wrote to the pipe is skipped, however it is nested or broken."""
    prefix = verdict_prefix(token)
    verdicts = []
    for line in data.split(b"\n"):
        if not line.startswith(prefix):
            continue
        try:
            message = json.loads(line)
        except Exception:  # RecursionError too: no input may crash the runner
            continue
        if isinstance(message, dict) and message.pop("token", None) == token:
            verdicts.append(message)
            if len(verdicts) >= MAX_VERDICTS:
                break
    return verdicts


def decide(test: dict, seen: Watched) -> dict:
    """Turns what was seen into one test result; a pass needs the harness's own report.

    A result with a `phase` is a load failure, by the rule in this package's docstring (in the
    code forms, also a child that never reported "loaded").
    """
    phases = [v.get("phase") for v in seen.verdicts]
    if "started" not in phases:
        raise HarnessError(f"the test process failed before the program ran ({wait_text(seen)})")
    final = next((v for v in seen.verdicts if v.get("phase") in ("compile", "load", "test")), None)
    # a final "test" verdict without "loaded": a test that does not compile, reported before the
    # program ran (a harness problem, not the program's)
    loaded = "code" not in test or "loaded" in phases or (final or {}).get("phase") == "test"
    result: dict = {"status": "runtime_error", "detail": None}
    if seen.output_exceeded:
        result.update(status="output_limit", detail="output exceeded the limit")
    elif seen.timed_out:
        result.update(status="timeout", detail="wall-clock time limit exceeded")
    elif final is not None:
        status = final.get("status")
        detail = final.get("detail")
        result.update(
            status=status if status in RESULT_STATUSES else "runtime_error",
            detail=short(detail) if isinstance(detail, str) else None,
        )
        if result["status"] == "passed" and "stdout" in test:
            actual = seen.stdout.decode("utf-8", "replace")
            rule = test.get("compare")
            if (rule or {}).get("mode") == "checker":  # the item's checker judges it later
                result["stdout"] = actual
            elif not outputs_match(test["stdout"], actual, rule):
                result.update(status="failed", detail="stdout differs from the expected output")
    else:
        result.update(exit_detail(seen.wait_status, seen.oom_killed))
    if result["status"] == "runtime_error" and not result["detail"]:
        stderr_lines = seen.stderr.decode("utf-8", "replace").strip().splitlines()
        if stderr_lines:
            result["detail"] = short(stderr_lines[-1])
    if final is not None and final["phase"] in ("compile", "load"):
        result["phase"] = final["phase"]
    elif not loaded:
        result["phase"] = "load"
        if result["detail"]:
            result["detail"] = short(f"{result['detail']} (while loading the program)")
    return result


def wait_text(seen: Watched) -> str:
    if seen.timed_out:
        return "timed out"
    return exit_detail(seen.wait_status, seen.oom_killed)["detail"]


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


def exit_detail(wait_status: int | None, oom_killed: bool = True) -> dict:
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
    return {
        "status": "runtime_error",
        "detail": f"exited with code {code} before the test finished",
    }
