"""The runner's handle on a program process (`program.py`): spawned by the zygote, given its job,
watched while it loads, closed after its tests.

One is spawned ahead of time, between jobs (a spare that has already dropped its privileges
under the expected limits and warmed up); `start` gives it its job. Its stdout and stderr are
the process's own pipes for its whole life: what it prints while it loads and while the judge
calls it is counted against the output cap (`watch`), and the tail of stderr explains a load
failure.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket

from sandbox_runner import framing, verdicts
from sandbox_runner.outcome import OUTPUT_LIMIT, TIMEOUT, HarnessError, exit_outcome, oom_kills
from sandbox_runner.watch import Capture, Watch
from sandbox_runner.zygote import Zygote, ZygoteExit

REPORT_WINDOW = 8 << 20  # the load report is the last line written; older bytes may go
STDERR_TAIL = 2048
UNFINISHED = " before the test finished"


class ProgramProcess:
    """A program process spawned by the zygote, and the runner's ends of its pipes."""

    def __init__(self, zygote: Zygote, uid: int, limits: dict) -> None:
        self.zygote, self.uid, self.limits = zygote, uid, limits
        self.oom_before = 0  # the container's OOM kills when this generation began
        ctl_r, self.ctl_w = os.pipe()
        self.reply_r, reply_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self.tests_sock, program_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        theirs = [ctl_r, reply_w, out_w, err_w, program_sock.fileno()]
        try:
            self.pid = zygote.spawn(uid, limits, theirs)
        finally:
            program_sock.close()
            for fd in theirs[:4]:
                os.close(fd)
        os.set_blocking(self.reply_r, False)
        self.stdout = Capture(out_r, keep=0)
        self.stderr = Capture(err_r, keep=STDERR_TAIL, tail=True)
        self.token = secrets.token_hex(16)

    def start(self, job: dict, role: str) -> None:
        try:
            framing.send(self.ctl_w, {"role": role, "program": job["program"], "token": self.token})
        except OSError as exc:
            raise HarnessError(f"the program process did not start ({exc})") from exc

    def status(self, wait_s: float = 0.0) -> int | None:
        """Its wait status once it ended, else None."""
        return self.zygote.exit_status(self.pid, wait_s)

    def watch(self, timeout_s: float | None, cap: int | None) -> Watch:
        """A watch of this process with its own output pipes."""
        watch = Watch(ZygoteExit(self.zygote, self.pid), timeout_s, cap)
        watch.capture(self.stdout)
        watch.capture(self.stderr)
        return watch

    def await_load(self, timeout_s: float) -> dict:
        """The load report (`names`), or a load failure (`phase`, `status`, `detail`)."""
        self.oom_before = oom_kills()
        watch = self.watch(timeout_s, self.limits["output_bytes"])
        reply = watch.capture(Capture(self.reply_r, REPORT_WINDOW + 1, tail=True), counted=False)
        prefix, found = verdicts.prefix(self.token), []

        def loaded_or_gone() -> bool:
            if prefix in reply.data:
                found[:] = verdicts.parse(bytes(reply.data), self.token)
            gone = watch.exited and reply.at_end and not watch.over_cap()
            return bool(found) or gone

        why = watch.run(until=loaded_or_gone, on_exit=lambda: False)
        if found:
            return self._load_report(found[-1])
        if why == "output":
            return self._load_failure(**OUTPUT_LIMIT)
        if why == "timeout":
            return self._load_failure(**TIMEOUT)
        oom = oom_kills() > self.oom_before
        return self._load_failure(**exit_outcome(watch.exit.reap(), oom, UNFINISHED))

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
        said = self.stderr.data.decode("utf-8", "replace").strip().splitlines()
        if status == "runtime_error" and not detail and said:
            detail = said[-1]
        return {
            "phase": "load",
            "status": status,
            "detail": f"{detail} (while loading the program)",
        }

    def kill(self) -> None:
        ZygoteExit(self.zygote, self.pid).kill()

    def close(self) -> None:
        # no grace period: nothing the program process could still do is of use to us
        with contextlib.suppress(OSError):
            os.close(self.ctl_w)
        if self.tests_sock is not None:
            self.tests_sock.close()
        self.kill()
        self.status(wait_s=1.0)  # dead and reaped: the reset finds nothing left to kill
        for fd in (self.ctl_w, self.reply_r, self.stdout.fd, self.stderr.fd):
            with contextlib.suppress(OSError):
                os.close(fd)
