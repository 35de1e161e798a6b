"""The public plain-data JSON (`reward_service.plain_data`, what /code's `calls` carry) and the
runner's codec (`bridge.py`, what the judge decodes) are one format: the same trees for the
same values, and the same trees refused."""

from __future__ import annotations

import collections
import json
import math

import pytest
from sandbox_runner import bridge

from reward_service import plain_data

VALUES = [
    None,
    True,
    0,
    -(2**70),
    2.5,
    math.inf,
    -math.inf,
    [1.5, math.inf],
    complex(math.inf, -1),
    "é\x00",
    [],
    [1, [2, [3]]],
    (1, "a"),
    {1, (2, 3)},
    frozenset({1}),
    {"k": [1], (1, 2): {3: None}, None: frozenset()},
    b"\x00\xff",
    bytearray(b"ab"),
    1 + 2j,
    range(1, 10, 3),
    collections.Counter("aab"),
    collections.OrderedDict(b=1, a=2),
    collections.deque([1, (2,)]),
    int,
    type(None),
]

MALFORMED = [
    {"t": [1], "s": [2]},
    {"unknown": []},
    {"s": [[1]]},
    {"d": [[[1], 2]]},
    {"d": [[1]]},
    {"x": "zz"},
    {"b": "!!"},
    {"c": [1, 2]},
    {"F": "NaN"},
    {"r": [1, 2]},
    {"y": "Equal"},
    {"s": [{"B": "YQ=="}]},
    {"o": [1, "re", "Match"]},  # a reference: the program's answers only, never a test's value
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_same_tree_for_the_same_value(value: object) -> None:
    tree = plain_data.encode(value)
    assert tree == bridge.to_tree(value)
    assert plain_data.problem(tree) is None
    decoded = bridge.from_tree(json.loads(json.dumps(tree, allow_nan=False)))  # strict JSON
    assert decoded == value and type(decoded) is type(value)


def test_nan_crosses_as_a_tag() -> None:
    tree = plain_data.encode([math.nan])
    assert tree == [{"F": "nan"}] == bridge.to_tree([math.nan])
    assert math.isnan(bridge.from_tree(tree)[0])  # type: ignore[index]


@pytest.mark.parametrize("tree", MALFORMED, ids=repr)
def test_the_same_trees_refused(tree: object) -> None:
    assert plain_data.problem(tree) is not None
    with pytest.raises(bridge.NotPlainData):
        bridge.from_tree(tree)


def test_objects_have_no_plain_data_form() -> None:
    with pytest.raises(plain_data.NotPlainData):
        plain_data.encode(object())
