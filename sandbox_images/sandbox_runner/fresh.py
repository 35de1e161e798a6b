"""The runner's side of a fresh test child (`child.py`): fork it, watch it, then decide the
test's verdict from what was seen, never from an exit code. Used for tests judged inside the
program's interpreter and for items with `"isolation": "per_test"`.
"""

from __future__ import annotations

import contextlib
import os
import secrets

from sandbox_runner import verdicts
from sandbox_runner.child import child_main
from sandbox_runner.compare import outputs_match
from sandbox_runner.outcome import HarnessError, Watched, ended, exit_outcome, oom_kills
from sandbox_runner.reset import kill_uid
from sandbox_runner.text import input_bytes, short
from sandbox_runner.watch import follow_child
from sandbox_runner.wire import STATUSES

UNFINISHED = " before the test finished"


def run_child(job: dict, test: dict, uid: int, timeout_s: float) -> Watched:
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
    stdin = input_bytes(test.get("stdin", ""))
    limits = job["limits"]
    try:
        seen = follow_child(
            pid,
            timeout_s,
            limits["output_bytes"],
            (out_r, err_r, verdict_r),
            (stdin_w, stdin),
            lambda: kill_uid(uid),
        )
    finally:
        for fd in (out_r, err_r, verdict_r):
            with contextlib.suppress(OSError):
                os.close(fd)
    seen.verdicts = verdicts.parse(seen.verdict, token)
    # unknown counter (-1): a SIGKILL nobody else sent is most likely the OOM killer
    seen.oom_killed = oom_before < 0 or oom_kills() > oom_before
    return seen


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
    if seen.output_exceeded or seen.timed_out or final is None:
        result = ended(seen, UNFINISHED)
    else:
        result = reported(test, seen, final)
    if result["status"] == "runtime_error" and not result["detail"]:
        stderr_lines = bytes(seen.stderr).decode("utf-8", "replace").strip().splitlines()
        if stderr_lines:
            result["detail"] = short(stderr_lines[-1])
    if final is not None and final["phase"] in ("compile", "load"):
        result["phase"] = final["phase"]
    elif not loaded:
        result["phase"] = "load"
        if result["detail"]:
            result["detail"] = short(f"{result['detail']} (while loading the program)")
    return result


def reported(test: dict, seen: Watched, final: dict) -> dict:
    """The child's own final verdict; a stdin/stdout test's pass also needs the output."""
    status, detail = final.get("status"), final.get("detail")
    result = {
        "status": status if status in STATUSES else "runtime_error",
        "detail": short(detail) if isinstance(detail, str) else None,
    }
    if result["status"] == "passed" and "stdout" in test:
        actual = bytes(seen.stdout).decode("utf-8", "replace")
        rule = test.get("compare")
        if (rule or {}).get("mode") == "checker":  # the item's checker judges it later
            result["stdout"] = actual
        elif not outputs_match(test["stdout"], actual, rule):
            result.update(status="failed", detail="stdout differs from the expected output")
    return result


def wait_text(seen: Watched) -> str:
    if seen.timed_out:
        return "timed out"
    return str(exit_outcome(seen.wait_status, seen.oom_killed, UNFINISHED)["detail"])
