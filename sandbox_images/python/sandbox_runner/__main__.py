"""Entry point: the framed job stream on stdin/stdout and the job loop (PID 1 only)."""

from __future__ import annotations

import gc
import json
import os
import struct
import sys
import time
import traceback

from sandbox_runner.child import CHILD_ENV
from sandbox_runner.observe import decide, run_child
from sandbox_runner.reset import clean, kill_leftovers

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


def write_frame(fd: int, message: dict) -> None:
    body = json.dumps(message).encode()
    data = HEADER.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data) :]


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
