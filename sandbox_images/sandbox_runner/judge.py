"""The judge process: evaluates assert and HumanEval tests where the program cannot reach them.

Forked from the runner (never from the program), it drops to a uid of its own, so the program
process can neither signal it nor read its memory. No code of the program runs here: every name
a test takes from the program (`plan.program_owned`) is a stub whose calls go over the bridge to
the program process, and only plain data comes back (`calls.py`, `bridge.py`). So `==`, `sorted`,
`math.isclose` and the test's own helpers run on real values with this process's unpatched
modules; a program module the test uses without importing it (`math`, imported by the program)
is this process's own import.

A test fails whatever it does with the exception when the bridge was violated during it: a
result that was not plain data, a malformed reply, or a program process that ended. A test
written as `try: f(x) except: pass` cannot pass by the program returning an always-equal object
or crashing.

The reports of calls-form tests are held while the judge works and sent together before it
waits for the program (and every `REPORT_S`): the runner learns of such a test's start no later
than the judge waits on the program's call for it, which is when a deadline matters, and wakes
once for many tests. A code test's start goes out at once (its own code may run long).

One judge serves a container's jobs one after another (a fresh one after `JOBS_PER_JUDGE`, or
after any job it did not finish). It reports on the verdict pipe, one message each:
`{"start": i}`, then `{"test": i, "status", "detail"}`, or `{"test": i, "lost": true}` when the
program process ended during the test (the runner knows how it ended and starts a fresh one for
the rest), and `{"done": true}` after the job's last test (or, with `stop_on_failure`, after the
first that did not pass). A start says how many later tests' calls were asked ahead
(`"ahead": n`), as does `{"ahead": n}` when the judge asks during a test: their output may come
during this test's window.
"""

from __future__ import annotations

import builtins
import contextlib
import dis
import functools
import importlib
import os
import reprlib
import socket
import time
import types
from collections.abc import Callable, Sequence

from sandbox_runner import ahead, bridge, framing, plan
from sandbox_runner.calls import Bridge, ProgramExit
from sandbox_runner.confine import close_all_but, drop_privileges
from sandbox_runner.plan import by_source
from sandbox_runner.stand_ins import Stub
from sandbox_runner.text import describe

REPORT_S = 0.005  # reports held at most this long while the judge works
JOBS_PER_JUDGE = 256  # then a fresh judge: bounded memory and CPU time (its caches live as long)
CALLED = ("callable", "class")  # program names a test calls through a stub; others are values
SHORT = reprlib.Repr()  # values in a failure's detail, cut short
SHORT.maxlevel, SHORT.maxstring, SHORT.maxother = 3, 80, 80
TEST_TOO_LARGE = "the test is too large to compile within the memory limit (raise memory_mb)"


def namespace_for(
    source: str, names: dict[str, str], entry_point: str | None, channel: Bridge
) -> dict:
    """The test's globals: stubs and values for the program's names, the judge's own imports
    of the program's standard-library modules, the judge's builtins for everything else."""
    namespace: dict = {"__builtins__": builtins, "__name__": "__main__"}
    free = plan.free_names(source)
    for name in plan.program_owned(free, names, entry_point):
        kind = names[name]
        namespace[name] = Stub(channel, name) if kind in CALLED else channel.get(name)
    for name in free - set(namespace):
        module = names.get(name, "")
        real = module[len("module:") :] if module.startswith("module:") else ""
        if real.split(".")[0] in plan.STDLIB_MODULES:
            with contextlib.suppress(ImportError):
                namespace[name] = importlib.import_module(real)
    return namespace


def calls_ahead(
    sources: Sequence[str], first: int, names: dict[str, str], entry_point: str | None
) -> list[tuple[int, str, tuple, tuple]]:
    """The calls `ahead.known_calls` knows for test `first` (`sources[0]`, its values already
    read) and, while each plan is complete, for the tests after it; each tagged with its
    test's position. It stops before a test that reads a program value (that read must come
    after the calls before it)."""
    calls = []
    for offset, source in enumerate(sources):
        try:
            owned = plan.program_owned(plan.free_names(source), names, entry_point)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            break  # a test that does not compile: judge_one reports it
        called = frozenset(name for name in owned if names[name] in CALLED)
        if offset and called != owned:
            break
        steps, complete = ahead.known_calls(
            source, called, entry_point if entry_point in called else None
        )
        calls += [(first + offset, name, args, kwargs) for name, args, kwargs in steps]
        if not complete:
            break
    return calls


