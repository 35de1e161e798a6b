"""The runner's framed stream without Docker, and the one job format it shares with the service."""

from __future__ import annotations

import os

import pytest
from sandbox_runner.child import LIMITS, utf8_safe
from sandbox_runner.native.languages import COMPILE_LIMITS
from sandbox_runner.stream import read_frame, scrub, write_frame

from reward_service.sandbox.base import Job, ProgramTest, SandboxLimits
from reward_service.sandbox.wire import job_frame


def test_frames_round_trip_through_a_pipe() -> None:
    read_fd, write_fd = os.pipe()
    try:
        write_frame(write_fd, {"id": "x", "tests": [{"status": "passed"}], "detail": "\ud800"})
        os.close(write_fd)
        assert read_frame(read_fd) == {
            "id": "x",
            "tests": [{"status": "passed"}],
            "detail": "\\ud800",  # lone surrogates are escaped, so the service can re-encode
        }
        assert read_frame(read_fd) is None  # end of stream: the service went away
    finally:
        os.close(read_fd)


def test_an_oversized_frame_is_refused() -> None:
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, (1 << 31).to_bytes(4, "big"))
        with pytest.raises(ValueError, match="too large"):
            read_frame(read_fd)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_scrub_reaches_every_string() -> None:
    assert scrub({"a": ["\udc80", {"b": "ok"}], "n": 1}) == {"a": ["\\udc80", {"b": "ok"}], "n": 1}
    assert utf8_safe("plain") == "plain"


def test_the_runner_reads_the_limits_under_the_services_names() -> None:
    job = Job(program="x = 1", tests=(ProgramTest(code="assert x"),), limits=SandboxLimits())
    frame = job_frame(job, "id1")
    assert set(frame) == {
        "id",
        "language",
        "kind",
        "program",
        "tests",
        "limits",
        "isolation",
        "judge_in",
        "entry_point",
    }
    both = LIMITS + COMPILE_LIMITS  # the Python runner's, then the compiled languages' own
    assert tuple(frame["limits"]) == both == tuple(SandboxLimits.model_fields)
