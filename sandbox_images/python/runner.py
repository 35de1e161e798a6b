"""In-container job runner: the main process (PID 1) of every sandbox container.

It reads jobs from stdin and writes results to stdout, each frame a 4-byte big-endian length
followed by UTF-8 JSON. The service attaches to the container once and keeps this stream open,
so a job costs a few forks, never a container start or a `docker exec`.

A job is `{"id", "program", "tests", "timeout_s", "memory_mb", "output_bytes", "nproc",
"file_size_bytes"}` where each test is `{"code": str}` (run in the program's namespace after it
loaded; passes when it returns) or `{"stdin": str, "stdout": str}` (run the program on that
input; the runner compares stdout). Every test gets a fresh child: fork, drop to the sandbox
uid, load the program, run the test, report over a pipe of its own with a per-test token.
Only that report, after the test returned, makes a pass; exit codes and output never do. A
wall-clock timer here kills the child's process group; after every test `kill(-1)` ends every
other process, and after every job the writable dirs (/tmp, /dev/shm) are wiped. When that
can't be proven, the reply says `clean: false` and the service replaces the container.

Privileges. The container runs this process as root with every capability dropped except:
- SETUID and SETGID: a test child must switch to the unprivileged sandbox uid/gid (and clear
  supplementary groups) before any untrusted code runs. Once it has, its capabilities are gone
  (setresuid from 0 clears them) and no-new-privileges stops it from regaining any.
- KILL: after every test, `kill(-1, SIGKILL)` from PID 1 ends every other process in the
  container (leftover background processes, fork bombs) whatever uid they run as.
The sandbox uid is unique per container, so RLIMIT_NPROC (counted per uid by the kernel) is a
per-container budget. The runner is PID 1 and of another uid, so the program can't signal it.
The wipe runs in a child that drops to the sandbox uid too, so no DAC_OVERRIDE is needed.

Reward hacks handled: exit codes (sys.exit, os._exit, atexit), printed or forged output,
killing the runner, patching builtins, json, os or this module (the verdict path only uses
references bound before the program ran; builtins are restored before the test), tracers, and
reading expected outputs from the runner's frames (the child empties its copy of the job).

Deliberately left out: in the assert and HumanEval forms the test runs in the program's own
interpreter, so a program that digs through its process on purpose (frame walking to the
token, ctypes, reading the caller's bytecode for the expected value) can still forge a pass.
The stdin/stdout verdict is computed here, outside the program's process.

Standard library only: this file runs on any Python >= 3.8 base image.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import json
import math
import os
import resource
import secrets
import select
import signal
import struct
import sys
import time
import traceback
import types

WORK_DIRS = ("/tmp", "/dev/shm")
# the container's OOM-kill counter (cgroup v1, then v2), to tell OOM kills from other SIGKILLs
OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
DETAIL_CHARS = 400
HEADER = struct.Struct(">I")
PRISTINE_BUILTINS = dict(builtins.__dict__)  # taken once; every test child restores it
MAX_FRAME_BYTES = 256 * 1024 * 1024


def log(message: str) -> None:
    sys.stderr.write(f"runner: {message}\n")
    sys.stderr.flush()


# --- framing on stdin/stdout -------------------------------------------------------------


def read_exact(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> dict | None:
    header = read_exact(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME_BYTES:
        raise ValueError(f"frame of {size} bytes is too large")
    body = read_exact(fd, size)
    return None if body is None else json.loads(body)


def write_frame(fd: int, message: dict) -> None:
    body = json.dumps(message).encode()
    data = HEADER.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data) :]


# --- the test child (runs untrusted code) ------------------------------------------------


def short(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return short(f"SyntaxError: {exc.msg} (line {exc.lineno})")
    return short(f"{type(exc).__name__}: {exc}".rstrip(": "))


def drop_privileges(uid: int, limits: dict) -> None:
    """Limits first (lowering rlimits needs no privilege), then the uid switch."""
    memory = limits["memory_mb"] * 1024 * 1024
    cpu_s = math.ceil(limits["timeout_s"]) + 1
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    file_size = limits["file_size_bytes"] or 64 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    try:  # make the OOM killer pick us, never the runner
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() == 0 or os.geteuid() == 0:  # defence in depth: never run untrusted as root
        os._exit(99)


def child_main(job: dict, test: dict, uid: int, fds: tuple[int, int, int, int], token: str) -> None:
    """Runs in the forked child; never returns."""
    stdin_r, out_w, err_w, verdict_w = fds
    # Keep what this test needs, then empty this process's copy of the job: the frames below
    # (run_job, run_child) still reference it, and expected outputs and other tests must not be
    # one frame walk away from the program.
    program, source = job["program"], test.get("code")
    limits = {key: job.get(key) for key in ("memory_mb", "timeout_s", "nproc", "file_size_bytes")}
    for other in job["tests"]:
        other.clear()
    job["tests"].clear()
    job.clear()
    try:
        os.setpgid(0, 0)
        os.dup2(stdin_r, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        # the attach stream (the runner's own stdin/stdout) must not reach the program
        os.closerange(3, verdict_w)
        os.closerange(verdict_w + 1, 1024)
        drop_privileges(uid, limits)
        os.chdir("/tmp")  # the environment was reset once, in main()
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - lives until exit
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        if "random" in sys.modules:  # a fork shares the runner's generator state: reseed
            sys.modules["random"].seed()
        sys.argv = ["program"]
        sys.path[:] = [p for p in sys.path if p and p != os.path.dirname(__file__)]
    except BaseException:  # any failure here is ours, not the program's
        os._exit(98)

    # From here on untrusted code runs in this process and may patch any module, this file
    # included (it is sys.modules["__main__"]). So the verdict path only uses locals bound
    # before the program ran; a program must dig through frames or memory to forge one.
    dumps, write, exit_now, is_a, settrace = (
        json.dumps,
        os.write,
        os._exit,
        isinstance,
        sys.settrace,
    )
    streams = (sys.stdout, sys.stderr)
    builtins_dict, pristine_builtins = builtins.__dict__, PRISTINE_BUILTINS
    memory_error, assertion_error, system_exit = MemoryError, AssertionError, SystemExit

    def report(**fields: object) -> None:
        write(verdict_w, (dumps({"token": token, **fields}) + "\n").encode())

    def flush() -> None:
        for stream in streams:
            with contextlib.suppress(BaseException):
                stream.flush()

    def failure(exc: BaseException) -> str:
        if is_a(exc, memory_error):
            return "memory"
        return "failed" if is_a(exc, (assertion_error, system_exit)) else "runtime_error"

    def detail(exc: BaseException) -> str | None:
        try:
            return describe(exc)
        except BaseException:  # a hostile exception may break str(); the status stands
            return None

    program_module = types.ModuleType("__main__")  # `import __main__` finds the program
    namespace = program_module.__dict__
    namespace["__builtins__"] = builtins
    sys.modules["__main__"] = program_module
    try:
        code = compile(program, "<program>", "exec")
    except BaseException as exc:
        report(phase="compile", status="runtime_error", detail=describe(exc))
        exit_now(0)

    test_code = None
    if source is not None:
        try:
            test_code = compile(source, "<test>", "exec")
        except BaseException as exc:  # a broken test is a harness problem
            report(phase="test", status="runtime_error", detail="test: " + describe(exc))
            exit_now(0)

    try:
        exec(code, namespace)
    except BaseException as exc:  # SystemExit from the program too
        flush()
        if test_code is None and is_a(exc, system_exit) and exc.code in (None, 0):
            report(phase="test", status="passed")  # a normal end; the runner compares stdout
        elif test_code is None:  # stdin/stdout form: a crash fails this input only
            status = "memory" if is_a(exc, memory_error) else "runtime_error"
            report(phase="test", status=status, detail=detail(exc))
        else:
            status = "memory" if is_a(exc, memory_error) else "runtime_error"
            report(phase="load", status=status, detail=detail(exc))
        exit_now(0)

    if test_code is None:
        flush()
        report(phase="test", status="passed")  # the runner compares stdout
        exit_now(0)

    report(phase="loaded")
    # undo classic hacks: patched builtins the test uses (abs, len...), a tracer that skips lines
    builtins_dict.clear()
    builtins_dict.update(pristine_builtins)
    namespace["__builtins__"] = builtins
    settrace(None)
    try:
        exec(test_code, namespace)
    except BaseException as exc:
        flush()
        report(phase="test", status=failure(exc), detail=detail(exc))
        exit_now(0)
    flush()
    report(phase="test", status="passed")
    exit_now(0)


# --- the runner side ---------------------------------------------------------------------


def normalize(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


class Observed:
    """What the runner saw of one test child."""

    def __init__(self) -> None:
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.verdicts: list[dict] = []
        self.timed_out = False
        self.output_exceeded = False
        self.wait_status: int | None = None
        self.oom_killed = False


def run_child(job: dict, test: dict, uid: int) -> Observed:
    token = secrets.token_hex(16)
    oom_before = oom_kills()
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    verdict_r, verdict_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        child_main(job, test, uid, (stdin_r, out_w, err_w, verdict_w), token)
        os._exit(97)
    for fd in (stdin_r, out_w, err_w, verdict_w):
        os.close(fd)
    seen = Observed()
    try:
        observe(pid, job, test, seen, (stdin_w, out_r, err_r, verdict_r), token)
        # unknown counter (-1): a SIGKILL nobody else sent is most likely the OOM killer
        seen.oom_killed = oom_before < 0 or oom_kills() > oom_before
    finally:
        for fd in (stdin_w, out_r, err_r, verdict_r):
            with contextlib.suppress(OSError):
                os.close(fd)
    return seen


def observe(pid: int, job: dict, test: dict, seen: Observed, fds: tuple, token: str) -> None:
    stdin_w, out_r, err_r, verdict_r = fds
    pending_input = test.get("stdin", "").encode()
    limit = job["output_bytes"]
    deadline = time.monotonic() + job["timeout_s"]
    pidfd = open_pidfd(pid)
    poller = select.poll()
    readers = {out_r: seen.stdout, err_r: seen.stderr, verdict_r: bytearray()}
    for fd in readers:
        os.set_blocking(fd, False)
        poller.register(fd, select.POLLIN)
    if pidfd >= 0:
        poller.register(pidfd, select.POLLIN)
    if pending_input:
        os.set_blocking(stdin_w, False)
        poller.register(stdin_w, select.POLLOUT)
    else:
        os.close(stdin_w)
        stdin_w = -1
    exited = False
    try:
        while not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen.timed_out = True
                break
            if pidfd < 0:  # no pidfd: poll for the exit every millisecond
                remaining = min(remaining, 0.001)
                exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
            for fd, _event in poller.poll(remaining * 1000):
                if fd == pidfd:
                    exited = True
                elif fd == stdin_w:
                    try:
                        pending_input = pending_input[os.write(stdin_w, pending_input[:65536]) :]
                    except BlockingIOError:
                        pass
                    except BrokenPipeError:  # the program stopped reading: fine
                        pending_input = b""
                    if not pending_input:
                        poller.unregister(stdin_w)
                        os.close(stdin_w)
                        stdin_w = -1
                else:
                    drain(fd, readers[fd], limit, poller)
            if len(seen.stdout) + len(seen.stderr) > limit:
                seen.output_exceeded = True
                break
        if not exited:  # timeout or output cap: its whole process group goes
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(ProcessLookupError):
                    kill(pid, signal.SIGKILL)
        _, seen.wait_status = os.waitpid(pid, 0)
        # stop any writer left behind, then take what is already in the pipes
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        for fd, buffer in readers.items():
            drain(fd, buffer, limit, None, until_empty=True)
    finally:
        if pidfd >= 0:
            os.close(pidfd)
        if stdin_w >= 0:
            os.close(stdin_w)
    if len(seen.stdout) + len(seen.stderr) > limit:
        seen.output_exceeded = True
    seen.verdicts = parse_verdicts(bytes(readers[verdict_r]), token)


def open_pidfd(pid: int) -> int:
    """A descriptor that becomes readable when the child exits; -1 where the kernel or a
    seccomp profile lacks pidfd_open (the caller then polls)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return -1