@by_source(maxsize=1024)  # a GRPO group's completions share their tests
def compiled(source: str) -> types.CodeType:
    return compile(source, "<test>", "exec")  # from the text: twice as fast as from a tree


def judge_one(
    source: str,
    names: dict[str, str],
    entry_point: str | None,
    channel: Bridge,
    following: Sequence[str] = (),
) -> dict:
    """One test's result (`lost`: the program process ended during it). `following`: the
    job's tests after this one, whose calls may be asked ahead with this test's."""
    try:
        code = compiled(source)
    except MemoryError:
        return {"status": "memory", "detail": TEST_TOO_LARGE}
    except BaseException as exc:  # a broken test is a harness problem, not a load failure
        return {"status": "runtime_error", "detail": "test: " + describe(exc)}

    def run() -> None:
        namespace = namespace_for(source, names, entry_point, channel)
        if channel.idle:
            channel.ask_ahead(calls_ahead([source, *following], channel.test, names, entry_point))
        exec(code, namespace)

    return outcome(run, channel)


def judge_call(
    case: dict, entry_point: str, check: Callable | None, channel: Bridge, following: Sequence[dict]
) -> dict:
    """One test of the calls form: `entry_point(*args, **kwargs)` against `expected`, by
    `check(out, expected, args)` (the item's `call_check`) or `==`. No test code is parsed:
    the values arrive as plain-data trees and the call goes out as it came. `following`: the
    job's next call cases, asked ahead with this one."""
    mutations = check is not None and uses_args(check)  # else nothing needs them back
    request = call_request(entry_point, case, mutations)
    try:
        args = bridge.from_tree(request["args"]) if mutations else []
        kwargs = bridge.from_tree(request["kwargs"]) if mutations else {}
        expected = bridge.from_tree(case.get("expected"))
    except bridge.NotPlainData as exc:
        return {
            "status": "runtime_error",
            "detail": f"test: a value that is not plain data ({exc})",
        }
    if type(args) is not list or type(kwargs) is not dict:
        return {"status": "runtime_error", "detail": "test: malformed arguments"}
    if channel.idle and following:
        ahead = [
            (channel.test + n, call_request(entry_point, c, mutations))
            for n, c in enumerate(following, 1)
        ]
        channel.ask_ahead_requests([(channel.test, request), *ahead], keyed=False)

    def run() -> None:
        out = channel.call_request(request, args, kwargs, keyed=False)
        if not (check(out, expected, args) if check is not None else out == expected):
            raise AssertionError(
                f"{entry_point} returned {SHORT.repr(out)}, not {SHORT.repr(expected)}"
            )

    return outcome(run, channel)


def call_request(entry_point: str, case: dict, mutations: bool) -> dict:
    """The bridge's call request for a case, its trees as they came."""
    kwargs = case.get("kwargs") or {"d": []}
    request = {"call": entry_point, "args": case.get("args", []), "kwargs": kwargs}
    return request if mutations else {**request, "mutations": False}


@functools.lru_cache(maxsize=64)
def uses_args(check: Callable) -> bool:
    """Whether a call check reads its `args` (then they come back after the call, mutated as
    the program left them, as a plain run would pass them on)."""
    code = check.__code__
    if "args" in code.co_cellvars:  # a function inside the check reads them
        return True
    for instruction in dis.get_instructions(code):
        value = instruction.argval
        if value == "args" or (type(value) is tuple and "args" in value):
            return True
    return False


def outcome(run: Callable[[], None], channel: Bridge) -> dict:
    """A test's result from running it: passed when `run` returns; failed on an assertion or
    the program's exit; memory; else runtime_error. A violation of the bridge fails the test
    whatever the test did with it; a lost program process makes it `lost`."""
    channel.violation = None
    result: dict
    try:
        run()
        result = {"status": "passed", "detail": None}
    except (AssertionError, ProgramExit) as exc:
        result = {"status": "failed", "detail": _described(exc)}
    except MemoryError as exc:
        result = {"status": "memory", "detail": _described(exc)}
    except BaseException as exc:
        result = {"status": "runtime_error", "detail": _described(exc)}
    if channel.lost:
        return {"lost": True}
    if channel.violation is not None:  # whatever the test did with the error
        return {"status": "failed", "detail": channel.violation}
    return result


