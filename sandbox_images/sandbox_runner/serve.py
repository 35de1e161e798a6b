"""The job loop both runners share (the Python runner's `jobs.py`, the compiled languages'
`native/main.py`): a hello, then one reply per job on the service's attach stream, for as long
as the service keeps it open.

Whatever a job does, a reply goes back: `run_job`'s result (with the job's id and how long it
took), or an error reply when our side failed (HarnessError: before the program ran; any other
exception: a bug of ours, logged), which the service treats as a lost container.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from sandbox_runner import framing
from sandbox_runner.outcome import HarnessError


def log(message: str) -> None:
    sys.stderr.write(f"runner: {message}\n")
    sys.stderr.flush()


def serve(
    hello: dict,
    run_job: Callable[[dict], dict],
    after: Callable[[dict], None] | None = None,
) -> int:
    """Sends `hello`, then answers jobs until the service closes the stream (0), or sends a
    frame that can't be read (3). `after(job)` runs once a reply is out (the service reads it
    meanwhile)."""
    framing.write_message(1, hello)
    jobs = framing.Reader(0, framing.MAX_JOB_BYTES)
    while True:
        try:
            job = framing.read_message(jobs)
        except (ValueError, OSError) as exc:
            log(f"bad frame: {exc}")
            return 3
        if job is None:
            return 0
        framing.write_message(1, answer(job, run_job))
        if after is not None:
            after(job)


def answer(job: dict, run_job: Callable[[dict], dict]) -> dict:
    started = time.monotonic()
    try:
        reply = run_job(job)
    except HarnessError as exc:  # ours, before a program ran: the service retries elsewhere
        return {"id": job.get("id"), "error": str(exc), "clean": False}
    except Exception:  # report, then let the service recycle us
        log(traceback.format_exc())
        return {"id": job.get("id"), "error": traceback.format_exc(limit=3), "clean": False}
    elapsed_ms = (time.monotonic() - started) * 1000
    return {"id": job.get("id"), **reply, "elapsed_ms": elapsed_ms}
