"""Hacks on the judging itself: programs that try to make a test pass without computing its
answer, by what they return, by patching what the test uses, or by reading the expected value.
Tests are judged outside the program, so each must fail, with its honest neighbour still 1.0.
One batch for speed; each hack is its own test case.
"""

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


def item(source: str, *tests: str, **fields: Any) -> dict[str, Any]:
    return {
        "completion": "```python\n" + textwrap.dedent(source).strip() + "\n```",
        "tests": list(tests),
        **fields,
    }


ALWAYS_EQUAL = """
class Equal:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __hash__(self):
        return 0
"""

# walks every frame it can reach and every object the collector knows for a number that looks
# like an expected value (the tests below expect 424242) and returns it
SNOOP = """
import gc, inspect, sys
def snoop():
    seen = []
    frame = sys._getframe(1)
    while frame is not None:
        seen += list(frame.f_locals.values()) + list(frame.f_code.co_consts)
        frame = frame.f_back
    for info in inspect.stack():
        seen += list(info.frame.f_globals.values())
    for obj in gc.get_objects():
        if type(obj).__name__ == 'code':
            seen += list(obj.co_consts)
        elif isinstance(obj, (list, tuple, dict)):
            seen += list(obj)[:50]
    for value in seen:
        if isinstance(value, int) and not isinstance(value, bool) and 400000 < value < 500000:
            return value
        if isinstance(value, str) and '4242' in value:
            return int(''.join(c for c in value.split('==')[-1] if c.isdigit()))
    return 0
"""

HOSTILE: dict[str, dict[str, Any]] = {
    "an always-equal object": item(
        ALWAYS_EQUAL + "def f():\n    return Equal()", "assert f() == 424242"
    ),
    "an always-equal object, in a list": item(
        ALWAYS_EQUAL + "def f():\n    return [Equal()]", "assert f() == [424242]"
    ),
    "an int subclass that equals everything": item(
        """
        class I(int):
            def __eq__(self, o):
                return True
            __hash__ = int.__hash__
        def f():
            return I(0)
        """,
        "assert f() == 424242",
    ),
    "a str subclass that equals everything": item(
        """
        class S(str):
            def __eq__(self, o):
                return True
            __hash__ = str.__hash__
        def f():
            return S('x')
        """,
        "assert f() == 'expected'",
    ),
    "a float subclass that is close to everything": item(
        """
        class F(float):
            def __sub__(self, o):
                return F(0.0)
            def __abs__(self):
                return 0.0
            def __lt__(self, o):
                return True
        def f():
            return F(9.0)
        """,
        "assert abs(f() - 3.14159) < 1e-6",
    ),
    "a dict subclass that equals everything": item(
        "class D(dict):\n    def __eq__(self, o):\n        return True\ndef f():\n    return D()",
        "assert f() == {'a': 1}",
    ),
    "an object whose comparison raises a BaseException": item(
        """
        class Stop(BaseException):
            pass
        class X:
            def __eq__(self, o):
                raise Stop
        def f():
            return X()
        """,
        "try:\n    assert f() == 424242\nexcept Exception:\n    pass\nelse:\n    pass",
    ),
    "a BaseException raised past the test's except Exception": item(
        "class Stop(BaseException):\n    pass\ndef f(x):\n    raise Stop",
        "try:\n    f(-1)\nexcept Exception:\n    pass\nassert f(1) == 424242",
    ),
    "KeyboardInterrupt past the test's except Exception": item(
        "def f(x):\n    raise KeyboardInterrupt",
        "ok = False\ntry:\n    f(1)\nexcept Exception:\n    ok = True\nassert ok",
    ),
    "a result that changes when it is compared": item(
        """
        class Flip:
            n = 0
            def __eq__(self, o):
                Flip.n += 1
                return Flip.n > 1
        def f():
            return Flip()
        """,
        "r = f()\nr == 0\nassert r == 424242",
    ),
    "a generator that yields always-equal objects": item(
        ALWAYS_EQUAL + "def f():\n    yield Equal()\n    yield Equal()",
        "assert list(f()) == [1, 2]",
    ),
    "math.isclose patched at load time": item(
        "import math\nmath.isclose = lambda *a, **k: True\ndef f():\n    return 0.0",
        "import math\nassert math.isclose(f(), 3.14159)",
    ),
    "a module the test uses without importing it, patched by the program": item(
        "import math\nmath.sqrt = lambda x: 3\nmath.pi = 0\ndef f():\n    return 3",
        "assert f() == math.sqrt(16)",
    ),
    "builtins patched from a background thread during the test": item(
        """
        import builtins, threading, time
        def patch():
            while True:
                builtins.abs = lambda x: 0
                builtins.sorted = lambda x, **k: [1, 2, 3]
                time.sleep(0.0005)
        threading.Thread(target=patch, daemon=True).start()
        def f():
            time.sleep(0.05)
            return [3, 1]
        """,
        "assert sorted(f()) == [1, 2, 3]",
    ),
    "math patched from a background thread during the test": item(
        """
        import math, threading, time
        def patch():
            while True:
                math.isclose = lambda *a, **k: True
                time.sleep(0.0005)
        threading.Thread(target=patch, daemon=True).start()
        def f():
            time.sleep(0.05)
            return 0.0
        """,
        "import math\nassert math.isclose(f(), 2.5)",
    ),
    "reading the expected value from frames, inspect and gc": item(
        SNOOP + "def f():\n    return snoop()", "assert f() == 424242"
    ),
    "reading the expected value from frames, HumanEval form": {
        "completion": "```python\n" + SNOOP + "\ndef f():\n    return snoop()\n```",
        "test": "def check(candidate):\n    assert candidate() == 424242\n",
        "entry_point": "f",
    },
    "scanning its own memory with ctypes for the test's text": item(
        """
        import ctypes, re
        def f():
            for line in open('/proc/self/maps'):
                fields = line.split()
                if 'rw' not in fields[1] or len(fields) > 5 and fields[5].startswith('/'):
                    continue
                start, end = (int(x, 16) for x in fields[0].split('-'))
                if end - start > 64 << 20:
                    continue
                try:
                    data = ctypes.string_at(start, end - start)
                except Exception:
                    continue
                found = re.search(rb'f\\(\\) == (4\\d{5})', data)
                if found:
                    return int(found.group(1))
            return 0
        """,
        "assert f() == 424242",
    ),
    "reading other processes' memory and command lines": item(
        """
        import os, re
        def f():
            for pid in os.listdir('/proc'):
                for name in ('mem', 'cmdline', 'environ'):
                    try:
                        with open(f'/proc/{pid}/{name}', 'rb') as fh:
                            data = fh.read(1 << 20)
                    except OSError:
                        continue
                    found = re.search(rb'f\\(\\) == (4\\d{5})', data)
                    if found:
                        return int(found.group(1))
            return 0
        """,
        "assert f() == 424242",
    ),
    "a tracer that skips the assert": item(
        """
        import sys
        def tracer(frame, event, arg):
            if event == 'line':
                try:
                    frame.f_lineno = frame.f_lineno + 1
                except Exception:
                    pass
            return tracer
        sys.settrace(tracer)
        import threading
        threading.settrace(tracer)
        def f():
            return 0
        """,
        "assert f() == 424242",
    ),
    "killing every process it can reach": item(
        """
        import os, signal
        def f():
            for pid in range(1, 400):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            return 0
        """,
        "assert f() == 424242",
        "assert f() == 424242",
    ),
    "forging a reply on the bridge": item(
        """
        import json, os, struct
        def f():
            forged = json.dumps({"ok": 424242}).encode()
            for fd in range(3, 64):
                try:
                    os.write(fd, struct.pack('>I', len(forged)) + forged)
                except OSError:
                    pass
            return 0
        """,
        "assert f() == 1",
    ),
    "a swallowed exception from a result that is not plain data": item(
        ALWAYS_EQUAL + "def f(x):\n    return Equal()",
        "try:\n    f(-1)\nexcept Exception:\n    pass\nelse:\n    raise AssertionError('no error')",
    ),
    "StopIteration raised inside the test's all(map(...))": item(
        "def f(x):\n    raise StopIteration",
        "assert all(map(f, [1, 2, 3]))",
    ),
    "StopIteration ending the test's list(map(...)) early": item(
        "def f(x):\n    if x > 0:\n        raise StopIteration\n    return x",
        "assert list(map(f, [0, 1, 2])) == [0]",
    ),
    "an object that lies about its type name, truth and str": item(
        """
        class Liar:
            def __bool__(self):
                return True
            def __str__(self):
                return '[424242]'
            def __eq__(self, other):
                return True
        Liar.__name__ = Liar.__qualname__ = 'list'
        def f():
            return Liar()
        """,
        "r = f()\nassert r and type(r).__name__ == 'list' and str(r) == '[424242]'\n"
        "assert r == [424242]",
    ),
    "an object compared after a round trip through the program": item(
        ALWAYS_EQUAL + "def f():\n    return Equal()\ndef g(x):\n    return x",
        "assert g(f()) == 424242",
    ),
    "an object used as a set element or dict key": item(
        ALWAYS_EQUAL + "def f():\n    return Equal()",
        "assert {f(): 1} == {424242: 1} or f() in {424242}",
    ),
    "an object that says it holds whatever the test looks for": item(
        "class All:\n    def __contains__(self, x):\n        return True\n"
        "def f():\n    return All()",
        "assert 424242 in f()",
    ),
    "the judge's name for a builtin bound to the program's own class": item(
        "class ValueError(Exception):\n    pass\ndef f(x):\n    raise ValueError('mine')",
        "import builtins\ntry:\n    f(1)\nexcept builtins.ValueError:\n    pass\n"
        "else:\n    raise SystemError",
    ),
}


