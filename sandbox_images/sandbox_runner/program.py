"""The program process: where the program is loaded once and its code runs (untrusted).

Spawned by the zygote (PID 1), which never saw a test, so nothing of any test is in this
process's memory: not the asserts, not the expected outputs. It drops to the sandbox uid, reads
its program on the control pipe, and serves one of two roles:

- `calls` (assert and HumanEval forms): loads the program as `__main__` and reports its names;
  then answers the judge's requests, each on plain data only (`bridge.py`): call a function
  (its arguments' new contents come back, for in-place mutation), read a value, step an
  iterator it returned, or tell the truth, `str`, `repr` or `format` of a value that is not
  plain data (such a value stays here, `Held`; the judge gets a reference to it, and may pass it
  back); or a list of calls asked ahead, each answered as soon as it ran, up to the first that
  does not return plain data or a reference.
- `stdio`: compiles the program once; then runs it once per test, as `__main__` in fresh
  globals with the test's stdin, stdout and stderr (pipes the runner passes over a socket) and
  reports how it ended on the test's verdict pipe. The runner compares the output. After a test
  that left a thread running, the process ends instead of taking the next test, and the runner
  starts a fresh one.

Nothing this process sends is trusted: the judge decodes replies as plain data and the runner
reads verdicts by token, so a program that rewrites this module gains nothing by it.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import socket
import sys
import threading
import types

from sandbox_runner import bridge, framing, verdicts
from sandbox_runner.confine import PRISTINE_BUILTINS, RUNNER_ROOT, close_all_but, drop_privileges
from sandbox_runner.text import describe

NAMES_REPORTED = 10_000
# tests a process may serve, for its CPU-time rlimit: a backstop only, the runner's wall clock
# ends every test at its limit
SPARE_TESTS = 1000


def program_main(request: dict, fds: list[int]) -> None:
    """Runs in the zygote's child; never returns. It drops to the sandbox uid under the
    request's limits at once and warms up, usually as a spare between jobs; then the runner's
    first frame gives it its job (role, program)."""
    try:
        ctl, reply, out_w, err_w = fds[:4]
        _reset_fds(keep=fds, stdout=out_w, stderr=err_w)
        drop_privileges(request["uid"], request["limits"], tests=SPARE_TESTS)
        os.chdir("/tmp")  # environ, argv, path and streams: as `become_template` left them
        if "random" in sys.modules:  # a fork shares its parent's generator state: reseed
            sys.modules["random"].seed()
        exec(compile("pass", "<warm-up>", "exec"), {})  # the pages a load touches, copied now
        requests = framing.Reader(ctl)
        frame = requests.message()
        if frame is None:
            os._exit(0)  # an unused spare: the runner is gone
        role, program, token = frame["role"], str(frame["program"]), str(frame["token"])
    except BaseException:
        os._exit(98)  # ours, not the program's: the runner sees no load report
    try:
        if role == "stdio":
            serve_stdio(program, token, reply, fds[4])
        else:
            serve_calls(program, token, requests, reply)
    finally:
        os._exit(0)


def _reset_fds(keep: list[int], stdout: int, stderr: int) -> None:
    """stdin from /dev/null, stdout and stderr to the runner's pipes, all else closed."""
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    os.close(null)
    close_all_but([fd for fd in keep if fd not in (stdout, stderr)])  # those live on as 1, 2


def become_template() -> None:
    """PID 1, once its runner is forked: what every program process inherits, set once here
    rather than in each of them (every page a fresh process writes is copied: ~5 us a page).
    The environment was reset before the runner's fork; PID 1 never writes to these streams."""
    sys.path[:] = [p for p in sys.path if p and p != RUNNER_ROOT]
    sys.argv = ["program"]
    _streams()  # on fds 0-2, which each program process points at its own pipes


def _streams() -> None:
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()


def _failure(exc: BaseException) -> str:
    return "memory" if isinstance(exc, MemoryError) else "runtime_error"


# --- calls ---------------------------------------------------------------------------------


def serve_calls(program: str, token: str, requests: framing.Reader, reply: int) -> None:
    try:
        code = compile(program, "<program>", "exec")
    except BaseException as exc:
        report(
            reply, token, {"load": "compile", "status": "runtime_error", "detail": describe(exc)}
        )
        return
    module = types.ModuleType("__main__")  # `import __main__` finds the program
    namespace = module.__dict__
    namespace["__builtins__"] = builtins
    sys.modules["__main__"] = module
    try:
        exec(code, namespace)
    except BaseException as exc:  # SystemExit too: ending while loading is a load failure
        _flush()
        report(reply, token, {"load": "load", "status": _failure(exc), "detail": describe(exc)})
        return
    _flush()
    report(reply, token, {"loaded": True, "names": names_of(namespace)})
    held = Held()
    while True:
        message = requests.message()
        if message is None:
            return
        answer_message(message, namespace, held, reply)


