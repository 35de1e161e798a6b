"""The one watch loop (`watch.Watch`, `watch.follow_child`) on real children of the test process:
stdin fed while output is read, the deadline, the output cap, a caller's own stop condition,
and what is left in the pipes after the end. No Docker, no privileges."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from sandbox_runner.watch import Capture, ChildExit, Watch, follow_child


def spawn(body: Callable[[], None]) -> tuple[int, tuple[int, int, int], int]:
    """A forked child running `body` with stdin, stdout and stderr on fresh pipes; its pid, the
    parent's ends of (stdout, stderr, verdict: -1) and of its stdin."""
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setpgid(0, 0)
            os.dup2(stdin_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            for fd in (stdin_r, stdin_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            body()
        finally:
            os._exit(0)
    for fd in (stdin_r, out_w, err_w):
        os.close(fd)
    return pid, (out_r, err_r, -1), stdin_w


def follow(
    body: Callable[[], None], stdin: bytes = b"", timeout_s: float = 5.0, cap: int = 1 << 20
):
    pid, pipes, stdin_w = spawn(body)
    try:
        return follow_child(pid, timeout_s, cap, pipes, (stdin_w, stdin), lambda: None)
    finally:
        for fd in pipes[:2]:
            os.close(fd)


def echo() -> None:
    chunks = []
    while chunk := os.read(0, 1 << 16):  # not sys.stdin: pytest replaced it
        chunks.append(chunk)
    data = b"".join(chunks)
    os.write(2, b"read %d\n" % len(data))
    view = memoryview(data)
    while view:
        view = view[os.write(1, view[: 1 << 16]) :]


def test_megabytes_of_stdin_are_fed_while_the_output_is_read() -> None:
    data = os.urandom(3 << 20)
    seen = follow(echo, stdin=data, cap=8 << 20)
    assert seen.exit_code == 0 and seen.stdout == data
    assert seen.stderr == b"read %d\n" % len(data)
    assert not (seen.timed_out or seen.output_exceeded)


def test_the_deadline_ends_the_whole_process_group() -> None:
    started = time.monotonic()
    seen = follow(lambda: (os.fork(), time.sleep(30)), timeout_s=0.3)
    assert seen.timed_out and seen.exit_code is None
    assert time.monotonic() - started < 5


def test_the_output_cap_ends_a_flood() -> None:
    def flood() -> None:
        while True:
            os.write(1, b"x" * 65536)

    seen = follow(flood, cap=100_000)
    assert seen.output_exceeded and len(seen.stdout) == 100_001


def test_a_program_that_stops_reading_its_stdin_is_no_failure() -> None:
    seen = follow(lambda: os.write(1, b"done"), stdin=b"y" * (4 << 20))
    assert seen.exit_code == 0 and seen.stdout == b"done"


def test_a_watch_stops_when_its_caller_says_so_and_goes_on_after_an_exit() -> None:
    pid, (out_r, err_r, _), stdin_w = spawn(lambda: os.write(1, b"ready\n"))
    os.close(stdin_w)
    watch = Watch(ChildExit(pid), timeout_s=5.0, cap=None)
    out = watch.capture(Capture(out_r, keep=100))
    watch.capture(Capture(err_r, keep=100))
    ends: list[bool] = []
    # the exit alone does not stop it: it waits for the caller's condition (the pipe's end)
    why = watch.run(
        until=lambda: out.at_end and bool(ends), on_exit=lambda: ends.append(True) or False
    )
    assert why == "done" and watch.exited and bytes(out.data) == b"ready\n"
    assert os.WEXITSTATUS(watch.exit.reap() or 0) == 0
    os.close(out_r)
    os.close(err_r)


def test_a_deadline_set_later_and_a_channel_of_the_callers() -> None:
    pid, (out_r, err_r, _), stdin_w = spawn(lambda: time.sleep(30))
    os.close(stdin_w)
    watch = Watch(ChildExit(pid), timeout_s=None, cap=None)
    report_r, report_w = os.pipe()
    heard: list[bytes] = []

    def hear() -> None:
        heard.append(os.read(report_r, 100))
        watch.deadline = time.monotonic() + 0.2  # as a judge's "start" sets a test's deadline

    watch.channel(report_r, hear)
    os.write(report_w, b"start")
    assert watch.run() == "timeout" and heard == [b"start"]
    watch.exit.kill()
    watch.exit.reap()
    for fd in (out_r, err_r, report_r, report_w):
        os.close(fd)