@by_source(maxsize=64)
def call_checker(source: str) -> Callable:
    """`check` from an item's `call_check` source (compiled once per judge)."""
    namespace: dict = {"__builtins__": builtins, "__name__": "__call_check__"}
    exec(compile(source, "<call_check>", "exec"), namespace)
    check = namespace.get("check")
    if not callable(check):
        raise TypeError("call_check defines no check(out, expected, args)")
    return check


def checker_of(job: dict) -> Callable | BaseException | None:
    """The job's `call_check` function, the error that came of it, or None without one."""
    source = job.get("call_check")
    if type(source) is not str:
        return None
    try:
        return call_checker(source)
    except BaseException as exc:
        return exc


def judge_test(
    test: dict, job: dict, check: Callable | BaseException | None, channel: Bridge, following: list
) -> dict:
    """One test of either form (`code`, or a `call` of the entry point)."""
    if "call" not in test:
        sources = [t["code"] for t in following if "code" in t]
        return judge_one(test["code"], job["names"], job["entry_point"], channel, sources)
    if isinstance(check, BaseException):  # the item's call_check is broken: a harness problem
        return {"status": "runtime_error", "detail": "test: call_check: " + _described(check)}
    cases = [t["call"] for t in following if "call" in t]
    return judge_call(test["call"], job["entry_point"], check, channel, cases)


def _described(exc: BaseException) -> str:
    try:
        return describe(exc)
    except BaseException:
        return type(exc).__name__


class Reports:
    """The judge's reports to the runner, held and sent together (see the module docstring)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.held: list[dict] = []
        self.since = 0.0

    def hold(self, *messages: dict) -> None:
        if not self.held:
            self.since = time.monotonic()
        self.held += messages
        if time.monotonic() - self.since > REPORT_S:
            self.flush()

    def now(self, *messages: dict) -> None:
        self.held += messages
        self.flush()

    def flush(self) -> None:
        if self.held:
            framing.send_all(self.fd, self.held)
            self.held = []


def judge_loop(sock_fd: int, jobs_r: int, verdict_w: int, uid: int, limits: dict) -> None:
    """Runs in the forked judge; never returns. Serves jobs until the runner closes its end.

    Per job: the program process's pipes arrive on the socket (calls out, replies in), the tests
    on `jobs_r`; the results go out on `verdict_w`."""
    report = Reports(verdict_w)
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)  # the tests' own prints go nowhere
        close_all_but((sock_fd, jobs_r, verdict_w))
        drop_privileges(uid, limits, tests=JOBS_PER_JUDGE * 16)
        os.chdir("/tmp")
        requests = socket.socket(fileno=sock_fd)
        jobs = framing.Reader(jobs_r)
        while True:
            message, fds, _, _ = socket.recv_fds(requests, 1024, 2)
            if not message or len(fds) != 2:
                break
            job = jobs.message()
            if job is None:
                break
            channel = Bridge(*fds)
            channel.announce = lambda tests: report.now({"ahead": tests})
            channel.before_wait = report.flush
            tests = [test for _, test in job["tests"]]
            stop = job.get("stop_on_failure") is True
            check = checker_of(job)
            # a verdict goes out with the next test's start: one write, one wake-up
            held: list[dict] = []
            for position, (index, test) in enumerate(job["tests"]):
                channel.test = position
                start = {"start": index, "ahead": channel.tests_ahead()}
                # a test's own code may run long without a call: the runner times it from now
                report.hold(*held, start) if "call" in test else report.now(*held, start)
                # calls asked ahead for the tests after this one, unless the first failure ends
                # the job: then they would be work for nothing
                following = tests[position + 1 :] if channel.idle and not stop else []
                result = judge_test(test, job, check, channel, following)
                plan.release_big()
                held = [{"test": index, **result}]
                if channel.lost:
                    break
                if stop and result["status"] != "passed":
                    held.append({"done": True})  # the runner skips the rest
                    break
            else:
                held.append({"done": True})
            report.now(*held)
            for fd in fds:
                os.close(fd)
    finally:
        os._exit(0)
