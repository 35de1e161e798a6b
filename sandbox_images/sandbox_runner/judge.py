"""The judge process: evaluates assert and HumanEval tests where the program cannot reach them.

Forked from the runner (never from the program), it drops to a uid of its own, so the program
process can neither signal it nor read its memory. No code of the program runs here: every name
a test takes from the program (`plan.program_owned`) is a stub whose calls go over the bridge to
the program process, and only plain data comes back (`bridge.py`). So `==`, `sorted`,
`math.isclose` and the test's own helpers run on real values with this process's unpatched
modules; a program module the test uses without importing it (`math`, imported by the program)
is this process's own import.

A test fails whatever it does with the exception when the bridge was violated during it: a
result that was not plain data, a malformed reply, or a program process that ended. A test
written as `try: f(x) except: pass` cannot pass by the program returning an always-equal object
or crashing.

One judge serves a container's jobs one after another (a fresh one after `JOBS_PER_JUDGE`, or
after any job it did not finish). It reports on the verdict pipe, one message each:
`{"start": i}`, then `{"test": i, "status", "detail"}`, or `{"test": i, "lost": true}` when the
program process ended during the test (the runner knows how it ended and starts a fresh one for
the rest), and `{"done": true}` after the job's last test. A start says how many later tests'
calls were asked ahead (`"ahead": n`), as does `{"ahead": n}` when the judge asks during a test:
their output may come during this test's window.
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import functools
import importlib
import os
import socket
import types
from collections.abc import Callable, Sequence

from sandbox_runner import bridge, plan
from sandbox_runner.child import close_all_but, describe, drop_privileges, short

NAME_CHARS = 100
JOBS_PER_JUDGE = 256  # then a fresh judge: bounded memory and CPU time (its caches live as long)
CALLED = ("callable", "class")  # program names a test calls through a stub; others are values
# exceptions the program may raise that the judge re-raises as the real builtin type, so a test
# can `except ValueError`; anything else arrives as ProgramError
EXCEPTIONS = {
    name: value
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, Exception)
}


class ProgramLost(Exception):
    """The program process ended (or broke the protocol) during a call."""


class ProgramError(Exception):
    """An exception of the program's own kind, named in the message."""


class ProgramAbort(BaseException):
    """The program raised a BaseException that is no Exception (KeyboardInterrupt, its own
    BaseException subclass): like inside, a test's `except Exception` does not catch it."""


class ProgramExit(ProgramAbort):
    """The program raised SystemExit during a call: the test fails, as it does inside."""


