"""One stdin/stdout test in a loaded stdio program process (`program.serve_stdio`): the test's
pipes go to the process over its socket, the process runs the program once on them and reports
on the test's verdict pipe, and the runner compares the output (`fresh.decide`). The test is
over when its pipes close (the process waits for the next test) or the process ended.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket

from sandbox_runner import framing, verdicts
from sandbox_runner.fresh import decide
from sandbox_runner.outcome import HarnessError, Watched, oom_kills
from sandbox_runner.program_process import ProgramProcess
from sandbox_runner.text import input_bytes
from sandbox_runner.watch import Capture, Watch
from sandbox_runner.zygote import ZygoteExit


def stdio_test(process: ProgramProcess, test: dict, timeout_s: float) -> tuple[dict, bool]:
    """The test's result, and whether the process can take the next test."""
    token = secrets.token_hex(16)
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    verdict_r, verdict_w = os.pipe()
    theirs = [stdin_r, out_w, err_w, verdict_w]
    try:
        socket.send_fds(process.tests_sock, [framing.json_bytes({"token": token})], theirs)
    except OSError as exc:
        for fd in (*theirs, stdin_w, out_r, err_r, verdict_r):
            os.close(fd)
        raise HarnessError(f"the program process is gone ({exc})") from exc
    for fd in theirs:
        os.close(fd)
    try:
        seen = watch_test(process, test, (out_r, err_r, verdict_r), stdin_w, timeout_s)
    finally:
        for fd in (out_r, err_r, verdict_r):
            with contextlib.suppress(OSError):
                os.close(fd)
    seen.verdicts = verdicts.parse(seen.verdict, token)
    # the container's OOM count is read only for a SIGKILL
    seen.oom_killed = seen.killed and oom_kills() > process.oom_before
    result = decide(test, seen)
    reusable = not (seen.timed_out or seen.output_exceeded or seen.wait_status is not None)
    return result, reusable


def watch_test(
    process: ProgramProcess,
    test: dict,
    pipes: tuple[int, int, int],
    stdin_w: int,
    timeout_s: float,
) -> Watched:
    """Watches one test to its end; closes `stdin_w`."""
    limit = process.limits["output_bytes"]
    exit = ZygoteExit(process.zygote, process.pid)
    watch = Watch(exit, timeout_s, limit)
    captures = [watch.capture(Capture(fd, limit + 1)) for fd in pipes[:2]]
    verdict = watch.capture(Capture(pipes[2], limit + 1), counted=False)
    watch.feed(stdin_w, input_bytes(test.get("stdin", "")))
    try:
        # over when its pipes closed (an exit seen at the same time wins: the process is gone)
        why = watch.run(until=lambda: not watch.exited and all(c.at_end for c, _ in watch.captures))
    finally:
        watch.close_stdin()
    status = None
    if why == "exited":
        status = exit.status
        watch.drain()
    elif why in ("timeout", "output"):
        exit.kill()
        status = exit.reap()
    stdout, stderr = (bytes(capture.data) for capture in captures)
    return Watched(
        stdout=stdout,
        stderr=stderr,
        verdict=bytes(verdict.data),
        wait_status=status,
        timed_out=why == "timeout",
        output_exceeded=why == "output",
    )
