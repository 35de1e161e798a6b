"""A plain run of calls-form items: what Python itself says, test by test, with no sandbox.

Run inside a sandbox image (`docker run ... python3 plain_calls.py < items.jsonl`), so the
Python is the sandbox's: each line of stdin is `{"id", "program", "entry_point", "calls",
"call_check"}` (plain-data JSON values), each line of stdout `{"id": ..., "verdicts": [...]}`, a
verdict per call: `passed`, `failed` (the check said no), `error` (the program raised, or
would not load) or `timeout` (the call ran over TIMEOUT_S; the program is then loaded again
for the rest, as /code does; past the program's BUDGET_S, every call left is a `timeout`, as
/code's `deadline_s` skips them). Each program runs in a child process of its own; standard
library only. The values are decoded as the judge does (`sandbox_runner.bridge`, mounted
beside this file), so both sides see the same arguments.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

TIMEOUT_S = float(os.environ.get("PLAIN_TIMEOUT_S", "2"))
BUDGET_S = float(os.environ.get("PLAIN_BUDGET_S", "20"))


class TimedOut(BaseException):
    pass


def on_alarm(signum: int, frame: object) -> None:
    raise TimedOut


def verdicts(item: dict) -> list[str]:
    """Every call's verdict, in a loop that starts again after a timeout."""
    calls, done = item["calls"], []
    started = time.monotonic()
    while len(done) < len(calls):
        if time.monotonic() - started > BUDGET_S:
            return done + ["timeout"] * (len(calls) - len(done))
        read_r, read_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_r)
            with os.fdopen(read_w, "w") as out:
                run(item, calls[len(done) :], out)
            os._exit(0)
        os.close(read_w)
        with os.fdopen(read_r) as got:
            batch = [line.strip() for line in got if line.strip()]
        os.waitpid(pid, 0)
        done += batch
        # A child that stopped short without a timeout died on a call: that one is an error
        # (after a timeout it exits on purpose, and the next call is run in a fresh load).
        if len(done) < len(calls) and batch[-1:] != ["timeout"]:
            done.append("error")
    return done


def run(item: dict, calls: list[dict], out: object) -> None:
    from sandbox_runner import bridge  # mounted beside this file in the container

    signal.signal(signal.SIGALRM, on_alarm)
    namespace: dict = {"__name__": "__main__"}
    checks: dict = {}
    try:
        exec(compile(item["program"], "<program>", "exec"), namespace)
        function = namespace[item["entry_point"]]
        if item.get("call_check"):
            exec(item["call_check"], checks)
    except BaseException:
        for _ in calls:
            print("error", file=out, flush=True)  # type: ignore[call-overload]
        return
    for case in calls:
        args = bridge.from_tree(case["args"])
        expected = bridge.from_tree(case["expected"])
        verdict = "failed"
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT_S)
        try:
            result = function(*args)  # mutated as the judge's copy is, for the check
            signal.setitimer(signal.ITIMER_REAL, 0)
            ok = checks["check"](result, expected, args) if checks else result == expected
            verdict = "passed" if ok else "failed"
        except TimedOut:
            print("timeout", file=out, flush=True)  # type: ignore[call-overload]
            os._exit(0)  # the rest in a fresh load
        except BaseException:
            verdict = "error"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        print(verdict, file=out, flush=True)  # type: ignore[call-overload]


def main() -> None:
    for line in sys.stdin:
        item = json.loads(line)
        print(json.dumps({"id": item["id"], "verdicts": verdicts(item)}), flush=True)


if __name__ == "__main__":
    main()
