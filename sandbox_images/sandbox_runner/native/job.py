"""One job in a compiled language (or a checker job in any language): build once, then run
every test from the same build, and judge each run from outside the program.

- stdin/stdout tests: the program runs once per test with that test's input; the runner
  compares its output by the test's rule (`compare.py`), or keeps it for the item's checker.
  Passing needs exit code 0 and matching output.
- harness tests (the dataset's test code appended to the program): one run, which passes only
  with the token the harness's wrapper writes after it ran to completion (`support/`), and exit
  code 0. Such a test is judged inside the program's process (`judged_in: inside`).
- checker jobs: the checker (a program of the item's checker language) runs once per case as
  `checker input output answer` (testlib's order: the program's output, then the expected one)
  and accepts with exit code 0, optionally printing a score in [0, 1].

A program that does not compile fails every test with phase `compile` (a load failure, -1.0).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from functools import partial
from typing import NamedTuple

from sandbox_runner.compare import outputs_match
from sandbox_runner.early_exit import EarlyExit
from sandbox_runner.native import languages
from sandbox_runner.native.builder import RUN, Builder, BuildFailed, Built, compile_limits
from sandbox_runner.native.compile_server import CompileServers
from sandbox_runner.native.execute import Limits, ProgramFault, run
from sandbox_runner.native.sources import first_lines
from sandbox_runner.outcome import OUT_OF_MEMORY, Watched, ended
from sandbox_runner.text import input_bytes, short

CHECK = "/tmp/check"
# what a runtime prints when it runs out of memory (C++, Java, Node, Go, Rust, Python)
MEMORY_SIGNS = (
    b"std::bad_alloc",
    b"OutOfMemoryError",
    b"JavaScript heap out of memory",
    b"runtime: out of memory",
    b"fatal error: out of memory",
    b"memory allocation of",
    b"MemoryError",
    b"Cannot allocate memory",
)
# Node's report of a main module that does not parse (its loader compiles it in wrapSafe)
LOAD_SYNTAX_ERROR = (b"SyntaxError: ", b"at wrapSafe")
CHECKER_FAILED_EXIT = 3  # testlib's _fail: the checker itself found a problem
# how the report of an uncaught error starts a line (Python, Java, Rust, Go, Node): a checker
# that crashed, not one that rejected the output (at a line's start only: a checker may quote
# the program's output in its message, and the program could print these words)
CRASH_SIGNS = (
    b"Traceback (most recent call last)",
    b"Exception in thread ",
    b"thread 'main' panicked at",
    b"goroutine 1 [running]",
    b"Node.js v",
)


class Uids(NamedTuple):
    """The container's uids: the program's (tests, checkers), the build's, the warm compiler's."""

    program: int
    build: int
    server: int


def run_program_job(
    job: dict, ids: Uids, servers: CompileServers | None = None
) -> tuple[list[dict], float]:
    """Every test's result, and the milliseconds spent compiling."""
    language, limits, tests = job["language"], job["limits"], job["tests"]
    harness = tests[0].get("code")
    uid = ids.program
    builder = Builder(ids.build, compile_limits(limits), servers=servers)
    try:
        built = languages.build(
            language, job["program"], harness, builder, limits["memory_mb"], job.get("dialect")
        )
    except BuildFailed as failed:
        load = {"status": failed.status, "detail": failed.detail, "phase": "compile"}
        return [dict(load, judged_in="outside") for _ in tests], builder.elapsed_s * 1000
    run_limits = languages.run_limits(language, limits)
    early = EarlyExit(job)  # the item's deadline counts from here: compiling is not in it
    results: list[dict] = []
    for index, test in enumerate(tests):
        skipped = early.skipped()
        if skipped is not None:
            results += [dict(skipped) for _ in tests[index:]]
            break
        timeout_s = early.timeout_s(run_limits.timeout_s)
        result, ran = run_test(built, test, uid, replace(run_limits, timeout_s=timeout_s))
        if built.parsed_at_load and not results and ran is not None and did_not_parse(ran):
            said = first_lines(ran.stderr.decode("utf-8", "replace"), lines=5, chars=600)
            load = {"status": "runtime_error", "detail": said, "phase": "compile"}
            compiled_ms = builder.elapsed_s * 1000
            return [dict(load, judged_in=result["judged_in"]) for _ in tests], compiled_ms
        result = early.explained(result)
        early.record(result)
        results.append(result)
    return results, builder.elapsed_s * 1000


def run_test(built: Built, test: dict, uid: int, limits: Limits) -> tuple[dict, Watched | None]:
    """One test's result, and the run (None when it could not start: the program had made its
    working directory unusable in an earlier test, which fails this one)."""
    where = "inside" if built.harness else "outside"
    files = built.encoded_files()
    start = partial(run, built.argv, uid=uid, cwd=RUN, limits=limits, env=built.env, files=files)
    try:
        if built.harness:
            token = secrets.token_hex(16).encode()
            ran = start(token=token + built.handshake.encode())
            return {**harness_result(ran, token), "judged_in": where}, ran
        ran = start(stdin=input_bytes(test.get("stdin", "")))
        return {**stdio_result(test, ran), "judged_in": where}, ran
    except ProgramFault as fault:
        return {"status": "runtime_error", "detail": short(str(fault)), "judged_in": where}, None


