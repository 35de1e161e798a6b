"""The forked test process: drops privileges, loads the program, runs one test, reports.

The only module where untrusted code runs. Everything the verdict needs is bound to locals
before the program starts (see the package docstring for the hacks this defeats).
"""

from __future__ import annotations

import builtins
import contextlib
import json
import math
import os
import resource
import sys
import types

CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
DETAIL_CHARS = 400
PRISTINE_BUILTINS = dict(builtins.__dict__)  # taken at import, before any program ran
RUNNER_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def short(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return short(f"SyntaxError: {exc.msg} (line {exc.lineno})")
    return short(f"{type(exc).__name__}: {exc}".rstrip(": "))


def drop_privileges(uid: int, limits: dict) -> None:
    """Limits first (lowering rlimits needs no privilege), then the uid switch."""
    memory = limits["memory_mb"] * 1024 * 1024
    cpu_s = math.ceil(limits["timeout_s"]) + 1
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    file_size = limits["file_size_bytes"] or 64 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    try:  # make the OOM killer pick us, never the runner
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() == 0 or os.geteuid() == 0:  # defence in depth: never run untrusted as root
        os._exit(99)


def child_main(job: dict, test: dict, uid: int, fds: tuple[int, int, int, int], token: str) -> None:
    """Runs in the forked child; never returns."""
    stdin_r, out_w, err_w, verdict_w = fds
    # Keep what this test needs, then empty this process's copy of the job: the frames below
    # (run_job, run_child) still reference it, and expected outputs and other tests must not be
    # one frame walk away from the program.
    program, source = job["program"], test.get("code")
    limits = {key: job.get(key) for key in ("memory_mb", "timeout_s", "nproc", "file_size_bytes")}
    for other in job["tests"]:
        other.clear()
    job["tests"].clear()
    job.clear()
    try:
        os.setpgid(0, 0)
        os.dup2(stdin_r, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        # the attach stream (the runner's own stdin/stdout) must not reach the program
        os.closerange(3, verdict_w)
        os.closerange(verdict_w + 1, 1024)
        drop_privileges(uid, limits)
        os.chdir("/tmp")  # the environment was reset once, in main()
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - lives until exit
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        if "random" in sys.modules:  # a fork shares the runner's generator state: reseed
            sys.modules["random"].seed()
        sys.argv = ["program"]
        sys.path[:] = [p for p in sys.path if p and p != RUNNER_ROOT]
    except BaseException:  # any failure here is ours, not the program's
        os._exit(98)

    # From here on untrusted code runs in this process and may patch any module, this file
    # included (it is sys.modules["__main__"]). So the verdict path only uses locals bound
    # before the program ran; a program must dig through frames or memory to forge one.
    dumps, write, exit_now, is_a, settrace = (
        json.dumps,
        os.write,
        os._exit,
        isinstance,
        sys.settrace,
    )
    streams = (sys.stdout, sys.stderr)
    builtins_dict, pristine_builtins = builtins.__dict__, PRISTINE_BUILTINS
    memory_error, assertion_error, system_exit = MemoryError, AssertionError, SystemExit

    def report(**fields: object) -> None:
        write(verdict_w, (dumps({"token": token, **fields}) + "\n").encode())

    def flush() -> None:
        for stream in streams:
            with contextlib.suppress(BaseException):
                stream.flush()

    def failure(exc: BaseException) -> str:
        if is_a(exc, memory_error):
            return "memory"
        return "failed" if is_a(exc, (assertion_error, system_exit)) else "runtime_error"

    def detail(exc: BaseException) -> str | None:
        try:
            return describe(exc)
        except BaseException:  # a hostile exception may break str(); the status stands
            return None

    program_module = types.ModuleType("__main__")  # `import __main__` finds the program
    namespace = program_module.__dict__
    namespace["__builtins__"] = builtins
    sys.modules["__main__"] = program_module
    try:
        code = compile(program, "<program>", "exec")
    except BaseException as exc:
        report(phase="compile", status="runtime_error", detail=describe(exc))
        exit_now(0)

    test_code = None
    if source is not None:
        try:
            test_code = compile(source, "<test>", "exec")
        except BaseException as exc:  # a broken test is a harness problem
            report(phase="test", status="runtime_error", detail="test: " + describe(exc))
            exit_now(0)

    try:
        exec(code, namespace)
    except BaseException as exc:  # SystemExit from the program too
        flush()
        if test_code is None and is_a(exc, system_exit) and exc.code in (None, 0):
            report(phase="test", status="passed")  # a normal end; the runner compares stdout
        elif test_code is None:  # stdin/stdout form: a crash fails this input only
            status = "memory" if is_a(exc, memory_error) else "runtime_error"
            report(phase="test", status=status, detail=detail(exc))
        else:
            status = "memory" if is_a(exc, memory_error) else "runtime_error"
            report(phase="load", status=status, detail=detail(exc))
        exit_now(0)

    if test_code is None:
        flush()
        report(phase="test", status="passed")  # the runner compares stdout
        exit_now(0)

    report(phase="loaded")
    # undo classic hacks: patched builtins the test uses (abs, len...), a tracer that skips lines
    builtins_dict.clear()
    builtins_dict.update(pristine_builtins)
    namespace["__builtins__"] = builtins
    settrace(None)
    try:
        exec(test_code, namespace)
    except BaseException as exc:
        flush()
        report(phase="test", status=failure(exc), detail=detail(exc))
        exit_now(0)
    flush()
    report(phase="test", status="passed")
    exit_now(0)
