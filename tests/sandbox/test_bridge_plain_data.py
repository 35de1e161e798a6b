"""What honest programs return still judges right across the bridge: every plain type, exact
values (-0.0, inf, huge ints), identity tests on True/None, in-place mutation, iterators,
exceptions a test expects, module values, and the builtin-shadowing rule (MBPP 126's `sum`)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from tests.conftest import make_settings
from tests.docker_support import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def item(source: str, *tests: str) -> dict[str, Any]:
    return {
        "completion": "```python\n" + textwrap.dedent(source).strip() + "\n```",
        "tests": list(tests),
    }


# name -> (item, expected reward)
CASES: dict[str, tuple[dict[str, Any], float]] = {
    "nested containers": (
        item(
            "def f():\n    return {'a': [1, (2, {3})], (4, 5): frozenset({6}), None: {'x': []}}",
            "assert f() == {'a': [1, (2, {3})], (4, 5): frozenset({6}), None: {'x': []}}",
            "assert type(f()['a'][1]) is tuple and type(f()[(4, 5)]) is frozenset",
        ),
        1.0,
    ),
    "-0.0, inf and nan keep their meaning": (
        item(
            "def f():\n    return [-0.0, float('inf'), float('-inf'), float('nan')]",
            "import math\nv = f()\nassert math.copysign(1, v[0]) == -1.0 and v[1] == math.inf",
            "import math\nv = f()\nassert v[2] == -math.inf and math.isnan(v[3])",
        ),
        1.0,
    ),
    "huge ints and complex numbers": (
        item(
            "def f(n):\n    return 3 ** n, complex(n, -n)",
            "assert f(5000) == (3 ** 5000, 5000 - 5000j)",
            "assert f(-3)[0] == 1 / 27 or True",
        ),
        1.0,
    ),
    "bytes, str with odd characters, range": (
        item(
            "def f(b):\n    return b[::-1], 'é\\x00\\U0001F600', range(2, 10, 3)",
            "assert f(b'\\x00\\xffab') == (b'ba\\xff\\x00', 'é\\x00\\U0001F600', range(2, 10, 3))",
        ),
        1.0,
    ),
    "None and True keep their identity": (
        item(
            "def f(x):\n    return None if x else True",
            "assert f(1) is None",
            "assert f(0) is True",
        ),
        1.0,
    ),
    "1 is not True": (item("def f():\n    return 1", "assert f() is True"), 0.0),
    "sets and frozensets": (
        item(
            "def f(xs):\n    return set(xs), frozenset(xs)",
            "s, fs = f([3, 1, 3])\nassert s == {1, 3} and fs == frozenset({1, 3})",
            "assert isinstance(f([])[0], set) and not isinstance(f([])[0], frozenset)",
        ),
        1.0,
    ),
    "in-place mutation reaches the test's objects": (
        item(
            """
            def sort_in_place(xs):
                xs.sort()
            def fill(d, s):
                d['k'] = 1
                s.add(2)
            """,
            "l = [3, 1, 2]\nsort_in_place(l)\nassert l == [1, 2, 3]",
            "d, s = {}, set()\nfill(d, s)\nassert d == {'k': 1} and s == {2}",
        ),
        1.0,
    ),
    "keyword arguments and defaults": (
        item(
            "def f(a, b=2, *, c=3):\n    return a + b * c",
            "assert f(1) == 7 and f(1, c=1) == 3 and f(a=0, b=0) == 0",
        ),
        1.0,
    ),
    "a generator and a map object": (
        item(
            "def gen(n):\n    for i in range(n):\n        yield i * i\ndef squares(xs):\n"
            "    return map(lambda x: x * x, xs)",
            "assert list(gen(4)) == [0, 1, 4, 9]",
            "assert sorted(squares([3, 1])) == [1, 9]",
            "g = gen(2)\nassert next(g) == 0 and next(g) == 1",
        ),
        1.0,
    ),
    "an exception the test expects": (
        item(
            "def f(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x",
            "try:\n    f(-1)\nexcept ValueError as e:\n    assert 'negative' in str(e)\n"
            "else:\n    raise AssertionError('no error')",
            "assert f(2) == 2",
        ),
        1.0,
    ),
    "module-level values and helper functions": (
        item(
            "LIMIT = 10\ndef _helper(x):\n    return x + LIMIT\ndef f(x):\n    return _helper(x)",
            "assert f(1) == 11",
            "assert LIMIT == 10",
        ),
        1.0,
    ),
    "a module the program imported, used by the test without importing it": (
        item("import math\ndef f(x):\n    return math.sqrt(x)", "assert f(16) == math.sqrt(16)"),
        1.0,
    ),
    "the function under test named after a builtin (MBPP 126)": (
        item(
            """
            import math
            def sum(a, b):
                total = 0
                for i in range(1, min(a, b)):
                    if a % i == 0 and b % i == 0:
                        total += i
                return total
            """,
            "assert sum(10, 15) == 6",
            "assert sum(100, 150) == 93",
            "assert sum(4, 6) == 3",
        ),
        1.0,
    ),
    "a builtin rebound beside the function under test": (
        item(
            "abs = lambda x: 0\ndef f():\n    return 5",
            "assert abs(f() - 5) == 0",
            "assert abs(f() - 1) < 1e-6",
        ),
        0.5,
    ),
    "tests share the program's module state, as MBPP's asserts do": (
        item(
            "calls = []\ndef f(x):\n    calls.append(x)\n    return len(calls)",
            "assert f('a') == 1",
            "assert f('b') == 2",
        ),
        1.0,
    ),
    "a crash fails that test only; the rest get a fresh load": (
        item(
            "import os\ndef f(x):\n    if x == 0:\n        os._exit(3)\n    return x",
            "assert f(1) == 1",
            "assert f(0) == 0",
            "assert f(2) == 2",
        ),
        2 / 3,
    ),
    "prints during calls are the program's business": (
        item(
            "def f(x):\n    print('computing', x)\n    return x + 1",
            "assert f(1) == 2",
            "assert f(2) == 3",
        ),
        1.0,
    ),
}


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, dict[str, Any]]]:
    require_docker()
    with TestClient(
        create_app(make_settings(sandbox_backend="docker", sandbox_pool_size=2))
    ) as client:
        body = {"items": [case for case, _ in CASES.values()], "limits": {"timeout_s": 5}}
        response = client.post("/code", json=body)
        assert response.status_code == 200, response.text
        yield dict(zip(CASES, response.json()["results"], strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_plain_data_judges_right(name: str, results: dict[str, dict[str, Any]]) -> None:
    result = results[name]
    assert result["reward"] == pytest.approx(CASES[name][1]), result
    assert all(t["judged_in"] == "outside" for t in result["tests"]), result
