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
from collections.abc import Callable, Iterator
from typing import NoReturn

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
            "data (only its truth, str() and type cross)"
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


class RemoteObject:
    """A value of the program's that is not plain data, left in the program process (see the
    module docstring for what a test may do with it). Its class is made per the program's type
    (`remote_class`), so `type(value).__name__` is the program's."""

    __slots__ = ("_bridge", "_handle", "_name")

    def __init__(self, channel: Bridge, name: str, handle: int) -> None:
        # object's own __setattr__: the class refuses a test's attribute writes
        object.__setattr__(self, "_bridge", channel)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_handle", handle)

    def __bool__(self) -> bool:
        return bool(self._bridge.probe(self, "bool", bool))

    def __str__(self) -> str:
        return str(self._bridge.probe(self, "str", str))

    def __repr__(self) -> str:
        return str(self._bridge.probe(self, "repr", str))

    def __format__(self, spec: str) -> str:
        return str(self._bridge.probe(self, "format", str, spec=spec))

    # What the program decides alone, that a plain value could have decided the same way (a
    # list of those items, of that length): the test's values never reach its code.
    def __len__(self) -> int:
        return int(self._bridge.probe(self, "len", int))  # type: ignore[call-overload]

    def __iter__(self) -> Iterator[object]:
        return self._bridge.probe(self, "iter", None)  # type: ignore[return-value]

    def __getitem__(self, key: object) -> object:
        try:
            tree = bridge.to_tree(key, self._bridge._reference)
        except bridge.NotPlainData:
            self._bridge.refuse(self, "indexed with a value that is not plain data")
        return self._bridge.probe(self, "item", None, key=tree)

    def __eq__(self, other: object) -> bool:
        if other is None:  # a value that is not plain data is never None
            return False
        self._bridge.refuse(self, "compared")

    def __ne__(self, other: object) -> bool:
        if other is None:
            return True
        self._bridge.refuse(self, "compared")

    def __hash__(self) -> int:
        self._bridge.refuse(self, "hashed")

    def __getattr__(self, name: str) -> object:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # a protocol the value does not take part in here
        self._bridge.refuse(self, f"read .{name} of")


def _refusal(what: str) -> Callable[..., NoReturn]:
    def refused(self: RemoteObject, *args: object) -> NoReturn:
        self._bridge.refuse(self, what)

    return refused


ARITHMETIC = ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "divmod", "pow")
ARITHMETIC += ("lshift", "rshift", "and", "xor", "or")
# every other use a test could make of the value: each would run the program's code for it
REFUSED = {
    **dict.fromkeys(("__lt__", "__le__", "__gt__", "__ge__"), "compared"),
    "__contains__": "looked for a value in",  # the test's value would reach the program
    **dict.fromkeys(("__setitem__", "__delitem__"), "changed"),
    **dict.fromkeys(("__int__", "__float__", "__complex__", "__index__", "__round__"), "converted"),
    **dict.fromkeys(("__neg__", "__pos__", "__abs__", "__invert__"), "did arithmetic on"),
    **{f"__{side}{op}__": "did arithmetic on" for op in ARITHMETIC for side in ("", "r", "i")},
    "__call__": "called",
    "__setattr__": "set an attribute of",
    "__delattr__": "deleted an attribute of",
    "__enter__": "entered",
    "__await__": "awaited",
}
for _method, _what in REFUSED.items():
    setattr(RemoteObject, _method, _refusal(_what))


def remote_class(module: str, qualname: str) -> type[RemoteObject]:
    """A RemoteObject class named as the program's type is (`re.Match`, `Node`)."""
    name = qualname.rsplit(".", 1)[-1] or "object"
    kind = type(name if name.isidentifier() else "object", (RemoteObject,), {"__slots__": ()})
    kind.__module__, kind.__qualname__ = module, qualname
    return kind


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
