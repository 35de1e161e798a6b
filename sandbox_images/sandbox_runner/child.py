"""The forked test process: drops privileges, loads the program, runs one test, reports.

The only module where untrusted code runs. Everything the verdict needs is bound to locals
before the program starts (see the package docstring for the hacks this defeats).
"""

from __future__ import annotations

import builtins
import gc
import math
import os
import resource
import sys
import types
from _json import encode_basestring  # C: the verdict path must not go through json's globals

CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
DETAIL_CHARS = 400
PRISTINE_BUILTINS = dict(builtins.__dict__)  # taken at import, before any program ran
RUNNER_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# what a verdict line may say; every line is built before the program runs (verdict_lines)
MARKERS = ("started", "loaded")
PHASES = ("compile", "load", "test")
STATUSES = ("passed", "failed", "runtime_error", "memory")
# a job's limits: the service's SandboxLimits fields, under the same names
LIMITS = ("timeout_s", "memory_mb", "output_bytes", "processes", "file_size_mb")


def utf8_safe(text: str) -> str:
    """Valid UTF-8 only: lone surrogates (a program's `chr(0xD800)`) become `\\ud800`."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def short(text: str) -> str:
    text = utf8_safe(text)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return short(f"SyntaxError: {exc.msg} (line {exc.lineno})")
    return short(f"{type(exc).__name__}: {exc}".rstrip(": "))


def verdict_prefix(token: str) -> bytes:
    """How every verdict line of this test starts; the runner reads no other line."""
    return f'{{"token": "{token}", '.encode()


def verdict_lines(token: str) -> dict:
    """Every line the harness may send, as bytes, keyed by marker or (phase, status); a
    verdict line still needs its JSON-encoded detail and `}\n`. Each starts with a newline so
    bytes a program wrote to the pipe can't run into it."""
    prefix = "\n" + verdict_prefix(token).decode()
    lines: dict = {m: f'{prefix}"phase": "{m}"}}\n'.encode() for m in MARKERS}
    for phase in PHASES:
        for status in STATUSES:
            head = f'{prefix}"phase": "{phase}", "status": "{status}", "detail": '
            lines[phase, status] = head.encode()
    return lines


def close_all_but(keep: tuple[int, ...] | list[int]) -> None:
    """Closes every descriptor from 3 up but `keep` (a few syscalls, not one per number)."""
    low = 3
    for fd in sorted(set(keep)):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1024)


