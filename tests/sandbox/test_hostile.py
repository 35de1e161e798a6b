"""Hostile programs through the whole service: each is contained and scores as a failure, the
service stays healthy, and honest items in the same batch keep their correct scores."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from tests.conftest import make_settings
from tests.docker_support import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CANARY = "reward-service-canary-4f1d"


def post_code(client: TestClient, body: dict[str, Any]) -> Any:
    """POST /code with ASCII-escaped JSON: httpx's own encoder can't send lone surrogates."""
    headers = {"content-type": "application/json"}
    return client.post("/code", content=json.dumps(body), headers=headers)


def fenced(source: str) -> str:
    return "```python\n" + textwrap.dedent(source).strip() + "\n```"


def assert_item(source: str, *tests: str) -> dict[str, Any]:
    return {"completion": fenced(source), "tests": list(tests)}


def humaneval_item(source: str, check: str, entry_point: str) -> dict[str, Any]:
    return {"completion": fenced(source), "test": check, "entry_point": entry_point}


# replaces the encoder json.dumps() calls through a module global, not the function itself
JSON_ENCODER_HACK = """
import json
class Encoder(json.JSONEncoder):
    def encode(self, o):
        if isinstance(o, dict) and o.get('phase') == 'test':
            o = dict(o, status='passed', detail=None)
        return json.JSONEncoder.encode(self, o)
json._default_encoder = Encoder()
def add(a, b):
    return 0
"""


# A tracer that jumps past the assert lines of the test; the harness clears tracers before the
# test runs, so these cases re-arm it from hooks that outlive loading.
SKIPPING_TRACER = """
import sys
def tracer(frame, event, arg):
    code = frame.f_code
    if code.co_filename == '<test>' and event == 'line':
        last = max(line for _, _, line in code.co_lines() if line)
        if frame.f_lineno < last:
            try:
                frame.f_lineno = last
            except Exception:
                pass
    return tracer
def f():
    return 0
