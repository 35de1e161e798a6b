"""The judge's end of the bridge: the program's functions as stubs (`Stub`), its iterators as
`RemoteIterator`s, its values that are not plain data as `RemoteObject`s, every answer checked
as plain data (`Bridge`), and the program's exceptions re-raised as the judge's own
(`program_exception`). The program process's end is `program.answer_message`.

The rule for a value that is not plain data (a `re.Match`, an object of the program's class): it
stays in the program process, and the test gets a `RemoteObject` that answers only what plain
Python lets the program decide alone, which a plain value could have decided the same way: its
truth, `str`, `repr` and `format`, its length, its items (iterated, or at an index), whether it
is None (never), and its type's name; it may be passed back to the program. Anything that would
hand one of the test's own values to the program's code (compare it, hash it, look for a value
in it, do arithmetic, read an attribute) could decide the verdict without computing it: that
is a violation of the bridge.

A violation (such a use, a result too large to cross, a malformed reply, a program process that
ended) is recorded on the `Bridge` for the test, whatever the test does with the exception, so
`try: f(x) == 1 except: pass` cannot pass by the program crashing or returning an always-equal
object.
"""

from __future__ import annotations

import builtins
import collections
from collections.abc import Callable
from typing import NoReturn

from sandbox_runner import bridge, framing
from sandbox_runner.stand_ins import RemoteIterator, RemoteObject, remote_class
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