class Bridge:
    """The judge's end of the bridge: requests one at a time, replies checked as plain data.

    Calls known ahead (`plan.known_calls`) go out in one request, tagged with the position of the
    test that will make them; the program process answers each as soon as it ran it, so it
    works through a job's calls while the judge judges, and `call` takes the answers in order.
    An answer asked for an earlier test that ended before making that call is skipped (the
    call ran, as the test's next assert would have run it had the previous one passed). A call
    that was not asked ahead (an assert's message, on failure) is sent once the answers asked
    ahead are in, and those answers are kept for their tests: no call ever runs twice."""

    def __init__(self, call_w: int, reply_r: int) -> None:
        self._call_w = call_w
        self._replies = bridge.Reader(reply_r)
        self.violation: str | None = None  # set for the test, whatever the test does with it
        self.lost = False
        self.test = 0  # the position of the test being judged
        self._coming: collections.deque[tuple[int, bytes]] = collections.deque()
        self._received: collections.deque[tuple[int, bytes, dict]] = collections.deque()
        # told, before calls go ahead, how many later tests they reach (the runner allows the
        # output of those tests' calls in the current test's window)
        self.announce: Callable[[int], None] = lambda tests: None

    @property
    def idle(self) -> bool:
        """Nothing asked ahead is still to come or to be used."""
        return not self._coming and not self._received

    def tests_ahead(self) -> int:
        """Later tests whose calls were asked ahead and may be running now."""
        return len({test for test, _ in self._coming if test > self.test})

    def ask_ahead(self, calls: list[tuple[int, str, tuple, tuple]]) -> None:
        """Sends `(test, name, args, kwargs)` calls in one request (nothing may be coming)."""
        requests, keys = [], []
        for test, name, args, kwargs in calls[: bridge.AHEAD_CALLS]:
            try:
                request = {
                    "call": name,
                    "args": bridge.to_tree(list(args)),
                    "kwargs": bridge.to_tree(dict(kwargs)),
                }
            except bridge.NotPlainData:
                break
            requests.append(request)
            keys.append((test, _call_key(request)))
        if len(requests) < 2 or not self.idle:
            return
        self.announce(len({test for test, _ in keys if test > self.test}))
        self._send({"ahead": requests})
        self._coming.extend(keys)

    def request(self, message: dict) -> dict:
        self._send(message)
        # the program answers what was asked ahead first: kept for the tests that asked
        while (entry := self._next_ahead()) is not None:
            self._received.append(entry)
        return self._reply()

    def _send(self, message: dict) -> None:
        if self.lost:
            raise ProgramLost("the program process is gone")
        try:
            bridge.send(self._call_w, message)
        except OSError as exc:
            self._violate(f"the program process broke the bridge ({exc})")
            self.lost = True
            raise ProgramLost("the program process ended during a call") from None

    def _reply(self) -> dict:
        if self.lost:
            raise ProgramLost("the program process is gone")
        try:
            reply = self._replies.message()
        except (OSError, bridge.NotPlainData) as exc:
            reply = None
            self._violate(f"the program process broke the bridge ({exc})")
        if reply is None:
            self.lost = True
            self._coming.clear()
            raise ProgramLost("the program process ended during a call")
        return reply

    def _next_ahead(self) -> tuple[int, bytes, dict] | None:
        """The next answer asked ahead, read when it comes; None when none is coming."""
        if not self._coming:
            return None
        test, key = self._coming.popleft()
        answer = self._reply()
        if "ok" not in answer:  # the program ran nothing after this one
            self._coming.clear()
        return test, key, answer

    def _peek(self) -> tuple[int, bytes, dict] | None:
        if not self._received:
            entry = self._next_ahead()
            if entry is None:
                return None
            self._received.append(entry)
        return self._received[0]

    def _answer_ahead(self, key: bytes) -> dict | None:
        """This test's answer to the call `key` when it is the next one asked ahead, else None."""
        while (entry := self._peek()) is not None:
            test, asked, answer = entry
            if test < self.test:  # that test ended before it made this call
                self._received.popleft()
                continue
            if test == self.test and asked == key:
                self._received.popleft()
                return answer
            return None
        return None

    def call(self, name: str, args: tuple, kwargs: dict) -> object:
        try:
            args_tree, kwargs_tree = bridge.to_tree(list(args)), bridge.to_tree(dict(kwargs))
        except bridge.NotPlainData as exc:
            raise TypeError(
                f"{name}() was given {exc}: only plain data reaches the program"
            ) from None
        request = {"call": name, "args": args_tree, "kwargs": kwargs_tree}
        reply = self._answer_ahead(_call_key(request))
        if reply is None:
            reply = self.request(request)
        value = self.value(name, reply)
        self._copy_back(args, kwargs, reply)
        return value

    def get(self, name: str) -> object:
        return self.value(name, self.request({"get": name}))

    def value(self, name: str, reply: dict) -> object:
        if "ok" in reply:
            return self._decoded(name, reply["ok"])
        if type(reply.get("iterator")) is int:
            return RemoteIterator(self, name, reply["iterator"])
        if "stop" in reply:
            raise StopIteration
        if type(reply.get("raised")) is str:
            raise program_exception(reply["raised"], reply.get("detail"), reply.get("kind"))
        why = _text(reply.get("not_plain"), "a malformed reply")
        self._violate(f"{name} returned {why}" if "not_plain" in reply else f"{name} sent {why}")
        raise bridge.NotPlainData(self.violation)

    def _decoded(self, name: str, tree: object) -> object:
        try:
            return bridge.from_tree(tree)
        except bridge.NotPlainData as exc:
            self._violate(f"{name} returned {exc}")
            raise bridge.NotPlainData(self.violation) from None

    def _copy_back(self, args: tuple, kwargs: dict, reply: dict) -> None:
        """In-place mutation of list, dict and set arguments reaches the test's objects."""
        after_args = reply.get("args")
        after_kwargs = reply.get("kwargs")
        pairs = list(zip(args, after_args, strict=False)) if type(after_args) is list else []
        if type(after_kwargs) is dict:
            pairs += [(kwargs[k], v) for k, v in after_kwargs.items() if k in kwargs]
        for original, tree in pairs:
            if tree is None or type(original) not in (list, dict, set):
                continue
            new = self._decoded("an argument", tree)
            if type(new) is not type(original):
                continue
            if type(original) is list:
                original[:] = new
            else:
                original.clear()
                original.update(new)

    def _violate(self, why: str) -> None:
        self.violation = self.violation or short(why)