def drain(
    fd: int, buffer: bytearray, limit: int, poller: object, until_empty: bool = False
) -> None:
    """Reads what is available (fd is non-blocking); keeps at most limit+1 bytes."""
    for _ in range(1024 if until_empty else 1):
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            if poller is not None:
                poller.unregister(fd)  # type: ignore[attr-defined]
            return
        if len(buffer) <= limit:
            buffer += chunk[: limit + 1 - len(buffer)]


def parse_verdicts(data: bytes, token: str) -> list[dict]:
    verdicts = []
    for line in data.splitlines()[:16]:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.pop("token", None) == token:
            verdicts.append(message)
    return verdicts


def decide(test: dict, seen: Observed) -> dict:
    """Turns observations into one test result; a pass needs the harness's own report."""
    final = next((v for v in seen.verdicts if v.get("phase") in ("compile", "load", "test")), None)
    loaded = any(v.get("phase") == "loaded" for v in seen.verdicts) or "stdout" in test
    result: dict = {"status": "runtime_error", "detail": None, "loaded": loaded}
    if seen.output_exceeded:
        result.update(status="output_limit", detail="output exceeded the limit")
    elif seen.timed_out:
        result.update(status="timeout", detail="wall-clock time limit exceeded")
    elif final is not None:
        result.update(status=final.get("status", "runtime_error"), detail=final.get("detail"))
        if final.get("phase") in ("compile", "load"):
            result["phase"] = final["phase"]
            result["loaded"] = False
        if result["status"] == "passed" and "stdout" in test:
            expected = normalize(test["stdout"])
            actual = normalize(seen.stdout.decode("utf-8", "replace"))
            if actual != expected:
                result.update(status="failed", detail="stdout differs from the expected output")
    else:
        result.update(exit_detail(seen.wait_status, seen.oom_killed))
    if result["status"] == "runtime_error" and not result["detail"] and seen.stderr:
        result["detail"] = short(seen.stderr.decode("utf-8", "replace").strip().splitlines()[-1])
    return result