"""

HOSTILE: dict[str, dict[str, Any]] = {
    "infinite loop": assert_item("def f():\n    while True: pass", "assert f() == 1"),
    "sleep": assert_item(
        "import time\ndef f():\n    time.sleep(60)\n    return 1", "assert f() == 1"
    ),
    "fork bomb": assert_item(
        """
        import os
        def f():
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """,
        "assert f() == 1",
    ),
    "thread bomb": assert_item(
        """
        import threading, time
        def f():
            while True:
                threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        """,
        "assert f() == 1",
    ),
    "memory bomb": assert_item(
        "def f():\n    hog = []\n    while True: hog.append(bytearray(10**7))", "assert f() == 1"
    ),
    "memory bomb in many processes": assert_item(
        """
        import os, time
        def f():
            for _ in range(12):
                if os.fork() == 0:
                    hog = b'x' * (200 * 1024 * 1024)  # touched pages: real memory
                    time.sleep(30)
            time.sleep(30)
        """,
        "assert f() == 1",
    ),
    "disk fill": assert_item(
        """
        def f():
            with open('/tmp/fill', 'wb') as fh:
                while True:
                    fh.write(b'x' * 1048576)
        """,
        "assert f() == 1",
    ),
    "disk fill, many files": assert_item(
        """
        def f():
            for i in range(1000):
                with open(f'/tmp/fill{i}', 'wb') as fh:
                    fh.write(b'x' * 8 * 1048576)
        """,
        "assert f() == 1",
    ),
    "segfault": assert_item(
        "import ctypes\ndef f():\n    return ctypes.string_at(0)", "assert f() == 1"
    ),
    "C stack overflow": assert_item(
        "import sys\nsys.setrecursionlimit(10**7)\ndef f(n=0):\n    return f(n + 1)",
        "assert f() == 1",
    ),
    "escaping the process group": assert_item(
        """
        import os
        def f():
            if os.fork() == 0:
                os.setsid()  # out of the test's process group and session
                while True:
                    pass
            while True:
                pass
        """,
        "assert f() == 1",
    ),
    "huge output": assert_item("def f():\n    while True: print('x' * 65536)", "assert f() == 1"),
    "network egress": assert_item(
        """
        import socket
        def f():
            socket.create_connection(('1.1.1.1', 53), timeout=1).close()
            return 1
        """,
        "assert f() == 1",
    ),
    "dns": assert_item(
        "import socket\ndef f():\n    return socket.gethostbyname('pypi.org')", "assert f()"
    ),
    "reading the service's environment": {
        "completion": fenced(
            """
            import os
            found = os.environ.get('REWARD_TEST_CANARY', '')
            for pid in os.listdir('/proc'):
                try:
                    found += open(f'/proc/{pid}/environ').read()
                except OSError:
                    pass
            print(found)
            """
        ),
        "tests": [{"stdin": "", "stdout": CANARY}],
    },
    # Linux refuses another uid's /proc/<pid>/environ; Debian's gVisor does not, so PID 1 keeps
    # an empty one (confine.shed_environment)
    "reading PID 1's environment": {
        "completion": fenced(
            """
            try:
                found = open('/proc/1/environ', 'rb').read()
            except OSError:
                found = b''
            print('leaked' if found else 'nothing')
            """
        ),
        "tests": [{"stdin": "", "stdout": "leaked"}],
    },
    "reading the expected output from the harness's frames": {
        "completion": fenced(
            """
            import sys
            frame, answer = sys._getframe(), ''
            while frame is not None:
                for value in list(frame.f_locals.values()):
                    if isinstance(value, dict) and isinstance(value.get('stdout'), str):
                        answer = value['stdout']
                    if isinstance(value, dict) and isinstance(value.get('tests'), list):
                        answer = answer or ''.join(t.get('stdout', '') for t in value['tests'])
                frame = frame.f_back
            print(answer)
            """
        ),
        "tests": [{"stdin": "", "stdout": "the hidden answer"}],
    },
    "writing outside the work dir": assert_item(
        """
        def f():
            runner = '/opt/sandbox/sandbox_runner/__main__.py'
            for path in ('/etc/passwd', runner, '/usr/bin/x', '/root/x', '/x'):
                try:
                    open(path, 'a').write('pwned')
                    return 1
                except OSError:
                    pass
            return 0
        """,
        "assert f() == 1",
    ),
    "killing the parent": assert_item(
        """
        import os, signal
        def f():
            for target in (os.getppid(), 1, -1):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            return 0
        """,
        "assert f() == 1",
    ),
    "sys.exit(0) in the function": assert_item(
        "import sys\ndef f():\n    sys.exit(0)", "assert f() == 1"
    ),
    "os._exit(0) in the function": assert_item(
        "import os\ndef f():\n    os._exit(0)", "assert f() == 1"
    ),
    "sys.exit(0) at module level": assert_item("import sys\nsys.exit(0)", "assert f() == 1"),
    "os._exit(0) at module level": assert_item("import os\nos._exit(0)", "assert f() == 1"),
    "atexit exit code": assert_item(
        "import atexit, os\natexit.register(lambda: os._exit(0))\ndef f():\n    return 0",
        "assert f() == 1",
    ),
    "patched builtins": assert_item(
        "import builtins\nbuiltins.abs = lambda x: 0\ndef f():\n    return 5",
        "assert abs(f() - 1) < 1e-6",
    ),
    "replaced __builtins__": assert_item(
        "__builtins__ = {'abs': lambda x: 0}\ndef f():\n    return 5",
        "assert abs(f() - 1) < 1e-6",
    ),
    "patched json.dumps (the harness's encoder)": assert_item(
        """
        import json, os
        real_dumps, real_write = json.dumps, os.write
        def dumps(obj, *args, **kwargs):
            if isinstance(obj, dict) and 'token' in obj:
                obj = {**obj, 'status': 'passed'}
            return real_dumps(obj, *args, **kwargs)
        json.dumps = dumps
        os.write = lambda fd, data: real_write(fd, data.replace(b'failed', b'passed'))
        def f():
            return 0
        """,
        "assert f() == 1",
    ),
    "patched harness module": assert_item(
        """
        import sys
        for module in list(sys.modules.values()):
            for name in ('classify', 'describe', 'failure', 'report', 'decide'):
                if callable(getattr(module, name, None)):
                    try:
                        setattr(module, name, lambda *a, **k: 'passed')
                    except Exception:
                        pass
        def f():
            return 0
        """,
        "assert f() == 1",
    ),
    "tracer that skips the assert": {
        "completion": fenced(
            """
            import sys
            def tracer(frame, event, arg):
                if frame.f_code.co_filename == '<test>' and event == 'line':
                    try:
                        frame.f_lineno = frame.f_lineno + 1
                    except Exception:
                        pass
                return tracer
            sys.settrace(tracer)
            def f():
                return 0
            """
        ),
        "setup": "x = 1",
        "tests": ["assert f() == 1\nx = 2"],
    },
    "module-level names shadowing builtins": assert_item(
        "abs = lambda x: 0\nset = lambda x: 0\ndef f():\n    return 5",
        "assert abs(f() - 1) < 1e-6",
        "assert set([f()]) == set([1])",
    ),
    "tracer re-armed by an audit hook": {
        "completion": fenced(
            SKIPPING_TRACER
            + textwrap.dedent(
                """
            def hook(event, args):
                if event == 'exec':
                    sys.settrace(tracer)
            sys.addaudithook(hook)
            """
            )
        ),
        "setup": "x = 1",
        "tests": ["assert f() == 1\nx = 2"],
    },
    "tracer re-armed by a gc callback": {
        "completion": fenced(
            SKIPPING_TRACER
            + textwrap.dedent(
                """
            import gc
            def callback(phase, info):
                frame = sys._getframe(1)
                while frame is not None:
                    if frame.f_code.co_filename == '<test>':
                        frame.f_trace = tracer
                        sys.settrace(tracer)
                        break
                    frame = frame.f_back
            gc.callbacks.append(callback)
            gc.set_threshold(1)
            """
            )
        ),
        "setup": "x = 1",
        "tests": ["y = [[] for _ in range(50)]\nassert f() == 1\nx = 2"],
    },
    "filling the work dirs with empty files (inodes)": assert_item(
        """
        import os
        def f():
            for d in ('/tmp', '/dev/shm'):
                base = os.path.join(d, 'x%d' % os.getpid())
                os.mkdir(base)
                i = 0
                while True:
                    os.mknod(base + '/' + 'n' * 200 + str(i))
                    i += 1
        """,
        "assert f() == 1",
        "assert f() == 1",
    ),
    "replaced json._default_encoder": assert_item(
        JSON_ENCODER_HACK, "assert add(1, 2) == 3", "assert add(2, 2) == 4"
    ),
    "replaced json._default_encoder, HumanEval form": humaneval_item(
        JSON_ENCODER_HACK, "def check(candidate):\n    assert candidate(1, 2) == 3\n", "add"
    ),
    "patched the harness's copy of the builtins": assert_item(
        """
        import sys
        for module in list(sys.modules.values()):
            pristine = getattr(module, 'PRISTINE_BUILTINS', None)
            if isinstance(pristine, dict):
                pristine['abs'] = lambda x: 0
        def f():
            return 5
        """,
        "assert abs(f() - 1) < 1e-6",
    ),
    "replaced the harness's builtins module": assert_item(
        """
        import builtins as real, sys, types
        fake = types.ModuleType('builtins')
        fake.__dict__.update(real.__dict__)
        fake.abs = lambda x: 0
        for module in list(sys.modules.values()):
            if getattr(module, 'builtins', None) is real:
                module.builtins = fake
        def f():
            return 5
        """,
        "assert abs(f() - 1) < 1e-6",
    ),
    "deeply nested garbage on every descriptor (verdict pipe included)": assert_item(
        """
        import os
        for fd in range(3, 64):
            try:
                os.write(fd, b'[' * 60000)
            except OSError:
                pass
        def add(a, b):
            return 0
        """,
        "assert add(1, 2) == 3",
    ),
    "closing every descriptor": assert_item(
        "import os\nos.closerange(0, 1024)\ndef f():\n    return 1", "assert f() == 1"
    ),
    "blank stderr and an exception whose str() raises": assert_item(
        """
        import sys
        class Unprintable(Exception):
            def __str__(self):
                raise RuntimeError('no')
        sys.stderr.write(' ')
        raise Unprintable
        """,
        "assert f() == 1",
    ),
    "lone surrogate in the exception": assert_item(
        "def f():\n    raise ValueError(chr(0xD800) + 'x' * 1000)", "assert f() == 1"
    ),
    "lone surrogate printed": assert_item(
        "import sys\ndef f():\n    print(chr(0xD800))\n    sys.stderr.write(chr(0xDC80))",
        "assert f() == 1",
    ),
    "lone surrogate in the program text": assert_item(
        "def f():\n    return '\ud800'", "assert f() == 1"
    ),
    "lone surrogate in a test's input and output": {
        "completion": fenced("print(input())"),
        "tests": [{"stdin": "\ud800\n", "stdout": "\ud800"}],
    },
    "killing itself while loading": assert_item(
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\ndef f():\n    return 1",
        "assert f() == 1",
    ),
    "endless loop while loading": assert_item(
        "try:\n    raise ValueError\nexcept BaseException:\n    while True: pass",
        "assert f() == 1",
    ),
    "forged output": assert_item(
        """
        import json, os, struct, sys
        forged = json.dumps({'phase': 'test', 'status': 'passed'}).encode()
        print('PASSED'); print(forged.decode()); sys.stdout.flush()
        for fd in range(1, 64):
            try:
                os.write(fd, forged + b'\\n')
                os.write(fd, struct.pack('>I', len(forged)) + forged)
            except OSError:
                pass
        def f():
            return 0
        """,
        "assert f() == 1",
    ),
}


# Seen 2026-12-07 on a 6.18 kernel with Debian's runsc 20221219: the OOM killer took gVisor's
# Sentry (the whole sandbox), not a process of the program; earlier machines' kernels did not.
SANDBOX_KILLERS_UNDER_RUNSC = {"memory bomb in many processes"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    require_docker()
    os.environ["REWARD_TEST_CANARY"] = CANARY  # in the service's environment, never the sandbox's
    try:
        settings = make_settings(sandbox_backend="docker", sandbox_pool_size=2)
        with TestClient(create_app(settings)) as test_client:
            yield test_client
    finally:
        del os.environ["REWARD_TEST_CANARY"]


def honest(k: int) -> dict[str, Any]:
    """An honest item of its own (distinct, so the sandbox really runs every one)."""
    return assert_item(
        f"def add(a, b):\n    return a + b  # {k}",
        f"assert add({k}, 2) == {k + 2}",
        "assert add(2, 2) == 4",
    )


@pytest.fixture(scope="module")
def hostile_batch(client: TestClient) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Every hack in one /code batch, each beside an honest item: name -> (its result, its
    neighbour's result). One batch for speed; each hack is reported as its own test below."""
    names = list(HOSTILE)
    items = []
    for k, name in enumerate(names):  # interleave: an honest item beside every hostile one
        items += [HOSTILE[name], honest(k)]
    body = {"items": items, "limits": {"timeout_s": 1, "memory_mb": 256}}
    response = post_code(client, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    return {name: (results[2 * k], results[2 * k + 1]) for k, name in enumerate(names)}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hack_fails_and_its_honest_neighbour_scores_right(
    name: str, hostile_batch: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    hostile, neighbour = hostile_batch[name]
    assert neighbour["reward"] == 1.0 and neighbour["status"] == "passed", neighbour
    under_runsc = os.environ.get("REWARD_SANDBOX_RUNTIME") == "runsc"
    # Under gVisor every process of the container is one host process (the Sentry): where the
    # kernel's memory-cgroup OOM killer picks it, the whole sandbox dies with the bomb. Then the
    # item is an infra_error with no reward (never a pass, never a made-up 0); docs/SECURITY.md
    # says so. Under runc the killer takes one of the program's processes.
    if under_runsc and name in SANDBOX_KILLERS_UNDER_RUNSC and hostile["status"] == "infra_error":
        assert hostile["reward"] is None and "container exited" in hostile["detail"], hostile
        return
    assert hostile["status"] in ("failed", "error"), hostile
    assert hostile["reward"] is not None and hostile["reward"] <= 0.0, hostile
    assert all(t["status"] != "passed" for t in hostile["tests"]), hostile


def test_the_pool_is_whole_after_the_hostile_batch(
    client: TestClient, hostile_batch: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    assert len(hostile_batch) == len(HOSTILE)
    health = client.get("/healthz").json()["backends"]["code"]
    assert health["ready"] is True and health["pool_size"] == 2


def test_expected_statuses(client: TestClient) -> None:
    picks = {
        "infinite loop": "timeout",
        "sleep": "timeout",
        "memory bomb": "memory",
        "huge output": "output_limit",
        "os._exit(0) in the function": "runtime_error",
        "sys.exit(0) in the function": "failed",
    }
    body = {"items": [HOSTILE[n] for n in picks], "limits": {"timeout_s": 1}}
    results = client.post("/code", json=body).json()["results"]
    assert [r["tests"][0]["status"] for r in results] == list(picks.values())


def test_ending_the_process_while_loading_is_a_load_failure(client: TestClient) -> None:
    """Module-level code that never finishes scores like module-level code that raises (-1.0),
    whatever way it ends; in the stdin/stdout form a crash still fails that input only."""
    picks = {  # hostile item -> its first test's status; the item's status is `error`
        "os._exit(0) at module level": "runtime_error",
        "sys.exit(0) at module level": "runtime_error",
        "killing itself while loading": "runtime_error",
        "endless loop while loading": "timeout",
        "closing every descriptor": "runtime_error",
        "blank stderr and an exception whose str() raises": "runtime_error",
        "lone surrogate in the program text": "runtime_error",
    }
    stdio_crash = {
        "completion": fenced("import os\nif input() == 'die':\n    os._exit(0)\nprint('ok')"),
        "tests": [{"stdin": "die\n", "stdout": "ok"}, {"stdin": "live\n", "stdout": "ok"}],
    }
    body = {"items": [*(HOSTILE[n] for n in picks), stdio_crash], "limits": {"timeout_s": 1}}
    response = post_code(client, body)
    assert response.status_code == 200, response.text
    *loads, stdio = response.json()["results"]
    for name, result in zip(picks, loads, strict=True):
        assert result["status"] == "error" and result["reward"] == -1.0, (name, result)
        assert result["tests"][0]["status"] == picks[name], (name, result)
    timeout_item = loads[list(picks).index("endless loop while loading")]
    assert "did not finish loading in time" in timeout_item["detail"], timeout_item
    assert stdio["reward"] == 0.5 and [t["status"] for t in stdio["tests"]] == [
        "runtime_error",
        "passed",
    ], stdio


def test_forged_json_and_surrogates_score_as_plain_failures(client: TestClient) -> None:
    names = [
        "replaced json._default_encoder",
        "replaced json._default_encoder, HumanEval form",
        "deeply nested garbage on every descriptor (verdict pipe included)",
        "lone surrogate in the exception",
        "lone surrogate in a test's input and output",
    ]
    body = {"items": [HOSTILE[n] for n in names], "limits": {"timeout_s": 1}}
    response = post_code(client, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    for name, result in zip(names, results, strict=True):
        assert result["status"] == "failed" and result["reward"] == 0.0, (name, result)
    surrogate = results[names.index("lone surrogate in the exception")]["tests"][0]
    assert surrogate["status"] == "runtime_error"
    assert surrogate["detail"].startswith("ValueError: \\ud800xxx"), surrogate


def test_no_state_leaks_from_one_item_to_the_next() -> None:
    require_docker()
    settings = make_settings(sandbox_backend="docker", sandbox_pool_size=1)
    litter = assert_item(
        """
        import os, subprocess, time
        def f():
            open('/tmp/left', 'w').write('x')
            os.makedirs('/tmp/locked/deeper')
            os.chmod('/tmp/locked', 0)
            open('/dev/shm/left', 'w').write('x')
            if os.fork() == 0:  # a daemon that outlives the test
                os.setsid()
                if os.fork() == 0:
                    while True:
                        open('/tmp/daemon', 'w').write('alive')
                        time.sleep(0.01)
                os._exit(0)
            time.sleep(0.1)
            return 1
        """,
        "assert f() == 1",
    )
    inspect = assert_item(
        """
        import os, time
        time.sleep(0.2)  # a surviving daemon would have written by now
        def mine():
            found = []
            for p in os.listdir('/proc'):
                try:
                    if p.isdigit() and os.stat('/proc/' + p).st_uid == os.getuid():
                        found.append(p)
                except OSError:
                    pass
            return sorted(found)
        """,
        "assert os.listdir('/tmp') == [], os.listdir('/tmp')",
        "assert os.listdir('/dev/shm') == [], os.listdir('/dev/shm')",
        "assert mine() == [str(os.getpid())], mine()",
    )
    # inside the program's own interpreter: no process of the sandbox uid but itself survives
    inspect["judge_in"] = "inside"
    with TestClient(create_app(settings)) as client:
        results = client.post("/code", json={"items": [litter, inspect]}).json()["results"]
    assert results[0]["status"] == "passed", results[0]
    assert results[1]["status"] == "passed", results[1]