def did_not_parse(ran: Watched) -> bool:
    return ran.exit_code not in (None, 0) and all(sign in ran.stderr for sign in LOAD_SYNTAX_ERROR)


def failure(ran: Watched) -> dict:
    """A run that did not end well: how it ended, with what it said about it."""
    how = ended(ran, memory_signs=MEMORY_SIGNS)
    if how["status"] in ("timeout", "output_limit") or how == OUT_OF_MEMORY:
        return how
    said = first_lines(ran.stderr.decode("utf-8", "replace"), lines=3, chars=300)
    detail = how["detail"] if not said else f"{how['detail']}: {said}"
    return {"status": how["status"], "detail": short(detail)}


def stdio_result(test: dict, ran: Watched) -> dict:
    if ran.exit_code != 0:
        return failure(ran)
    actual = ran.stdout.decode("utf-8", "replace")
    rule = test.get("compare") or {}
    if rule.get("mode") == "checker":  # the item's checker decides (a checker job, later)
        return {"status": "passed", "stdout": actual}
    if outputs_match(test["stdout"], actual, rule):
        return {"status": "passed"}
    return {"status": "failed", "detail": "stdout differs from the expected output"}


def harness_result(ran: Watched, token: bytes) -> dict:
    if ran.exit_code == 0 and ran.verdict == token:
        return {"status": "passed"}
    if ran.exit_code == 0:
        return {
            "status": "failed",
            "detail": "the test harness did not run to completion (the process ended with "
            "exit code 0 before it finished)",
        }
    failed = failure(ran)
    if failed["status"] != "runtime_error":  # a timeout, the output cap, out of memory
        return failed
    # an assertion: a non-zero exit (Java, Node, Go, Rust) or SIGABRT (C's assert)
    said = ran.stderr.decode("utf-8", "replace") or ran.stdout.decode("utf-8", "replace")
    head = first_lines(said, lines=4, chars=300)
    how = ended(ran)["detail"]
    return {"status": "failed", "detail": short(f"{how}: {head}" if head else how)}


def run_checker_job(
    job: dict, ids: Uids, servers: CompileServers | None = None
) -> tuple[list[dict], float]:
    """Each case's verdict from the checker; a checker that can't run gives `runtime_error`
    (or `timeout`, `memory`) results, which the service reports as a broken checker."""
    language, limits, cases = job["language"], job["limits"], job["tests"]
    uid = ids.program
    builder = Builder(ids.build, compile_limits(limits), servers=servers)
    try:
        built = languages.build(language, job["program"], None, builder, limits["memory_mb"])
    except BuildFailed as failed:
        broken = {
            "status": failed.status,
            "detail": f"the checker does not compile: {failed.detail}",
        }
        return [dict(broken, phase="compile") for _ in cases], builder.elapsed_s * 1000
    run_limits = languages.run_limits(language, limits)
    names = [f"{CHECK}/input", f"{CHECK}/output", f"{CHECK}/answer"]
    results = []
    for case in cases:
        files = built.encoded_files() | {
            os.path.basename(name): input_bytes(text)
            for name, text in zip(
                names, (case["stdin"], case["output"], case["stdout"]), strict=True
            )
        }
        ran = run([*built.argv, *names], uid=uid, cwd=CHECK, limits=run_limits, files=files)
        results.append(checker_verdict(ran))
    return results, builder.elapsed_s * 1000


def checker_verdict(ran: Watched) -> dict:
    """Exit 0 accepts (with the score it printed, if any); testlib's _fail (3), a crash (a
    signal, or an uncaught error's report) or a limit means the checker is broken; any other
    exit code rejects."""
    said = first_lines(ran.stderr.decode("utf-8", "replace"), lines=2, chars=300)
    crashed = any(line.startswith(CRASH_SIGNS) for line in ran.stderr.splitlines())
    if ran.exit_code is None or ran.exit_code == CHECKER_FAILED_EXIT or crashed:
        broken = failure(ran) if ran.exit_code is None else {"status": "runtime_error"}
        detail = broken.get("detail") or said or "exit code 3"
        return {"status": broken["status"], "detail": short(f"the checker failed: {detail}")}
    if ran.exit_code != 0:
        return {
            "status": "failed",
            "score": 0.0,
            "detail": short(said or "rejected by the checker"),
        }
    printed = ran.stdout.decode("utf-8", "replace").strip()
    if not printed:
        return {"status": "passed", "score": 1.0}
    last = printed.splitlines()[-1].strip()
    try:
        score = float(last)
    except ValueError:
        score = -1.0
    if not 0.0 <= score <= 1.0:  # NaN fails this too
        return {
            "status": "runtime_error",
            "detail": short(f"the checker failed: it printed {last[:60]!r}, not a score in [0, 1]"),
        }
    status = "passed" if score == 1.0 else "failed"
    return {"status": status, "score": score, **({"detail": said} if said else {})}
