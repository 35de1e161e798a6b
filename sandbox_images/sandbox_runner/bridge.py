"""Plain data across the bridge between the judge and the program process.

Only these cross, exactly these types (no subclasses): None, bool, int, float (NaN and the
infinities as `{"F": "nan"}`: JSON has no number for them), complex, str,
bytes, bytearray, range, the builtin types themselves (`int`, `str`, ...), and list, tuple,
dict, set, frozenset of those, plus the standard library's Counter, OrderedDict, defaultdict and
deque (rebuilt on the judge's side as its own classes, from plain contents). Anything else (a
custom object, a subclass with its own `__eq__`, a `re.Match`) raises NotPlainData, which says
what it was ("a Foo, not plain data"), unless the encoder was given `keep`: then such a value
stays where it is and crosses as a reference (`{"o": [handle, module, name]}`), which the other
side's decoder turns into what `remote` makes of it (the judge: a `calls.RemoteObject`, which
answers only what plain Python would let the program decide anyway; the program process: the
object itself, when the judge passes one back). The encoding is JSON with tags for what JSON
lacks, so the decoder is the C parser plus a walk that rebuilds exactly the types above, within
bounds on size and depth: whatever bytes the program process sends, the judge gets plain values,
references of the kind it asked for, or NotPlainData.

    >>> decode(encode([1, (2.5, -0.0), {"k": {3, 4}}, b"\\x00", 2**100, None]))
    [1, (2.5, -0.0), {'k': {3, 4}}, b'\\x00', 1267650600228229401496703205376, None]
    >>> try:
    ...     encode(type("Foo", (int,), {})(1))
    ... except NotPlainData as exc:
    ...     print(exc)
    a Foo, not plain data

What crosses is framed by `framing.py`; this module is only the codec (and the bound on calls
asked ahead in one request, which the program process and the runner both hold to).
"""

from __future__ import annotations

import base64
import collections
import json
from collections.abc import Callable, Iterable
from math import isfinite

MAX_DEPTH = 200
MAX_NODES = 10_000_000  # values in one answer; memory_mb is the real bound
TOO_LARGE = "a value too large to cross within the memory limit (memory_mb)"
AHEAD_CALLS = 10_000  # calls asked ahead in one request, at most
_BIG = 1 << 62  # ints beyond this travel as hex: linear time whatever their size
_SCALARS = (type(None), bool, str)
NON_FINITE = ("nan", "inf", "-inf")  # floats JSON has no number for: {"F": "inf"}
_FLAT = frozenset((type(None), bool, str, int, float))
_INTS = frozenset((int, bool))
PLAIN_TYPES = (bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set)
PLAIN_TYPES += (frozenset, range)
# what a program may mutate in place, and what it then looks like to the judge (copied back)
MUTABLE_TYPES = (list, dict, set, bytearray)
TYPES = {kind.__name__: kind for kind in (*PLAIN_TYPES, type(None), object, type)}
# standard-library containers: (tag, class, how the judge rebuilds one from plain contents)
MAPPINGS = {collections.Counter: "C", collections.OrderedDict: "O", collections.defaultdict: "D"}
REBUILD = {
    "C": collections.Counter,
    "O": collections.OrderedDict,
    "D": lambda pairs: collections.defaultdict(None, pairs),
}


class NotPlainData(Exception):
    """A value that may not cross the bridge; the message says what it was."""


def type_name(value: object) -> str:
    try:
        name = type(value).__name__
    except Exception:  # a hostile metaclass: the name is all we wanted
        name = "object"
    return name if isinstance(name, str) else "object"


Keep = Callable[[object], object]  # a value that is not plain data -> its reference (a tree)
Remote = Callable[[list], object]  # a reference's body -> what stands for it on this side


def _tag(value: object, depth: int, budget: list[int], keep: Keep | None = None) -> object:
    budget[0] -= 1
    if budget[0] < 0:
        raise NotPlainData(f"more than {MAX_NODES} values, too large to cross")
    if depth > MAX_DEPTH:
        raise NotPlainData(f"nested deeper than {MAX_DEPTH}, too deep to cross")
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is int:
        return value if -_BIG < value < _BIG else {"x": format(value, "x")}
    if kind is float:
        return value if isfinite(value) else {"F": repr(value)}
    if kind is list:
        if _flat(value, budget):
            return value  # serialised at once, as it is
        return [_tag(v, depth + 1, budget, keep) for v in value]
    if kind is tuple:
        return {"t": [_tag(v, depth + 1, budget, keep) for v in value]}
    if kind is dict:
        return {
            "d": [
                [_tag(k, depth + 1, budget, keep), _tag(v, depth + 1, budget, keep)]
                for k, v in value.items()
            ]
        }
    if kind is set:
        return {"s": [_tag(v, depth + 1, budget, keep) for v in value]}
    if kind is frozenset:
        return {"f": [_tag(v, depth + 1, budget, keep) for v in value]}
    if kind is bytes:
        return {"b": base64.b64encode(value).decode("ascii")}
    if kind is bytearray:
        return {"B": base64.b64encode(value).decode("ascii")}
    if kind is complex:
        return {"c": [_tag(value.real, depth, budget), _tag(value.imag, depth, budget)]}
    if kind is range:
        return {"r": [value.start, value.stop, value.step]}
    if kind in MAPPINGS:
        items = dict.items(value)  # the C method: a subclass cannot lie about its contents
        return {
            MAPPINGS[kind]: [
                [_tag(k, depth + 1, budget, keep), _tag(v, depth + 1, budget, keep)]
                for k, v in items
            ]
        }
    if kind is collections.deque:
        return {"Q": [_tag(v, depth + 1, budget, keep) for v in value]}
    if kind is type and TYPES.get(getattr(value, "__name__", "")) is value:
        return {"y": value.__name__}
    if keep is not None:
        return keep(value)
    name = type_name(value)
    article = "an" if name[:1].lower() in "aeiou" else "a"
    raise NotPlainData(f"{article} {name}, not plain data")