class Held:
    """The program's objects the judge holds references to: iterators it steps, and values that
    are not plain data (`keep`, for `bridge.to_tree`); `take` finds one for `bridge.from_tree`
    when the judge passes it back or asks about it."""

    def __init__(self) -> None:
        self.objects: dict[int, object] = {}

    def hold(self, value: object) -> int:
        handle = len(self.objects) + 1
        while handle in self.objects:
            handle += 1
        self.objects[handle] = value
        return handle

    def keep(self, value: object) -> dict:
        kind = type(value)
        module = _attribute(kind, "__module__", "builtins")
        name = _attribute(kind, "__qualname__", bridge.type_name(value))
        return {"o": [self.hold(value), module[:200], name[:200]]}

    def take(self, body: list) -> object:
        handle = body[0] if body else None
        if type(handle) is not int or handle not in self.objects:
            raise bridge.NotPlainData("a reference to nothing the program returned")
        return self.objects[handle]


def _attribute(kind: type, name: str, default: str) -> str:
    try:
        value = type.__getattribute__(kind, name)  # not a metaclass's __getattribute__
    except BaseException:
        return default
    return value if type(value) is str else default


def answer_message(message: dict, namespace: dict, held: Held, reply: int) -> None:
    """One of the judge's messages: a request (one answer), or calls asked ahead (an answer
    each, written as soon as it ran, up to the first that is neither plain data nor a
    reference)."""
    ahead = message.get("ahead")
    if type(ahead) is not list:
        answer(reply, answer_request(message, namespace, held))
        return
    for request in ahead[: bridge.AHEAD_CALLS]:
        result = answer_request(request, namespace, held) if type(request) is dict else {}
        answer(reply, result)
        if "ok" not in result:
            return  # the judge asks again, one call at a time, from here


def answer(reply: int, result: dict) -> None:
    _flush()
    try:
        payload = framing.json_bytes(result)
    except (TypeError, ValueError, RecursionError):
        payload = b'{"not_plain": "an answer that could not be encoded"}'
    framing.write_frame(reply, payload)


def report(reply: int, token: str, message: dict) -> None:
    """The load report: one line that starts with the token, like a verdict line, so bytes the
    program wrote to this pipe while it loaded are skipped (`verdicts.parse`)."""
    line = "\n" + json.dumps({"token": token, **message}) + "\n"
    _write_all(reply, line.encode())


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def names_of(namespace: dict) -> dict[str, str]:
    """What the program defined: `callable`, `class`, `module:<name>`, `data` or `other`."""
    names: dict[str, str] = {}
    for name, value in list(namespace.items())[:NAMES_REPORTED]:
        if type(name) is not str or not name.isidentifier() or name.startswith("__"):
            continue
        try:
            if isinstance(value, types.ModuleType):
                names[name] = f"module:{value.__name__}"
            elif isinstance(value, type):
                names[name] = "class"
            elif callable(value):
                names[name] = "callable"
            else:
                names[name] = "data"
        except BaseException:
            names[name] = "other"
    return names


def answer_request(message: dict, namespace: dict, held: Held) -> dict:
    try:
        if "call" in message:
            return _call(message, namespace, held)
        if "get" in message:
            return _value(namespace[message["get"]], held)
        if "next" in message:
            return _next(message["next"], held)
        if "probe" in message:
            return _probe(held.take([message["probe"]]), message, held)
        return {"not_plain": "an unknown request"}
    except bridge.NotPlainData as exc:
        return {"not_plain": str(exc)}
    except BaseException as exc:  # the program's own exception, named for the judge
        return {"raised": bridge.type_name(exc), "detail": _detail(exc), "kind": _kind(exc)}


def _call(message: dict, namespace: dict, held: Held) -> dict:
    function = namespace[message["call"]]
    args = bridge.from_tree(message.get("args", []), held.take)
    kwargs = bridge.from_tree(message.get("kwargs", {"d": []}), held.take)
    if type(args) is not list or type(kwargs) is not dict:
        return {"not_plain": "a malformed call"}
    answer = _value(function(*args, **kwargs), held)
    if message.get("mutations") is False:  # the judge keeps no copy of the arguments
        return answer
    # what the call did to its mutable arguments, for the judge's copies
    answer["args"] = [_tree(a, held) if type(a) in bridge.MUTABLE_TYPES else None for a in args]
    answer["kwargs"] = {
        k: _tree(v, held) for k, v in kwargs.items() if type(v) in bridge.MUTABLE_TYPES
    }
    return answer