def oom_kills() -> int:
    """How many processes the kernel's OOM killer ended in this container; -1 if unknown."""
    for path in OOM_FILES:
        try:
            with open(path) as fh:
                for line in fh:
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return -1


def exit_detail(wait_status: int | None, oom_killed: bool = True) -> dict:
    if wait_status is None:
        return {"status": "runtime_error", "detail": "lost"}
    if os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        if sig == signal.SIGXCPU:
            return {"status": "timeout", "detail": "CPU time limit exceeded"}
        if sig == signal.SIGKILL and oom_killed:
            return {"status": "memory", "detail": "killed by the kernel (out of memory)"}
        return {"status": "runtime_error", "detail": f"killed by signal {sig}"}
    code = os.WEXITSTATUS(wait_status)
    return {
        "status": "runtime_error",
        "detail": f"exited with code {code} before the test finished",
    }


def kill_leftovers() -> None:
    """As PID 1 with CAP_KILL: end every other process in the container, reap them all."""
    while True:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        try:
            while True:
                pid, _ = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
        except ChildProcessError:
            return
        time.sleep(0.001)


def wipe(uid: int) -> None:
    """Empties the writable dirs as the sandbox uid (root here can't read its 0700 dirs)."""
    if not any(os.listdir(path) for path in WORK_DIRS if os.path.isdir(path)):
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for path in WORK_DIRS:
                for name in os.listdir(path) if os.path.isdir(path) else ():
                    remove(os.path.join(path, name))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def remove(path: str) -> None:
    """rm -rf that first gives the owner back the rights the program may have taken away."""
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return
        os.chmod(path, 0o700)
        for name in os.listdir(path):
            remove(os.path.join(path, name))
        os.rmdir(path)
    except OSError:
        pass