def _flat(values: list, budget: list[int]) -> bool:
    """A list of strings, bools, None, floats or small ints only: the same in a tree as in Python
    (checked by C code, no call per element: EvalPlus's inputs are mostly such lists)."""
    kinds = set(map(type, values))
    if not kinds <= _FLAT:
        return False
    if float in kinds and not all(map(isfinite, (v for v in values if type(v) is float))):
        return False  # NaN and the infinities are tagged: JSON has none
    if int in kinds:
        ints = values if kinds <= _INTS else [v for v in values if type(v) is int]
        if not -_BIG < min(ints) <= max(ints) < _BIG:
            return False
    budget[0] -= len(values)
    if budget[0] < 0:
        raise NotPlainData(f"more than {MAX_NODES} values, too large to cross")
    return True


def _pairs(items: Iterable, depth: int, budget: list[int], keep: Keep | None) -> list:
    return [[_tag(k, depth + 1, budget, keep), _tag(v, depth + 1, budget, keep)] for k, v in items]


def to_tree(value: object, keep: Keep | None = None) -> object:
    """`value` as a JSON-ready tree; NotPlainData when it holds anything but plain data (with
    `keep`, such a value becomes the reference `keep` gives it instead)."""
    return _tag(value, 0, [MAX_NODES], keep)


def encode(value: object) -> bytes:
    return json.dumps(to_tree(value), separators=(",", ":")).encode()


def _untag(node: object, depth: int, budget: list[int], remote: Remote | None = None) -> object:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise NotPlainData("the value is too large or too deep to cross")
    kind = type(node)
    if kind in _SCALARS or kind is int or kind is float:
        return node
    if kind is list:
        if _flat(node, budget):
            return node  # freshly decoded: nobody else holds it
        return [_untag(v, depth + 1, budget, remote) for v in node]
    if kind is not dict or len(node) != 1:
        raise NotPlainData("malformed plain data")
    ((tag, body),) = node.items()
    if tag == "x" and type(body) is str:
        return int(body, 16)
    if tag == "b" and type(body) is str:
        return base64.b64decode(body, validate=True)
    if tag == "B" and type(body) is str:
        return bytearray(base64.b64decode(body, validate=True))
    if tag == "o" and remote is not None and type(body) is list:
        return remote(body)
    if tag == "F" and body in NON_FINITE:
        return float(body)
    if tag == "c" and type(body) is list and len(body) == 2:
        real, imag = (_untag(part, depth + 1, budget) for part in body)
        if type(real) is float and type(imag) is float:
            return complex(real, imag)
    if tag == "r" and type(body) is list and len(body) == 3 and all(type(v) is int for v in body):
        return range(*body)
    if tag == "y" and type(body) is str and body in TYPES:
        return TYPES[body]
    if type(body) is not list:
        raise NotPlainData("malformed plain data")
    try:
        if tag == "t":
            return tuple(_untag(v, depth + 1, budget, remote) for v in body)
        if tag == "s":
            return {_untag(v, depth + 1, budget, remote) for v in body}
        if tag == "f":
            return frozenset(_untag(v, depth + 1, budget, remote) for v in body)
        if tag == "d":
            pairs = [_pair(p, depth + 1, budget, remote) for p in body]
            return dict(pairs)
        if tag in REBUILD:
            return REBUILD[tag](dict(_pair(p, depth + 1, budget, remote) for p in body))
        if tag == "Q":
            return collections.deque(_untag(v, depth + 1, budget, remote) for v in body)
    except TypeError as exc:  # an unhashable key or element
        raise NotPlainData(f"malformed plain data ({exc})") from None
    raise NotPlainData("malformed plain data")


def _pair(
    pair: object, depth: int, budget: list[int], remote: Remote | None
) -> tuple[object, object]:
    if type(pair) is not list or len(pair) != 2:
        raise NotPlainData("malformed plain data")
    return _untag(pair[0], depth, budget, remote), _untag(pair[1], depth, budget, remote)


def from_tree(tree: object, remote: Remote | None = None) -> object:
    """Plain values from a decoded tree, references made by `remote` (without it, a reference is
    malformed); NotPlainData for anything else, never another error."""
    try:
        return _untag(tree, 0, [MAX_NODES], remote)
    except NotPlainData:
        raise
    except MemoryError:
        raise NotPlainData(TOO_LARGE) from None
    except (ValueError, RecursionError) as exc:
        raise NotPlainData(f"malformed plain data ({type(exc).__name__})") from None


def decode(data: bytes) -> object:
    try:
        tree = json.loads(data)
    except MemoryError:
        raise NotPlainData(TOO_LARGE) from None
    except (ValueError, RecursionError) as exc:
        raise NotPlainData(f"malformed plain data ({type(exc).__name__})") from None
    return from_tree(tree)