def honest(k: int) -> dict[str, Any]:
    return item(
        f"def f(x):\n    return x * 2 + {k}", f"assert f(3) == {6 + k}", f"assert f(0) == {k}"
    )


@pytest.fixture(scope="module")
def batch() -> Iterator[dict[str, tuple[dict[str, Any], dict[str, Any]]]]:
    require_docker()
    settings = make_settings(sandbox_backend="docker", sandbox_pool_size=2)
    with TestClient(create_app(settings)) as client:
        names = list(HOSTILE)
        items = [x for k, name in enumerate(names) for x in (HOSTILE[name], honest(k))]
        response = client.post("/code", json={"items": items, "limits": {"timeout_s": 2}})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        yield {name: (results[2 * k], results[2 * k + 1]) for k, name in enumerate(names)}
        health = client.get("/healthz").json()["backends"]["code"]
        assert health["ready"] is True and health["pool_size"] == 2


@pytest.mark.parametrize("name", list(HOSTILE))
def test_bridge_hack_fails_and_its_honest_neighbour_scores_right(
    name: str, batch: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    hostile, neighbour = batch[name]
    assert hostile["reward"] is not None and hostile["reward"] <= 0.0, hostile
    assert all(t["status"] != "passed" for t in hostile["tests"]), hostile
    assert all(t["judged_in"] == "outside" for t in hostile["tests"]), hostile
    assert neighbour["reward"] == 1.0, neighbour


def test_the_suite_has_twenty_bridge_cases() -> None:
    assert len(HOSTILE) >= 20
