"""Stand-ins in the judge for what stays in the program process: its functions (`Stub`), the
iterators it returned (`RemoteIterator`) and its values that are not plain data
(`RemoteObject`). Each forwards to the `calls.Bridge` it came from; what a `RemoteObject` may
answer, and what it refuses, is the rule in `calls.py`'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NoReturn

from sandbox_runner import bridge

if TYPE_CHECKING:
    from sandbox_runner.calls import Bridge


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