# raised by the program, these would end the test's own iteration (`all(map(f, xs))` would see
# an empty map): they reach the test as RuntimeError instead, as PEP 479 has it for generators
ITERATION_ENDS = ("StopIteration", "StopAsyncIteration")


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
        self._kinds: dict[tuple[str, str], type[RemoteObject]] = {}
        self.test = 0  # the position of the test being judged
        self._coming: collections.deque[tuple[int, bytes]] = collections.deque()
        self._received: collections.deque[tuple[int, bytes, dict]] = collections.deque()
        # told, before calls go ahead, how many later tests they reach (the runner allows the
        # output of those tests' calls in the current test's window)
        self.announce: Callable[[int], None] = lambda tests: None
        # called before the judge waits for the program (what it holds for the runner goes out)
        self.before_wait: Callable[[], None] = lambda: None

    @property
    def idle(self) -> bool:
        """Nothing asked ahead is still to come or to be used."""
        return not self._coming and not self._received

    def tests_ahead(self) -> int:
        """Later tests whose calls were asked ahead and may be running now (at most: tests come
        in order, and one may have made no call)."""
        return max(0, self._coming[-1][0] - self.test) if self._coming else 0

    def ask_ahead(self, calls: list[tuple[int, str, tuple, tuple]]) -> None:
        """Sends `(test, name, args, kwargs)` calls in one request (nothing may be coming)."""
        requests = []
        for test, name, args, kwargs in calls[: bridge.AHEAD_CALLS]:
            try:
                args_tree, kwargs_tree = bridge.to_tree(list(args)), bridge.to_tree(dict(kwargs))
            except bridge.NotPlainData:
                break
            requests.append((test, {"call": name, "args": args_tree, "kwargs": kwargs_tree}))
        self.ask_ahead_requests(requests)

    def ask_ahead_requests(self, requests: list[tuple[int, dict]], keyed: bool = True) -> None:
        """Sends `(test, call request)` pairs in one request, when more than one and nothing
        asked ahead is still to come or to be used. Not `keyed`: each test makes exactly its
        request (the calls form), so an answer is matched by its test alone."""
        requests = requests[: bridge.AHEAD_CALLS]
        if len(requests) < 2 or not self.idle:
            return
        keys = [(test, _call_key(request) if keyed else b"") for test, request in requests]
        self.announce(len({test for test, _ in keys if test > self.test}))
        self._send({"ahead": [request for _, request in requests]})
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
            if not self._replies.ready():
                self.before_wait()
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
            args_tree = bridge.to_tree(list(args), self._reference)
            kwargs_tree = bridge.to_tree(dict(kwargs), self._reference)
        except bridge.NotPlainData as exc:
            raise TypeError(
                f"{name}() was given {exc}: only plain data reaches the program"
            ) from None
        request = {"call": name, "args": args_tree, "kwargs": kwargs_tree}
        return self.call_request(request, args, kwargs)

    def call_request(
        self, request: dict, args: tuple | list, kwargs: dict, keyed: bool = True
    ) -> object:
        """The value of the call `request` (its arguments already trees: `args`, `kwargs`),
        taken from the answers asked ahead when it is the next one (`keyed`: as
        `ask_ahead_requests`); mutation copied back, when the request asked for it."""
        reply = self._answer_ahead(_call_key(request) if keyed else b"")
        if reply is None:
            reply = self.request(request)
        value = self.value(request["call"], reply)
        self._copy_back(tuple(args), kwargs, reply)
        return value

    def get(self, name: str) -> object:
        return self.value(name, self.request({"get": name}))

    def probe(self, value: RemoteObject, ask: str, kind: type | None, **more: object) -> object:
        """What the program says of its value: its truth (`bool`), `str`, `repr`, `format`
        (`spec`), `len`, an iterator over it (`iter`) or its `item` at `key` (a plain value,
        or a reference); `kind`: the type the answer must have."""
        message: dict = {"probe": value._handle, "ask": ask, **more}
        answer = self.value(value._name, self.request(message))
        if kind is not None and type(answer) is not kind:
            self._violate(f"{value._name} sent a malformed answer")
            raise bridge.NotPlainData(self.violation)
        return answer

    def refuse(self, value: RemoteObject, what: str) -> NoReturn:
        """A use of a value that is not plain data which would let it decide the verdict."""
        kind = type(value).__name__
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        self._violate(
            f"the test {what} {article} {kind} that {value._name} returned, which is not plain "
            "data (only its truth, str, length and items cross)"
        )
        raise bridge.NotPlainData(self.violation)

    def _reference(self, value: object) -> object:
        """A RemoteObject of this bridge's, passed back to the program: its reference."""
        if isinstance(value, RemoteObject) and value._bridge is self:
            return {"o": [value._handle]}
        raise bridge.NotPlainData(f"{_article(bridge.type_name(value))}, not plain data")

    def _remote(self, name: str) -> Callable[[list], object]:
        def make(body: list) -> object:
            if len(body) != 3 or type(body[0]) is not int:
                raise bridge.NotPlainData("a malformed reference")
            module, qualname = (_text(part, "object") for part in body[1:])
            kind = self._kinds.get((module, qualname))
            if kind is None:
                kind = self._kinds[module, qualname] = remote_class(module, qualname)
            return kind(self, name, body[0])

        return make

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
            return bridge.from_tree(tree, self._remote(name))
        except bridge.NotPlainData as exc:
            self._violate(f"{name} returned {exc}")
            raise bridge.NotPlainData(self.violation) from None

    def _copy_back(self, args: tuple, kwargs: dict, reply: dict) -> None:
        """In-place mutation of list, dict, set and bytearray arguments reaches the test's
        objects."""
        after_args = reply.get("args")
        after_kwargs = reply.get("kwargs")
        pairs = list(zip(args, after_args, strict=False)) if type(after_args) is list else []
        if type(after_kwargs) is dict:
            pairs += [(kwargs[k], v) for k, v in after_kwargs.items() if k in kwargs]
        for original, tree in pairs:
            if tree is None or type(original) not in bridge.MUTABLE_TYPES:
                continue
            new = self._decoded("an argument", tree)
            if type(new) is not type(original):
                continue
            if type(original) in (list, bytearray):
                original[:] = new
            else:
                original.clear()
                original.update(new)

    def _violate(self, why: str) -> None:
        self.violation = self.violation or short(why)


def _article(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


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
    if name in ITERATION_ENDS and kind_of == "builtin":
        said = f": {message}" if message != name else ""
        return RuntimeError(f"the program raised {name}{said}")
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