def drop_privileges(uid: int, limits: dict, tests: int = 1) -> None:
    """Limits first (lowering rlimits needs no privilege), then the uid switch. A process that
    serves `tests` tests gets CPU time for all of them (the runner's wall clock is per test)."""
    memory = limits["memory_mb"] * 1024 * 1024
    cpu_s = (math.ceil(limits["timeout_s"]) + 1) * max(1, tests)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    file_size = limits["file_size_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    try:  # make the OOM killer pick us, never the runner (os, not io: fewer pages touched)
        adjust = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        try:
            os.write(adjust, b"1000")
        finally:
            os.close(adjust)
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
    limits = {name: job["limits"][name] for name in LIMITS}
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

    # From here on untrusted code runs in this process and may patch any module, this one
    # included (sys.modules["sandbox_runner.child"]), and any mutable object it can reach. So
    # the verdict path only uses locals bound now: C functions, builtin types' own methods
    # (which Python code can't patch) and verdict lines built before the program ran. A program
    # must dig through frames or memory to forge a verdict.
    lines, write, exit_now = verdict_lines(token), os.write, os._exit
    is_a, type_of, length, run = isinstance, type, len, exec
    settrace, setprofile = sys.settrace, sys.setprofile
    str_type, detail_chars = str, DETAIL_CHARS
    encode_detail, builtins_module, builtins_dict = encode_basestring, builtins, builtins.__dict__
    pristine_builtins = dict(PRISTINE_BUILTINS)  # a private copy: the module's is reachable
    streams = (sys.stdout, sys.stderr)
    base_exception, memory_error, syntax_error = BaseException, MemoryError, SyntaxError
    assertion_error, system_exit = AssertionError, SystemExit
    runtime_error, items_of = RuntimeError, dict.items
    clear_gc_callbacks, set_gc_threshold = gc.callbacks.clear, gc.set_threshold
    gc_threshold = gc.get_threshold()
    monitoring = getattr(sys, "monitoring", None)  # 3.12+: tools that fire on every line
    clear_monitoring = monitoring.set_events if monitoring is not None else None
    tool_in_use = monitoring.get_tool if monitoring is not None else None  # set_events raises

    def refuse_audit_hooks(event: str, args: tuple) -> None:
        # An audit hook outlives loading and runs on the test's own events (`exec`...), where
        # it could re-arm a tracer after the harness cleared it. Raising RuntimeError on this
        # event makes sys.addaudithook drop the new hook silently.
        if event == "sys.addaudithook":
            raise runtime_error("audit hooks are not available in the sandbox")

    sys.addaudithook(refuse_audit_hooks)

    # try/except, not contextlib.suppress: that is a module attribute the program can replace
    def mark(marker: str) -> None:
        try:  # noqa: SIM105
            write(verdict_w, lines[marker])
        except base_exception:  # the program closed or replaced the pipe: no verdict, a failure
            pass

    def report(phase: str, status: str, what: BaseException | str | None = None) -> None:
        try:  # noqa: SIM105
            write(verdict_w, lines[phase, status] + detail(what) + b"}\n")
        except base_exception:  # as in mark()
            pass

    def detail(what: BaseException | str | None) -> bytes:
        """An exception (or a note) as a JSON string, b"null" when it can't be told; the line
        stays under PIPE_BUF (4096 bytes), so one write() sends it whole."""
        if what is None:
            return b"null"
        try:  # a hostile exception may break str(); the status stands
            if is_a(what, str_type):
                text = f"{what}"
            elif is_a(what, syntax_error):
                text = f"SyntaxError: {what.msg} (line {what.lineno})"
            else:
                text = f"{type_of(what).__name__}: {what}".rstrip(": ")
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
            if length(text) > detail_chars:  # <= 6 bytes a character once JSON-encoded
                text = text[: detail_chars - 3] + "..."
            return encode_detail(text).encode("utf-8")
        except base_exception:
            return b"null"

    def flush() -> None:
        for stream in streams:
            try:  # noqa: SIM105
                stream.flush()
            except base_exception:
                pass

    def failure(exc: BaseException) -> str:
        if is_a(exc, memory_error):
            return "memory"
        return "failed" if is_a(exc, (assertion_error, system_exit)) else "runtime_error"

    program_module = types.ModuleType("__main__")  # `import __main__` finds the program
    namespace = program_module.__dict__
    namespace["__builtins__"] = builtins_module
    sys.modules["__main__"] = program_module
    mark("started")  # the runner's side of the harness worked; the program's part begins
    try:
        try:
            code = compile(program, "<program>", "exec")
        except base_exception as exc:
            report("compile", "runtime_error", exc)
            return

        test_code = None
        if source is not None:
            try:
                test_code = compile(source, "<test>", "exec")
            except base_exception as exc:  # a broken test is a harness problem
                report("test", "runtime_error", "test: " + describe(exc))
                return

        try:
            run(code, namespace)
        except base_exception as exc:  # SystemExit from the program too
            flush()
            if test_code is None and is_a(exc, system_exit) and exc.code in (None, 0):
                report("test", "passed")  # a normal end; the runner compares stdout
            elif test_code is None:  # stdin/stdout form: a crash fails this input only
                report("test", "memory" if is_a(exc, memory_error) else "runtime_error", exc)
            else:
                report("load", "memory" if is_a(exc, memory_error) else "runtime_error", exc)
            return

        if test_code is None:
            flush()
            report("test", "passed")  # the runner compares stdout
            return

        mark("loaded")
        # Undo what loading set up to bend the test: gc callbacks first (they can run at any
        # allocation below), then a tracer or profiler that skips lines, then patched builtins
        # the test uses (abs, len...).
        clear_gc_callbacks()
        set_gc_threshold(*gc_threshold)
        settrace(None)
        setprofile(None)
        if clear_monitoring is not None and tool_in_use is not None:
            for tool in range(6):
                if tool_in_use(tool) is not None:  # ValueError for a tool nobody registered
                    clear_monitoring(tool, 0)
        builtins_dict.clear()
        builtins_dict.update(pristine_builtins)
        # The test runs in its own globals: the program's names, minus any that shadow a
        # builtin (`abs = lambda x: 0` at module level would otherwise win over the real abs),
        # and only plain str keys (a key object's __eq__ would be program code). The program's
        # functions keep their own globals, so they still see what they defined.
        test_namespace = {
            key: value
            for key, value in items_of(namespace)
            if type_of(key) is str_type and key not in pristine_builtins
        }
        test_namespace["__builtins__"] = builtins_module
        test_namespace["__name__"] = "__main__"
        try:
            run(test_code, test_namespace)
        except base_exception as exc:
            flush()
            report("test", failure(exc), exc)
            return
        flush()
        report("test", "passed")
    finally:  # whatever happened above, this process ends here, never back in runner code
        exit_now(0)
