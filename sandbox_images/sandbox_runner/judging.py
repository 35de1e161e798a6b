"""The runner's side of the judge (`judge.py`): the judge process, forked once and fed job after
job, and the watch over a job's tests while the judge calls the program process.

The judge reports on its verdict pipe, one frame each: `{"start": i, "ahead": n}`, then
`{"test": i, "status", "detail"}`, or `{"test": i, "lost": true}` when the program process ended
during the test, and `{"done": true}` after the job's last test. The runner holds each test to
its deadline and output cap from its start; while later tests' calls were asked ahead
(`ahead`), a test's window allows their output too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time

from sandbox_runner import framing
from sandbox_runner.bridge import AHEAD_CALLS
from sandbox_runner.early_exit import EarlyExit
from sandbox_runner.judge import JOBS_PER_JUDGE, judge_loop
from sandbox_runner.outcome import OUTPUT_LIMIT, TIMEOUT, exit_outcome, oom_kills
from sandbox_runner.program_process import UNFINISHED, ProgramProcess
from sandbox_runner.reset import kill_uid, uid_alive


class JudgeProcess:
    """The judge, forked once and fed job after job."""

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
        os.set_blocking(verdict_r, False)
        self.reports = framing.Reader(verdict_r)

    def fits(self, limits: dict) -> bool:
        return self.limits == limits and self.jobs < JOBS_PER_JUDGE and not self.reports.closed

    def run(
        self, process: ProgramProcess, job: dict, indices: list[int], names: dict, early: EarlyExit
    ) -> dict:
        """Tests `indices` against a loaded program process; results by index for every test
        it finished, the one it was on included (the rest need a new generation, or stop
        early). Sets `broken` when the judge was left mid-test (the caller then starts a
        fresh one)."""
        self.jobs += 1
        os.set_blocking(process.reply_r, True)  # the judge reads replies one at a time
        tests = [(i, job["tests"][i]) for i in indices]
        socket.send_fds(self.sock, [b"job"], [process.ctl_w, process.reply_r])
        work = {"tests": tests, "names": names, "entry_point": job.get("entry_point")}
        work |= {"stop_on_failure": early.stop_on_failure, "call_check": job.get("call_check")}
        framing.send(self.jobs_w, work)
        watch = JobWatch(process, self.reports, early.deadline)
        results, finished = watch.run()
        self.broken = not finished
        return results

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.sock.close()
        for fd in (self.jobs_w, self.reports.fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class JobWatch:
    """One job's tests: the judge's reports and the program process, under each test's limits.

    The program process may run ahead of the judge (calls asked ahead), so when it ends, the
    test it ended in is the one the judge reports `lost` for once it has judged those it had
    answers for: the runner waits for that report, under the current test's deadline. A flood
    while calls run ahead ends the process and is charged to the test the judge names."""

    def __init__(
        self, process: ProgramProcess, reports: framing.Reader, deadline: float | None
    ) -> None:
        self.process, self.reports, self.deadline = process, reports, deadline
        self.limits = process.limits
        self.results: dict[int, dict] = {}
        self.current: int | None = None
        self.ahead = 0
        self.flooded = False
        self.finished: bool | None = None  # set once the job's watch is over: the judge waits
        self.watch = process.watch(None, None)
        self.watch.channel(reports.fd, self.take_reports)

    def run(self) -> tuple[dict, bool]:
        """(results, whether the judge finished the job and waits for the next one)."""
        while self.finished is None:
            why = self.watch.run(until=lambda: self.finished is not None, on_exit=self.ended)
            if why == "timeout" and self.current is not None:
                self.fail_current(TIMEOUT)
            elif why == "output" and self.current is not None and not self.ahead:
                self.fail_current(OUTPUT_LIMIT)
            elif why == "output":  # a call asked ahead may be the one: the judge says which
                self.flooded = True
                self.watch.cap = None
                self.process.kill()
        return self.results, bool(self.finished)

    def fail_current(self, result: dict) -> None:
        self.results[self.current] = dict(result)  # type: ignore[index]
        self.finished = False

    def take_reports(self) -> None:
        for frame in self.reports.pump():
            if self.finished is None:
                self.report(framing.decode_message(frame))
        if self.reports.closed and self.finished is None:
            # the judge ended early: a test it could not survive (ours)
            if self.current is not None:
                self.results[self.current] = {
                    "status": "runtime_error",
                    "detail": "the judge ended",
                }
            self.finished = False

    def report(self, message: dict) -> None:
        if "ahead" in message:
            value = message["ahead"]
            self.ahead = min(value, AHEAD_CALLS) if type(value) is int and value > 0 else 0
        if "start" in message:
            self.current = message["start"]
            self.watch.counted = 0
            limit = time.monotonic() + self.limits["timeout_s"]
            self.watch.deadline = limit if self.deadline is None else min(limit, self.deadline)
        elif "test" in message and message.get("lost"):
            self.results[message["test"]] = self.lost()
            self.finished = True
        elif "test" in message:
            self.results[message["test"]] = {
                "status": message["status"],
                "detail": message["detail"],
            }
            self.current = None
            self.watch.deadline = None
        elif "done" in message:
            self.finished = True
        if self.current is None:
            self.watch.cap = None
        else:
            self.watch.cap = self.limits["output_bytes"] * (1 + self.ahead)

    def lost(self) -> dict:
        """The result of the test during which the program process ended."""
        if self.flooded:
            return dict(OUTPUT_LIMIT)
        status = self.watch.exit.reap()
        return exit_outcome(status, oom_kills() > self.process.oom_before, UNFINISHED)

    def ended(self) -> bool:
        """The program process ended: what it left holding its reply pipe goes too, so the
        judge reads end of file and reports the test `lost`. The watch goes on."""
        if uid_alive(self.process.uid):
            kill_uid(self.process.uid)
        return False