def _next(handle: object, held: Held) -> dict:
    iterator = held.objects.get(handle) if type(handle) is int else None
    if iterator is None:
        return {"stop": True}
    try:
        item = next(iterator)  # type: ignore[call-overload]
    except StopIteration:
        del held.objects[handle]  # type: ignore[arg-type]
        return {"stop": True}
    return _value(item, held)


def _probe(value: object, message: dict, held: Held) -> dict:
    """What plain Python would let the program itself decide about its value: nothing the
    test's own values reach but an index (no comparison, no `in`)."""
    ask, spec = message.get("ask"), message.get("spec")
    if ask == "bool":
        return {"ok": bool(value)}
    if ask == "str":
        return {"ok": bridge.to_tree(str(value))}
    if ask == "repr":
        return {"ok": bridge.to_tree(repr(value))}
    if ask == "format" and type(spec) is str:
        return {"ok": bridge.to_tree(format(value, spec))}
    if ask == "len":
        return {"ok": len(value)}  # type: ignore[arg-type]
    if ask == "iter":
        return {"iterator": held.hold(iter(value))}  # type: ignore[call-overload]
    if ask == "item":
        return _value(value[bridge.from_tree(message.get("key"), held.take)], held)  # type: ignore[index]
    return {"not_plain": "an unknown question"}


def _value(value: object, held: Held) -> dict:
    if hasattr(type(value), "__next__") and hasattr(type(value), "__iter__"):
        return {"iterator": held.hold(value)}
    return {"ok": _tree(value, held)}


def _tree(value: object, held: Held) -> object:
    return bridge.to_tree(value, held.keep)


def _kind(exc: BaseException) -> str:
    """`builtin`, `exception` (a class of the program's) or `base` (no Exception at all)."""
    kind = type(exc)
    if getattr(builtins, kind.__name__, None) is kind:
        return "builtin"
    return "exception" if isinstance(exc, Exception) else "base"


def _detail(exc: BaseException) -> str:
    try:
        return describe(exc)
    except BaseException:
        return bridge.type_name(exc)


# --- stdio ---------------------------------------------------------------------------------


def serve_stdio(program: str, token: str, reply: int, tests_fd: int) -> None:
    try:
        code = compile(program, "<program>", "exec")
    except BaseException as exc:
        report(
            reply, token, {"load": "compile", "status": "runtime_error", "detail": describe(exc)}
        )
        return
    report(reply, token, {"loaded": True, "names": {}})
    tests = socket.socket(fileno=tests_fd)
    pristine = dict(PRISTINE_BUILTINS)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(tests, 4096, 4)
        except OSError:
            return
        if not message or len(fds) != 4:
            return
        run_one_stdio(code, json.loads(message)["token"], fds, pristine)
        if threading.active_count() > 1 or len(os.listdir("/proc/self/task")) > 1:
            return  # a thread outlived its test: the next test gets a fresh process


def run_one_stdio(code: types.CodeType, token: str, fds: list[int], pristine: dict) -> None:
    stdin_r, out_w, err_w, verdict_w = fds
    lines = verdicts.lines(token)
    os.dup2(stdin_r, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    for fd in (stdin_r, out_w, err_w):
        os.close(fd)
    _streams()
    builtins.__dict__.clear()
    builtins.__dict__.update(pristine)
    sys.settrace(None)
    sys.setprofile(None)
    sys.argv = ["program"]
    if "random" in sys.modules:
        sys.modules["random"].seed()
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = module
    verdict = lines["test", "passed"] + b"null}\n"
    os.write(verdict_w, lines["started"])
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            verdict = lines["test", "runtime_error"] + _json_detail(exc) + b"}\n"
    except BaseException as exc:  # a crash fails this input only
        verdict = lines["test", _failure(exc)] + _json_detail(exc) + b"}\n"
    _flush()
    with contextlib.suppress(OSError):
        os.write(verdict_w, verdict)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)  # the test's pipes close: the runner reads end-of-file
    os.close(null)
    os.close(verdict_w)  # the next test makes its own streams


def _json_detail(exc: BaseException) -> bytes:
    return json.dumps(_detail(exc)).encode()
