"""The plain-data bridge without Docker: what crosses, exactly; what never does; and that no
bytes a program process sends can give the judge anything but plain values or NotPlainData."""

from __future__ import annotations

import collections
import json
import math

import pytest
from sandbox_runner import bridge, framing
from sandbox_runner.bridge import NotPlainData, decode, encode, from_tree

PLAIN = [
    None,
    bytearray(b"\x00mutable"),
    True,
    False,
    0,
    -(2**70),
    3**500,
    -0.0,
    math.inf,
    1e-300,
    1 + 2j,
    "",
    "é\x00\U0001f600\ud800",
    b"\x00\xff",
    [],
    (),
    (1,),
    {},
    set(),
    frozenset({1, (2, 3)}),
    {(1, 2): [3], None: {"a": b""}, 1.5: frozenset()},
    range(0, 10, 3),
    collections.Counter("abca"),
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.deque([1, [2]]),
    int,
    type(None),
]


@pytest.mark.parametrize("value", PLAIN, ids=repr)
def test_plain_values_cross_exactly(value: object) -> None:
    back = decode(encode(value))
    assert type(back) is type(value)
    if isinstance(value, float):
        assert isinstance(value, float) and isinstance(back, float)
        assert math.copysign(1, back) == math.copysign(1, value) and back == value
    else:
        assert back == value


def test_nan_stays_nan_and_true_stays_a_bool() -> None:
    assert math.isnan(decode(encode(float("nan"))))  # type: ignore[arg-type]
    assert decode(encode([True, 1])) == [True, 1]
    assert [type(v) for v in decode(encode([True, 1]))] == [bool, int]  # type: ignore[attr-defined]


class Equal:
    def __eq__(self, other: object) -> bool:
        return True


class IntEq(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class MyCounter(collections.Counter):  # type: ignore[type-arg]
    pass


def generator() -> object:
    yield 1


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (Equal(), "an Equal, not plain data"),
        (IntEq(3), "an IntEq, not plain data"),
        (MyCounter("a"), "a MyCounter, not plain data"),
        ([1, {"k": Equal()}], "an Equal, not plain data"),
        (generator(), "a generator, not plain data"),
        (Equal, "a type, not plain data"),  # a class of the program's is no builtin type
        (print, "a builtin_function_or_method, not plain data"),
    ],
)
def test_anything_else_is_refused_and_named(value: object, said: str) -> None:
    with pytest.raises(NotPlainData, match=said):
        encode(value)


def test_bounds_on_depth_and_size() -> None:
    deep: list = []
    for _ in range(bridge.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(NotPlainData, match="too deep"):
        encode(deep)
    with pytest.raises(NotPlainData, match="too large"):
        encode(list(range(bridge.MAX_NODES + 1)))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"t": 5}',
        b'{"x": "zz"}',
        b'{"b": "!!!"}',
        b'{"s": [[1, 2]]}',
        b'{"d": [[[1], 2]]}',
        b'{"d": [[1]]}',
        b'{"c": [1, 2]}',
        b'{"y": "Equal"}',
        b'{"y": "print"}',
        b'{"t": [1], "s": [2]}',
        b'{"unknown": []}',
        b'{"C": [[["k"], 1]]}',
    ],
)
def test_hostile_bytes_give_not_plain_data_never_another_error(raw: bytes) -> None:
    with pytest.raises(NotPlainData):
        decode(raw)


def test_trees_inside_messages() -> None:
    message = framing.decode_message(framing.json_bytes({"ok": bridge.to_tree((1, {2}))}))
    assert from_tree(message["ok"]) == (1, {2})
    assert json.loads(framing.json_bytes({"a": 1})) == {"a": 1}
