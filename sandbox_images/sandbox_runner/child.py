"""The fresh test child: drops privileges, loads the program, runs one test, reports.

A module where untrusted code runs (the runner's side is `fresh.py`). Everything the verdict
needs is bound to locals before the program starts (see the package docstring for the hacks
this defeats): `_reporters` and `_undoer` build them, and nothing after the program ran looks
up a module global.
"""

from __future__ import annotations

import builtins
import gc
import os
import sys
import types
from _json import encode_basestring  # C: the verdict path must not go through json's globals
from collections.abc import Callable

from sandbox_runner import verdicts
from sandbox_runner.confine import PRISTINE_BUILTINS, RUNNER_ROOT, drop_privileges
from sandbox_runner.text import DETAIL_CHARS, describe
from sandbox_runner.wire import LIMITS


def child_main(job: dict, test: dict, uid: int, fds: tuple[int, int, int, int], token: str) -> None:
    """Runs in the forked child; never returns."""
    program, source, limits = _take_from_job(job, test)
    try:
        _enter_sandbox(uid, limits, fds)
    except BaseException:  # any failure here is ours, not the program's
        os._exit(98)
    mark, report, flush, failure = _reporters(fds[3], token)
    undo_loading = _undoer()
    compiled = _compiled(program, source, mark, report)
    if compiled is not None:
        _load_and_test(*compiled, mark, report, flush, failure, undo_loading)
    os._exit(0)


def _take_from_job(job: dict, test: dict) -> tuple[str, str | None, dict]:
    """What this test needs (program, test code, limits). Then this process's copy of the job is
    emptied: the frames below (run_job, run_child) still reference it, and expected outputs and
    other tests must not be one frame walk away from the program."""
    program, source = job["program"], test.get("code")
    limits = {name: job["limits"][name] for name in LIMITS}
    for other in job["tests"]:
        other.clear()
    job["tests"].clear()
    job.clear()
    return program, source, limits


def _enter_sandbox(uid: int, limits: dict, fds: tuple[int, int, int, int]) -> None:
    stdin_r, out_w, err_w, verdict_w = fds
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


def _reporters(verdict_w: int, token: str) -> tuple[Callable, ...]:
    """The verdict path, built before the program runs from locals only: C functions, builtin
    types' own methods (which Python code can't patch) and verdict lines pre-built with the
    token. A program must dig through frames or memory to forge a verdict.
    Returns (mark, report, flush, failure)."""
    lines, write = verdicts.lines(token), os.write
    is_a, type_of, length = isinstance, type, len
    str_type, detail_chars = str, DETAIL_CHARS
    encode_detail, base_exception = encode_basestring, BaseException
    streams = (sys.stdout, sys.stderr)
    memory_error, assertion_error, system_exit = MemoryError, AssertionError, SystemExit
    syntax_error = SyntaxError

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

    return mark, report, flush, failure


def _undoer() -> Callable[[dict], dict]:
    """What undoes, after loading, what loading set up to bend the test, and gives the test its
    globals: gc callbacks first (they can run at any allocation below), then a tracer or
    profiler that skips lines, then patched builtins the test uses (abs, len...). Built from
    locals, as `_reporters` is; it also refuses new audit hooks from here on."""
    runtime_error, items_of, type_of, str_type = RuntimeError, dict.items, type, str
    builtins_module, pristine_names = builtins, frozenset(PRISTINE_BUILTINS)
    settrace, setprofile = sys.settrace, sys.setprofile
    clear_gc_callbacks, set_gc_threshold = gc.callbacks.clear, gc.set_threshold
    gc_threshold = gc.get_threshold()
    monitoring = getattr(sys, "monitoring", None)  # 3.12+: tools that fire on every line
    clear_monitoring = monitoring.set_events if monitoring is not None else None
    tool_in_use = monitoring.get_tool if monitoring is not None else None  # set_events raises
    builtins_dict, pristine_builtins = builtins.__dict__, dict(PRISTINE_BUILTINS)  # a private copy

    def refuse_audit_hooks(event: str, args: tuple) -> None:
        # An audit hook outlives loading and runs on the test's own events (`exec`...), where
        # it could re-arm a tracer after the harness cleared it. Raising RuntimeError on this
        # event makes sys.addaudithook drop the new hook silently.
        if event == "sys.addaudithook":
            raise runtime_error("audit hooks are not available in the sandbox")

    sys.addaudithook(refuse_audit_hooks)

    def undo_loading(namespace: dict) -> dict:
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
            if type_of(key) is str_type and key not in pristine_names
        }
        test_namespace["__builtins__"] = builtins_module
        test_namespace["__name__"] = "__main__"
        return test_namespace

    return undo_loading


def _compiled(
    program: str, source: str | None, mark: Callable, report: Callable
) -> tuple[types.CodeType, types.CodeType | None] | None:
    """The program's and the test's code, or None once a failure to compile was reported."""
    mark("started")  # the runner's side of the harness worked; the program's part begins
    try:
        code = compile(program, "<program>", "exec")
    except BaseException as exc:
        report("compile", "runtime_error", exc)
        return None
    if source is None:
        return code, None
    try:
        return code, compile(source, "<test>", "exec")
    except BaseException as exc:  # a broken test is a harness problem
        report("test", "runtime_error", "test: " + describe(exc))
        return None


def _load_and_test(
    code: types.CodeType,
    test_code: types.CodeType | None,
    mark: Callable[[str], None],
    report: Callable[..., None],
    flush: Callable[[], None],
    failure: Callable[[BaseException], str],
    undo_loading: Callable[[dict], dict],
) -> None:
    """Loads the program and runs the test (in the stdin/stdout form the program's run is the
    test), reports, and ends the process. Every name used once the program ran is a local."""
    exit_now, run, is_a = os._exit, exec, isinstance
    base_exception, memory_error, system_exit = BaseException, MemoryError, SystemExit
    program_module = types.ModuleType("__main__")  # `import __main__` finds the program
    namespace = program_module.__dict__
    namespace["__builtins__"] = builtins
    sys.modules["__main__"] = program_module
    try:
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
        test_namespace = undo_loading(namespace)
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
