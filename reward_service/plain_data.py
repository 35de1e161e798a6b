"""Plain-data JSON: Python values as JSON, for /code's `calls` (arguments and expected results).

JSON has lists, strings, numbers, booleans and null; everything else a Python test uses is an
object with one key, its tag. It is the format the sandbox's judge and program process exchange
(sandbox_images/sandbox_runner/bridge.py decodes it; tests/sandbox_images/sandbox_runner/
test_plain_data.py holds the two to the same values):

| Python | JSON |
| --- | --- |
| `None`, `bool`, `str`, `float`, `list` | themselves |
| `nan`, `inf`, `-inf` | `{"F": "nan"}`, `{"F": "inf"}`, `{"F": "-inf"}` (not numbers in JSON) |
| `int` | itself; beyond +-2**62: `{"x": "<hex>"}` |
| `tuple`, `set`, `frozenset` | `{"t": [...]}`, `{"s": [...]}`, `{"f": [...]}` |
| `dict` (any keys) | `{"d": [[key, value], ...]}` |
| `bytes`, `bytearray` | `{"b": "<base64>"}`, `{"B": "<base64>"}` |
| `complex`, `range` | `{"c": [real, imag]}`, `{"r": [start, stop, step]}` |
| `Counter`, `OrderedDict`, `defaultdict` | `{"C": [[k, v], ...]}`, `{"O": ...}`, `{"D": ...}` |
| `deque` | `{"Q": [...]}` |
| a builtin type (`int`, `str`, ...) | `{"y": "int"}` |

Standard library only (the trainer encodes with it too).

>>> encode([1, (2.5, "x"), {3: {4}}, b"\\x00", None])
[1, {'t': [2.5, 'x']}, {'d': [[3, {'s': [4]}]]}, {'b': 'AA=='}, None]
>>> problem({"t": [1, {"s": [[]]}]})
'a list where a hashable value must be (a set element or a dict key)'
>>> problem(encode({"k": (1, 2**70)})) is None
True
"""

from __future__ import annotations

import base64
import collections
import math
from typing import Any

_BIG = 1 << 62
NON_FINITE = ("nan", "inf", "-inf")
MAX_DEPTH = 200
BUILTIN_TYPES: tuple[type, ...] = (
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    bytearray,
    list,
    tuple,
    dict,
    set,
)
BUILTIN_TYPES += (frozenset, range, type(None), object, type)
TYPE_NAMES = frozenset(kind.__name__ for kind in BUILTIN_TYPES)
SEQUENCES: dict[type, str] = {tuple: "t", set: "s", frozenset: "f", collections.deque: "Q"}
MAPPINGS: dict[type, str] = {
    dict: "d",
    collections.Counter: "C",
    collections.OrderedDict: "O",
    collections.defaultdict: "D",
}
HASHED = frozenset("sfdCOD")  # tags whose elements (or keys) must be hashable


class NotPlainData(ValueError):
    """A value with no plain-data JSON form; the message says what it was."""


def encode(value: Any, depth: int = 0) -> Any:
    """`value` as plain-data JSON; NotPlainData for anything else (an object of a class)."""
    if depth > MAX_DEPTH:
        raise NotPlainData(f"nested deeper than {MAX_DEPTH}")
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"F": repr(value)}
    if kind is int:
        return value if -_BIG < value < _BIG else {"x": format(value, "x")}
    if kind is list:
        return [encode(item, depth + 1) for item in value]
    if kind in SEQUENCES:
        return {SEQUENCES[kind]: [encode(item, depth + 1) for item in value]}
    if kind in MAPPINGS:
        items = dict.items(value)
        return {MAPPINGS[kind]: [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in items]}
    if kind in (bytes, bytearray):
        return {"b" if kind is bytes else "B": base64.b64encode(value).decode("ascii")}
    if kind is complex:
        return {"c": [encode(value.real, depth + 1), encode(value.imag, depth + 1)]}
    if kind is range:
        return {"r": [value.start, value.stop, value.step]}
    if kind is type and value in BUILTIN_TYPES:
        return {"y": value.__name__}
    raise NotPlainData(f"a {kind.__name__} has no plain-data JSON form")


def problem(tree: Any) -> str | None:
    """What is wrong with `tree` as plain-data JSON, or None when the judge can read it."""
    stack: Stack = [(tree, 0, False)]
    while stack:
        node, depth, hashable = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH}"
        kind = type(node)
        if node is None or kind in (bool, str, int, float):
            continue
        if kind is list:
            if hashable:
                return "a list where a hashable value must be (a set element or a dict key)"
            stack.extend((item, depth + 1, False) for item in node)
            continue
        if kind is not dict or len(node) != 1:
            return "an object that is not one tag (see the plain-data JSON table)"
        ((tag, body),) = node.items()
        why = _tagged(tag, body, depth, hashable, stack)
        if why is not None:
            return why
    return None


Stack = list[tuple[Any, int, bool]]  # (node, depth, must be hashable)


def _tagged(tag: str, body: Any, depth: int, hashable: bool, stack: Stack) -> str | None:
    if tag == "x":
        return None if type(body) is str and _is_hex(body) else "a bad {'x': hex} integer"
    if tag in ("b", "B"):
        if hashable and tag == "B":
            return "a bytearray where a hashable value must be"
        return None if type(body) is str and _is_base64(body) else f"a bad {{{tag!r}: base64}}"
    if tag == "F":
        return None if body in NON_FINITE else "a bad {'F': 'nan' | 'inf' | '-inf'}"
    if tag == "c":
        ok = type(body) is list and len(body) == 2 and all(_is_float(v) for v in body)
        return None if ok else "a bad {'c': [real, imag]} (two floats)"
    if tag == "r":
        ok = type(body) is list and len(body) == 3 and all(type(v) is int for v in body)
        return None if ok and body[2] != 0 else "a bad {'r': [start, stop, step]}"
    if tag == "y":
        return None if body in TYPE_NAMES else f"{body!r} is not a builtin type"
    if type(body) is not list or tag not in "tsfQdCOD" or len(tag) != 1:
        return f"an unknown tag {tag!r}"
    if hashable and tag not in "tf":
        return f"a {'set' if tag == 's' else 'mapping'} where a hashable value must be"
    if tag in "dCOD":
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                return f"a {{{tag!r}: ...}} entry that is not a [key, value] pair"
            stack.append((pair[0], depth + 1, True))
            stack.append((pair[1], depth + 1, hashable))
        return None
    if tag in "sf":
        stack.extend((item, depth + 1, True) for item in body)
        return None
    stack.extend((item, depth + 1, hashable) for item in body)
    return None


def _is_float(node: Any) -> bool:
    return type(node) is float or (type(node) is dict and node.get("F") in NON_FINITE)


def _is_hex(text: str) -> bool:
    digits = text[1:] if text.startswith("-") else text
    return bool(digits) and all(c in "0123456789abcdef" for c in digits)


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True
