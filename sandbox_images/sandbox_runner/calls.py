"""The judge's end of the bridge: the program's functions as stubs (`Stub`), its iterators as
`RemoteIterator`s, every answer checked as plain data (`Bridge`), and the program's exceptions
re-raised as the judge's own (`program_exception`). The program process's end is
`program.answer_message`.

A violation of the bridge (a result that was not plain data, a malformed reply, a program
process that ended) is recorded on the `Bridge` for the test, whatever the test does with the
exception, so `try: f(x) except: pass` cannot pass by the program crashing or returning an
always-equal object.
"""

from __future__ import annotations

import builtins
import collections
from collections.abc import Callable

from sandbox_runner import bridge, framing
from sandbox_runner.text import short

NAME_CHARS = 100
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

    Calls known ahead (`ahead.known_calls`) go out in one request, tagged with the position of the
    test that will make them; the program process answers each as soon as it ran it, so it
    works through a job's calls while the judge judges, and `call` takes the answers in order.
    An answer asked for an earlier test that ended before making that call is skipped (the
    call ran, as the test's next assert would have run it had the previous one passed). A call
    that was not asked ahead (an assert's message, on failure) is sent once the answers asked
    ahead are in, and those answers are kept for their tests: no call ever runs twice."""

    def __init__(self, call_w: int, reply_r: int) -> None:
        self._call_w = call_w
        self._replies = framing.Reader(reply_r)
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
            framing.send(self._call_w, message)
        except OSError as exc:
            self._violate(f"the program process broke the bridge ({exc})")
            self.lost = True
            raise ProgramLost("the program process ended during a call") from None

    def _reply(self) -> dict:
        if self.lost:
            raise ProgramLost("the program process is gone")
        try:
            reply = self._replies.message()
        except (OSError, framing.FrameError, bridge.NotPlainData) as exc:
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
    return framing.json_bytes(request)


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
