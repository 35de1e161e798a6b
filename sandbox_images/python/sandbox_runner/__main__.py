"""Entry point: the framed job stream on stdin/stdout and the job loop (PID 1 only)."""

from __future__ import annotations

import gc
import json
import os
import struct
import sys
import time
import traceback

from sandbox_runner.child import CHILD_ENV, utf8_safe
from sandbox_runner.reset import kill_leftovers, reset_container
from sandbox_runner.watch import HarnessError, decide, run_child

HEADER = struct.Struct(">I")
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


def scrub(value: object) -> object:
    """Every string valid UTF-8 (no lone surrogates), so the service can always re-encode it."""
    if isinstance(value, str):
        return utf8_safe(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def write_frame(fd: int, message: dict) -> None:
    body = json.dumps(scrub(message)).encode()
    data = HEADER.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data) :]


def judge(job: dict, test: dict, uid: int) -> tuple[dict, bool]:
    """One test's result, and False when the runner itself failed while judging it.

    Whatever a program does, it gets a result: an exception in our code while watching or
    judging its test makes that test a `runtime_error` (the container is then replaced, in
    case the failure left something behind). Only a HarnessError (no process could be started
    for the test) makes the whole reply an error.
    """
    try:
        return decide(test, run_child(job, test, uid)), True
    except HarnessError:
        raise
    except Exception:  # logged; a program must never turn it into infra_error
        log(traceback.format_exc())
        return {"status": "runtime_error", "detail": "the runner could not judge this test"}, False


def run_job(job: dict, uid: int) -> dict:
    started = time.monotonic()
    results: list[dict] = []
    load_failure: dict | None = None
    judged_ok = True
    for test in job["tests"]:
        if load_failure is not None:  # the program never loads: every code test fails alike
            results.append(dict(load_failure))
            continue
        result, ok = judge(job, test, uid)
        judged_ok = judged_ok and ok
        kill_leftovers()
        if "phase" in result:  # compile or load failure (see decide)
            load_failure = result
        results.append(dict(result))
    clean = reset_container(uid) and judged_ok
    elapsed_ms = (time.monotonic() - started) * 1000
    return {"id": job.get("id"), "tests": results, "clean": clean, "elapsed_ms": elapsed_ms}


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