def clean(uid: int) -> bool:
    """Resets the container; False when it could not prove it is clean (then recycle it)."""
    kill_leftovers()
    wipe(uid)
    kill_leftovers()
    return not any(os.listdir(path) for path in WORK_DIRS if os.path.isdir(path))


def run_job(job: dict, uid: int) -> dict:
    started = time.monotonic()
    results: list[dict] = []
    load_failure: dict | None = None
    for test in job["tests"]:
        if load_failure is not None:  # the program never loads: every code test fails alike
            results.append(dict(load_failure))
            continue
        result = decide(test, run_child(job, test, uid))
        kill_leftovers()
        if "code" in test and not result.pop("loaded"):
            load_failure = {k: result[k] for k in ("status", "detail")}
            if "phase" in result:
                load_failure["phase"] = result["phase"]
        result.pop("loaded", None)
        results.append(result)
    clean_ok = clean(uid)
    elapsed_ms = (time.monotonic() - started) * 1000
    return {"id": job.get("id"), "tests": results, "clean": clean_ok, "elapsed_ms": elapsed_ms}


def main() -> int:
    if os.getpid() != 1:
        log("refusing to run: the runner must be PID 1 of its own container (it kills -1)")
        return 2
    uid = int(sys.argv[sys.argv.index("--uid") + 1]) if "--uid" in sys.argv else 65534
    if uid <= 0:
        log("the sandbox uid must not be root")
        return 2
    # the children inherit this: nothing of the image's environment reaches the program
    os.environ.clear()
    os.environ.update(CHILD_ENV)
    gc.freeze()  # keeps the runner's objects out of the children's collections (fewer copies)
    write_frame(1, {"ready": True, "uid": uid, "python": sys.version.split()[0]})
    while True:
        try:
            job = read_frame(0)
        except (ValueError, OSError) as exc:
            log(f"bad frame: {exc}")
            return 3
        if job is None:
            return 0
        try:
            reply = run_job(job, uid)
        except Exception:  # report, then let the service recycle us
            log(traceback.format_exc())
            reply = {"id": job.get("id"), "error": traceback.format_exc(limit=3), "clean": False}
        write_frame(1, reply)


if __name__ == "__main__":
    sys.exit(main())