class Stub:
    """Stands for a program function in the judge: calling it calls the program's."""

    __slots__ = ("_bridge", "_name")

    def __init__(self, channel: Bridge, name: str) -> None:
        self._bridge = channel
        self._name = name

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self._bridge.call(self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<program function {self._name}>"


class RemoteIterator:
    """An iterator the program returned; each item crosses as plain data when it is asked for."""

    __slots__ = ("_bridge", "_handle", "_name")

    def __init__(self, channel: Bridge, name: str, handle: int) -> None:
        self._bridge, self._name, self._handle = channel, name, handle

    def __iter__(self) -> RemoteIterator:
        return self

    def __next__(self) -> object:
        return self._bridge.value(self._name, self._bridge.request({"next": self._handle}))

    def __repr__(self) -> str:
        return f"<iterator from {self._name}>"


def _call_key(request: dict) -> bytes:
    return bridge.json_bytes(request)


def program_exception(name: str, detail: object, kind_of: object) -> BaseException:
    """The judge's exception for one the program raised. `kind_of`, as the program process
    reports it: `builtin` (the real builtin exception of that name), `exception` (a class of
    the program's, an Exception), anything else (a BaseException that is no Exception)."""
    message = _text(detail, name)
    prefix = f"{name}: "
    message = message[len(prefix) :] if message.startswith(prefix) else message
    if name == "SystemExit" and kind_of == "builtin":
        return ProgramExit(f"the program raised SystemExit: {message}")
    kind = EXCEPTIONS.get(name[:NAME_CHARS]) if kind_of == "builtin" else None
    if kind_of not in ("builtin", "exception") or (kind is None and kind_of == "builtin"):
        return ProgramAbort(f"{name[:NAME_CHARS]}: {message}")
    if kind is not None:
        try:
            return kind(message)
        except BaseException:  # a builtin that needs other arguments (UnicodeDecodeError)
            pass
    return ProgramError(f"{name[:NAME_CHARS]}: {message}")


def _text(value: object, default: str) -> str:
    return short(value) if type(value) is str else default


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
    """The calls `plan.known_calls` knows for test `first` (`sources[0]`, its values already
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
        steps, complete = plan.known_calls(
            source, called, entry_point if entry_point in called else None
        )
        calls += [(first + offset, name, args, kwargs) for name, args, kwargs in steps]
        if not complete:
            break
    return calls


@functools.lru_cache(maxsize=1024)  # a GRPO group's completions share their tests
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
    except BaseException as exc:  # a broken test is a harness problem, not a load failure
        return {"status": "runtime_error", "detail": "test: " + describe(exc)}
    channel.violation = None
    outcome: dict
    try:
        namespace = namespace_for(source, names, entry_point, channel)
        if channel.idle:
            channel.ask_ahead(calls_ahead([source, *following], channel.test, names, entry_point))
        exec(code, namespace)
        outcome = {"status": "passed", "detail": None}
    except (AssertionError, ProgramExit) as exc:
        outcome = {"status": "failed", "detail": _described(exc)}
    except MemoryError as exc:
        outcome = {"status": "memory", "detail": _described(exc)}
    except BaseException as exc:
        outcome = {"status": "runtime_error", "detail": _described(exc)}
    if channel.lost:
        return {"lost": True}
    if channel.violation is not None:  # whatever the test did with the error
        return {"status": "failed", "detail": channel.violation}
    return outcome


def _described(exc: BaseException) -> str:
    try:
        return describe(exc)
    except BaseException:
        return type(exc).__name__


def judge_loop(sock_fd: int, jobs_r: int, verdict_w: int, uid: int, limits: dict) -> None:
    """Runs in the forked judge; never returns. Serves jobs until the runner closes its end.

    Per job: the program process's pipes arrive on the socket (calls out, replies in), the tests
    on `jobs_r`; the results go out on `verdict_w`."""
    report: Callable[..., None] = lambda *messages: bridge.send_all(verdict_w, messages)  # noqa: E731
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)  # the tests' own prints go nowhere
        close_all_but((sock_fd, jobs_r, verdict_w))
        drop_privileges(uid, limits, tests=JOBS_PER_JUDGE * 16)
        os.chdir("/tmp")
        requests = socket.socket(fileno=sock_fd)
        while True:
            message, fds, _, _ = socket.recv_fds(requests, 1024, 2)
            if not message or len(fds) != 2:
                break
            job = bridge.receive(jobs_r)
            if job is None:
                break
            channel = Bridge(*fds)
            channel.announce = lambda tests: report({"ahead": tests})
            sources = [source for _, source in job["tests"]]
            # a verdict goes out with the next test's start: one write, one wake-up
            held: list[dict] = []
            for position, (index, source) in enumerate(job["tests"]):
                channel.test = position
                report(*held, {"start": index, "ahead": channel.tests_ahead()})
                following = sources[position + 1 :] if channel.idle else ()
                result = judge_one(source, job["names"], job["entry_point"], channel, following)
                held = [{"test": index, **result}]
                if channel.lost:
                    break
            else:
                held.append({"done": True})
            report(*held)
            for fd in fds:
                os.close(fd)
    finally:
        os._exit(0)
